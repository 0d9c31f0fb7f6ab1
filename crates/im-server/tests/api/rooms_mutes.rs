//! Room mutes and mute-all (ban), for chatrooms and groups alike, and the shared-core fix that a
//! transfer drops the new owner's mute (docs-groups-contract.md §15, §18).

use crate::helpers::*;
use crate::kinds::*;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

async fn muting_members_for_a_duration_answers_and_lists_their_expiry(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob", "cat"]).await;
    for duration in [60_000, 86_400_000] {
        let before = now_ms();
        let r = kind
            .mute_for(&app, &id, &["AMY", "bob"], json!(duration))
            .await;
        let after = now_ms();
        let data = &assert_envelope(&r, "post")["data"];
        assert_eq!(data.as_array().unwrap().len(), 2, "{data}");
        for u in ["amy", "bob"] {
            let e = entry(data, u);
            assert_eq!(e.as_object().unwrap().len(), 3, "{e}");
            assert_eq!(e["result"], true, "{e}");
            let expire = e["expire"].as_i64().unwrap();
            assert!(
                expire >= before + duration - 1000 && expire <= after + duration + 1000,
                "{expire}"
            );
        }
        let amy = entry(data, "amy")["expire"].as_i64().unwrap();
        let bob = entry(data, "bob")["expire"].as_i64().unwrap();
        assert_eq!(
            kind.mutes(&app, &id).await,
            [("amy".to_owned(), amy), ("bob".to_owned(), bob)]
        );
    }
}
both_kinds!(muting_members_for_a_duration_answers_and_lists_their_expiry);

async fn a_mute_of_minus_one_lasts_until_4638873600000_and_muting_again_replaces_it(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    let r = kind.mute_for(&app, &id, &["amy"], json!(-1)).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!([{"result": true, "expire": FOREVER, "user": "amy"}])
    );
    assert_eq!(kind.mutes(&app, &id).await, [("amy".to_owned(), FOREVER)]);
    // A number, or a number in a string.
    for duration in [json!(120_000), json!("120000")] {
        let r = kind.mute_for(&app, &id, &["amy"], duration).await;
        let expire = assert_envelope(&r, "post")["data"][0]["expire"]
            .as_i64()
            .unwrap();
        assert!(expire < FOREVER && expire > now_ms() + 100_000, "{expire}");
        assert_eq!(kind.mutes(&app, &id).await, [("amy".to_owned(), expire)]);
    }
}
both_kinds!(a_mute_of_minus_one_lasts_until_4638873600000_and_muting_again_replaces_it);

async fn unmuting_one_or_several_answers_a_result_per_user(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob", "cat"]).await;
    let r = kind
        .mute_for(&app, &id, &["amy", "bob", "cat"], json!(-1))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.delete(&kind.at(&id, "/mute/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": true, "user": "amy"}])
    );
    let r = app.delete(&kind.at(&id, "/mute/amy,bob")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(*entry(data, "amy"), json!({"result": false, "user": "amy"}));
    assert_eq!(*entry(data, "bob"), json!({"result": true, "user": "bob"}));
    assert_eq!(kind.mutes(&app, &id).await, [("cat".to_owned(), FOREVER)]);
    let r = app.delete(&kind.at(&id, "/mute/cat%2Camy")).await;
    assert_eq!(entry(&r.body["data"], "cat")["result"], true, "{}", r.body);
    assert!(kind.mutes(&app, &id).await.is_empty());
    let long = many("u", 61).join(",");
    assert_refusal(
        &app.delete(&kind.at(&id, &format!("/mute/{long}"))).await,
        400,
        "invalid_parameter",
        "removeMute member size more than max limit : 60",
    );
}
both_kinds!(unmuting_one_or_several_answers_a_result_per_user);

async fn muting_a_non_member_answers_false_and_only_non_members_is_forbidden(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let r = kind.mute_for(&app, &id, &["amy", "cat"], json!(-1)).await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(entry(data, "amy")["result"], true);
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "user": "cat",
               "reason": format!("user: cat doesn't exist in {}: {id}", kind.noun)})
    );
    assert_refusal(
        &kind.mute_for(&app, &id, &["cat"], json!(-1)).await,
        kind.refused,
        FORBIDDEN,
        "users [cat] are not members of this group!",
    );
    assert_eq!(kind.mutes(&app, &id).await, [("amy".to_owned(), FOREVER)]);
}
both_kinds!(muting_a_non_member_answers_false_and_only_non_members_is_forbidden);

async fn muting_the_owner_an_unknown_user_or_more_than_60_is_refused(kind: Kind, pool: PgPool) {
    let names = many("u", 61);
    let (app, id) = kind.start(pool, "olga", &refs(&names)).await;
    let forever = || json!(-1);
    assert_refusal(
        &kind.mute_for(&app, &id, &["u1", "olga"], forever()).await,
        403,
        FORBIDDEN,
        "forbidden operation on group owner!",
    );
    assert_no_ghost(&kind.mute_for(&app, &id, &["u1", "ghost"], forever()).await);
    assert_refusal(
        &kind.mute_for(&app, &id, &refs(&names), forever()).await,
        400,
        "invalid_parameter",
        "userNames size is more than max limit : 60",
    );
    assert_no_room(
        &kind.mute_for(&app, "999999", &["u1"], forever()).await,
        "999999",
    );
    assert!(kind.mutes(&app, &id).await.is_empty());
    // Unmuting more than 60 at once is refused as well.
    let r = app
        .delete(&kind.at(&id, &format!("/mute/{}", names.join(","))))
        .await;
    assert_error(&r, 400, "invalid_parameter");
}
both_kinds!(muting_the_owner_an_unknown_user_or_more_than_60_is_refused);

async fn a_missing_zero_or_below_minus_one_mute_duration_is_invalid_parameter(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    for body in [
        json!({"usernames": ["amy"]}),
        json!({"usernames": ["amy"], "mute_duration": 0}),
        json!({"usernames": ["amy"], "mute_duration": -2}),
        // A duration that is not a number (the contract leaves the error open).
        json!({"usernames": ["amy"], "mute_duration": "soon"}),
        json!({"mute_duration": -1}),
    ] {
        assert_error(
            &kind.mute(&app, &id, body.clone()).await,
            400,
            "invalid_parameter",
        );
    }
    assert!(kind.mutes(&app, &id).await.is_empty());
}
both_kinds!(a_missing_zero_or_below_minus_one_mute_duration_is_invalid_parameter);

async fn a_mute_duration_written_as_a_whole_float_is_an_integer(kind: Kind, pool: PgPool) {
    // JSON Schema counts 60000.0 as an integer, and so do generated clients.
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let r = kind.mute_for(&app, &id, &["amy"], json!(60_000.0)).await;
    assert_eq!(assert_envelope(&r, "post")["data"][0]["result"], true);
    let r = kind.mute_for(&app, &id, &["bob"], json!(-1.0)).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"][0]["expire"],
        json!(FOREVER)
    );
    let r = kind.mute_for(&app, &id, &["amy"], json!(1.5)).await;
    assert_error(&r, 400, "invalid_parameter");
}
both_kinds!(a_mute_duration_written_as_a_whole_float_is_an_integer);

async fn an_expired_mute_disappears_from_the_list_without_any_job(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let before = now_ms();
    let r = kind.mute_for(&app, &id, &["amy"], json!(1500)).await;
    let expire = assert_envelope(&r, "post")["data"][0]["expire"]
        .as_i64()
        .unwrap();
    assert!(expire >= before + 1500 - 1000 && expire <= now_ms() + 1500 + 1000);
    let r = kind.mute_for(&app, &id, &["bob"], json!(-1)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        kind.mutes(&app, &id).await,
        [("amy".to_owned(), expire), ("bob".to_owned(), FOREVER)]
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(kind.mutes(&app, &id).await, [("bob".to_owned(), FOREVER)]);
    // Unmuting the expired one finds nothing to lift.
    let r = app.delete(&kind.at(&id, "/mute/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": false, "user": "amy"}])
    );
}
both_kinds!(an_expired_mute_disappears_from_the_list_without_any_job);

// ---- mute-all ----

async fn banning_sets_the_mute_flag_shown_in_details_and_unbanning_clears_it(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    assert_eq!(kind.details(&app, &id).await["mute"], false);
    let r = post_empty(&app, &kind.at(&id, "/ban")).await;
    assert_eq!(
        assert_envelope(&r, kind.ban_action)["data"],
        json!({"mute": true})
    );
    assert_eq!(kind.details(&app, &id).await["mute"], true);
    // Mute-all is a flag, not a list of mutes.
    assert!(kind.mutes(&app, &id).await.is_empty());
    let r = app.delete(&kind.at(&id, "/ban")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"mute": false})
    );
    assert_eq!(kind.details(&app, &id).await["mute"], false);
    for r in [
        post_empty(&app, &kind.path("/999999/ban")).await,
        app.delete(&kind.path("/999999/ban")).await,
    ] {
        assert_no_room(&r, "999999");
    }
}
both_kinds!(banning_sets_the_mute_flag_shown_in_details_and_unbanning_clears_it);

async fn moderation_lists_of_an_unknown_room_are_404_and_of_a_new_room_empty(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    for p in ["/mute", "/blocks/users", "/white/users", "/admin"] {
        let d = assert_error(
            &app.get(&kind.at("999999", p)).await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, "grpID 999999 does not exist!", "{p}");
        let r = app.get(&kind.at(&id, p)).await;
        assert_eq!(assert_envelope(&r, "get")["data"], json!([]), "{p}");
    }
}
both_kinds!(moderation_lists_of_an_unknown_room_are_404_and_of_a_new_room_empty);

async fn transferring_ownership_to_a_muted_member_drops_that_mute(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let r = kind.mute_for(&app, &id, &["amy", "bob"], json!(-1)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.put(&kind.at(&id, ""), json!({"newowner": "amy"})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"newowner": true})
    );
    assert_eq!(kind.mutes(&app, &id).await, [("bob".to_owned(), FOREVER)]);
    // The new owner cannot be muted again either.
    assert_refusal(
        &kind.mute_for(&app, &id, &["amy"], json!(-1)).await,
        403,
        FORBIDDEN,
        "forbidden operation on group owner!",
    );
}
both_kinds!(transferring_ownership_to_a_muted_member_drops_that_mute);
