//! Group blocks, whitelist and the disabled state, with the shared-core unblock fix
//! (docs-groups-contract.md §0, §13, §14, §18).

use crate::groups::*;
use crate::groups_mutes::{mute, mutes, FOREVER};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn block(app: &TestApp, id: &str, user: &str) -> Reply {
    post_empty(app, &format!("/chatgroups/{id}/blocks/users/{user}")).await
}

/// A list answered as plain names with a matching count (blocks, whitelist), sorted.
async fn name_list(app: &TestApp, path: &str) -> Vec<String> {
    let r = app.get(path).await;
    let b = assert_envelope(&r, "get");
    let mut list = strings(&b["data"]);
    assert_eq!(b["count"], list.len(), "{b}");
    list.sort();
    list
}

async fn blocks(app: &TestApp, id: &str) -> Vec<String> {
    name_list(app, &format!("/chatgroups/{id}/blocks/users")).await
}

async fn whites(app: &TestApp, id: &str) -> Vec<String> {
    name_list(app, &format!("/chatgroups/{id}/white/users")).await
}

// ---- blocks ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn blocking_a_member_removes_it_and_keeps_it_out_until_unblocked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = block(&app, &id, "AMY").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": true, "action": "add_blocks", "user": "amy", "groupid": id})
    );
    assert_eq!(members(&app, &id).await, ["olga", "bob"]);
    assert_eq!(count(&app, &id).await, 2);
    assert_eq!(blocks(&app, &id).await, ["amy"]);
    assert_error(&add(&app, &id, "amy").await, 403, "forbidden_op");
    assert_error(
        &add_batch(&app, &id, json!(["amy"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(app.get("/chatgroups/users/amy").await.body["total"], 0);
    let r = app
        .delete(&format!("/chatgroups/{id}/blocks/users/amy"))
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": true, "action": "remove_blocks", "user": "amy", "groupid": id})
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
        app.post(
            &format!("/chatgroups/{id}/admin"),
            json!({"newadmin": "amy"}),
        )
        .await,
        mute(
            &app,
            &id,
            json!({"usernames": ["amy"], "mute_duration": -1}),
        )
        .await,
        post_empty(&app, &format!("/chatgroups/{id}/white/users/amy")).await,
    ];
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(block(&app, &id, "amy").await.status, 200);
    for p in ["admin", "mute", "white/users"] {
        let r = app.get(&format!("/chatgroups/{id}/{p}")).await;
        assert_eq!(assert_envelope(&r, "get")["data"], json!([]), "{p}");
    }
    assert_eq!(roles(&app, &id).await, [("olga".to_owned(), 2)]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn blocking_refuses_non_members_the_owner_and_unknown_users(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let d = assert_error(&block(&app, &id, "cat").await, 403, "forbidden_op");
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
            &format!("/chatgroups/{id}/blocks/users"),
            json!({"usernames": ["amy", "BOB", "cat"]}),
        )
        .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(data.as_array().unwrap().len(), 3, "{data}");
    for u in ["amy", "bob"] {
        assert_eq!(
            *entry(data, u),
            json!({"result": true, "action": "add_blocks", "user": u, "groupid": id})
        );
    }
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "add_blocks",
               "reason": format!("user: cat doesn't exist in group: {id}"),
               "user": "cat", "groupid": id})
    );
    assert_eq!(blocks(&app, &id).await, ["amy", "bob"]);
    assert_eq!(members(&app, &id).await, ["olga", "dan"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_block_of_nobody_blockable_the_owner_or_more_than_60_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 61);
    app.register(&["cat"]).await;
    let id = setup(&app, "olga", &refs(&names)).await;
    let path = format!("/chatgroups/{id}/blocks/users");
    let d = assert_error(
        &app.post(&path, json!({"usernames": ["cat"]})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    let d = assert_error(
        &app.post(&path, json!({"usernames": ["u1", "olga"]})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "forbidden operation on group owner!");
    let d = assert_error(
        &app.post(&path, json!({"usernames": names})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "userNames is more than max limit : 60");
    assert_error(&app.post(&path, json!({})).await, 400, "invalid_parameter");
    assert!(blocks(&app, &id).await.is_empty());
    assert_eq!(count(&app, &id).await, 62);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn unblocking_answers_a_result_per_user_and_names_a_user_who_is_not_blocked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "dan"]).await;
    app.register(&["cat"]).await;
    for u in ["amy", "bob"] {
        assert_eq!(block(&app, &id, u).await.status, 200);
    }
    // The shared-core fix: not "not members" but "not in the blocklist".
    for u in ["cat", "dan"] {
        let d = assert_error(
            &app.delete(&format!("/chatgroups/{id}/blocks/users/{u}"))
                .await,
            403,
            "forbidden_op",
        );
        assert_eq!(
            d,
            format!("user: {u} is not in the blocklist of group: {id}")
        );
    }
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/blocks/users/ghost"))
            .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let r = app
        .delete(&format!("/chatgroups/{id}/blocks/users/amy,cat"))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(
        *entry(data, "amy"),
        json!({"result": true, "action": "remove_blocks", "user": "amy", "groupid": id})
    );
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "remove_blocks",
               "reason": format!("user: cat is not in the blocklist of group: {id}"),
               "user": "cat", "groupid": id})
    );
    assert_eq!(blocks(&app, &id).await, ["bob"]);
    let r = app
        .delete(&format!("/chatgroups/{id}/blocks/users/bob%2Camy"))
        .await;
    assert_eq!(entry(&r.body["data"], "bob")["result"], true, "{}", r.body);
    assert!(blocks(&app, &id).await.is_empty());
    let long = many("u", 61).join(",");
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}/blocks/users/{long}"))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "removeBlacklist: list size more than max limit : 60");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn unblocking_a_chatroom_user_who_is_not_blocked_says_so(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
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
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{room}/blocks/users/amy"))
            .await,
        400,
        "forbidden_op",
    );
    assert!(!d.contains("not members"), "{d}");
    assert_eq!(
        d,
        format!("user: amy is not in the blocklist of chatroom: {room}")
    );
}

// ---- whitelist ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn whitelisting_one_member_adds_lists_and_removes_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let r = post_empty(&app, &format!("/chatgroups/{id}/white/users/AMY")).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": true, "action": "add_user_whitelist", "user": "amy", "groupid": id})
    );
    assert_eq!(whites(&app, &id).await, ["amy"]);
    let d = assert_error(
        &post_empty(&app, &format!("/chatgroups/{id}/white/users/cat")).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    let d = assert_error(
        &post_empty(&app, &format!("/chatgroups/{id}/white/users/ghost")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let r = app
        .delete(&format!("/chatgroups/{id}/white/users/amy"))
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!([{"result": true, "action": "remove_user_whitelist", "user": "amy",
                "groupid": id}])
    );
    assert!(whites(&app, &id).await.is_empty());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_whitelist_add_and_remove_answer_a_result_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    let path = format!("/chatgroups/{id}/white/users");
    let r = app
        .post(&path, json!({"usernames": ["amy", "bob", "cat"]}))
        .await;
    let data = &assert_envelope(&r, "post")["data"];
    assert_eq!(
        *entry(data, "amy"),
        json!({"result": true, "action": "add_user_whitelist", "user": "amy", "groupid": id})
    );
    assert_eq!(entry(data, "bob")["result"], true);
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "add_user_whitelist",
               "reason": format!("user: cat doesn't exist in group: {id}"),
               "user": "cat", "groupid": id})
    );
    assert_eq!(whites(&app, &id).await, ["amy", "bob"]);
    let r = app.delete(&format!("{path}/amy,cat")).await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(entry(data, "amy")["result"], true);
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "remove_user_whitelist",
               "reason": format!("user: cat is not in the whitelist of group: {id}"),
               "user": "cat", "groupid": id})
    );
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
    let path = format!("/chatgroups/{id}/white/users");
    let d = assert_error(
        &app.post(&path, json!({"usernames": ["cat"]})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    let d = assert_error(
        &app.post(&path, json!({"usernames": names})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "usernames size is more than max limit : 60");
    let d = assert_error(
        &app.delete(&format!("{path}/{}", names.join(","))).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "removeWhitelist size is more than max limit : 60");
    assert!(whites(&app, &id).await.is_empty());
}

// ---- the disabled state ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_disabled_group_refuses_every_write_but_enable_and_delete_while_reads_work(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "dan"]).await;
    app.register(&["cat"]).await;
    let prep = [
        app.post(
            &format!("/chatgroups/{id}/admin"),
            json!({"newadmin": "bob"}),
        )
        .await,
        mute(
            &app,
            &id,
            json!({"usernames": ["dan"], "mute_duration": -1}),
        )
        .await,
        post_empty(&app, &format!("/chatgroups/{id}/white/users/dan")).await,
        app.put(
            &format!("/metadata/chatgroup/{id}/user/amy"),
            json!({"metaData": {"nick": "A"}}),
        )
        .await,
        post_empty(&app, &format!("/chatgroups/{id}/disable")).await,
    ];
    for r in prep {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let g = |p: &str| format!("/chatgroups/{id}{p}");
    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, g(""), Some(json!({"groupname": "new"}))),
        (Method::PUT, g(""), Some(json!({"newowner": "amy"}))),
        (Method::POST, g("/users/cat"), None),
        (
            Method::POST,
            g("/users"),
            Some(json!({"usernames": ["cat"]})),
        ),
        (Method::DELETE, g("/users/amy"), None),
        (Method::DELETE, g("/users/amy,bob"), None),
        (Method::POST, g("/admin"), Some(json!({"newadmin": "amy"}))),
        (Method::DELETE, g("/admin/bob"), None),
        (Method::POST, g("/blocks/users/amy"), None),
        (
            Method::POST,
            g("/blocks/users"),
            Some(json!({"usernames": ["amy"]})),
        ),
        (Method::DELETE, g("/blocks/users/amy"), None),
        (Method::POST, g("/white/users/amy"), None),
        (
            Method::POST,
            g("/white/users"),
            Some(json!({"usernames": ["amy"]})),
        ),
        (Method::DELETE, g("/white/users/dan"), None),
        (
            Method::POST,
            g("/mute"),
            Some(json!({"usernames": ["amy"], "mute_duration": -1})),
        ),
        (Method::DELETE, g("/mute/dan"), None),
        (Method::POST, g("/ban"), None),
        (Method::DELETE, g("/ban"), None),
        (
            Method::POST,
            g("/announcement"),
            Some(json!({"announcement": "x"})),
        ),
        (
            Method::PUT,
            format!("/metadata/chatgroup/{id}/user/amy"),
            Some(json!({"metaData": {"nick": "B"}})),
        ),
    ];
    for (m, p, body) in writes {
        let r = app.call(m.clone(), &p, body).await;
        let d = assert_error(&r, 403, "forbidden_op");
        assert_eq!(d, format!("group {id} is disabled!"), "{m} {p}");
    }
    // Reads work and show nothing changed.
    let d = details(&app, &id).await;
    assert_eq!(d["disabled"], true);
    assert_eq!(d["name"], "group");
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["mute"], false);
    assert_eq!(d["affiliations_count"], 4);
    let reads = [
        (Method::GET, g("/users"), None),
        (Method::GET, g("/users?version=v3"), None),
        (Method::GET, g("/admin"), None),
        (Method::GET, g("/mute"), None),
        (Method::GET, g("/blocks/users"), None),
        (Method::GET, g("/white/users"), None),
        (Method::GET, g("/announcement"), None),
        (Method::POST, g("/user/amy/is_joined"), None),
        (Method::GET, "/chatgroups/users/amy".to_owned(), None),
        (Method::GET, "/chatgroups".to_owned(), None),
        (
            Method::GET,
            format!("/metadata/chatgroup/{id}/user/amy"),
            None,
        ),
        (
            Method::POST,
            format!("/metadata/chatgroup/{id}/get"),
            Some(json!({"targets": ["amy"]})),
        ),
    ];
    for (m, p, body) in reads {
        let r = app.call(m.clone(), &p, body).await;
        assert_eq!(r.status, 200, "{m} {p}: {}", r.body);
    }
    assert_eq!(strings(&app.get(&g("/admin")).await.body["data"]), ["bob"]);
    assert_eq!(mutes(&app, &id).await, [("dan".to_owned(), FOREVER)]);
    assert_eq!(whites(&app, &id).await, ["dan"]);
    assert_eq!(
        app.get(&format!("/metadata/chatgroup/{id}/user/amy"))
            .await
            .body["data"],
        json!({"nick": "A"})
    );
    // Enabling lifts the refusal.
    let r = post_empty(&app, &g("/enable")).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"disabled": false})
    );
    assert_eq!(add(&app, &id, "cat").await.status, 200);
    // And a disabled group can be deleted.
    assert_eq!(post_empty(&app, &g("/disable")).await.status, 200);
    let r = app.delete(&g("")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"success": true, "groupid": id})
    );
}
