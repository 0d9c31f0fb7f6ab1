use crate::helpers::*;
use reqwest::Method;
use sqlx::PgPool;

const FILES: &[(&str, &str)] = &[
    ("/console", "text/html"),
    ("/console/app.js", "text/javascript"),
    ("/console/api.js", "text/javascript"),
    ("/console/ui.js", "text/javascript"),
    ("/console/overview.js", "text/javascript"),
    ("/console/users.js", "text/javascript"),
    ("/console/rooms.js", "text/javascript"),
    ("/console/room_parts.js", "text/javascript"),
    ("/console/room_more.js", "text/javascript"),
    ("/console/callbacks.js", "text/javascript"),
    ("/console/style.css", "text/css"),
    ("/console/icon.svg", "image/svg+xml"),
];

/// The body of a console file, as a browser gets it (no token).
async fn text_of(app: &TestApp, path: &str) -> String {
    let r = app.client.get(format!("{}{path}", app.base)).send().await;
    r.unwrap().text().await.unwrap()
}

#[track_caller]
fn assert_secured(h: &reqwest::header::HeaderMap, what: &str) {
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "script-src 'self';",
        "style-src 'self';",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {csp} lacks {part}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert!(h.contains_key("cache-control"), "{what}");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_console_and_its_files_are_served_with_security_headers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (path, kind) in FILES {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}: {:?}",
            h["content-type"]
        );
        assert_secured(&h, path);
        let body = r.text().await.unwrap();
        assert!(!body.is_empty(), "{path}");
    }
    // The page loads its script as a module from its own origin, and nothing inline.
    let html = text_of(&app, "/console").await;
    assert!(html.contains(r#"<script type="module" src="/console/app.js"></script>"#));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "{html}"
    );
    // A trailing slash reaches the page too.
    let r = app
        .client
        .get(format!("{}/console/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_unchanged_console_file_answers_304_to_its_etag(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let url = format!("{}/console/app.js", app.base);
    let r = app.client.get(&url).send().await.unwrap();
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    let r = app
        .client
        .get(&url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_secured(r.headers(), "304");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_unknown_console_file_is_a_404_with_the_same_headers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in [
        "/console/nope.js",
        "/console/..%2F..%2FCargo.toml",
        "/console/index.html.bak",
    ] {
        let r = app.raw(Method::GET, path, None, None).await;
        assert_error(&r, 404, "not_found");
        assert_secured(&r.headers, path);
    }
    let r = app.raw(Method::POST, "/console", None, None).await;
    assert_eq!(r.status, 405);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_console_adds_no_way_around_the_app_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy"]).await;
    // The only routes outside the tenant prefixes are the operational ones and the console's
    // static files.
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await.body;
    let mut outside: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|p| !p.starts_with("/{org_name}/{app_name}/") && !p.starts_with("/app-id/"))
        .collect();
    outside.sort_unstable();
    assert_eq!(
        outside,
        [
            "/console",
            "/console/{file}",
            "/health",
            "/metrics",
            "/ready"
        ]
    );
    // Data is only reached through the API, which still wants the token.
    let r = app
        .raw(Method::GET, &app.path("/users/amy"), None, None)
        .await;
    assert_eq!(r.status, 401);
    for path in ["/console/users", "/console/acme", "/console/token"] {
        let r = app
            .raw(Method::GET, path, Some(&app.token.clone()), None)
            .await;
        assert_error(&r, 404, "not_found");
    }
    // The console's code puts data on the page as text only, and keeps the token out of
    // persistent storage and cookies.
    for (path, _) in FILES.iter().filter(|(p, _)| p.ends_with(".js")) {
        let js = text_of(&app, path).await;
        for bad in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "localStorage",
            "document.cookie",
        ] {
            assert!(!js.contains(bad), "{path} uses {bad}");
        }
    }
}
