//! Hostile input: text PostgreSQL cannot store, broken path segments, lifetimes that are not
//! numbers, booleans where strings belong. Each is a 400 (or the usual 404) that writes nothing.

use crate::chatrooms::{create, details};
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

async fn room_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from rooms")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_nul_in_any_user_text_is_illegal_argument_and_writes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["keeper"]).await;
    let before = user_count(&app).await;
    let bad = [
        json!({"username": "n1", "password": "pw", "nickname": "a\u{0}b"}),
        json!({"username": "n2", "password": "p\u{0}w"}),
        json!([{"username": "n3", "password": "pw"},
               {"username": "n4", "password": "pw", "nickname": "\u{0}"}]),
    ];
    for body in bad {
        let r = app.post("/users", body.clone()).await;
        let d = assert_error(&r, 400, "illegal_argument");
        assert!(d.contains("NUL"), "{d} for {body}");
    }
    assert_eq!(user_count(&app).await, before, "nothing was registered");
    // An unknown field is ignored, whatever it holds.
    let r = app
        .post(
            "/users",
            json!({"username": "n5", "password": "pw", "extra\u{0}": "x\u{0}"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = app
        .put("/users/keeper", json!({"nickname": "bad\u{0}nick"}))
        .await;
    assert_error(&r, 400, "illegal_argument");
    let r = app.get("/users/keeper").await;
    assert!(assert_envelope(&r, "get")["entities"][0]
        .get("nickname")
        .is_none());
    let r = app
        .put("/users/keeper/password", json!({"newpassword": "x\u{0}"}))
        .await;
    assert_error(&r, 400, "illegal_argument");
    assert_eq!(app.user_token("keeper", "pw-keeper").await.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_nul_in_any_chatroom_text_is_illegal_argument_and_writes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["owner", "m1"]).await;
    let id = create(
        &app,
        json!({"name": "room", "description": "d", "owner": "owner"}),
    )
    .await;
    let creates = [
        json!({"name": "r\u{0}", "description": "d", "owner": "owner"}),
        json!({"name": "r", "description": "d\u{0}", "owner": "owner"}),
        json!({"name": "r", "description": "d", "owner": "owner", "custom": "c\u{0}"}),
        json!({"name": "r", "description": "d", "owner": "owner", "members": ["m1\u{0}"]}),
    ];
    for body in creates {
        let r = app.post("/chatrooms", body.clone()).await;
        assert_error(&r, 400, "illegal_argument");
    }
    assert_eq!(room_count(&app).await, 1);
    for body in [json!({"name": "x\u{0}"}), json!({"description": "x\u{0}"})] {
        let r = app.put(&format!("/chatrooms/{id}"), body).await;
        assert_error(&r, 400, "illegal_argument");
    }
    let d = details(&app, &id).await;
    assert_eq!(
        (d["name"].as_str(), d["description"].as_str()),
        (Some("room"), Some("d"))
    );
    let r = app
        .post(
            &format!("/chatrooms/{id}/announcement"),
            json!({"announcement": "hello\u{0}"}),
        )
        .await;
    assert_error(&r, 400, "illegal_argument");
    let r = app.get(&format!("/chatrooms/{id}/announcement")).await;
    assert_eq!(assert_envelope(&r, "get")["data"]["announcement"], "");
    let r = app
        .post(
            &format!("/chatrooms/{id}/users"),
            json!({"usernames": ["m1", "a\u{0}"]}),
        )
        .await;
    assert_error(&r, 400, "illegal_argument");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_nul_in_the_tenant_path_is_app_not_found_without_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = json!({"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"});
    for (method, path, body) in [
        (Method::GET, "/app-id/x%00/users".to_owned(), None),
        (Method::GET, "/x%00/chat/users".to_owned(), None),
        (
            Method::POST,
            format!("/{}/c%00/token", app.creds.org),
            Some(token.clone()),
        ),
        (Method::POST, "/app-id/%00/token".to_owned(), Some(token)),
        (
            Method::GET,
            format!("/app-id/{}%00/users", app.creds.app_id),
            None,
        ),
        (
            Method::POST,
            "/o%00/a%00/users".to_owned(),
            Some(json!({"username": "u", "password": "p"})),
        ),
    ] {
        let r = app.raw(method, &path, None, body).await;
        let d = assert_error(&r, 404, "organization_application_not_found");
        assert!(!d.contains('\0'), "{d}");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_nul_in_the_query_string_or_a_name_segment_is_a_4xx(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["owner"]).await;
    let r = app.get("/users?limit=5&cursor=%00").await;
    assert_error(&r, 400, "illegal_argument");
    let r = app.get("/users/own%00er").await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app.get("/chatrooms/12%00").await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.body);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_ttl_that_is_not_a_finite_positive_number_is_illegal_argument(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for ttl in [
        json!("NaN"),
        json!("inf"),
        json!("-0.5"),
        json!("1e999"),
        json!("abc"),
        json!(true),
    ] {
        let r = app
            .raw(
                Method::POST,
                &app.path("/token"),
                None,
                Some(json!({"grant_type": "client_credentials",
                            "client_id": app.creds.client_id,
                            "client_secret": app.creds.client_secret, "ttl": ttl})),
            )
            .await;
        assert_error(&r, 400, "illegal_argument");
    }
    // Numbers written as strings stay tolerated.
    let r = app
        .raw(
            Method::POST,
            &app.path("/token"),
            None,
            Some(json!({"grant_type": "client_credentials",
                        "client_id": app.creds.client_id,
                        "client_secret": app.creds.client_secret, "ttl": "3600"})),
        )
        .await;
    assert_eq!(r.body["expires_in"], 3600, "{}", r.body);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn booleans_are_refused_where_strings_are_expected(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["bob"]).await;
    let r = app
        .put("/users/bob/password", json!({"newpassword": false}))
        .await;
    assert_error(&r, 400, "illegal_argument");
    assert_eq!(app.user_token("bob", "pw-bob").await.status, 200);
    assert_eq!(app.user_token("bob", "false").await.status, 400);
    let r = app.put("/users/bob", json!({"nickname": false})).await;
    assert_error(&r, 400, "illegal_argument");
    let r = app
        .post("/users", json!({"username": "carl", "password": true}))
        .await;
    assert_error(&r, 400, "illegal_argument");
    let r = app
        .post(
            "/chatrooms",
            json!({"name": true, "description": "d", "owner": "bob"}),
        )
        .await;
    assert_error(&r, 400, "illegal_argument");
    // Numbers for strings are still read.
    let r = app.put("/users/bob", json!({"nickname": 42})).await;
    assert_eq!(
        assert_envelope(&r, "put")["entities"][0]["nickname"],
        Value::from("42")
    );
}
