//! Groups: what only groups have (create defaults, legacy names and a chosen id, disable/enable,
//! the update of the group fields; docs-groups-contract.md §1–§3), and the helpers every group
//! test file shares. What groups share with chatrooms is tested for both in the `rooms*.rs` files.

use crate::helpers::*;
use crate::kinds::GROUP;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

// ---- helpers shared by the group test files ----

/// Creates a group from this body through `POST /chatgroups` and returns its id.
pub async fn create_group(app: &TestApp, body: Value) -> String {
    let r = app.post("/chatgroups", body).await;
    let b = assert_envelope(&r, "post");
    let id = b["data"]["groupid"]
        .as_str()
        .unwrap_or_else(|| panic!("groupid is not a string: {b}"))
        .to_owned();
    assert!(id.parse::<i64>().is_ok(), "id {id} is not numeric");
    id
}

/// The smallest valid create body.
pub fn group_body(owner: &str, members: &[&str]) -> Value {
    GROUP.body("group", owner, members)
}

/// Creates a group named "group" with this owner and these members and returns its id.
pub async fn group(app: &TestApp, owner: &str, members: &[&str]) -> String {
    create_group(app, group_body(owner, members)).await
}

/// Registers the owner and the members and creates the group; returns its id.
pub async fn setup(app: &TestApp, owner: &str, members: &[&str]) -> String {
    GROUP.setup(app, owner, members).await
}

/// The details of one group.
pub async fn details(app: &TestApp, id: &str) -> Value {
    GROUP.details(app, id).await
}

/// `POST /chatgroups/{id}/users/{user}` with no body.
pub async fn add(app: &TestApp, id: &str, user: &str) -> Reply {
    GROUP.add(app, id, user).await
}

/// A POST with no body.
pub async fn post_empty(app: &TestApp, path: &str) -> Reply {
    app.call(Method::POST, path, None).await
}

/// Strings of a JSON array.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// `n` user names with this prefix.
pub fn many(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

pub fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The entry of a per-user result array for this user.
pub fn entry<'a>(data: &'a Value, user: &str) -> &'a Value {
    data.as_array()
        .unwrap_or_else(|| panic!("not an array: {data}"))
        .iter()
        .find(|e| e["user"] == user)
        .unwrap_or_else(|| panic!("no entry for {user}: {data}"))
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// (username, role) of every member row of the room, by name.
pub async fn roles(app: &TestApp, id: &str) -> Vec<(String, i16)> {
    sqlx::query_as(
        "select username, role from room_members where room_id = $1::bigint order by username",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// How many groups `GET /chatgroups` knows.
pub async fn group_total(app: &TestApp) -> usize {
    let r = app.get("/chatgroups?limit=100").await;
    assert_envelope(&r, "get")["data"].as_array().unwrap().len()
}

pub fn ids_of(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|e| e[key].as_str().unwrap().to_owned())
        .collect()
}

// ---- create ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_defaults_are_private_flags_off_no_custom_and_2000_members(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let id = create_group(
        &app,
        json!({"groupname": "g", "description": "", "public": "true", "owner": "olga"}),
    )
    .await;
    let d = details(&app, &id).await;
    assert_eq!(d["description"], "");
    assert_eq!(d["public"], true);
    assert_eq!(d["membersonly"], false);
    assert_eq!(d["allowinvites"], false);
    assert_eq!(d["custom"], "");
    assert_eq!(d["maxusers"], 2000);
    assert_eq!(d["affiliations"], json!([{"owner": "olga"}]));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_legacy_create_fields_are_read_as_their_3x_names(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let base = |extra: Value| {
        let mut b = json!({"groupname": "g", "public": true, "owner": "olga"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let id = create_group(&app, base(json!({"desc": "legacy desc"}))).await;
    assert_eq!(details(&app, &id).await["description"], "legacy desc");
    for alias in ["approval", "members_only", "need_verify"] {
        let id = create_group(&app, base(json!({"description": "d", alias: true}))).await;
        assert_eq!(details(&app, &id).await["membersonly"], true, "{alias}");
        let id = create_group(&app, base(json!({"description": "d", alias: "false"}))).await;
        assert_eq!(details(&app, &id).await["membersonly"], false, "{alias}");
    }
    let id = create_group(
        &app,
        base(json!({"description": "d", "avatar": "https://example.com/a.png"})),
    )
    .await;
    assert_eq!(details(&app, &id).await["name"], "g");
    // The 3.x name wins over its alias.
    let id = create_group(
        &app,
        base(json!({"description": "std", "desc": "old", "membersonly": false, "approval": true})),
    )
    .await;
    let d = details(&app, &id).await;
    assert_eq!(d["description"], "std");
    assert_eq!(d["membersonly"], false);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_client_chosen_groupid_is_used_and_a_taken_or_non_numeric_one_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let mut body = group_body("olga", &[]);
    body["groupid"] = json!("1234567890123");
    assert_eq!(create_group(&app, body.clone()).await, "1234567890123");
    assert_eq!(details(&app, "1234567890123").await["owner"], "olga");
    let mut numeric = group_body("olga", &[]);
    numeric["groupid"] = json!(1_234_567_890_124_i64);
    assert_eq!(create_group(&app, numeric).await, "1234567890124");
    let d = assert_error(
        &app.post("/chatgroups", body).await,
        400,
        "illegal_argument",
    );
    assert_eq!(d, "group ID 1234567890123 already exists!");
    // Chatrooms share the id space.
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga"}),
        )
        .await;
    let room = assert_envelope(&r, "post")["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut taken = group_body("olga", &[]);
    taken["groupid"] = json!(room);
    let d = assert_error(
        &app.post("/chatgroups", taken).await,
        400,
        "illegal_argument",
    );
    assert_eq!(d, format!("group ID {room} already exists!"));
    for bad in [json!("abc"), json!("-5"), json!("0")] {
        let mut b = group_body("olga", &[]);
        b["groupid"] = bad;
        assert_error(&app.post("/chatgroups", b).await, 400, "invalid_parameter");
    }
    assert_eq!(group_total(&app).await, 2);
}

// ---- disable / enable ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn disabling_and_enabling_answer_the_flag_and_the_reads_show_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    for _ in 0..2 {
        let r = post_empty(&app, &format!("/chatgroups/{id}/disable")).await;
        let b = assert_envelope(&r, "post");
        assert_eq!(b["data"], json!({"disabled": true}));
        assert_eq!(b["properties"], json!({}));
    }
    assert_eq!(details(&app, &id).await["disabled"], true);
    let r = app.get("/chatgroups/users/amy").await;
    assert_eq!(assert_envelope(&r, "get")["entities"][0]["disabled"], true);
    let r = post_empty(&app, &format!("/chatgroups/{id}/enable")).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"disabled": false})
    );
    assert_eq!(details(&app, &id).await["disabled"], false);
    for p in ["disable", "enable"] {
        let d = assert_error(
            &post_empty(&app, &format!("/chatgroups/999999/{p}")).await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, "grpID 999999 does not exist!");
    }
}

// ---- a shared-core fix: chatrooms need a description ----
