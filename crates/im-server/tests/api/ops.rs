use crate::helpers::*;
use reqwest::Method;
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn health_and_ready_answer_without_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app.raw(Method::GET, "/health", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("ok"))
    );
    let r = app.raw(Method::GET, "/ready", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("ok"))
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn ready_is_503_when_the_database_is_gone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    pool.close().await;
    let r = app.raw(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["status"], "unavailable");
    let r = app.raw(Method::GET, "/health", None, None).await;
    assert_eq!(r.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.get("/users/nobody").await;
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/{org_name}/{app_name}/users/{username}",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"db_pool_connections{state="max"}"#),
        "{text}"
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_openapi_document_lists_every_endpoint_in_both_url_forms(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
        ("/token", "post"),
        ("/users", "post"),
        ("/users", "get"),
        ("/users", "delete"),
        ("/users/{username}", "get"),
        ("/users/{username}", "put"),
        ("/users/{username}", "delete"),
        ("/users/{username}/password", "put"),
        ("/users/{username}/deactivate", "post"),
        ("/users/{username}/activate", "post"),
    ];
    for (p, m) in expected {
        let forms: Vec<String> = if p.starts_with("/users") || p == "/token" {
            vec![
                format!("/{{org_name}}/{{app_name}}{p}"),
                format!("/app-id/{{app_id}}{p}"),
            ]
        } else {
            vec![p.to_owned()]
        };
        for f in forms {
            let op = &paths[&f][m];
            assert!(op.is_object(), "{m} {f} missing");
            assert!(op["responses"]["200"].is_object(), "{m} {f} has no 200");
            if f.contains("{app_name}") || f.contains("{app_id}") {
                assert!(
                    op["responses"]["404"].is_object(),
                    "{m} {f} documents no 404"
                );
            }
        }
    }
    let by_id = &paths["/app-id/{app_id}/users/{username}"]["get"]["parameters"];
    let names: Vec<&str> = by_id
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app_id", "username"]);
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["app_token"].is_object());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_docs_page_is_served_from_bundled_assets(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .client
        .get(format!("{}/docs/index.html", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let js = app
        .client
        .get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    // `/docs` leads to the page.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/docs/index.html");
}
