//! Overload and faults: load shedding with a prompt 429, slow clients, and database outages that
//! answer a prompt 503 and write nothing half-way.

use crate::chatrooms::create;
use crate::helpers::*;
use futures_util::future::join_all;
use im_http::auth::Argon2Config;
use reqwest::Method;
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn password_grants_past_the_hashing_queue_get_a_prompt_429_and_the_rest_are_right(
    pool: PgPool,
) {
    let app = TestApp::spawn_with(pool, |s| {
        // One worker, a queue of two, and a hash slow enough that requests overlap.
        s.auth.argon2 = Argon2Config {
            memory_kib: 8 * 1024,
            iterations: 3,
            parallelism: 1,
            workers: 1,
            queue: 2,
        };
    })
    .await;
    for name in ["ann", "ben"] {
        let r = app
            .post(
                "/users",
                json!({"username": name, "password": format!("pw-{name}")}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let attempts: Vec<(&str, String, bool)> = (0..24)
        .map(|i| {
            let user = if i % 2 == 0 { "ann" } else { "ben" };
            let right = i % 3 != 0;
            let pw = if right {
                format!("pw-{user}")
            } else {
                "wrong".into()
            };
            (user, pw, right)
        })
        .collect();
    let app = &app;
    let replies = join_all(
        attempts
            .iter()
            .map(|(u, pw, _)| async move { app.user_token(u, pw).await }),
    )
    .await;
    let mut shed = 0;
    for ((user, _, right), r) in attempts.iter().zip(&replies) {
        match r.status.as_u16() {
            429 => {
                let d = assert_error(r, 429, "reach_limit");
                assert_eq!(d, "This request has reached api limit");
                assert_eq!(r.headers["retry-after"], "1");
                shed += 1;
            }
            200 => {
                assert!(right, "a wrong password got a token");
                assert_eq!(r.body["user"]["username"], *user);
            }
            400 => {
                assert!(!right, "a right password was refused: {}", r.body);
                assert_error(r, 400, "invalid_grant");
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert!(shed > 0, "nothing was shed");
    assert!(shed < replies.len(), "everything was shed");
    // Once the burst is over the pool answers again.
    assert_eq!(app.user_token("ann", "pw-ann").await.status, 200);
}

/// Opens a connection and sends headers that promise a body it never finishes.
async fn stalled_upload(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{\"user",
        app.path("/users"),
        app.token
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_client_that_never_finishes_its_body_gets_408_and_frees_its_place(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| {
        s.guards.body_timeout_secs = 1;
        s.guards.max_inflight = 1;
    })
    .await;
    let mut slow = stalled_upload(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The stalled request holds the only place in flight.
    let r = app.get("/users").await;
    assert_error(&r, 429, "reach_limit");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("the server answered the slow client")
        .ok();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    let r = app.get("/users").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A TCP proxy in front of PostgreSQL that a test can cut: `reset` drops every connection (as a
/// restart does), `stop` also closes the port (as a stopped server does), `start` opens it again.
struct Proxy {
    port: u16,
    target: String,
    inner: Arc<Mutex<ProxyTasks>>,
}

#[derive(Default)]
struct ProxyTasks {
    accept: Option<JoinHandle<()>>,
    conns: Vec<JoinHandle<()>>,
}

impl Proxy {
    async fn start_for(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = Proxy {
            port,
            target,
            inner: Arc::default(),
        };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: TcpListener) {
        let inner = self.inner.clone();
        let target = self.target.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                inner.lock().unwrap().conns.push(conn);
            }
        });
        self.inner.lock().unwrap().accept = Some(accept);
    }

    fn reset(&self) {
        for c in self.inner.lock().unwrap().conns.drain(..) {
            c.abort();
        }
    }

    fn stop(&self) {
        if let Some(a) = self.inner.lock().unwrap().accept.take() {
            a.abort();
        }
        self.reset();
    }

    async fn start(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot reopen the proxy port: {e}"),
            }
        };
        self.serve(listener);
    }
}

/// A server whose pool reaches the test database through a proxy, with a pool timeout far longer
/// than any answer the test accepts: a prompt 503 cannot come from that timeout.
async fn app_behind_proxy(pool: PgPool) -> (TestApp, Proxy) {
    let opts = (*pool.connect_options()).clone();
    let proxy = Proxy::start_for(format!("127.0.0.1:{}", opts.get_port())).await;
    let served = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect_lazy_with(opts.port(proxy.port));
    let app = TestApp::spawn_over(pool, served, |_| {}).await;
    (app, proxy)
}

async fn timed_get(app: &TestApp, path: &str) -> (Reply, Duration) {
    let t = Instant::now();
    let r = app
        .raw(Method::GET, path, Some(&app.token.clone()), None)
        .await;
    (r, t.elapsed())
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_database_restart_under_load_answers_503_never_500_and_writes_nothing_half_way(
    pool: PgPool,
) {
    let (app, proxy) = app_behind_proxy(pool).await;
    let members: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    app.register(&["owner"]).await;
    app.register(&refs).await;
    let id = create(
        &app,
        json!({"name": "r", "description": "d", "owner": "owner", "maxusers": 100}),
    )
    .await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(Vec::<(u16, String)>::new()));
    let load = (0..8).map(|w| {
        let app = &app;
        let id = id.clone();
        let members = members.clone();
        let stop = stop.clone();
        let statuses = statuses.clone();
        async move {
            let mut i = w;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let m = &members[i % members.len()];
                let r = match i % 3 {
                    0 => {
                        app.post(&format!("/chatrooms/{id}/users"), json!({"usernames": [m]}))
                            .await
                    }
                    1 => app.delete(&format!("/chatrooms/{id}/users/{m}")).await,
                    _ => app.get(&format!("/users/{m}")).await,
                };
                let err = r.body["error"].as_str().unwrap_or("").to_owned();
                statuses.lock().unwrap().push((r.status.as_u16(), err));
                i += 8;
            }
        }
    });
    let chaos = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        for _ in 0..3 {
            proxy.reset();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    futures_util::join!(join_all(load), chaos);
    let statuses = statuses.lock().unwrap().clone();
    assert!(
        statuses.iter().any(|(s, _)| *s == 200),
        "no request succeeded"
    );
    for (status, error) in &statuses {
        assert!(
            matches!(status, 200 | 400 | 403 | 404 | 409 | 503),
            "status {status} ({error}) during a restart"
        );
        if *status == 503 {
            assert_eq!(error, "service_unavailable");
        }
    }
    // Once the database answers again, so does the server, and nothing is half-written.
    let mut ready = false;
    for _ in 0..40 {
        if app.raw(Method::GET, "/ready", None, None).await.status == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the server did not become ready again");
    let (rows, count): (i64, i32) = sqlx::query_as(
        "select (select count(*) from room_members where room_id = $1),
                (select member_count from rooms where id = $1)",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows, i64::from(count), "member count differs from rows");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_stopped_database_answers_a_prompt_503_and_ready_answers_within_a_second(pool: PgPool) {
    let (app, proxy) = app_behind_proxy(pool).await;
    app.register(&["ann"]).await;
    let (r, _) = timed_get(&app, &app.path("/users/ann")).await;
    assert_eq!(r.status, 200);

    proxy.stop();
    // Idle when the database went away: the first request waits at most for the watchdog,
    // never for the 30 s pool timeout.
    let (r, took) = timed_get(&app, &app.path("/users/ann")).await;
    assert_error(&r, 503, "service_unavailable");
    assert_eq!(r.headers["retry-after"], "1");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // Now every request, and readiness, answer at once.
    for _ in 0..5 {
        let (r, took) = timed_get(&app, &app.path("/users/ann")).await;
        assert_error(&r, 503, "service_unavailable");
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
    let t = Instant::now();
    let r = app.raw(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, 503);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "ready took {:?}",
        t.elapsed()
    );
    let r = app
        .post("/users", json!({"username": "late", "password": "pw"}))
        .await;
    assert_error(&r, 503, "service_unavailable");

    proxy.start().await;
    let mut back = false;
    for _ in 0..50 {
        if app.raw(Method::GET, "/ready", None, None).await.status == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "not ready after the database came back");
    let (r, _) = timed_get(&app, &app.path("/users/ann")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let late: i64 = sqlx::query_scalar("select count(*) from users where username = 'late'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(late, 0, "a refused registration was written");
}
