use crate::helpers::*;
use im_server::Application;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

async fn client_token(app: &TestApp, body: serde_json::Value) -> Reply {
    app.raw(Method::POST, &app.path("/token"), None, Some(body))
        .await
}

fn creds_body(app: &TestApp, ttl: serde_json::Value) -> serde_json::Value {
    let mut b = json!({"grant_type": "client_credentials",
        "client_id": app.creds.client_id, "client_secret": app.creds.client_secret});
    if !ttl.is_null() {
        b["ttl"] = ttl;
    }
    b
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn client_credentials_give_an_app_token_with_the_documented_fields(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = client_token(&app, creds_body(&app, json!(null))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["access_token"].as_str().unwrap().len() > 20);
    assert_eq!(r.body["expires_in"], 5_184_000);
    let uuid: uuid::Uuid = r.body["application"].as_str().unwrap().parse().unwrap();
    let row: (uuid::Uuid,) = sqlx::query_as("select id from apps where app_id = $1")
        .bind(&app.creds.app_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(uuid, row.0);
    assert!(r.body.get("user").is_none());
    // The token works on a management endpoint.
    let users = app
        .raw(
            Method::GET,
            &app.path("/users"),
            r.body["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(users.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn ttl_accepts_numbers_numeric_strings_empty_and_zero(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cases = [
        (json!(1024000), 1_024_000),
        (json!("3600"), 3600),
        (json!(""), 5_184_000),
        (json!(0), 10 * 365 * 24 * 3600),
        (json!(9_999_999_999i64), 10 * 365 * 24 * 3600),
    ];
    for (ttl, want) in cases {
        let r = client_token(&app, creds_body(&app, ttl.clone())).await;
        assert_eq!(r.status, 200, "{ttl}: {}", r.body);
        assert_eq!(r.body["expires_in"], want, "{ttl}");
        assert!(r.body["expires_in"].as_i64().unwrap() <= i64::from(i32::MAX));
    }
    let bad = client_token(&app, creds_body(&app, json!("soon"))).await;
    assert_error(&bad, 400, "illegal_argument");
    let negative = client_token(&app, creds_body(&app, json!(-1))).await;
    assert_error(&negative, 400, "illegal_argument");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_wrong_client_id_or_secret_is_invalid_grant(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut b = creds_body(&app, json!(null));
    b["client_id"] = json!("YXA6nope");
    let d = assert_error(&client_token(&app, b).await, 400, "invalid_grant");
    assert_eq!(d, "client_id does not match");
    let mut b = creds_body(&app, json!(null));
    b["client_secret"] = json!("YXA6wrong");
    let d = assert_error(&client_token(&app, b).await, 400, "invalid_grant");
    assert_eq!(d, "client_secret does not match");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn missing_fields_are_illegal_argument(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cases = [
        (
            json!({"grant_type": "client_credentials", "client_secret": "x"}),
            "client_id must be provided.",
        ),
        (
            json!({"grant_type": "client_credentials", "client_id": "x"}),
            "client_secret must be provided",
        ),
        (json!({"client_id": "x"}), "grant_type must be provided"),
        (
            json!({"grant_type": "password", "password": "x"}),
            "username must be provided",
        ),
        (
            json!({"grant_type": "password", "username": "x"}),
            "password must be provided",
        ),
    ];
    for (body, want) in cases {
        let d = assert_error(&client_token(&app, body).await, 400, "illegal_argument");
        assert_eq!(d, want);
    }
    let d = assert_error(
        &client_token(&app, json!({"grant_type": "magic"})).await,
        400,
        "illegal_argument",
    );
    assert!(d.contains("magic"), "{d}");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_unknown_app_is_organization_application_not_found(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = creds_body(&app, json!(null));
    let r = app
        .raw(Method::POST, "/acme/nosuch/token", None, Some(body.clone()))
        .await;
    let d = assert_error(&r, 404, "organization_application_not_found");
    assert!(d.contains("acme/nosuch"), "{d}");
    let r = app
        .raw(
            Method::POST,
            "/app-id/0123456789abcdef0123456789abcdef/token",
            None,
            Some(body),
        )
        .await;
    assert_error(&r, 404, "organization_application_not_found");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_app_id_url_form_serves_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .raw(
            Method::POST,
            &format!("/app-id/{}/token", app.creds.app_id),
            None,
            Some(creds_body(&app, json!(null))),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = r.body["access_token"].as_str().unwrap();
    let same_app = app
        .raw(Method::GET, &app.path("/users"), Some(t), None)
        .await;
    assert_eq!(same_app.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_password_grant_gives_a_user_token_with_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["carl"]).await;
    assert_eq!(app.user_token("CARL", "pw-carl").await.status, 200);
    let r = app.user_token("CARL", "pw-carl").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["access_token"].is_string());
    assert_eq!(r.body["expires_in"], 5_184_000);
    let u = &r.body["user"];
    assert_eq!(u["username"], "carl");
    assert_eq!(u["type"], "user");
    assert_eq!(u["activated"], true);
    assert!(u["uuid"].is_string() && u["created"].is_i64() && u["modified"].is_i64());

    let d = assert_error(&app.user_token("carl", "wrong").await, 400, "invalid_grant");
    assert_eq!(d, "invalid password");
    let d = assert_error(&app.user_token("nobody", "x").await, 404, "invalid_grant");
    assert_eq!(d, "user not found");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_user_token_cannot_manage(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["dora"]).await;
    let t = app.user_token("dora", "pw-dora").await;
    let t = t.body["access_token"].as_str().unwrap();
    let r = app
        .raw(Method::GET, &app.path("/users"), Some(t), None)
        .await;
    assert_error(&r, 401, "unauthorized");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn inherit_needs_an_app_token_and_can_create_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body =
        json!({"grant_type": "inherit", "username": "Eve", "autoCreateUser": true, "ttl": 1024000});
    let anon = app
        .raw(Method::POST, &app.path("/token"), None, Some(body.clone()))
        .await;
    assert_error(&anon, 401, "unauthorized");

    let r = app.post("/token", body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["expires_in"], 1_024_000);
    assert_eq!(r.body["user"]["username"], "eve");
    assert_eq!(app.get("/users/eve").await.status, 200);
    // Asking again returns the same user.
    let again = app.post("/token", body).await;
    assert_eq!(again.body["user"]["uuid"], r.body["user"]["uuid"]);

    let missing = app
        .post(
            "/token",
            json!({"grant_type": "inherit", "username": "frank"}),
        )
        .await;
    let d = assert_error(&missing, 404, "invalid_grant");
    assert_eq!(d, "user not found");
    let bad = app
        .post(
            "/token",
            json!({"grant_type": "inherit", "username": "bad name", "autoCreateUser": true}),
        )
        .await;
    assert_error(&bad, 400, "illegal_argument");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_auto_create_makes_one_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let body = json!({"grant_type": "inherit", "username": "gina", "autoCreateUser": "true"});
    let calls = (0..8).map(|_| app.post("/token", body.clone()));
    let replies = futures_util::future::join_all(calls).await;
    let uuids: std::collections::HashSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["user"]["uuid"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(uuids.len(), 1);
    let n: i64 = sqlx::query_scalar("select count(*) from users where username = 'gina'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_deactivated_user_gets_no_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["hal"]).await;
    assert_eq!(
        app.post("/users/hal/deactivate", json!({})).await.status,
        200
    );
    let d = assert_error(&app.user_token("hal", "pw-hal").await, 400, "invalid_grant");
    assert_eq!(d, "user not activated");
    let inherit = app
        .post(
            "/token",
            json!({"grant_type": "inherit", "username": "hal"}),
        )
        .await;
    assert_error(&inherit, 400, "invalid_grant");
    assert_eq!(app.post("/users/hal/activate", json!({})).await.status, 200);
    assert_eq!(app.user_token("hal", "pw-hal").await.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_missing_token_is_unauthorized(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app.raw(Method::GET, &app.path("/users"), None, None).await;
    let d = assert_error(&r, 401, "unauthorized");
    assert_eq!(d, "Unable to authenticate (OAuth)");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_malformed_or_forged_token_is_auth_bad_access_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .raw(Method::GET, &app.path("/users"), Some("not-a-token"), None)
        .await;
    let d = assert_error(&r, 401, "auth_bad_access_token");
    assert_eq!(d, "Unable to authenticate due to corrupt access token");
    // Same header and claims, signature by someone else.
    let mut parts: Vec<String> = app.token.split('.').map(str::to_owned).collect();
    parts[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    let forged = parts.join(".");
    let r = app
        .raw(Method::GET, &app.path("/users"), Some(&forged), None)
        .await;
    assert_error(&r, 401, "auth_bad_access_token");
    let r = app
        .client
        .get(format!("{}{}", app.base, app.path("/users")))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_error(&TestApp::reply(r).await, 401, "auth_bad_access_token");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_expired_token_says_so(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = client_token(&app, creds_body(&app, json!(1))).await;
    let t = r.body["access_token"].as_str().unwrap().to_owned();
    // Used while fresh, so the server has it among its verified tokens.
    let r = app
        .raw(Method::GET, &app.path("/users"), Some(&t), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = app
        .raw(Method::GET, &app.path("/users"), Some(&t), None)
        .await;
    let d = assert_error(&r, 401, "unauthorized");
    assert_eq!(d, "Unable to authenticate due to expired access token");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_token_of_one_app_is_refused_on_another(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let other = app.other_app("acme", "other").await;
    let other_token = app.app_token_for(&other).await;
    let r = app
        .raw(Method::GET, &app.path("/users"), Some(&other_token), None)
        .await;
    assert_error(&r, 401, "unauthorized");
    let r = app
        .raw(
            Method::GET,
            &format!("/app-id/{}/users", app.creds.app_id),
            Some(&other_token),
            None,
        )
        .await;
    assert_error(&r, 401, "unauthorized");
    // Users are per app.
    app.register(&["ivy"]).await;
    let r = app
        .raw(
            Method::GET,
            "/acme/other/users/ivy",
            Some(&other_token),
            None,
        )
        .await;
    assert_error(&r, 404, "service_resource_not_found");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn tokens_stay_valid_across_instances_and_restarts(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let r = users_on_another_server(&app, pool).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Starts another server (stored keys, default test settings) over the same database and lists
/// users there with `app`'s token.
async fn users_on_another_server(app: &TestApp, pool: PgPool) -> Reply {
    let other = Application::build(&test_settings(), pool).await.unwrap();
    let base = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    let r = app
        .client
        .get(format!("{base}{}", app.path("/users")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    TestApp::reply(r).await
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_configured_signing_secret_overrides_the_stored_keys(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), |s| {
        s.auth.jwt_secret = Some("s3cr3t-from-config".into())
    })
    .await;
    assert_eq!(app.get("/users").await.status, 200);
    // A server using the stored keys does not accept it.
    let r = users_on_another_server(&app, pool).await;
    assert_error(&r, 401, "auth_bad_access_token");
}
