//! Callbacks across processes: a committed change's event survives `kill -9` of the instance
//! that was delivering it; the CLI manages rules and dead letters.

use crate::cli::{database_url, imserver};
use crate::helpers::*;
use crate::receiver::Receiver;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `imserver serve` on the test database with quick callbacks.
fn serve(pool: &PgPool) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Command::new(env!("CARGO_BIN_EXE_imserver"))
        .args(["serve", "--bind", "127.0.0.1", "--port", &port.to_string()])
        .env("DATABASE_URL", database_url(pool))
        .env("IMSERVER__SERVER__DEMO_APP", "false")
        .env("IMSERVER__CALLBACKS__POLL_MS", "10")
        .env("IMSERVER__CALLBACKS__TIMEOUT_MS", "1000")
        .env("IMSERVER__CALLBACKS__RETRY_BASE_MS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn an_event_survives_kill_9_of_the_instance_delivering_it(pool: PgPool) {
    // This server writes, and delivers nothing itself.
    let app = TestApp::spawn_with(pool.clone(), |s| s.callbacks.deliver = false).await;
    let receiver = Receiver::start().await;
    assert_eq!(
        app.post("/callbacks/rules", json!({"url": receiver.url}))
            .await
            .status,
        200
    );
    app.register(&["olga"]).await;
    receiver.hang(true);
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Committed; now an instance takes it, sends it, and dies before it hears back.
    let mut first = serve(&pool);
    let got = receiver.wait_got(1).await;
    let call_id = got[0].body["callId"].clone();
    first.kill().unwrap();
    first.wait().unwrap();
    receiver.hang(false);
    let started = Instant::now();
    let mut second = serve(&pool);
    let delivered = receiver.wait_delivered(1).await;
    assert_eq!(
        delivered[0]["callId"], call_id,
        "the same event, the same callId"
    );
    assert_eq!(delivered[0]["operation"], "CREATE");
    // Taken again once the dead instance's lease ran out (2 × 1 s timeout + 5 s).
    let waited = started.elapsed();
    assert!(
        waited > Duration::from_secs(3),
        "taken while leased: {waited:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = sqlx::query_scalar("select count(*) from callback_deliveries")
            .fetch_one(&pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the delivery was never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_cli_adds_lists_disables_enables_and_removes_rules(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let base = ["callback"];
    let run = |args: Vec<&'static str>| {
        let pool = pool.clone();
        async move {
            let all: Vec<&str> = base.iter().copied().chain(args).collect();
            imserver(&pool, &all).await
        }
    };
    let (ok, out, err) = run(vec![
        "add",
        "--org",
        "acme",
        "--app",
        "chat",
        "--url",
        "http://127.0.0.1:9/cb",
        "--events",
        "group",
        "--operations",
        "JOIN,leave",
        "--json",
    ])
    .await;
    assert!(ok, "{err}");
    let rule: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(rule["secret"].as_str().unwrap().len() >= 16, "{rule}");
    assert_eq!(rule["operations"], json!(["JOIN", "LEAVE"]));
    let id = rule["id"].as_str().unwrap().to_owned();
    let (ok, out, _) = run(vec!["list", "--org", "acme", "--app", "chat", "--json"]).await;
    assert!(ok);
    let listed: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(listed[0].get("secret").is_none());
    assert!(!out.contains(rule["secret"].as_str().unwrap()));
    for (cmd, enabled) in [("disable", false), ("enable", true)] {
        let args = [
            "callback", cmd, "--org", "acme", "--app", "chat", "--id", &id,
        ];
        let (ok, _, err) = imserver(&pool, &args).await;
        assert!(ok, "{err}");
        let r = app.get(&format!("/callbacks/rules/{id}")).await;
        assert_eq!(assert_envelope(&r, "get")["data"]["enabled"], enabled);
    }
    let (ok, out, _) = run(vec!["dead-letters", "--org", "acme", "--app", "chat"]).await;
    assert!(ok && out.contains("no dead letters"), "{out}");
    let (ok, out, err) = run(vec!["replay", "--org", "acme", "--app", "chat", "--all"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("0 dead letters"), "{out}");
    // Refusals: a bad URL, an unknown operation, an unknown app.
    for args in [
        vec!["add", "--org", "acme", "--app", "chat", "--url", "nope"],
        vec![
            "add",
            "--org",
            "acme",
            "--app",
            "chat",
            "--url",
            "http://x",
            "--operations",
            "SHIELD",
        ],
        vec!["add", "--org", "acme", "--app", "none", "--url", "http://x"],
    ] {
        let (ok, _, err) = run(args).await;
        assert!(!ok && !err.is_empty());
    }
    let args = [
        "callback", "remove", "--org", "acme", "--app", "chat", "--id", &id,
    ];
    let (ok, _, err) = imserver(&pool, &args).await;
    assert!(ok, "{err}");
    let r = app.get("/callbacks/rules").await;
    assert_eq!(assert_envelope(&r, "get")["data"], json!([]));
}
