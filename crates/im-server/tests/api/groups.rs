//! Groups: create, disable/enable, update, owner transfer, delete (docs-groups-contract.md §1–§4),
//! and the helpers every group test file shares.

use crate::helpers::*;
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
    json!({"groupname": "group", "description": "about", "public": true,
           "owner": owner, "members": members})
}

/// Creates a group named "group" with this owner and these members and returns its id.
pub async fn group(app: &TestApp, owner: &str, members: &[&str]) -> String {
    create_group(app, group_body(owner, members)).await
}

/// Registers the owner and the members and creates the group; returns its id.
pub async fn setup(app: &TestApp, owner: &str, members: &[&str]) -> String {
    let mut all = vec![owner];
    all.extend_from_slice(members);
    app.register(&all).await;
    group(app, owner, members).await
}

/// The details of one group.
pub async fn details(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/chatgroups/{id}")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1, "{b}");
    b["data"][0].clone()
}

/// `affiliations_count` from the details.
pub async fn count(app: &TestApp, id: &str) -> i64 {
    details(app, id).await["affiliations_count"]
        .as_i64()
        .unwrap()
}

/// The names in the details' affiliations, owner first.
pub async fn members(app: &TestApp, id: &str) -> Vec<String> {
    details(app, id).await["affiliations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let o = a.as_object().unwrap();
            assert_eq!(o.len(), 1, "{a}");
            o.values().next().unwrap().as_str().unwrap().to_owned()
        })
        .collect()
}

/// `POST /chatgroups/{id}/users/{user}` with no body.
pub async fn add(app: &TestApp, id: &str, user: &str) -> Reply {
    app.call(
        Method::POST,
        &format!("/chatgroups/{id}/users/{user}"),
        None,
    )
    .await
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
async fn creating_a_group_answers_its_groupid_and_the_details_show_every_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let before = now_ms();
    let r = app
        .post(
            "/chatgroups",
            json!({"groupname": "Team", "description": "the team", "public": false,
                   "maxusers": "300", "membersonly": true, "allowinvites": true,
                   "invite_need_confirm": false, "scale": "normal", "owner": "Olga",
                   "members": ["amy", "BOB", "olga"], "custom": "c1", "no_such_field": 1}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], "/chatgroups");
    let id = b["data"]["groupid"].as_str().unwrap().to_owned();
    assert_eq!(b["data"], json!({"groupid": id}));
    let d = details(&app, &id).await;
    assert_eq!(d["id"], id.as_str());
    assert_eq!(d["name"], "Team");
    assert_eq!(d["description"], "the team");
    assert_eq!(d["membersonly"], true);
    assert_eq!(d["allowinvites"], true);
    assert_eq!(d["public"], false);
    assert_eq!(d["maxusers"], 300);
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["custom"], "c1");
    assert_eq!(d["mute"], false);
    assert_eq!(d["disabled"], false);
    assert_eq!(d["affiliations_count"], 3);
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "olga"}, {"member": "amy"}, {"member": "bob"}])
    );
    assert!(d.get("permission").is_none(), "{d}");
    let created = d["created"].as_i64().unwrap();
    assert!(
        created >= before - 1000 && created <= now_ms() + 1000,
        "{created}"
    );
}

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

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_group_needs_a_groupname_a_description_public_and_an_owner(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let full = group_body("olga", &[]);
    for (field, want) in [
        ("groupname", "groupname must be provided"),
        ("description", "description must be provided"),
        ("public", "public must be provided"),
        ("owner", "owner must be provided"),
    ] {
        let mut b = full.clone();
        b.as_object_mut().unwrap().remove(field);
        let d = assert_error(&app.post("/chatgroups", b).await, 400, "invalid_parameter");
        assert_eq!(d, want);
    }
    let mut b = full.clone();
    b["groupname"] = json!("");
    let d = assert_error(&app.post("/chatgroups", b).await, 400, "invalid_parameter");
    assert_eq!(d, "groupname must be provided");
    let r = app
        .raw(
            Method::POST,
            &app.path("/chatgroups"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(group_total(&app).await, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn groupname_description_and_custom_lengths_are_exceed_limit(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let cases = [
        ("groupname", "n".repeat(129), "title cannot exceed to 128"),
        ("description", "d".repeat(513), "desc cannot exceed to 512"),
        ("custom", "c".repeat(1025), "custom cannot exceed to 1024"),
    ];
    for (field, value, want) in cases {
        let mut b = group_body("olga", &[]);
        b[field] = json!(value);
        let d = assert_error(&app.post("/chatgroups", b).await, 403, "exceed_limit");
        assert_eq!(d, want);
    }
    assert_eq!(group_total(&app).await, 0);
    // The limits themselves are allowed, counted in characters (2 bytes each here).
    let id = create_group(
        &app,
        json!({"groupname": "é".repeat(128), "description": "é".repeat(512),
               "custom": "é".repeat(1024), "public": true, "owner": "olga"}),
    )
    .await;
    let d = details(&app, &id).await;
    assert_eq!(d["name"].as_str().unwrap().chars().count(), 128);
    assert_eq!(d["description"].as_str().unwrap().chars().count(), 512);
    assert_eq!(d["custom"].as_str().unwrap().chars().count(), 1024);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn maxusers_defaults_to_2000_and_is_bounded_by_100000(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    for bad in [json!(0), json!(-5), json!("0")] {
        let mut b = group_body("olga", &[]);
        b["maxusers"] = bad;
        assert_error(&app.post("/chatgroups", b).await, 400, "invalid_parameter");
    }
    let mut b = group_body("olga", &[]);
    b["maxusers"] = json!("many");
    assert_error(&app.post("/chatgroups", b).await, 400, "illegal_argument");
    let mut b = group_body("olga", &[]);
    b["maxusers"] = json!(100_001);
    let d = assert_error(&app.post("/chatgroups", b).await, 403, "exceed_limit");
    assert_eq!(d, "maxUsers cannot exceed 100000");
    assert_eq!(group_total(&app).await, 0);
    let mut b = group_body("olga", &[]);
    b["maxusers"] = json!(100_000);
    let id = create_group(&app, b).await;
    assert_eq!(details(&app, &id).await["maxusers"], 100_000);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_unknown_owner_or_member_is_resource_not_found_and_creates_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let d = assert_error(
        &app.post("/chatgroups", group_body("ghost", &[])).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.post("/chatgroups", group_body("olga", &["amy", "ghost"]))
            .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    assert_eq!(group_total(&app).await, 0);
    let r = app.get("/chatgroups/users/amy").await;
    assert_eq!(assert_envelope(&r, "get")["total"], 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn more_than_100_members_or_more_than_maxusers_is_refused_counting_the_owner_once(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 101);
    app.register(&refs(&names)).await;
    app.register(&["olga"]).await;
    let d = assert_error(
        &app.post("/chatgroups", group_body("olga", &refs(&names)))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "members size is more than max limit : 100");
    let mut b = group_body("olga", &["u1", "u2"]);
    b["maxusers"] = json!(2);
    let d = assert_error(&app.post("/chatgroups", b).await, 403, "forbidden_op");
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(group_total(&app).await, 0);
    // Repeats and the owner among the members count once; exactly 100 members is fine.
    let mut b = group_body("olga", &["u1", "u2", "U1", "olga"]);
    b["maxusers"] = json!(3);
    let id = create_group(&app, b).await;
    assert_eq!(count(&app, &id).await, 3);
    let id = group(&app, "olga", &refs(&names[..100])).await;
    assert_eq!(count(&app, &id).await, 101);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn creating_a_group_for_a_user_at_the_group_limit_is_forbidden(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.groups_per_user = 2).await;
    app.register(&["olga", "pete", "amy"]).await;
    // Chatrooms do not count towards the group limit.
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "amy"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    group(&app, "pete", &["amy"]).await;
    group(&app, "pete", &["amy"]).await;
    let d = assert_error(
        &app.post("/chatgroups", group_body("olga", &["amy"])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(
        d,
        "can not join this group, reason:user amy has joined too many groups!"
    );
    // The owner is a member too.
    let d = assert_error(
        &app.post("/chatgroups", group_body("pete", &[])).await,
        403,
        "forbidden_op",
    );
    assert_eq!(
        d,
        "can not join this group, reason:user pete has joined too many groups!"
    );
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

// ---- update ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn updating_answers_a_key_per_field_sent_and_changes_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &[]).await;
    let path = format!("/chatgroups/{id}");
    let cases = [
        (json!({"groupname": "g2"}), json!({"groupname": true})),
        (json!({"name": "g3"}), json!({"groupname": true})),
        (json!({"description": "d2"}), json!({"description": true})),
        (json!({"maxusers": "50"}), json!({"maxusers": true})),
        (json!({"membersonly": true}), json!({"membersonly": true})),
        (json!({"allowinvites": true}), json!({"allowinvites": true})),
        (
            json!({"invite_need_confirm": false}),
            json!({"invite_need_confirm": true}),
        ),
        (json!({"public": false}), json!({"public": true})),
        (json!({"custom": "k=v"}), json!({"custom": true})),
    ];
    for (body, want) in cases {
        let r = app.put(&path, body.clone()).await;
        assert_eq!(assert_envelope(&r, "put")["data"], want, "{body}");
    }
    let d = details(&app, &id).await;
    assert_eq!(d["name"], "g3");
    assert_eq!(d["description"], "d2");
    assert_eq!(d["maxusers"], 50);
    assert_eq!(d["membersonly"], true);
    assert_eq!(d["allowinvites"], true);
    assert_eq!(d["public"], false);
    assert_eq!(d["custom"], "k=v");
    // All at once, as the doc's example.
    let r = app
        .put(
            &path,
            json!({"groupname": "test groupname", "description": "updategroupinfo12311",
                   "maxusers": 1500, "membersonly": false, "allowinvites": false,
                   "invite_need_confirm": true, "custom": "abc", "public": true}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"allowinvites": true, "invite_need_confirm": true, "membersonly": true,
               "public": true, "custom": true, "description": true, "maxusers": true,
               "groupname": true})
    );
    let d = details(&app, &id).await;
    assert_eq!(
        (&d["name"], &d["description"], &d["maxusers"], &d["custom"]),
        (
            &json!("test groupname"),
            &json!("updategroupinfo12311"),
            &json!(1500),
            &json!("abc")
        )
    );
    assert_eq!(
        (&d["membersonly"], &d["public"]),
        (&json!(false), &json!(true))
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn updating_an_unknown_field_or_nothing_is_invalid_parameter_and_changes_nothing(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let path = format!("/chatgroups/{id}");
    for field in ["groupid", "owner", "desc"] {
        let d = assert_error(
            &app.put(&path, json!({field: "x"})).await,
            400,
            "invalid_parameter",
        );
        assert_eq!(d, format!("some of [{field}] are not valid fields"));
    }
    let d = assert_error(
        &app.put(&path, json!({"groupname": "changed", "groupid": 1}))
            .await,
        400,
        "invalid_parameter",
    );
    assert!(d.contains("groupid"), "{d}");
    assert_error(&app.put(&path, json!({})).await, 400, "invalid_parameter");
    let d = details(&app, &id).await;
    assert_eq!(d["name"], "group");
    assert_eq!(d["owner"], "olga");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn updating_past_the_limits_or_below_the_member_count_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let path = format!("/chatgroups/{id}");
    let cases = [
        (
            json!({"groupname": "n".repeat(129)}),
            "title cannot exceed to 128",
        ),
        (
            json!({"name": "n".repeat(129)}),
            "title cannot exceed to 128",
        ),
        (
            json!({"description": "d".repeat(513)}),
            "desc cannot exceed to 512",
        ),
        (
            json!({"custom": "c".repeat(1025)}),
            "custom cannot exceed to 1024",
        ),
        (
            json!({"maxusers": 100_001}),
            "maxUsers cannot exceed 100000",
        ),
    ];
    for (body, want) in cases {
        let d = assert_error(&app.put(&path, body).await, 403, "exceed_limit");
        assert_eq!(d, want);
    }
    let d = assert_error(
        &app.put(&path, json!({"maxusers": 2})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(
        d,
        "current user count is larger than the maxUsers that you want to update !"
    );
    assert_eq!(details(&app, &id).await["maxusers"], 2000);
    let r = app.put(&path, json!({"maxusers": 3})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"maxusers": true})
    );
    assert_eq!(details(&app, &id).await["maxusers"], 3);
    let d = assert_error(
        &app.put("/chatgroups/999999", json!({"groupname": "x"}))
            .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
}

// ---- owner transfer ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn transferring_ownership_keeps_the_old_owner_as_a_member_and_drops_the_new_owners_admin_role(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let r = app
        .post(
            &format!("/chatgroups/{id}/admin"),
            json!({"newadmin": "amy"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put(&format!("/chatgroups/{id}"), json!({"newowner": "AMY"}))
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"newowner": true})
    );
    let d = details(&app, &id).await;
    assert_eq!(d["owner"], "amy");
    assert_eq!(d["affiliations_count"], 3);
    let affs = d["affiliations"].as_array().unwrap();
    assert_eq!(affs[0], json!({"owner": "amy"}));
    assert!(affs.contains(&json!({"member": "olga"})), "{d}");
    assert!(affs.contains(&json!({"member": "bob"})), "{d}");
    assert_eq!(affs.len(), 3);
    assert_eq!(
        roles(&app, &id).await,
        [
            ("amy".to_owned(), 2),
            ("bob".to_owned(), 0),
            ("olga".to_owned(), 0)
        ]
    );
    let admins = app.get(&format!("/chatgroups/{id}/admin")).await;
    assert_eq!(assert_envelope(&admins, "get")["data"], json!([]));
    // The old owner is an ordinary member now and can be removed.
    let r = app.delete(&format!("/chatgroups/{id}/users/olga")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(count(&app, &id).await, 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn transferring_to_an_unknown_user_a_non_member_or_the_owner_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let path = format!("/chatgroups/{id}");
    let d = assert_error(
        &app.put(&path, json!({"newowner": "ghost"})).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.put(&path, json!({"newowner": "cat"})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, format!("user: cat doesn't exist in group: {id}"));
    let d = assert_error(
        &app.put(&path, json!({"newowner": "olga"})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "new owner and old owner are the same");
    let d = assert_error(
        &app.put("/chatgroups/999999", json!({"newowner": "amy"}))
            .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 999999 does not exist!");
    assert_eq!(details(&app, &id).await["owner"], "olga");
}

// ---- delete ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_group_answers_its_groupid_and_leaves_nothing_behind(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "cat"]).await;
    let calls = [
        app.post(
            &format!("/chatgroups/{id}/admin"),
            json!({"newadmin": "amy"}),
        )
        .await,
        app.post(
            &format!("/chatgroups/{id}/mute"),
            json!({"usernames": ["bob"], "mute_duration": -1}),
        )
        .await,
        post_empty(&app, &format!("/chatgroups/{id}/blocks/users/cat")).await,
        app.put(
            &format!("/metadata/chatgroup/{id}/user/bob"),
            json!({"metaData": {"nick": "b"}}),
        )
        .await,
    ];
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.delete(&format!("/chatgroups/{id}")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"success": true, "groupid": id})
    );
    let d = assert_error(
        &app.get(&format!("/chatgroups/{id}")).await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, format!("do not find this group:{id}"));
    let d = assert_error(
        &app.delete(&format!("/chatgroups/{id}")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, format!("grpID {id} does not exist!"));
    assert_eq!(app.get("/chatgroups/users/amy").await.body["total"], 0);
    assert_eq!(group_total(&app).await, 0);
    for table in [
        "room_members",
        "room_mutes",
        "room_blocks",
        "room_whitelist",
    ] {
        let n: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {table} where room_id = $1::bigint"
        ))
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

// ---- users API interplay ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_user_deletes_the_groups_it_owns_and_leaves_the_others(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let owned = group(&app, "olga", &["amy", "bob"]).await;
    let other = group(&app, "amy", &["olga", "bob"]).await;
    let r = app.delete("/users/olga").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &app.get(&format!("/chatgroups/{owned}")).await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(members(&app, &other).await, ["amy", "bob"]);
    assert_eq!(count(&app, &other).await, 2);
    let r = app.get("/chatgroups/users/bob").await;
    assert_eq!(
        ids_of(&assert_envelope(&r, "get")["entities"], "groupId"),
        [other.as_str()]
    );
    assert_eq!(group_total(&app).await, 1);
}

// ---- a shared-core fix: chatrooms need a description ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn creating_a_chatroom_without_a_description_is_invalid_parameter(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let d = assert_error(
        &app.post("/chatrooms", json!({"name": "r", "owner": "olga"}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "description must be provided");
    let r = app.get("/chatrooms").await;
    assert_eq!(assert_envelope(&r, "get")["count"], 0);
    // An empty description is a description.
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "", "owner": "olga"}),
        )
        .await;
    assert!(
        assert_envelope(&r, "post")["data"]["id"].is_string(),
        "{}",
        r.body
    );
    assert_eq!(app.get("/chatrooms").await.body["count"], 1);
}
