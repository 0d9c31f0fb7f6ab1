//! Group mutes and mute-all, and the shared-core fix that a transfer drops the new owner's mute
//! (docs-groups-contract.md §3, §15, §18).

use crate::groups::*;
use crate::helpers::*;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

pub const FOREVER: i64 = 4_638_873_600_000;

pub async fn mute(app: &TestApp, id: &str, body: Value) -> Reply {
    app.post(&format!("/chatgroups/{id}/mute"), body).await
}

/// The listed mutes as (user, expire), sorted by user.
pub async fn mutes(app: &TestApp, id: &str) -> Vec<(String, i64)> {
    let r = app.get(&format!("/chatgroups/{id}/mute")).await;
    let mut out: Vec<(String, i64)> = assert_envelope(&r, "get")["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["user"].as_str().unwrap().to_owned(),
                e["expire"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

// ---- mutes ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn muting_members_for_a_duration_answers_and_lists_their_expiry(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "cat"]).await;
    let before = now_ms();
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["AMY", "bob"], "mute_duration": 86_400_000}),
    )
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
            expire >= before + 86_400_000 - 1000 && expire <= after + 86_400_000 + 1000,
            "{expire}"
        );
    }
    let listed = mutes(&app, &id).await;
    let amy = entry(data, "amy")["expire"].as_i64().unwrap();
    let bob = entry(data, "bob")["expire"].as_i64().unwrap();
    assert_eq!(listed, [("amy".to_owned(), amy), ("bob".to_owned(), bob)]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_mute_of_minus_one_lasts_until_4638873600000_and_muting_again_replaces_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": -1}),
    )
    .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!([{"result": true, "expire": FOREVER, "user": "amy"}])
    );
    assert_eq!(mutes(&app, &id).await, [("amy".to_owned(), FOREVER)]);
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": "120000"}),
    )
    .await;
    let expire = assert_envelope(&r, "post")["data"][0]["expire"]
        .as_i64()
        .unwrap();
    assert!(expire < FOREVER && expire > now_ms() + 100_000, "{expire}");
    assert_eq!(mutes(&app, &id).await, [("amy".to_owned(), expire)]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn unmuting_one_or_several_answers_a_result_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "cat"]).await;
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy", "bob", "cat"], "mute_duration": -1}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.delete(&format!("/chatgroups/{id}/mute/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": true, "user": "amy"}])
    );
    let r = app.delete(&format!("/chatgroups/{id}/mute/amy,bob")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(*entry(data, "amy"), json!({"result": false, "user": "amy"}));
    assert_eq!(*entry(data, "bob"), json!({"result": true, "user": "bob"}));
    assert_eq!(mutes(&app, &id).await, [("cat".to_owned(), FOREVER)]);
    let r = app
        .delete(&format!("/chatgroups/{id}/mute/cat%2Camy"))
        .await;
    assert_eq!(entry(&r.body["data"], "cat")["result"], true, "{}", r.body);
    assert!(mutes(&app, &id).await.is_empty());
    let long = many("u", 61).join(",");
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/mute/{long}")).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "removeMute member size more than max limit : 60");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn muting_a_non_member_answers_false_and_only_non_members_is_forbidden(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy", "cat"], "mute_duration": -1}),
    )
    .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(entry(data, "amy")["result"], true);
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "reason": format!("user: cat doesn't exist in group: {id}"),
               "user": "cat"})
    );
    let d = assert_error(
        &mute(
            &app,
            &id,
            json!({"usernames": ["cat"], "mute_duration": -1}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    assert_eq!(mutes(&app, &id).await, [("amy".to_owned(), FOREVER)]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn muting_the_owner_an_unknown_user_more_than_60_or_a_bad_duration_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 61);
    let id = setup(&app, "olga", &refs(&names)).await;
    let d = assert_error(
        &mute(
            &app,
            &id,
            json!({"usernames": ["u1", "olga"], "mute_duration": -1}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "forbidden operation on group owner!");
    let d = assert_error(
        &mute(
            &app,
            &id,
            json!({"usernames": ["u1", "ghost"], "mute_duration": -1}),
        )
        .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &mute(&app, &id, json!({"usernames": names, "mute_duration": -1})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "userNames size is more than max limit : 60");
    let d = assert_error(
        &mute(
            &app,
            "999999",
            json!({"usernames": ["u1"], "mute_duration": -1}),
        )
        .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
    for body in [
        json!({"usernames": ["u1"]}),
        json!({"usernames": ["u1"], "mute_duration": 0}),
        json!({"usernames": ["u1"], "mute_duration": -2}),
        json!({"usernames": ["u1"], "mute_duration": "soon"}),
        json!({"mute_duration": -1}),
    ] {
        assert_error(&mute(&app, &id, body).await, 400, "invalid_parameter");
    }
    assert!(mutes(&app, &id).await.is_empty());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_expired_mute_disappears_from_the_list_without_any_job(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": 1500}),
    )
    .await;
    let expire = assert_envelope(&r, "post")["data"][0]["expire"]
        .as_i64()
        .unwrap();
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["bob"], "mute_duration": -1}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        mutes(&app, &id).await,
        [("amy".to_owned(), expire), ("bob".to_owned(), FOREVER)]
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(mutes(&app, &id).await, [("bob".to_owned(), FOREVER)]);
    // Unmuting the expired one finds nothing to lift.
    let r = app.delete(&format!("/chatgroups/{id}/mute/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": false, "user": "amy"}])
    );
}

// ---- mute-all ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn banning_sets_the_mute_flag_shown_in_details_and_unbanning_clears_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    assert_eq!(details(&app, &id).await["mute"], false);
    let r = post_empty(&app, &format!("/chatgroups/{id}/ban")).await;
    assert_eq!(assert_envelope(&r, "post")["data"], json!({"mute": true}));
    assert_eq!(details(&app, &id).await["mute"], true);
    // Mute-all is a flag, not a list of mutes.
    assert!(mutes(&app, &id).await.is_empty());
    let r = app.delete(&format!("/chatgroups/{id}/ban")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"mute": false})
    );
    assert_eq!(details(&app, &id).await["mute"], false);
    for r in [
        post_empty(&app, "/chatgroups/999999/ban").await,
        app.delete("/chatgroups/999999/ban").await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert_eq!(d, "grpID 999999 does not exist!");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn moderation_lists_of_an_unknown_group_are_404_and_of_a_new_group_empty(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    for p in ["mute", "blocks/users", "white/users", "admin"] {
        let d = assert_error(
            &app.get(&format!("/chatgroups/999999/{p}")).await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, "grpID 999999 does not exist!", "{p}");
        let r = app.get(&format!("/chatgroups/{id}/{p}")).await;
        assert_eq!(assert_envelope(&r, "get")["data"], json!([]), "{p}");
    }
}

// ---- transfer and mutes (shared-core fix) ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn transferring_ownership_to_a_muted_member_drops_that_mute(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy", "bob"], "mute_duration": -1}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put(&format!("/chatgroups/{id}"), json!({"newowner": "amy"}))
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"newowner": true})
    );
    assert_eq!(mutes(&app, &id).await, [("bob".to_owned(), FOREVER)]);
    // The new owner cannot be muted again either.
    let d = assert_error(
        &mute(
            &app,
            &id,
            json!({"usernames": ["amy"], "mute_duration": -1}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "forbidden operation on group owner!");
    // The same holds for chatrooms.
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga", "members": ["amy"]}),
        )
        .await;
    let room = assert_envelope(&r, "post")["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &format!("/chatrooms/{room}/mute"),
            json!({"usernames": ["amy"], "mute_duration": -1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put(&format!("/chatrooms/{room}"), json!({"newowner": "amy"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get(&format!("/chatrooms/{room}/mute")).await;
    assert_eq!(assert_envelope(&r, "get")["data"], json!([]));
}
