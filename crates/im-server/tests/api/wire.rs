//! What the wire must tolerate (API-NOTES §6) and the shape of errors for bad requests.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn json_is_read_whatever_the_content_type(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (i, ct) in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/json",
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .client
            .post(format!("{}{}", app.base, app.path("/users")))
            .bearer_auth(&app.token)
            .header("Content-Type", *ct)
            .body(json!({"username": format!("ct{i}"), "password": "x"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{ct}");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn chunked_bodies_are_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = json!({"username": "chunky", "password": "x"}).to_string();
    let chunks: Vec<Result<String, std::io::Error>> = body
        .as_bytes()
        .chunks(7)
        .map(|c| Ok(String::from_utf8(c.to_vec()).unwrap()))
        .collect();
    let r = app
        .client
        .post(format!("{}{}", app.base, app.path("/users")))
        .bearer_auth(&app.token)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let r = TestApp::reply(r).await;
    assert_eq!(names(&assert_envelope(&r, "post")["entities"]), ["chunky"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_post_without_a_body_is_read_as_an_empty_object(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["nobody"]).await;
    // Deactivate takes no body at all.
    let r = app
        .call(Method::POST, "/users/nobody/deactivate", None)
        .await;
    assert_envelope(&r, "Deactivate user");
    // The token endpoint reports the missing field, not a parse error.
    let r = app.raw(Method::POST, &app.path("/token"), None, None).await;
    let d = assert_error(&r, 400, "illegal_argument");
    assert_eq!(d, "grant_type must be provided");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn malformed_json_is_json_parse(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .client
        .post(format!("{}{}", app.base, app.path("/users")))
        .bearer_auth(&app.token)
        .body("{\"username\"=\"x\"}")
        .send()
        .await
        .unwrap();
    assert_error(&TestApp::reply(r).await, 400, "json_parse");
    // Valid JSON of the wrong shape is an argument error.
    let r = app
        .post("/users", json!({"username": ["x"], "password": "x"}))
        .await;
    assert_error(&r, 400, "illegal_argument");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_oversized_body_is_413_with_a_json_error(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let big = json!({"username": "big", "password": "x", "nickname": "n".repeat(70 * 1024)});
    let r = app.post("/users", big).await;
    assert_error(&r, 413, "request_entity_too_large");
    let r = app.get("/users/big").await;
    assert_error(&r, 404, "service_resource_not_found");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn unknown_routes_and_wrong_methods_answer_json(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app.raw(Method::GET, "/nothing-here", None, None).await;
    assert_error(&r, 404, "not_found");
    let r = app.get("/no-such-resource").await;
    assert_error(&r, 404, "not_found");
    let r = app.call(Method::PATCH, "/users", None).await;
    assert_error(&r, 405, "method_not_allowed");
    let r = app.raw(Method::POST, "/health", None, None).await;
    assert_error(&r, 405, "method_not_allowed");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn trailing_slashes_and_empty_query_values_are_tolerated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["slash"]).await;
    assert_eq!(names(&app.get("/users/").await.body["entities"]), ["slash"]);
    assert_eq!(
        names(&app.get("/users/slash/").await.body["entities"]),
        ["slash"]
    );
    let r = app.get("/users?cursor=&limit=").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["count"], 1);
    assert_eq!(b["params"], json!({"cursor": [""], "limit": [""]}));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn bodies_on_get_and_delete_are_ignored(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["quiet"]).await;
    let r = app
        .call(Method::GET, "/users/quiet", Some(json!({"garbage": true})))
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .client
        .delete(format!("{}{}", app.base, app.path("/users/quiet")))
        .bearer_auth(&app.token)
        .body("not json at all")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn numbers_and_booleans_may_be_sent_as_strings(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // A numeric username sent as a number, ttl and autoCreateUser as strings.
    let r = app
        .post("/token", json!({"grant_type": "inherit", "username": 13800138001i64, "autoCreateUser": "true", "ttl": "60"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["user"]["username"], "13800138001");
    assert_eq!(r.body["expires_in"], 60);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_request_id_is_echoed_or_generated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .client
        .get(format!("{}/health", app.base))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app.raw(Method::GET, "/nothing", None, None).await;
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert!(id.parse::<uuid::Uuid>().is_ok(), "{id}");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn success_envelopes_carry_every_common_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["env"]).await;
    let r = app.get("/users/env").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(r.headers["content-type"], "application/json");
    let app_uuid = app
        .post(
            "/token",
            json!({"grant_type": "client_credentials",
        "client_id": app.creds.client_id, "client_secret": app.creds.client_secret}),
        )
        .await;
    assert_eq!(b["application"], app_uuid.body["application"]);
    assert_eq!(b["uri"], format!("{}{}", app.base, app.path("/users/env")));
    assert!(b.get("params").is_none());
    assert!(b.get("cursor").is_none());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_lost_database_race_is_a_retryable_409_not_a_500(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register(&["locked"]).await;
    let (tenant,): (uuid::Uuid,) = sqlx::query_as("select id from apps where app_name = 'chat'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let lock = "select 1 from users where app = $1 and username = 'locked' for update";
    let mut holder = pool.begin().await.unwrap();
    sqlx::query(lock)
        .bind(tenant)
        .execute(&mut *holder)
        .await
        .unwrap();
    let err = sqlx::query(&format!("{lock} nowait"))
        .bind(tenant)
        .execute(&pool)
        .await
        .unwrap_err();
    let api = im_http::error::ApiError::from(im_store::StoreError::Db(err));
    assert_eq!(api.status.as_u16(), 409);
    assert_eq!(api.error, "concurrent_operation_error");
    holder.rollback().await.unwrap();
    // Any other database failure stays an internal error, without details.
    let err = sqlx::query("select 1/0").execute(&pool).await.unwrap_err();
    let api = im_http::error::ApiError::from(im_store::StoreError::Db(err));
    assert_eq!(api.status.as_u16(), 500);
    assert!(!api.description.contains("division"));
}
