//! Chatroom mutes, blocks, whitelist, mute-all and the announcement.

use crate::chatroom_members::{add_batch, entry, lists, make_admin, many, refs, setup};
use crate::chatrooms::{add, count, details, members, strings};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

const FOREVER: i64 = 4_638_873_600_000;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn mute(app: &TestApp, id: &str, body: Value) -> Reply {
    app.post(&format!("/chatrooms/{id}/mute"), body).await
}

/// The listed mutes as (user, expire), sorted by user.
async fn mutes(app: &TestApp, id: &str) -> Vec<(String, i64)> {
    let r = app.get(&format!("/chatrooms/{id}/mute")).await;
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

/// POST with no body (single block / whitelist add, ban).
async fn post_empty(app: &TestApp, path: &str) -> Reply {
    app.call(Method::POST, path, None).await
}

async fn block(app: &TestApp, id: &str, user: &str) -> Reply {
    post_empty(app, &format!("/chatrooms/{id}/blocks/users/{user}")).await
}

/// A list answered as plain names with a matching count (blocks, whitelist).
async fn name_list(app: &TestApp, path: &str) -> Vec<String> {
    let r = app.get(path).await;
    let b = assert_envelope(&r, "get");
    let mut list = strings(&b["data"]);
    assert_eq!(b["count"], list.len(), "{b}");
    list.sort();
    list
}

async fn blocks(app: &TestApp, id: &str) -> Vec<String> {
    name_list(app, &format!("/chatrooms/{id}/blocks/users")).await
}

async fn whites(app: &TestApp, id: &str) -> Vec<String> {
    name_list(app, &format!("/chatrooms/{id}/white/users")).await
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
        json!({"usernames": ["AMY", "bob"], "mute_duration": 60_000}),
    )
    .await;
    let after = now_ms();
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(data.as_array().unwrap().len(), 2, "{data}");
    for u in ["amy", "bob"] {
        let e = entry(data, u);
        assert_eq!(e["result"], true, "{e}");
        let expire = e["expire"].as_i64().unwrap();
        assert!(
            expire >= before + 60_000 - 1000 && expire <= after + 60_000 + 1000,
            "{expire}"
        );
    }
    let listed = mutes(&app, &id).await;
    assert_eq!(
        listed.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
        ["amy", "bob"]
    );
    assert_eq!(listed[0].1, entry(data, "amy")["expire"].as_i64().unwrap());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_mute_of_minus_one_lasts_until_4638873600000_and_muting_again_replaces_the_expiry(
    pool: PgPool,
) {
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
        json!({"usernames": ["amy"], "mute_duration": 120_000}),
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
    let r = app.delete(&format!("/chatrooms/{id}/mute/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": true, "user": "amy"}])
    );
    let r = app.delete(&format!("/chatrooms/{id}/mute/amy,bob")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(*entry(data, "amy"), json!({"result": false, "user": "amy"}));
    assert_eq!(*entry(data, "bob"), json!({"result": true, "user": "bob"}));
    assert_eq!(mutes(&app, &id).await, [("cat".to_owned(), FOREVER)]);
    let r = app.delete(&format!("/chatrooms/{id}/mute/cat%2Camy")).await;
    assert_eq!(entry(&r.body["data"], "cat")["result"], true, "{}", r.body);
    assert!(mutes(&app, &id).await.is_empty());
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
    let cat = entry(data, "cat");
    assert_eq!(cat["result"], false);
    assert!(cat["reason"].is_string(), "{cat}");
    let d = assert_error(
        &mute(
            &app,
            &id,
            json!({"usernames": ["cat"], "mute_duration": -1}),
        )
        .await,
        400,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    assert_eq!(mutes(&app, &id).await, [("amy".to_owned(), FOREVER)]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn muting_the_owner_an_unknown_user_or_more_than_60_is_refused(pool: PgPool) {
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
    assert!(mutes(&app, &id).await.is_empty());
    // Unmuting more than 60 at once is refused as well.
    let r = app
        .delete(&format!("/chatrooms/{id}/mute/{}", names.join(",")))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_missing_zero_or_below_minus_one_mute_duration_is_invalid_parameter(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    for body in [
        json!({"usernames": ["amy"]}),
        json!({"usernames": ["amy"], "mute_duration": 0}),
        json!({"usernames": ["amy"], "mute_duration": -2}),
    ] {
        assert_error(&mute(&app, &id, body).await, 400, "invalid_parameter");
    }
    // A duration that is not a number is refused too (the contract leaves the error open).
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": "soon"}),
    )
    .await;
    assert_error(&r, 400, "invalid_parameter");
    assert!(mutes(&app, &id).await.is_empty());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_mute_duration_written_as_a_whole_float_is_an_integer(pool: PgPool) {
    // JSON Schema counts 60000.0 as an integer, and so do generated clients.
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": 60_000.0}),
    )
    .await;
    assert_eq!(assert_envelope(&r, "post")["data"][0]["result"], true);
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["bob"], "mute_duration": -1.0}),
    )
    .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"][0]["expire"],
        json!(FOREVER)
    );
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": 1.5}),
    )
    .await;
    assert_error(&r, 400, "invalid_parameter");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_expired_mute_disappears_from_the_list_without_any_job(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let before = now_ms();
    let r = mute(
        &app,
        &id,
        json!({"usernames": ["amy"], "mute_duration": 1500}),
    )
    .await;
    let expire = assert_envelope(&r, "post")["data"][0]["expire"]
        .as_i64()
        .unwrap();
    assert!(expire >= before + 1500 - 1000 && expire <= now_ms() + 1500 + 1000);
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
}

// ---- blocks ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn blocking_a_member_removes_it_and_keeps_it_out_until_unblocked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = block(&app, &id, "AMY").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": true, "action": "add_blocks", "user": "amy", "chatroomid": id})
    );
    assert_eq!(count(&app, &id).await, 2);
    assert_eq!(members(&app, &id).await, ["olga", "bob"]);
    assert_eq!(blocks(&app, &id).await, ["amy"]);
    assert_error(&add(&app, &id, "amy").await, 403, "forbidden_op");
    assert_error(
        &add_batch(&app, &id, json!(["amy"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(count(&app, &id).await, 2);
    let r = app
        .delete(&format!("/chatrooms/{id}/blocks/users/amy"))
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": true, "action": "remove_blocks", "user": "amy", "chatroomid": id})
    );
    assert!(blocks(&app, &id).await.is_empty());
    // Unblocking does not make a member; adding does.
    assert_eq!(count(&app, &id).await, 2);
    assert_eq!(add(&app, &id, "amy").await.status, 200);
    assert_eq!(count(&app, &id).await, 3);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn blocking_drops_the_admin_role_mute_and_whitelist_entry(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let calls = [
        make_admin(&app, &id, "amy").await,
        mute(
            &app,
            &id,
            json!({"usernames": ["amy"], "mute_duration": -1}),
        )
        .await,
        post_empty(&app, &format!("/chatrooms/{id}/white/users/amy")).await,
    ];
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(lists(&app, &id).await, [1, 1, 1]);
    assert_eq!(block(&app, &id, "amy").await.status, 200);
    assert_eq!(lists(&app, &id).await, [0, 0, 0]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn blocking_refuses_non_members_the_owner_and_unknown_users(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let d = assert_error(&block(&app, &id, "cat").await, 400, "forbidden_op");
    assert_eq!(d, "users [cat] are not members of this group!");
    let d = assert_error(&block(&app, &id, "olga").await, 403, "forbidden_op");
    assert_eq!(d, "forbidden operation on group owner!");
    let d = assert_error(&block(&app, &id, "ghost").await, 404, "resource_not_found");
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &block(&app, "999999", "amy").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
    assert_error(
        &app.delete(&format!("/chatrooms/{id}/blocks/users/amy"))
            .await,
        400,
        "forbidden_op",
    );
    assert!(blocks(&app, &id).await.is_empty());
    assert_eq!(count(&app, &id).await, 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_block_answers_a_result_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "dan"]).await;
    app.register(&["cat"]).await;
    let r = app
        .post(
            &format!("/chatrooms/{id}/blocks/users"),
            json!({"usernames": ["amy", "BOB", "cat"]}),
        )
        .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(data.as_array().unwrap().len(), 3, "{data}");
    for u in ["amy", "bob"] {
        let e = entry(data, u);
        assert_eq!(e["result"], true, "{e}");
        assert_eq!(e["action"], "add_blocks");
        assert_eq!(e["chatroomid"], id.as_str());
    }
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "add_blocks",
               "reason": format!("user: cat doesn't exist in chatroom: {id}"),
               "user": "cat", "chatroomid": id})
    );
    assert_eq!(blocks(&app, &id).await, ["amy", "bob"]);
    assert_eq!(members(&app, &id).await, ["olga", "dan"]);
    assert_eq!(count(&app, &id).await, 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_block_of_nobody_blockable_the_owner_or_more_than_60_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 61);
    app.register(&["cat"]).await;
    let id = setup(&app, "olga", &refs(&names)).await;
    let path = format!("/chatrooms/{id}/blocks/users");
    assert_error(
        &app.post(&path, json!({"usernames": ["cat"]})).await,
        400,
        "forbidden_op",
    );
    assert_error(
        &app.post(&path, json!({"usernames": ["u1", "olga"]})).await,
        403,
        "forbidden_op",
    );
    let d = assert_error(
        &app.post(&path, json!({"usernames": names})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "userNames is more than max limit : 60");
    assert!(blocks(&app, &id).await.is_empty());
    assert_eq!(count(&app, &id).await, 62);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_unblock_answers_a_result_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    for u in ["amy", "bob"] {
        assert_eq!(block(&app, &id, u).await.status, 200);
    }
    let r = app
        .delete(&format!("/chatrooms/{id}/blocks/users/amy,cat"))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(
        *entry(data, "amy"),
        json!({"result": true, "action": "remove_blocks", "user": "amy", "chatroomid": id})
    );
    let cat = entry(data, "cat");
    assert_eq!(cat["result"], false);
    assert_eq!(cat["action"], "remove_blocks");
    assert!(cat["reason"].is_string(), "{cat}");
    assert_eq!(blocks(&app, &id).await, ["bob"]);
    let r = app
        .delete(&format!("/chatrooms/{id}/blocks/users/bob%2Camy"))
        .await;
    assert_eq!(entry(&r.body["data"], "bob")["result"], true, "{}", r.body);
    assert!(blocks(&app, &id).await.is_empty());
}

// ---- whitelist ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn whitelisting_one_member_adds_lists_and_removes_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let r = post_empty(&app, &format!("/chatrooms/{id}/white/users/AMY")).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": true, "action": "add_user_whitelist", "user": "amy", "chatroomid": id})
    );
    assert_eq!(whites(&app, &id).await, ["amy"]);
    let d = assert_error(
        &post_empty(&app, &format!("/chatrooms/{id}/white/users/cat")).await,
        400,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    let r = app
        .delete(&format!("/chatrooms/{id}/white/users/amy"))
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": true, "action": "remove_user_whitelist", "user": "amy",
                "chatroomid": id}])
    );
    assert!(whites(&app, &id).await.is_empty());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_whitelist_add_and_remove_answer_a_result_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    let path = format!("/chatrooms/{id}/white/users");
    let r = app
        .post(&path, json!({"usernames": ["amy", "bob", "cat"]}))
        .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(
        *entry(data, "amy"),
        json!({"result": true, "action": "add_user_whitelist", "user": "amy", "chatroomid": id})
    );
    assert_eq!(entry(data, "bob")["result"], true);
    let cat = entry(data, "cat");
    assert_eq!(cat["result"], false);
    assert_eq!(cat["action"], "add_user_whitelist");
    assert!(cat["reason"].is_string(), "{cat}");
    assert_eq!(whites(&app, &id).await, ["amy", "bob"]);
    let r = app.delete(&format!("{path}/amy,cat")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(
        *entry(data, "amy"),
        json!({"result": true, "action": "remove_user_whitelist", "user": "amy",
               "chatroomid": id})
    );
    let cat = entry(data, "cat");
    assert_eq!(cat["result"], false);
    assert!(cat["reason"].is_string(), "{cat}");
    assert_eq!(whites(&app, &id).await, ["bob"]);
    let r = app.delete(&format!("{path}/bob%2Camy")).await;
    assert_eq!(entry(&r.body["data"], "bob")["result"], true, "{}", r.body);
    assert!(whites(&app, &id).await.is_empty());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_whitelist_of_non_members_or_more_than_60_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 61);
    app.register(&["cat"]).await;
    let id = setup(&app, "olga", &refs(&names)).await;
    let path = format!("/chatrooms/{id}/white/users");
    assert_error(
        &app.post(&path, json!({"usernames": ["cat"]})).await,
        400,
        "forbidden_op",
    );
    let d = assert_error(
        &app.post(&path, json!({"usernames": names})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "usernames size is more than max limit : 60");
    assert!(whites(&app, &id).await.is_empty());
}

// ---- ban and announcement ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn banning_sets_the_mute_flag_and_unbanning_clears_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let r = post_empty(&app, &format!("/chatrooms/{id}/ban")).await;
    assert_eq!(assert_envelope(&r, "put")["data"], json!({"mute": true}));
    assert_eq!(details(&app, &id).await["mute"], true);
    let r = app.delete(&format!("/chatrooms/{id}/ban")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"mute": false})
    );
    assert_eq!(details(&app, &id).await["mute"], false);
    let d = assert_error(
        &post_empty(&app, "/chatrooms/999999/ban").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_announcement_is_empty_until_set_and_bounded_to_512_characters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let path = format!("/chatrooms/{id}/announcement");
    let r = app.get(&path).await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!({"announcement": ""})
    );
    let r = app.post(&path, json!({"announcement": "welcome"})).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"id": id, "result": true})
    );
    assert_eq!(
        app.get(&path).await.body["data"],
        json!({"announcement": "welcome"})
    );
    let d = assert_error(
        &app.post(&path, json!({"announcement": "a".repeat(513)}))
            .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "announce info length exceeds limit!");
    assert_error(&app.post(&path, json!({})).await, 400, "invalid_parameter");
    assert_eq!(
        app.get(&path).await.body["data"],
        json!({"announcement": "welcome"})
    );
    // 512 characters (1024 bytes) is allowed.
    let long = "é".repeat(512);
    assert_eq!(
        app.post(&path, json!({"announcement": long})).await.status,
        200
    );
    assert_eq!(app.get(&path).await.body["data"]["announcement"], long);
    let d = assert_error(
        &app.get("/chatrooms/999999/announcement").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn moderation_lists_of_an_unknown_room_are_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    for p in ["mute", "blocks/users", "white/users", "admin"] {
        let d = assert_error(
            &app.get(&format!("/chatrooms/999999/{p}")).await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, "grpID 999999 does not exist!", "{p}");
        let r = app.get(&format!("/chatrooms/{id}/{p}")).await;
        assert_eq!(assert_envelope(&r, "get")["data"], json!([]), "{p}");
    }
}
