use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn registering_one_user_answers_the_documented_entity(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .post(
            "/users",
            json!({"username": "User1", "password": "123", "nickname": "testuser"}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], "/users");
    assert_eq!(b["organization"], "acme");
    assert_eq!(b["applicationName"], "chat");
    assert!(b["uri"].as_str().unwrap().ends_with("/acme/chat/users"));
    let e = &b["entities"][0];
    assert_eq!(e["username"], "user1");
    assert_eq!(e["type"], "user");
    assert_eq!(e["activated"], true);
    assert_eq!(e["nickname"], "testuser");
    assert!(e["uuid"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    assert!(e["created"].is_i64() && e["created"] == e["modified"]);
    // The password is stored hashed.
    let hash: String =
        sqlx::query_scalar("select password_hash from users where username = 'user1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("123"));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_taken_name_is_duplicate_unique_property_exists_whatever_its_case(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["alice"]).await;
    let r = app
        .post("/users", json!({"username": "ALICE", "password": "x"}))
        .await;
    let d = assert_error(&r, 400, "duplicate_unique_property_exists");
    assert!(d.contains("value of alice exists"), "{d}");
    assert_eq!(user_count(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn invalid_registrations_are_illegal_argument_and_write_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let long = "a".repeat(65);
    let cases = [
        (
            json!({"username": "bad name", "password": "x"}),
            "username [bad name] is not legal",
        ),
        (
            json!({"username": long, "password": "x"}),
            "USERNAME_TOO_LONG",
        ),
        (json!({"username": "ok"}), "password or pin must provided"),
        (
            json!({"username": "ok", "password": ""}),
            "password or pin must provided",
        ),
        (
            json!({"username": "ok", "password": "x", "nickname": "n".repeat(101)}),
            "NICKNAME_TOO_LONG",
        ),
        (
            json!({"password": "x"}),
            "Entity user requires a property named username",
        ),
        (
            json!({"username": "ok", "password": "p".repeat(65)}),
            "PASSWORD_TOO_LONG",
        ),
    ];
    for (body, want) in cases {
        let d = assert_error(
            &app.post("/users", body.clone()).await,
            400,
            "illegal_argument",
        );
        assert_eq!(d, want, "{body}");
    }
    let d = assert_error(
        &app.post("/users", json!("just a string")).await,
        400,
        "illegal_argument",
    );
    assert_eq!(d, "this is an invalid request.");
    assert_eq!(user_count(&app).await, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_registers_the_new_names_and_reports_the_taken_ones(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["user3"]).await;
    let r = app
        .post(
            "/users",
            json!([{"username": "user1", "password": "123"},
                   {"username": "user2", "password": "456"},
                   {"username": "user3", "password": "789"}]),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(names(&b["entities"]), ["user1", "user2"]);
    assert_eq!(
        b["data"],
        json!([{"username": "user3", "registerUserFailReason": "the user3 already exists"}])
    );
    // A batch where everything is new has an empty data array.
    let r = app
        .post("/users", json!([{"username": "user4", "password": "1"}]))
        .await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(user_count(&app).await, 4);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_over_the_limit_or_with_a_bad_item_writes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let big: Vec<Value> = (0..61)
        .map(|i| json!({"username": format!("u{i}"), "password": "x"}))
        .collect();
    let d = assert_error(
        &app.post("/users", Value::Array(big)).await,
        400,
        "illegal_argument",
    );
    assert_eq!(
        d,
        "Request body array size[61] had almost reached or been greater than the upper range value[60]"
    );
    let mixed =
        json!([{"username": "good", "password": "x"}, {"username": "b@d", "password": "x"}]);
    assert_error(&app.post("/users", mixed).await, 400, "illegal_argument");
    let twice =
        json!([{"username": "same", "password": "a"}, {"username": "SAME", "password": "b"}]);
    assert_error(
        &app.post("/users", twice).await,
        400,
        "duplicate_unique_property_exists",
    );
    assert_error(
        &app.post("/users", json!([])).await,
        400,
        "illegal_argument",
    );
    assert_eq!(user_count(&app).await, 0);
    // Exactly 60 is fine, and the same user twice with the same password counts once.
    let sixty: Vec<Value> = (0..60)
        .map(|i| json!({"username": format!("u{i}"), "password": "x"}))
        .collect();
    assert_eq!(app.post("/users", Value::Array(sixty)).await.status, 200);
    let dup_same = json!([{"username": "z", "password": "a"}, {"username": "z", "password": "a"}]);
    let r = app.post("/users", dup_same).await;
    assert_eq!(names(&r.body["entities"]), ["z"]);
    assert_eq!(user_count(&app).await, 61);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn registering_needs_an_app_token_by_default(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = json!({"username": "anon", "password": "x"});
    let r = app
        .raw(Method::POST, &app.path("/users"), None, Some(body))
        .await;
    let d = assert_error(&r, 401, "unauthorized");
    assert_eq!(
        d,
        "Open registration doesn't allow, so register user need token"
    );
    assert_eq!(user_count(&app).await, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn open_registration_allows_one_user_without_a_token_but_not_a_batch(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.auth.open_registration = true).await;
    let r = app
        .raw(
            Method::POST,
            &app.path("/users"),
            None,
            Some(json!({"username": "anon", "password": "x"})),
        )
        .await;
    assert_eq!(names(&assert_envelope(&r, "post")["entities"]), ["anon"]);
    let r = app
        .raw(
            Method::POST,
            &app.path("/users"),
            None,
            Some(json!([{"username": "anon3", "password": "x"}])),
        )
        .await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(user_count(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn getting_a_user_finds_it_case_insensitively(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["bob"]).await;
    let r = app.get("/users/BOB").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    assert_eq!(names(&b["entities"]), ["bob"]);
    assert_error(
        &app.get("/users/nobody").await,
        404,
        "service_resource_not_found",
    );
    assert_error(
        &app.get("/users/not%20valid").await,
        404,
        "service_resource_not_found",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn listing_users_pages_in_registration_order_with_a_cursor(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["u1", "u2", "u3", "u4", "u5"]).await;
    let r = app.get("/users?limit=2").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(names(&b["entities"]), ["u1", "u2"]);
    assert_eq!(b["count"], 2);
    assert_eq!(b["params"], json!({"limit": ["2"]}));
    let mut cursor = b["cursor"].as_str().unwrap().to_owned();
    let mut seen = names(&b["entities"]);
    loop {
        let r = app.get(&format!("/users?limit=2&cursor={cursor}")).await;
        assert_eq!(r.status, 200);
        seen.extend(names(&r.body["entities"]));
        match r.body.get("cursor") {
            Some(c) => cursor = c.as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["u1", "u2", "u3", "u4", "u5"]);
    // Default limit 10, no cursor when everything fits.
    let r = app.get("/users").await;
    assert_eq!(r.body["count"], 5);
    assert!(r.body.get("cursor").is_none());
    // Out-of-range limits are clamped; garbage is refused.
    assert_eq!(app.get("/users?limit=1000").await.body["count"], 5);
    assert_eq!(app.get("/users?limit=0").await.body["count"], 1);
    assert_error(&app.get("/users?limit=ten").await, 400, "invalid_parameter");
    assert_error(
        &app.get("/users?cursor=bogus").await,
        400,
        "invalid_parameter",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_page_does_not_repeat_or_skip_when_users_arrive_between_pages(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["a1", "a2", "a3"]).await;
    let first = app.get("/users?limit=2").await;
    app.register(&["a4"]).await;
    let c = first.body["cursor"].as_str().unwrap();
    let second = app.get(&format!("/users?limit=10&cursor={c}")).await;
    assert_eq!(names(&second.body["entities"]), ["a3", "a4"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_user_returns_it_and_removes_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["carol", "dave"]).await;
    let r = app.delete("/users/Carol").await;
    let b = assert_envelope(&r, "delete");
    assert_eq!(names(&b["entities"]), ["carol"]);
    assert_error(
        &app.get("/users/carol").await,
        404,
        "service_resource_not_found",
    );
    assert_error(
        &app.delete("/users/carol").await,
        404,
        "service_resource_not_found",
    );
    assert_eq!(user_count(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn batch_delete_removes_the_oldest_first_with_a_cursor_until_none_remain(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["o1", "o2", "o3", "o4", "o5"]).await;
    let r = app.delete("/users?limit=2").await;
    let b = assert_envelope(&r, "delete");
    assert_eq!(names(&b["entities"]), ["o1", "o2"]);
    assert_eq!(b["params"], json!({"limit": ["2"]}));
    let c = b["cursor"].as_str().unwrap().to_owned();
    let r = app.delete(&format!("/users?limit=2&cursor={c}")).await;
    assert_eq!(names(&r.body["entities"]), ["o3", "o4"]);
    let r = app.delete("/users?limit=2").await;
    assert_eq!(names(&r.body["entities"]), ["o5"]);
    assert!(r.body.get("cursor").is_none());
    assert_eq!(user_count(&app).await, 0);
    let r = app.delete("/users").await;
    assert_eq!(r.body["entities"], json!([]));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn changing_a_password_replaces_the_old_one(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["erin"]).await;
    let r = app
        .put("/users/erin/password", json!({"newpassword": "fresh"}))
        .await;
    assert_envelope(&r, "set user password");
    assert_error(
        &app.user_token("erin", "pw-erin").await,
        400,
        "invalid_grant",
    );
    assert_eq!(app.user_token("erin", "fresh").await.status, 200);

    let d = assert_error(
        &app.put("/users/erin/password", json!({})).await,
        400,
        "illegal_argument",
    );
    assert_eq!(d, "newpassword is required");
    let r = app
        .put("/users/ghost/password", json!({"newpassword": "x"}))
        .await;
    let d = assert_error(&r, 404, "entity_not_found");
    assert_eq!(d, "User null not found");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deactivating_and_activating_show_in_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["fay"]).await;
    let r = app.post("/users/fay/deactivate", json!({})).await;
    let b = assert_envelope(&r, "Deactivate user");
    assert_eq!(b["entities"][0]["activated"], false);
    assert_eq!(
        app.get("/users/fay").await.body["entities"][0]["activated"],
        false
    );
    let r = app.call(Method::POST, "/users/fay/activate", None).await;
    assert_envelope(&r, "activate user");
    assert_eq!(
        app.get("/users/fay").await.body["entities"][0]["activated"],
        true
    );
    assert_error(
        &app.post("/users/ghost/deactivate", json!({})).await,
        404,
        "service_resource_not_found",
    );
    assert_error(
        &app.post("/users/ghost/activate", json!({})).await,
        404,
        "service_resource_not_found",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn setting_a_nickname_shows_it_on_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["gus"]).await;
    let r = app
        .put("/users/gus", json!({"nickname": "Gus the Great"}))
        .await;
    let b = assert_envelope(&r, "put");
    assert_eq!(b["entities"][0]["nickname"], "Gus the Great");
    assert_eq!(
        app.get("/users/gus").await.body["entities"][0]["nickname"],
        "Gus the Great"
    );
    let d = assert_error(
        &app.put("/users/gus", json!({"nickname": "n".repeat(101)}))
            .await,
        400,
        "illegal_argument",
    );
    assert_eq!(d, "NICKNAME_TOO_LONG");
    assert_error(
        &app.put("/users/gus", json!({})).await,
        400,
        "illegal_argument",
    );
    assert_error(
        &app.put("/users/ghost", json!({"nickname": "x"})).await,
        404,
        "service_resource_not_found",
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_users_endpoint_needs_an_app_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["hank"]).await;
    let calls = [
        (Method::GET, "/users"),
        (Method::DELETE, "/users"),
        (Method::GET, "/users/hank"),
        (Method::DELETE, "/users/hank"),
        (Method::PUT, "/users/hank"),
        (Method::PUT, "/users/hank/password"),
        (Method::POST, "/users/hank/deactivate"),
        (Method::POST, "/users/hank/activate"),
    ];
    for (m, p) in calls {
        let r = app
            .raw(
                m.clone(),
                &app.path(p),
                None,
                Some(json!({"newpassword": "x", "nickname": "x"})),
            )
            .await;
        assert_error(&r, 401, "unauthorized");
    }
    assert_eq!(user_count(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_app_id_form_serves_the_same_users(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::POST,
            &format!("{base}/users"),
            Some(&app.token),
            Some(json!({"username": "ida", "password": "x"})),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], "/users");
    assert_eq!(b["organization"], "acme");
    assert_eq!(names(&app.get("/users").await.body["entities"]), ["ida"]);
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/users/ida"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(names(&r.body["entities"]), ["ida"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_registration_of_one_name_makes_one_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let calls = (0..8).map(|_| app.post("/users", json!({"username": "race", "password": "x"})));
    let replies = futures_util::future::join_all(calls).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1);
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_error(r, 400, "duplicate_unique_property_exists");
    }
    assert_eq!(user_count(&app).await, 1);
}
