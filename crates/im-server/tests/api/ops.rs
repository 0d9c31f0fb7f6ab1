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

/// Every route the server serves, as (tenant-relative path, method).
const TENANT_ROUTES: &[(&str, &str)] = &[
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
    ("/users/{username}/joined_chatrooms", "get"),
    ("/chatrooms", "post"),
    ("/chatrooms", "get"),
    ("/chatrooms/super_admin", "get"),
    ("/chatrooms/super_admin", "post"),
    ("/chatrooms/super_admin/{superadmin}", "delete"),
    ("/chatrooms/{chatroom_id}", "get"),
    ("/chatrooms/{chatroom_id}", "put"),
    ("/chatrooms/{chatroom_id}", "delete"),
    ("/chatrooms/{chatroom_id}/users", "get"),
    ("/chatrooms/{chatroom_id}/users", "post"),
    ("/chatrooms/{chatroom_id}/users/{username}", "post"),
    ("/chatrooms/{chatroom_id}/users/{username}", "delete"),
    ("/chatrooms/{chatroom_id}/admin", "get"),
    ("/chatrooms/{chatroom_id}/admin", "post"),
    ("/chatrooms/{chatroom_id}/admin/{oldadmin}", "delete"),
    ("/chatrooms/{chatroom_id}/mute", "get"),
    ("/chatrooms/{chatroom_id}/mute", "post"),
    ("/chatrooms/{chatroom_id}/mute/{usernames}", "delete"),
    ("/chatrooms/{chatroom_id}/ban", "post"),
    ("/chatrooms/{chatroom_id}/ban", "delete"),
    ("/chatrooms/{chatroom_id}/blocks/users", "get"),
    ("/chatrooms/{chatroom_id}/blocks/users", "post"),
    ("/chatrooms/{chatroom_id}/blocks/users/{username}", "post"),
    ("/chatrooms/{chatroom_id}/blocks/users/{username}", "delete"),
    ("/chatrooms/{chatroom_id}/white/users", "get"),
    ("/chatrooms/{chatroom_id}/white/users", "post"),
    ("/chatrooms/{chatroom_id}/white/users/{username}", "post"),
    ("/chatrooms/{chatroom_id}/white/users/{username}", "delete"),
    ("/chatrooms/{chatroom_id}/announcement", "get"),
    ("/chatrooms/{chatroom_id}/announcement", "post"),
    ("/chatgroups", "post"),
    ("/chatgroups", "get"),
    ("/chatgroups/users/{username}", "get"),
    ("/chatgroups/user/{username}", "get"),
    ("/users/{username}/joined_chatgroups", "get"),
    ("/chatgroups/{group_id}", "get"),
    ("/chatgroups/{group_id}", "put"),
    ("/chatgroups/{group_id}", "delete"),
    ("/chatgroups/{group_id}/disable", "post"),
    ("/chatgroups/{group_id}/enable", "post"),
    ("/chatgroups/{group_id}/user/{username}/is_joined", "post"),
    ("/chatgroups/{group_id}/user/{username}/is_joined", "get"),
    ("/chatgroups/{group_id}/users", "get"),
    ("/chatgroups/{group_id}/users", "post"),
    ("/chatgroups/{group_id}/users/{username}", "post"),
    ("/chatgroups/{group_id}/users/{username}", "delete"),
    ("/chatgroups/{group_id}/admin", "get"),
    ("/chatgroups/{group_id}/admin", "post"),
    ("/chatgroups/{group_id}/admin/{oldadmin}", "delete"),
    ("/chatgroups/{group_id}/mute", "get"),
    ("/chatgroups/{group_id}/mute", "post"),
    ("/chatgroups/{group_id}/mute/{usernames}", "delete"),
    ("/chatgroups/{group_id}/ban", "post"),
    ("/chatgroups/{group_id}/ban", "delete"),
    ("/chatgroups/{group_id}/blocks/users", "get"),
    ("/chatgroups/{group_id}/blocks/users", "post"),
    ("/chatgroups/{group_id}/blocks/users/{username}", "post"),
    ("/chatgroups/{group_id}/blocks/users/{username}", "delete"),
    ("/chatgroups/{group_id}/white/users", "get"),
    ("/chatgroups/{group_id}/white/users", "post"),
    ("/chatgroups/{group_id}/white/users/{username}", "post"),
    ("/chatgroups/{group_id}/white/users/{username}", "delete"),
    ("/chatgroups/{group_id}/announcement", "get"),
    ("/chatgroups/{group_id}/announcement", "post"),
    ("/metadata/chatgroup/{group_id}/user/{username}", "put"),
    ("/metadata/chatgroup/{group_id}/user/{username}", "get"),
    ("/metadata/chatgroup/{group_id}/get", "post"),
];

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_openapi_document_lists_every_endpoint_in_both_url_forms(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/health", "/ready", "/metrics"] {
        assert!(paths[p]["get"]["responses"]["200"].is_object(), "{p}");
    }
    for (p, m) in TENANT_ROUTES {
        for f in [
            format!("/{{org_name}}/{{app_name}}{p}"),
            format!("/app-id/{{app_id}}{p}"),
        ] {
            let op = &paths.get(&f).unwrap_or_else(|| panic!("{f} missing"))[m];
            assert!(op.is_object(), "{m} {f} missing");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("200"), "{m} {f} has no 200");
            assert!(responses.contains_key("404"), "{m} {f} documents no 404");
            if *p != "/token" {
                assert!(responses.contains_key("401"), "{m} {f} documents no 401");
            }
            for (code, r) in responses {
                if code != "200" {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{m} {f} {code}");
                }
            }
        }
    }
    // Nothing is documented that is not served.
    let documented = paths
        .keys()
        .filter(|k| k.starts_with("/{org_name}"))
        .count();
    let distinct: std::collections::HashSet<&str> = TENANT_ROUTES.iter().map(|(p, _)| *p).collect();
    assert_eq!(documented, distinct.len());
    let by_id = &paths["/app-id/{app_id}/users/{username}"]["get"]["parameters"];
    let names: Vec<&str> = by_id
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app_id", "username"]);
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["schemas"]["ChatroomDetails"].is_object());
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

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn busy_tables_get_fresh_statistics_when_autovacuum_is_off(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names: Vec<String> = (0..600).map(|i| format!("stat{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    app.register(&refs).await;
    let autovacuum: String = sqlx::query_scalar("select current_setting('autovacuum')")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    if autovacuum == "on" {
        // PostgreSQL keeps statistics itself; the keeper stays out of the way.
        let analyzed = im_store::refresh_statistics(&app.pool).await.unwrap();
        assert!(analyzed.is_empty(), "{analyzed:?}");
        return;
    }
    // Server backends report their counts to shared statistics with a delay of up to a second.
    let mut analyzed = Vec::new();
    for _ in 0..50 {
        analyzed = im_store::refresh_statistics(&app.pool).await.unwrap();
        if !analyzed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(analyzed.contains(&"users".to_owned()), "{analyzed:?}");
    let pending: i64 = sqlx::query_scalar(
        "select n_mod_since_analyze from pg_stat_user_tables where relname = 'users'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(pending < 500, "{pending}");
    // Nothing changed since: nothing to do.
    assert!(im_store::refresh_statistics(&app.pool)
        .await
        .unwrap()
        .is_empty());
}
