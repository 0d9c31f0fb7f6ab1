//! The `imserver` binary's operator commands, run against the test database.

use crate::helpers::*;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::process::Command;

pub(crate) fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").unwrap();
    let db = pool.connect_options().get_database().unwrap().to_owned();
    match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{db}"),
        None => panic!("DATABASE_URL has no database part: {base}"),
    }
}

/// Runs `imserver ARGS` against the test database (off the async executor); returns success,
/// stdout and stderr.
pub(crate) async fn imserver(pool: &PgPool, args: &[&str]) -> (bool, String, String) {
    let url = database_url(pool);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || run(&url, &args))
        .await
        .unwrap()
}

fn run(database_url: &str, args: &[String]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_imserver"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("IMSERVER__AUTH__ARGON2__MEMORY_KIB", "256")
        .env("IMSERVER__AUTH__ARGON2__ITERATIONS", "1")
        .env_remove("IMSERVER__DATABASE__URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn app_create_list_and_rotate_secret_work_for_scripts(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let (ok, out, err) = imserver(
        &pool,
        &["app", "create", "--org", "cli", "--app", "one", "--json"],
    )
    .await;
    assert!(ok, "{err}");
    let c: Value = serde_json::from_str(out.trim()).unwrap();
    for f in ["org", "app", "app_id", "client_id", "client_secret"] {
        assert!(c[f].is_string(), "{f} missing: {c}");
    }
    assert_eq!(
        (c["org"].as_str(), c["app"].as_str()),
        (Some("cli"), Some("one"))
    );
    let app_id = c["app_id"].as_str().unwrap();
    assert!(
        app_id.len() == 32
            && app_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );

    let token = |secret: &str| json!({"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": secret});
    let r = app
        .raw(
            reqwest::Method::POST,
            "/cli/one/token",
            None,
            Some(token(c["client_secret"].as_str().unwrap())),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Creating it again fails.
    let (ok, _, err) = imserver(&pool, &["app", "create", "--org", "cli", "--app", "one"]).await;
    assert!(!ok);
    assert!(err.contains("exists already"), "{err}");
    let (ok, out, err) = imserver(&pool, &["app", "list", "--json"]).await;
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(out.trim()).unwrap();
    let apps: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app"].as_str().unwrap())
        .collect();
    assert_eq!(apps, ["chat", "one"]);
    assert!(!out.contains(c["client_secret"].as_str().unwrap()));
    let (ok, out, err) = imserver(
        &pool,
        &[
            "app",
            "rotate-secret",
            "--org",
            "cli",
            "--app",
            "one",
            "--json",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let rotated: Value = serde_json::from_str(out.trim()).unwrap();
    assert_ne!(rotated["client_secret"], c["client_secret"]);
    let old = app
        .raw(
            reqwest::Method::POST,
            "/cli/one/token",
            None,
            Some(token(c["client_secret"].as_str().unwrap())),
        )
        .await;
    assert_error(&old, 400, "invalid_grant");
    let new = app
        .raw(
            reqwest::Method::POST,
            "/cli/one/token",
            None,
            Some(token(rotated["client_secret"].as_str().unwrap())),
        )
        .await;
    assert_eq!(new.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn bad_app_names_are_refused(pool: PgPool) {
    let (ok, _, err) = imserver(&pool, &["app", "create", "--org", "bad org", "--app", "x"]).await;
    assert!(!ok);
    assert!(err.contains("org name"), "{err}");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_fresh_install_gets_one_demo_app(pool: PgPool) {
    let app = im_server::Application::build(&test_settings(), pool.clone())
        .await
        .unwrap();
    let state = app.state();
    let first = im_server::ensure_demo_app(&pool, &state).await.unwrap();
    let c = first.expect("a demo app on first start");
    assert_eq!((c.org.as_str(), c.app.as_str()), ("demo", "demo"));
    assert!(im_server::ensure_demo_app(&pool, &state)
        .await
        .unwrap()
        .is_none());
    let stored: String = sqlx::query_scalar("select client_secret_hash from apps")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains(&c.client_secret));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn migrate_is_idempotent(pool: PgPool) {
    let (ok, out, err) = imserver(&pool, &["migrate"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("migrations applied"));
}
