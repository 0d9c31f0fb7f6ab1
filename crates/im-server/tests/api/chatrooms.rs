//! Chatrooms: create, list, joined rooms, details, update, owner transfer, delete.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Creates a room from this body through `POST /chatrooms` and returns its id.
pub async fn create(app: &TestApp, body: Value) -> String {
    let r = app.post("/chatrooms", body).await;
    let b = assert_envelope(&r, "post");
    let id = b["data"]["id"].as_str().expect("id is a string").to_owned();
    assert!(id.parse::<i64>().is_ok(), "id {id} is not numeric");
    id
}

/// Creates a room named "room" with this owner and these members and returns its id.
pub async fn room(app: &TestApp, owner: &str, members: &[&str]) -> String {
    create(
        app,
        json!({"description": "d", "name": "room", "owner": owner, "members": members}),
    )
    .await
}

/// The details of one room.
pub async fn details(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/chatrooms/{id}")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1, "{b}");
    b["data"][0].clone()
}

/// `POST /chatrooms/{id}/users/{user}` with no body.
pub async fn add(app: &TestApp, id: &str, user: &str) -> Reply {
    app.call(Method::POST, &format!("/chatrooms/{id}/users/{user}"), None)
        .await
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn room_total(app: &TestApp) -> i64 {
    let r = app.get("/chatrooms?limit=1000").await;
    assert_envelope(&r, "get")["count"].as_i64().unwrap()
}

// ---- create ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn creating_a_room_answers_its_id_and_the_details_show_every_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let before = now_ms();
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "Lobby", "description": "the hall", "maxusers": "300",
                   "owner": "Olga", "members": ["amy", "BOB", "olga"], "custom": "c1",
                   "no_such_field": 1}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], "/chatrooms");
    let id = b["data"]["id"].as_str().unwrap().to_owned();
    assert!(id.parse::<i64>().is_ok());
    assert_eq!(b["data"], json!({"id": id}));
    let d = details(&app, &id).await;
    assert_eq!(d["id"], id);
    assert_eq!(d["name"], "Lobby");
    assert_eq!(d["description"], "the hall");
    assert_eq!(d["membersonly"], false);
    assert_eq!(d["allowinvites"], false);
    assert_eq!(d["public"], true);
    assert_eq!(d["mute"], false);
    assert_eq!(d["maxusers"], 300);
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["custom"], "c1");
    assert_eq!(d["affiliations_count"], 3);
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "olga"}, {"member": "amy"}, {"member": "bob"}])
    );
    let created = d["created"].as_i64().unwrap();
    assert!(
        created >= before - 1000 && created <= now_ms() + 1000,
        "{created}"
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_room_needs_a_name_and_an_owner(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let d = assert_error(
        &app.post("/chatrooms", json!({"owner": "olga"})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "name must be provided");
    let d = assert_error(
        &app.post("/chatrooms", json!({"name": "r", "description": "d"}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "owner must be provided");
    assert_eq!(room_total(&app).await, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn name_description_and_custom_lengths_are_exceed_limit(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let cases = [
        (
            json!({"description": "d", "name": "n".repeat(129), "owner": "olga"}),
            "title cannot exceed to 128",
        ),
        (
            json!({"name": "r", "description": "d".repeat(513), "owner": "olga"}),
            "desc cannot exceed to 512",
        ),
        // 4097 characters but 8194 bytes: custom is counted in bytes.
        (
            json!({"description": "d", "name": "r", "custom": "é".repeat(4097), "owner": "olga"}),
            "custom cannot exceed to 8192",
        ),
    ];
    for (body, want) in cases {
        let d = assert_error(&app.post("/chatrooms", body).await, 403, "exceed_limit");
        assert_eq!(d, want);
    }
    assert_eq!(room_total(&app).await, 0);
    // The limits themselves are allowed; name and description count characters.
    let id = create(
        &app,
        json!({"name": "é".repeat(128), "description": "é".repeat(512),
               "custom": "c".repeat(8192), "owner": "olga"}),
    )
    .await;
    let d = details(&app, &id).await;
    assert_eq!(d["name"].as_str().unwrap().chars().count(), 128);
    assert_eq!(d["custom"].as_str().unwrap().len(), 8192);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn maxusers_defaults_to_1000_and_is_bounded(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let id = room(&app, "olga", &[]).await;
    assert_eq!(details(&app, &id).await["maxusers"], 1000);
    for bad in [json!(0), json!(-5), json!("0")] {
        assert_error(
            &app.post(
                "/chatrooms",
                json!({"description": "d", "name": "r", "owner": "olga", "maxusers": bad}),
            )
            .await,
            400,
            "invalid_parameter",
        );
    }
    let d = assert_error(
        &app.post(
            "/chatrooms",
            json!({"description": "d", "name": "r", "owner": "olga", "maxusers": 100_001}),
        )
        .await,
        403,
        "exceed_limit",
    );
    assert_eq!(d, "maxUsers cannot exceed 100000");
    assert_eq!(room_total(&app).await, 1);
    let id = create(
        &app,
        json!({"description": "d", "name": "r", "owner": "olga", "maxusers": 100_000}),
    )
    .await;
    assert_eq!(details(&app, &id).await["maxusers"], 100_000);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_whole_float_maxusers_is_read_exactly_even_when_huge(pool: PgPool) {
    // Near 2^52 a float parsed to the nearest-but-one double would gain a fraction and read as
    // "not an integer" (400) instead of being over the ceiling (403).
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let resp = app
        .client
        .post(format!("{}{}", app.base, app.path("/chatrooms")))
        .bearer_auth(&app.token)
        .body(r#"{"name":"r","description":"","owner":"olga","maxusers":4358657609568190.0}"#)
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(resp).await;
    assert_error(&r, 403, "exceed_limit");
    let id = create(
        &app,
        json!({"name": "r", "description": "", "owner": "olga", "maxusers": 300.0}),
    )
    .await;
    assert_eq!(details(&app, &id).await["maxusers"], 300);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_unknown_owner_or_member_is_resource_not_found_and_creates_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let d = assert_error(
        &app.post(
            "/chatrooms",
            json!({"description": "d", "name": "r", "owner": "ghost"}),
        )
        .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.post(
            "/chatrooms",
            json!({"description": "d", "name": "r", "owner": "olga", "members": ["amy", "ghost"]}),
        )
        .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    assert_eq!(room_total(&app).await, 0);
    let r = app.get("/users/amy/joined_chatrooms").await;
    assert_eq!(assert_envelope(&r, "get")["count"], 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn more_members_than_maxusers_is_forbidden_counting_the_owner_and_distinct_names(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let d = assert_error(
        &app.post(
            "/chatrooms",
            json!({"description": "d", "name": "r", "owner": "olga", "maxusers": 2, "members": ["amy", "bob"]}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "members size is greater than max user size !");
    assert_eq!(room_total(&app).await, 0);
    // Duplicates and the owner among the members count once.
    let id = create(
        &app,
        json!({"description": "d", "name": "r", "owner": "olga", "maxusers": 3,
               "members": ["amy", "bob", "AMY", "olga"]}),
    )
    .await;
    assert_eq!(count(&app, &id).await, 3);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn creating_a_room_for_a_user_at_the_join_limit_is_forbidden(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.chatrooms_per_user = 2).await;
    app.register(&["olga", "pete", "amy"]).await;
    room(&app, "pete", &["amy"]).await;
    room(&app, "pete", &["amy"]).await;
    let d = assert_error(
        &app.post(
            "/chatrooms",
            json!({"description": "d", "name": "r", "owner": "olga", "members": ["amy"]}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(
        d,
        "can not join this group, reason:user amy has joined too many chatrooms!"
    );
    // The owner is a member too.
    let d = assert_error(
        &app.post(
            "/chatrooms",
            json!({"description": "d", "name": "r", "owner": "pete"}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(
        d,
        "can not join this group, reason:user pete has joined too many chatrooms!"
    );
    assert_eq!(room_total(&app).await, 2);
}

// ---- list ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn listing_rooms_pages_in_creation_order_with_a_cursor_to_the_end(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            create(
                &app,
                json!({"description": "d", "name": format!("r{i}"), "owner": "olga", "members": ["amy"]}),
            )
            .await,
        );
    }
    let r = app.get("/chatrooms?limit=2").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 2);
    assert_eq!(
        b["data"][0],
        json!({"id": ids[0], "name": "r0", "owner": "olga", "affiliations_count": 2})
    );
    let mut seen: Vec<String> = b["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let mut cursor = b["cursor"].as_str().unwrap().to_owned();
    let mut pages = 1;
    loop {
        let r = app
            .get(&format!("/chatrooms?limit=2&cursor={cursor}"))
            .await;
        let b = assert_envelope(&r, "get");
        pages += 1;
        let data = b["data"].as_array().unwrap();
        assert_eq!(b["count"], data.len());
        seen.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        match b.get("cursor") {
            Some(c) => cursor = c.as_str().unwrap().to_owned(),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    // Default 10 (everything fits, no cursor); limits are clamped.
    let r = app.get("/chatrooms").await;
    assert_eq!(r.body["count"], 5);
    assert!(r.body.get("cursor").is_none(), "{}", r.body);
    assert_eq!(app.get("/chatrooms?limit=0").await.body["count"], 1);
    assert_eq!(app.get("/chatrooms?limit=5000").await.body["count"], 5);
    assert_error(
        &app.get("/chatrooms?cursor=bogus").await,
        400,
        "invalid_parameter",
    );
}

// ---- joined_chatrooms ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn joined_chatrooms_lists_the_newest_join_first_in_pages(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let r1 = create(
        &app,
        json!({"description": "d", "name": "one", "owner": "olga"}),
    )
    .await;
    let r2 = create(
        &app,
        json!({"description": "d", "name": "two", "owner": "olga"}),
    )
    .await;
    let r3 = create(
        &app,
        json!({"description": "d", "name": "three", "owner": "olga"}),
    )
    .await;
    // Join order differs from creation order.
    for id in [&r2, &r3, &r1] {
        let r = add(&app, id, "amy").await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.get("/users/AMY/joined_chatrooms").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(
        b["data"],
        json!([{"id": r1, "name": "one", "disabled": "false"},
               {"id": r3, "name": "three", "disabled": "false"},
               {"id": r2, "name": "two", "disabled": "false"}])
    );
    assert_eq!(b["count"], 3);
    let ids = |r: &Reply| -> Vec<String> {
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let page2 = app
        .get("/users/amy/joined_chatrooms?pagenum=2&pagesize=2")
        .await;
    assert_eq!(ids(&page2), [r2.as_str()]);
    assert_eq!(page2.body["count"], 1);
    let page0 = app
        .get("/users/amy/joined_chatrooms?pagenum=0&pagesize=2")
        .await;
    assert_eq!(ids(&page0), [r1.as_str(), r3.as_str()]);
    let clamped = app.get("/users/amy/joined_chatrooms?pagesize=0").await;
    assert_eq!(ids(&clamped), [r1.as_str()]);
    let beyond = app
        .get("/users/amy/joined_chatrooms?pagenum=3&pagesize=2")
        .await;
    assert_eq!(beyond.body["data"], json!([]));
    // The owner joined all three at creation.
    assert_eq!(
        app.get("/users/olga/joined_chatrooms").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn joined_chatrooms_of_an_unknown_user_is_404_and_of_a_loner_is_empty(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["loner"]).await;
    let d = assert_error(
        &app.get("/users/ghost/joined_chatrooms").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let r = app.get("/users/loner/joined_chatrooms").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"], json!([]));
    assert_eq!(b["count"], 0);
}

// ---- details ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn details_of_several_ids_accept_a_raw_or_encoded_comma(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let a = create(
        &app,
        json!({"description": "d", "name": "a", "owner": "olga"}),
    )
    .await;
    let b = create(
        &app,
        json!({"description": "d", "name": "b", "owner": "olga", "members": ["amy"]}),
    )
    .await;
    for sep in [",", "%2C", "%2c"] {
        let r = app.get(&format!("/chatrooms/{a}{sep}{b}")).await;
        let body = assert_envelope(&r, "get");
        assert_eq!(body["count"], 2, "{sep}");
        let mut got: Vec<(String, i64)> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap().to_owned(),
                    d["affiliations_count"].as_i64().unwrap(),
                )
            })
            .collect();
        got.sort();
        let mut want = vec![(a.clone(), 1), (b.clone(), 2)];
        want.sort();
        assert_eq!(got, want, "{sep}");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_missing_id_among_several_is_reported_in_place_and_all_missing_is_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let a = room(&app, "olga", &[]).await;
    let r = app.get(&format!("/chatrooms/{a},999999")).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    let data = b["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data
        .iter()
        .any(|d| d["id"] == a.as_str() && d["owner"] == "olga"));
    assert!(
        data.contains(&json!({"id": "999999", "error": "chatroom id doesn't exist"})),
        "{b}"
    );
    let d = assert_error(
        &app.get("/chatrooms/999999").await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, "do not find this group:999999");
    assert_error(
        &app.get("/chatrooms/999998,999999").await,
        404,
        "service_resource_not_found",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn details_take_at_most_100_ids(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let a = room(&app, "olga", &[]).await;
    let mut ids: Vec<String> = (0..99).map(|i| format!("{}", 900_000 + i)).collect();
    ids.push(a.clone());
    let r = app.get(&format!("/chatrooms/{}", ids.join(","))).await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    assert_eq!(b["data"].as_array().unwrap().len(), 100);
    ids.push("900999".into());
    assert_error(
        &app.get(&format!("/chatrooms/{}", ids.join(","))).await,
        400,
        "invalid_parameter",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn details_show_the_mute_all_flag(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let id = room(&app, "olga", &[]).await;
    assert_eq!(details(&app, &id).await["mute"], false);
    let r = app
        .call(Method::POST, &format!("/chatrooms/{id}/ban"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(details(&app, &id).await["mute"], true);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn affiliations_list_the_owner_first_then_members_in_join_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["zoe", "mia", "nat", "bea"]).await;
    let id = room(&app, "zoe", &["mia", "nat"]).await;
    let r = add(&app, &id, "bea").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = details(&app, &id).await;
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "zoe"}, {"member": "mia"}, {"member": "nat"}, {"member": "bea"}])
    );
    assert_eq!(d["affiliations_count"], 4);
}

// ---- update ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn updating_answers_a_key_per_field_sent_and_changes_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let id = room(&app, "olga", &[]).await;
    let path = format!("/chatrooms/{id}");
    let cases = [
        (json!({"name": "new name"}), json!({"groupname": true})),
        (
            json!({"description": "new desc"}),
            json!({"description": true}),
        ),
        (json!({"maxusers": 50}), json!({"maxusers": true})),
    ];
    for (body, want) in cases {
        let r = app.put(&path, body).await;
        assert_eq!(assert_envelope(&r, "put")["data"], want);
    }
    let d = details(&app, &id).await;
    assert_eq!(d["name"], "new name");
    assert_eq!(d["description"], "new desc");
    assert_eq!(d["maxusers"], 50);
    let r = app
        .put(
            &path,
            json!({"name": "n2", "description": "d2", "maxusers": 60}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"groupname": true, "description": true, "maxusers": true})
    );
    let d = details(&app, &id).await;
    assert_eq!(
        (&d["name"], &d["description"], &d["maxusers"]),
        (&json!("n2"), &json!("d2"), &json!(60))
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn updating_an_unknown_or_missing_field_is_invalid_parameter_and_changes_nothing(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let id = room(&app, "olga", &["amy"]).await;
    let path = format!("/chatrooms/{id}");
    let d = assert_error(
        &app.put(&path, json!({"chatroom_id": 1})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "some of [chatroom_id] are not valid fields");
    let d = assert_error(
        &app.put(&path, json!({"owner": "amy"})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "some of [owner] are not valid fields");
    let d = assert_error(
        &app.put(&path, json!({"name": "changed", "chatroom_id": 1}))
            .await,
        400,
        "invalid_parameter",
    );
    assert!(d.contains("chatroom_id"), "{d}");
    assert_error(&app.put(&path, json!({})).await, 400, "invalid_parameter");
    let d = details(&app, &id).await;
    assert_eq!(d["name"], "room");
    assert_eq!(d["owner"], "olga");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn updating_past_the_limits_or_below_the_member_count_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let id = room(&app, "olga", &["amy", "bob"]).await;
    let path = format!("/chatrooms/{id}");
    let cases = [
        (
            json!({"name": "n".repeat(129)}),
            "title cannot exceed to 128",
        ),
        (
            json!({"description": "d".repeat(513)}),
            "desc cannot exceed to 512",
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
    assert_eq!(details(&app, &id).await["maxusers"], 1000);
    // Exactly the member count is fine.
    let r = app.put(&path, json!({"maxusers": 3})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"maxusers": true})
    );
    assert_eq!(details(&app, &id).await["maxusers"], 3);
    let d = assert_error(
        &app.put("/chatrooms/999999", json!({"name": "x"})).await,
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
    app.register(&["olga", "amy", "bob"]).await;
    let id = room(&app, "olga", &["amy", "bob"]).await;
    let r = app
        .post(
            &format!("/chatrooms/{id}/admin"),
            json!({"newadmin": "amy"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put(&format!("/chatrooms/{id}"), json!({"newowner": "AMY"}))
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
    let admins = app.get(&format!("/chatrooms/{id}/admin")).await;
    assert_eq!(assert_envelope(&admins, "get")["data"], json!([]));
    // The old owner is an ordinary member now and can be removed.
    let r = app.delete(&format!("/chatrooms/{id}/users/olga")).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn transferring_to_an_unknown_user_a_non_member_or_the_owner_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "cat"]).await;
    let id = room(&app, "olga", &["amy"]).await;
    let path = format!("/chatrooms/{id}");
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
    assert_eq!(details(&app, &id).await["owner"], "olga");
}

// ---- delete ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_room_answers_its_id_and_then_it_is_gone(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let id = room(&app, "olga", &["amy"]).await;
    let r = app.delete(&format!("/chatrooms/{id}")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"success": true, "id": id})
    );
    let d = assert_error(
        &app.get(&format!("/chatrooms/{id}")).await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, format!("do not find this group:{id}"));
    let d = assert_error(
        &app.delete(&format!("/chatrooms/{id}")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, format!("grpID {id} does not exist!"));
    assert_eq!(
        app.get("/users/amy/joined_chatrooms").await.body["count"],
        0
    );
    assert_eq!(room_total(&app).await, 0);
}

// ---- URL forms and unknown rooms ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_app_id_url_form_serves_the_same_rooms(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::POST,
            &format!("{base}/chatrooms"),
            Some(&app.token),
            Some(json!({"description": "d", "name": "byid", "owner": "olga"})),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], "/chatrooms");
    assert_eq!(b["organization"], "acme");
    let id = b["data"]["id"].as_str().unwrap().to_owned();
    let r = app
        .raw(
            Method::POST,
            &format!("{base}/chatrooms/{id}/users/amy"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(assert_envelope(&r, "post")["data"]["result"], true);
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/chatrooms/{id}"),
            Some(&app.token),
            None,
        )
        .await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"][0]["name"], "byid");
    assert_eq!(b["data"][0]["affiliations_count"], 2);
    // The org/app form sees the same room.
    assert_eq!(details(&app, &id).await["affiliations_count"], 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_non_numeric_room_id_is_an_unknown_room(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    room(&app, "olga", &["amy"]).await;
    for bad in ["abc", "12x", "99999999999999999999999"] {
        let d = assert_error(
            &app.get(&format!("/chatrooms/{bad}")).await,
            404,
            "service_resource_not_found",
        );
        assert_eq!(d, format!("do not find this group:{bad}"));
        let d = assert_error(
            &app.get(&format!("/chatrooms/{bad}/users")).await,
            404,
            "service_resource_not_found",
        );
        assert_eq!(d, format!("do not find this group:{bad}"));
        let d = assert_error(&add(&app, bad, "amy").await, 404, "resource_not_found");
        assert_eq!(d, format!("grpID {bad} does not exist!"));
        let d = assert_error(
            &app.put(&format!("/chatrooms/{bad}"), json!({"name": "x"}))
                .await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, format!("grpID {bad} does not exist!"));
        let d = assert_error(
            &app.delete(&format!("/chatrooms/{bad}")).await,
            404,
            "resource_not_found",
        );
        assert_eq!(d, format!("grpID {bad} does not exist!"));
    }
    // A numeric id nobody created behaves the same on the other endpoints.
    let d = assert_error(
        &app.get("/chatrooms/424242/admin").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "grpID 424242 does not exist!");
    assert_eq!(room_total(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_chatroom_endpoint_needs_an_app_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let id = room(&app, "olga", &["amy"]).await;
    let r = |p: &str| format!("/chatrooms/{id}{p}");
    let calls = [
        (Method::POST, "/chatrooms".to_owned()),
        (Method::GET, "/chatrooms".to_owned()),
        (Method::GET, "/users/amy/joined_chatrooms".to_owned()),
        (Method::GET, r("")),
        (Method::PUT, r("")),
        (Method::DELETE, r("")),
        (Method::GET, r("/users")),
        (Method::POST, r("/users")),
        (Method::POST, r("/users/bob")),
        (Method::DELETE, r("/users/amy")),
        (Method::DELETE, r("/users/amy,bob")),
        (Method::GET, r("/admin")),
        (Method::POST, r("/admin")),
        (Method::DELETE, r("/admin/amy")),
        (Method::GET, "/chatrooms/super_admin".to_owned()),
        (Method::POST, "/chatrooms/super_admin".to_owned()),
        (Method::DELETE, "/chatrooms/super_admin/amy".to_owned()),
        (Method::GET, r("/mute")),
        (Method::POST, r("/mute")),
        (Method::DELETE, r("/mute/amy")),
        (Method::GET, r("/blocks/users")),
        (Method::POST, r("/blocks/users")),
        (Method::POST, r("/blocks/users/amy")),
        (Method::DELETE, r("/blocks/users/amy")),
        (Method::GET, r("/white/users")),
        (Method::POST, r("/white/users")),
        (Method::POST, r("/white/users/amy")),
        (Method::DELETE, r("/white/users/amy")),
        (Method::POST, r("/ban")),
        (Method::DELETE, r("/ban")),
        (Method::GET, r("/announcement")),
        (Method::POST, r("/announcement")),
    ];
    let body = json!({"description": "d", "name": "x", "owner": "olga", "usernames": ["bob"], "newadmin": "amy",
                      "superadmin": "amy", "mute_duration": -1, "announcement": "x"});
    for (m, p) in calls {
        let reply = app
            .raw(m.clone(), &app.path(&p), None, Some(body.clone()))
            .await;
        assert_eq!(reply.status, 401, "{m} {p}: {}", reply.body);
        assert_error(&reply, 401, "unauthorized");
    }
    // Nothing changed.
    let d = details(&app, &id).await;
    assert_eq!(d["affiliations_count"], 2);
    assert_eq!(d["name"], "room");
    assert_eq!(room_total(&app).await, 1);
}

// ---- users API interplay ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_user_deletes_the_rooms_it_owns_and_leaves_the_others(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let owned = room(&app, "olga", &["amy", "bob"]).await;
    let other = room(&app, "amy", &["olga", "bob"]).await;
    assert_eq!(count(&app, &other).await, 3);
    let r = app.delete("/users/olga").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(
        &app.get(&format!("/chatrooms/{owned}")).await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(d, format!("do not find this group:{owned}"));
    assert_eq!(count(&app, &other).await, 2);
    assert_eq!(members(&app, &other).await, ["amy", "bob"]);
    let r = app.get("/users/bob/joined_chatrooms").await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!([{"id": other, "name": "room", "disabled": "false"}])
    );
    assert_eq!(room_total(&app).await, 1);
    let list = app.get("/chatrooms").await;
    assert_eq!(list.body["data"][0]["id"], other.as_str());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn joined_chatrooms_without_paging_answers_the_newest_500(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["busy"]).await;
    let mut ids = Vec::new();
    for start in (0..501).step_by(50) {
        let batch = (start..(start + 50).min(501)).map(|i| {
            create(
                &app,
                json!({"description": "d", "name": format!("r{i}"), "owner": "busy"}),
            )
        });
        ids.extend(futures_util::future::join_all(batch).await);
    }
    let r = app.get("/users/busy/joined_chatrooms").await;
    assert_eq!(r.body["count"], 500);
    let all = app.get("/users/busy/joined_chatrooms?pagesize=1000").await;
    assert_eq!(all.body["count"], 501);
    // The one left out of the default answer is the oldest join.
    let listed: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let oldest = all.body["data"][500]["id"].as_str().unwrap();
    assert!(!listed.contains(&oldest));
    assert_eq!(ids.len(), 501);
}
