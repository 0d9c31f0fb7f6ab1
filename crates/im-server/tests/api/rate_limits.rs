//! Per-app rate limits: off by default; over a limit, 429 `reach_limit` at once with
//! `Retry-After` and nothing done; other apps and operations unaffected; both URL forms share a
//! limit; per-app limits set with the CLI apply within a refresh; instances share a limit.

use crate::cli::imserver;
use crate::helpers::*;
use im_server::Application;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// How many of `n` requests to `path` (one after another) answered 200; every other answer
/// must be the rate limit's.
async fn passed(app: &TestApp, token: &str, path: &str, n: usize) -> usize {
    let mut ok = 0;
    for _ in 0..n {
        let r = app.raw(Method::GET, path, Some(token), None).await;
        if r.status == 200 {
            ok += 1;
        } else {
            assert_limited(&r);
        }
    }
    ok
}

fn assert_limited(r: &Reply) {
    assert_refusal(r, 429, "reach_limit", "This request has reached api limit");
    let wait: u32 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn without_limits_nothing_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy"]).await;
    let path = app.path("/users/amy");
    assert_eq!(passed(&app, &app.token, &path, 300).await, 300);
    assert!(!app.metrics().await.contains("rate_limited_total{"));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn over_the_default_limit_a_request_is_refused_at_once_and_does_nothing(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| {
        s.rate_limits.default = Some(5);
        s.rate_limits.operations.insert("users_register".into(), 2);
    })
    .await;
    let get = app.path("/users/amy");
    // The token itself was one request of `token`; registering is its own operation.
    let r = app
        .post("/users", json!({"username": "amy", "password": "pw"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post("/users", json!({"username": "bob", "password": "pw"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post("/users", json!({"username": "cat", "password": "pw"}))
        .await;
    assert_limited(&r);
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 2, "nothing was done");

    // A second's worth (5) passes at once, then nothing until the bucket refills.
    assert_eq!(passed(&app, &app.token, &get, 12).await, 5);
    // Both URL forms are one operation.
    let by_id = format!("/app-id/{}/users/amy", app.creds.app_id);
    assert_limited(&app.raw(Method::GET, &by_id, Some(&app.token), None).await);
    // Another operation of the same app has a bucket of its own.
    assert_eq!(app.get("/chatrooms").await.status, 200);
    // Another app is unaffected.
    let other = app.other_app("acme", "other").await;
    let token = app.app_token_for(&other).await;
    let r = app
        .raw(Method::GET, "/acme/other/users?limit=1", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Within about a second the rate lets requests through again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(passed(&app, &app.token, &get, 3).await >= 1);

    let metrics = app.metrics().await;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("rate_limited_total{") && l.contains("operation=\"users_get\""))
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(line.contains("app=\"acme#chat\""), "{line}");
    let counted: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(counted >= 8, "{line}");
    assert!(
        metrics.contains("operation=\"users_register\""),
        "{metrics}"
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_apps_limits_set_with_the_cli_apply_within_a_refresh(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), |s| s.rate_limits.refresh_secs = 0.2).await;
    app.register(&["amy"]).await;
    let get = app.path("/users/amy");
    assert_eq!(passed(&app, &app.token, &get, 20).await, 20);

    let args = [
        "app",
        "limits",
        "--org",
        "acme",
        "--app",
        "chat",
        "--default",
        "50",
        "--set",
        "users_get=3",
        "--json",
    ];
    let (ok, out, err) = imserver(&pool, &args).await;
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(shown["default"], 50, "{shown}");
    assert_eq!(shown["operations"]["users_get"], 3, "{shown}");
    assert_eq!(shown["settings"]["default"], Value::Null, "{shown}");

    // Applied within a refresh (0.2 s here): a burst of 3.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(passed(&app, &app.token, &get, 10).await, 3);

    // Reading changes nothing; a name that is no operation and a zero are refused.
    let (ok, out, _) = imserver(&pool, &["app", "limits", "--org", "acme", "--app", "chat"]).await;
    assert!(ok);
    assert!(out.contains("users_get") && out.contains("3/s"), "{out}");
    for bad in ["nothing=3", "users_get=0"] {
        let (ok, _, err) = imserver(
            &pool,
            &[
                "app", "limits", "--org", "acme", "--app", "chat", "--set", bad,
            ],
        )
        .await;
        assert!(!ok && !err.is_empty(), "{bad}");
    }
    let (ok, _, err) = imserver(
        &pool,
        &[
            "app",
            "limits",
            "--org",
            "acme",
            "--app",
            "none",
            "--default",
            "3",
        ],
    )
    .await;
    assert!(!ok && err.contains("no app acme#none"), "{err}");

    // Cleared: no limit again.
    let (ok, out, err) = imserver(
        &pool,
        &[
            "app", "limits", "--org", "acme", "--app", "chat", "--clear", "--json",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(shown["default"], Value::Null);
    assert_eq!(shown["operations"], json!({}));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(passed(&app, &app.token, &get, 30).await, 30);
}

/// Two instances over one database, a limit of 20 a second for the app and requests spread
/// evenly over both: the total that passes stays within 20% of the limit.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn instances_share_an_apps_limit(pool: PgPool) {
    let tweak = |s: &mut im_server::settings::Settings| {
        s.rate_limits.refresh_secs = 0.2;
        s.rate_limits.operations.insert("users_get".into(), 20);
    };
    let app = TestApp::spawn_with(pool.clone(), tweak).await;
    app.register(&["amy"]).await;
    let mut settings = test_settings();
    tweak(&mut settings);
    let second = Application::build(&settings, crate::helpers::served(&pool))
        .await
        .unwrap();
    let second_base = format!("http://127.0.0.1:{}", second.port());
    let second_state = second.state();
    tokio::spawn(second.run_until_stopped());
    // Both see each other within a few refreshes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while second_state.limits.instances() < 2 {
        assert!(
            Instant::now() < deadline,
            "the instances never saw each other"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let bases = [app.base.clone(), second_base];
    let path = app.path("/users/amy");
    let start = Instant::now();
    let run = Duration::from_secs(4);
    let counted_from = Duration::from_secs(1);
    let mut clients = Vec::new();
    for c in 0..4 {
        let base = bases[c % 2].clone();
        let (client, token, path) = (app.client.clone(), app.token.clone(), path.clone());
        clients.push(tokio::spawn(async move {
            let mut ok = 0;
            while start.elapsed() < run {
                let r = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                assert!(
                    status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
                    "{status}"
                );
                if status == StatusCode::OK && start.elapsed() >= counted_from {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut total = 0;
    for c in clients {
        total += c.await.unwrap();
    }
    // Three seconds counted, after the first second's burst: 60 at 20 a second.
    assert!((48..=72).contains(&total), "{total} passed in 3 s at 20/s");
}
