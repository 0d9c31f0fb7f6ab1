//! Chatroom members, admins and super admins.

use crate::chatrooms::{add, count, members, room, strings};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// `n` user names with this prefix.
pub fn many(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

pub fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Registers the owner and members and creates the room; returns its id.
pub async fn setup(app: &TestApp, owner: &str, members: &[&str]) -> String {
    let mut all = vec![owner];
    all.extend_from_slice(members);
    app.register(&all).await;
    room(app, owner, members).await
}

pub async fn add_batch(app: &TestApp, id: &str, usernames: Value) -> Reply {
    app.post(
        &format!("/chatrooms/{id}/users"),
        json!({"usernames": usernames}),
    )
    .await
}

pub async fn make_admin(app: &TestApp, id: &str, user: &str) -> Reply {
    app.post(&format!("/chatrooms/{id}/admin"), json!({"newadmin": user}))
        .await
}

async fn admins(app: &TestApp, id: &str) -> Vec<String> {
    let r = app.get(&format!("/chatrooms/{id}/admin")).await;
    let b = assert_envelope(&r, "get");
    let list = strings(&b["data"]);
    assert_eq!(b["count"], list.len(), "{b}");
    list
}

async fn super_admins(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/chatrooms/super_admin{query}")).await;
    let b = assert_envelope(&r, "get");
    let list = strings(&b["data"]);
    assert_eq!(b["count"], list.len(), "{b}");
    list
}

/// The lengths of the admin, mute and whitelist lists.
pub async fn lists(app: &TestApp, id: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for p in ["admin", "mute", "white/users"] {
        let r = app.get(&format!("/chatrooms/{id}/{p}")).await;
        out.push(assert_envelope(&r, "get")["data"].as_array().unwrap().len());
    }
    out
}

/// The entry of a per-user result array for this user.
pub fn entry<'a>(data: &'a Value, user: &str) -> &'a Value {
    data.as_array()
        .unwrap_or_else(|| panic!("not an array: {data}"))
        .iter()
        .find(|e| e["user"] == user)
        .unwrap_or_else(|| panic!("no entry for {user}: {data}"))
}

// ---- member list ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_member_list_pages_by_pagenum_owner_first_then_join_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    app.register(&["zed", "amy", "kim", "bob"]).await;
    for u in ["zed", "amy", "kim", "bob"] {
        assert_eq!(add(&app, &id, u).await.status, 200);
    }
    let r = app.get(&format!("/chatrooms/{id}/users")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(
        b["data"],
        json!([{"owner": "olga"}, {"member": "zed"}, {"member": "amy"},
               {"member": "kim"}, {"member": "bob"}])
    );
    assert_eq!(b["count"], 5);
    let r = app
        .get(&format!("/chatrooms/{id}/users?pagenum=2&pagesize=2"))
        .await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"], json!([{"member": "amy"}, {"member": "kim"}]));
    assert_eq!(b["count"], 2);
    assert_eq!(b["params"], json!({"pagenum": ["2"], "pagesize": ["2"]}));
    let r = app
        .get(&format!("/chatrooms/{id}/users?pagenum=1&pagesize=2"))
        .await;
    assert_eq!(
        r.body["data"],
        json!([{"owner": "olga"}, {"member": "zed"}])
    );
    let r = app
        .get(&format!("/chatrooms/{id}/users?pagenum=3&pagesize=2"))
        .await;
    assert_eq!(r.body["data"], json!([{"member": "bob"}]));
    let r = app
        .get(&format!("/chatrooms/{id}/users?pagenum=4&pagesize=2"))
        .await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["count"], 0);
    let r = app.get(&format!("/chatrooms/{id}/users?pagesize=0")).await;
    assert_eq!(r.body["data"], json!([{"owner": "olga"}]));
    let d = assert_error(
        &app.get("/chatrooms/999999/users").await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, "do not find this group:999999");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_v3_member_list_walks_a_cursor_to_the_end_without_duplicates(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let names = ["m7", "m2", "m9", "m1", "m5", "m3", "m8"];
    app.register(&names).await;
    for u in names {
        assert_eq!(add(&app, &id, u).await.status, 200);
    }
    let base = format!("/chatrooms/{id}/users?version=v3&limit=3");
    let r = app.get(&base).await;
    let b = assert_envelope(&r, "get");
    let mut seen = strings(&b["data"]);
    assert_eq!(seen.len(), 3);
    let mut cursor = b["cursor"].as_str().unwrap().to_owned();
    let mut pages = 1;
    loop {
        let r = app.get(&format!("{base}&cursor={cursor}")).await;
        let b = assert_envelope(&r, "get");
        pages += 1;
        let page = strings(&b["data"]);
        assert!(!page.is_empty(), "{b}");
        seen.extend(page);
        match b.get("cursor") {
            Some(c) => cursor = c.as_str().unwrap().to_owned(),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    let mut want = vec!["olga"];
    want.extend(names);
    assert_eq!(seen, want);
    // Default limit: everything, no cursor.
    let r = app.get(&format!("/chatrooms/{id}/users?version=v3")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(strings(&b["data"]), want);
    assert!(b.get("cursor").is_none(), "{b}");
    assert_error(
        &app.get(&format!("{base}&cursor=bogus")).await,
        400,
        "invalid_parameter",
    );
    assert_error(
        &app.get("/chatrooms/999999/users?version=v3").await,
        404,
        "service_resource_not_found",
    );
}

// ---- add one ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn adding_one_member_answers_the_documented_data(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    app.register(&["bob"]).await;
    let r = add(&app, &id, "BOB").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": true, "action": "add_member", "id": id, "user": "bob"})
    );
    assert_eq!(count(&app, &id).await, 2);
    assert_eq!(members(&app, &id).await, ["olga", "bob"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn adding_one_member_refuses_unknowns_members_blocked_users_and_a_full_room(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat", "dan"]).await;
    let d = assert_error(&add(&app, "999999", "cat").await, 404, "resource_not_found");
    assert_eq!(d, "grpID 999999 does not exist!");
    let d = assert_error(&add(&app, &id, "ghost").await, 404, "resource_not_found");
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(&add(&app, &id, "amy").await, 400, "forbidden_op");
    assert!(d.contains("amy"), "{d}");
    assert_error(&add(&app, &id, "olga").await, 400, "forbidden_op");
    // Blocked.
    let r = app
        .call(
            Method::POST,
            &format!("/chatrooms/{id}/blocks/users/bob"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(&add(&app, &id, "bob").await, 403, "forbidden_op");
    // Full.
    let r = app
        .put(&format!("/chatrooms/{id}"), json!({"maxusers": 3}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(add(&app, &id, "cat").await.status, 200);
    let d = assert_error(&add(&app, &id, "dan").await, 403, "forbidden_op");
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(members(&app, &id).await, ["olga", "amy", "cat"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_user_at_the_per_user_join_limit_cannot_join_another_room(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.chatrooms_per_user = 2).await;
    app.register(&["olga", "amy", "bob"]).await;
    room(&app, "olga", &["amy"]).await;
    room(&app, "bob", &["amy"]).await;
    let third = room(&app, "bob", &[]).await;
    let d = assert_error(&add(&app, &third, "amy").await, 403, "forbidden_op");
    assert!(d.ends_with("has joined too many chatrooms!"), "{d}");
    assert!(d.contains("amy"), "{d}");
    // The batch form refuses the same user.
    assert_error(
        &add_batch(&app, &third, json!(["amy"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(members(&app, &third).await, ["bob"]);
    assert_eq!(
        app.get("/users/amy/joined_chatrooms").await.body["count"],
        2
    );
}

// ---- add batch ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_add_answers_only_the_names_it_added(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["bob", "cat"]).await;
    let r = add_batch(&app, &id, json!(["amy", "BOB", "cat", "bob"])).await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["data"]["action"], "add_member");
    assert_eq!(b["data"]["id"], id.as_str());
    let mut added = strings(&b["data"]["newmembers"]);
    added.sort();
    assert_eq!(added, ["bob", "cat"]);
    assert_eq!(count(&app, &id).await, 4);
    // Everyone already a member is an error.
    assert_error(
        &add_batch(&app, &id, json!(["amy", "bob"])).await,
        400,
        "forbidden_op",
    );
    assert_eq!(count(&app, &id).await, 4);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_add_of_more_than_60_or_of_nobody_is_invalid_parameter(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let names = many("u", 61);
    app.register(&refs(&names)).await;
    let d = assert_error(
        &add_batch(&app, &id, json!(names)).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "addMembers: addMembers number more than maxSize : 60");
    assert_error(
        &add_batch(&app, &id, json!([])).await,
        400,
        "invalid_parameter",
    );
    assert_error(
        &app.post(&format!("/chatrooms/{id}/users"), json!({})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(count(&app, &id).await, 1);
    // Exactly 60 is fine.
    let r = add_batch(&app, &id, json!(names[..60])).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"]["newmembers"]
            .as_array()
            .unwrap()
            .len(),
        60
    );
    assert_eq!(count(&app, &id).await, 61);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_with_an_unknown_or_blocked_user_or_too_many_for_the_room_adds_nobody(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["bad"]).await;
    app.register(&["amy", "bob", "cat"]).await;
    let d = assert_error(
        &add_batch(&app, &id, json!(["amy", "ghost"])).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let r = app
        .call(
            Method::POST,
            &format!("/chatrooms/{id}/blocks/users/bad"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &add_batch(&app, &id, json!(["amy", "bad"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(members(&app, &id).await, ["olga"]);
    let r = app
        .put(&format!("/chatrooms/{id}"), json!({"maxusers": 3}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(
        &add_batch(&app, &id, json!(["amy", "bob", "cat"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(members(&app, &id).await, ["olga"]);
    // Two fit.
    let r = add_batch(&app, &id, json!(["amy", "bob"])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(count(&app, &id).await, 3);
}

// ---- remove ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn removing_one_member_answers_the_documented_data_and_refuses_the_rest(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    let r = app.delete(&format!("/chatrooms/{id}/users/AMY")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": true, "action": "remove_member", "user": "amy", "id": id})
    );
    assert_eq!(members(&app, &id).await, ["olga", "bob"]);
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{id}/users/cat")).await,
        400,
        "forbidden_op",
    );
    assert_eq!(d, "users [cat] are not members of this group!");
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{id}/users/amy")).await,
        400,
        "forbidden_op",
    );
    assert_eq!(d, "users [amy] are not members of this group!");
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{id}/users/ghost")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{id}/users/olga")).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "forbidden operation on group owner!");
    let d = assert_error(
        &app.delete("/chatrooms/999999/users/bob").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
    assert_eq!(count(&app, &id).await, 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_remove_answers_a_result_and_reason_per_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "dan", "eve"]).await;
    app.register(&["cat"]).await;
    let r = app
        .delete(&format!("/chatrooms/{id}/users/amy,bob,cat,olga"))
        .await;
    let b = assert_envelope(&r, "delete");
    let data = &b["data"];
    assert_eq!(data.as_array().unwrap().len(), 4, "{data}");
    for u in ["amy", "bob"] {
        assert_eq!(
            *entry(data, u),
            json!({"result": true, "action": "remove_member", "user": u, "id": id})
        );
    }
    assert_eq!(
        *entry(data, "cat"),
        json!({"result": false, "action": "remove_member",
               "reason": format!("user: cat doesn't exist in group: {id}"),
               "user": "cat", "id": id})
    );
    let owner = entry(data, "olga");
    assert_eq!(owner["result"], false);
    assert_eq!(owner["reason"], "forbidden operation on group owner!");
    assert_eq!(members(&app, &id).await, ["olga", "dan", "eve"]);
    // The encoded comma works the same.
    let r = app
        .delete(&format!("/chatrooms/{id}/users/dan%2Ceve"))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(entry(data, "dan")["result"], true);
    assert_eq!(entry(data, "eve")["result"], true);
    assert_eq!(members(&app, &id).await, ["olga"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_remove_of_more_than_100_is_invalid_parameter(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 101);
    let id = setup(&app, "olga", &[]).await;
    app.register(&refs(&names)).await;
    assert_eq!(add_batch(&app, &id, json!(names[..50])).await.status, 200);
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{id}/users/{}", names.join(",")))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "kickMember: kickMembers number more than maxSize : 100");
    assert_eq!(count(&app, &id).await, 51);
    // 100 is fine.
    let r = app
        .delete(&format!("/chatrooms/{id}/users/{}", names[..100].join(",")))
        .await;
    let data = &assert_envelope(&r, "delete")["data"];
    assert_eq!(data.as_array().unwrap().len(), 100);
    assert_eq!(entry(data, "u0")["result"], true);
    assert_eq!(entry(data, "u99")["result"], false);
    assert_eq!(count(&app, &id).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn removing_a_member_drops_its_admin_role_mute_and_whitelist_entry(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let setup_calls = [
        make_admin(&app, &id, "amy").await,
        app.post(
            &format!("/chatrooms/{id}/mute"),
            json!({"usernames": ["amy"], "mute_duration": -1}),
        )
        .await,
        app.call(
            Method::POST,
            &format!("/chatrooms/{id}/white/users/amy"),
            None,
        )
        .await,
    ];
    for r in setup_calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(lists(&app, &id).await, [1, 1, 1]);
    let r = app.delete(&format!("/chatrooms/{id}/users/amy")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(lists(&app, &id).await, [0, 0, 0]);
    // Coming back does not restore them.
    assert_eq!(add(&app, &id, "amy").await.status, 200);
    assert_eq!(lists(&app, &id).await, [0, 0, 0]);
}

// ---- admins ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn admins_are_added_listed_and_removed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = make_admin(&app, &id, "AMY").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": "success", "newadmin": "amy"})
    );
    assert_eq!(make_admin(&app, &id, "bob").await.status, 200);
    let mut list = admins(&app, &id).await;
    list.sort();
    assert_eq!(list, ["amy", "bob"]);
    let r = app.delete(&format!("/chatrooms/{id}/admin/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": "success", "oldadmin": "amy"})
    );
    assert_eq!(admins(&app, &id).await, ["bob"]);
    // Still a member.
    assert_eq!(count(&app, &id).await, 3);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn adding_or_removing_an_admin_refuses_every_documented_case(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    assert_eq!(make_admin(&app, &id, "amy").await.status, 200);
    let path = format!("/chatrooms/{id}/admin");
    assert_error(&app.post(&path, json!({})).await, 400, "invalid_parameter");
    let d = assert_error(
        &make_admin(&app, &id, "ghost").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    assert_error(&make_admin(&app, &id, "cat").await, 403, "forbidden_op");
    assert_error(&make_admin(&app, &id, "olga").await, 403, "forbidden_op");
    assert_error(&make_admin(&app, &id, "amy").await, 403, "forbidden_op");
    assert_error(
        &app.delete(&format!("{path}/bob")).await,
        403,
        "forbidden_op",
    );
    let d = assert_error(
        &app.delete(&format!("{path}/ghost")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &make_admin(&app, "999999", "amy").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
    assert_eq!(admins(&app, &id).await, ["amy"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_room_refuses_an_admin_past_the_limit(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.admins_per_room = 2).await;
    let id = setup(&app, "olga", &["amy", "bob", "cat"]).await;
    assert_eq!(make_admin(&app, &id, "amy").await.status, 200);
    assert_eq!(make_admin(&app, &id, "bob").await.status, 200);
    assert_error(&make_admin(&app, &id, "cat").await, 403, "forbidden_op");
    assert_eq!(admins(&app, &id).await.len(), 2);
    // Freeing a slot allows another.
    assert_eq!(
        app.delete(&format!("/chatrooms/{id}/admin/amy"))
            .await
            .status,
        200
    );
    assert_eq!(make_admin(&app, &id, "cat").await.status, 200);
}

// ---- super admins ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn super_admins_are_listed_oldest_first_in_pages_without_duplicates(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["sue", "amy", "kim"]).await;
    for u in ["sue", "AMY", "kim"] {
        let r = app
            .post("/chatrooms/super_admin", json!({"superadmin": u}))
            .await;
        assert_eq!(
            assert_envelope(&r, "post")["data"],
            json!({"result": "success", "resource": ""})
        );
    }
    assert_eq!(super_admins(&app, "").await, ["sue", "amy", "kim"]);
    let r = app.get("/chatrooms/super_admin?pagenum=2&pagesize=2").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(strings(&b["data"]), ["kim"]);
    assert_eq!(b["params"], json!({"pagenum": ["2"], "pagesize": ["2"]}));
    assert_eq!(
        super_admins(&app, "?pagenum=1&pagesize=2").await,
        ["sue", "amy"]
    );
    assert_eq!(super_admins(&app, "?pagesize=0").await, ["sue"]);
    // Adding one again is fine and changes nothing.
    let r = app
        .post("/chatrooms/super_admin", json!({"superadmin": "sue"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(super_admins(&app, "").await, ["sue", "amy", "kim"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_default_super_admin_page_is_10(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("s", 12);
    app.register(&refs(&names)).await;
    for u in &names {
        let r = app
            .post("/chatrooms/super_admin", json!({"superadmin": u}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(super_admins(&app, "").await, names[..10]);
    assert_eq!(super_admins(&app, "?pagenum=2").await, names[10..]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn removing_a_super_admin_and_the_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["sue", "amy"]).await;
    let r = app
        .post("/chatrooms/super_admin", json!({"superadmin": "sue"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.delete("/chatrooms/super_admin/SUE").await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"newSuperAdmin": "sue", "resource": ""})
    );
    assert!(super_admins(&app, "").await.is_empty());
    assert_error(
        &app.delete("/chatrooms/super_admin/amy").await,
        404,
        "resource_not_found",
    );
    let d = assert_error(
        &app.delete("/chatrooms/super_admin/ghost").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.post("/chatrooms/super_admin", json!({"superadmin": "ghost"}))
            .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    assert_error(
        &app.post("/chatrooms/super_admin", json!({})).await,
        400,
        "invalid_parameter",
    );
    assert!(super_admins(&app, "").await.is_empty());
}
