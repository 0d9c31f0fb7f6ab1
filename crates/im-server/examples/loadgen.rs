//! A small load generator for a running imserver (loopback only). It prints requests/s and
//! latency percentiles; it asserts nothing. Run against a release build:
//!
//! ```sh
//! imserver app create --org bench --app bench --json > /tmp/creds.json
//! cargo run --release --example loadgen -- http://127.0.0.1:8080 /tmp/creds.json auth
//! # rooms need maxusers above the size: IMSERVER__LIMITS__CHATROOM_MAXUSERS_CEILING=200000
//! cargo run --release --example loadgen -- http://127.0.0.1:8080 /tmp/creds.json rooms 1000 100000
//! ```
//!
//! `auth`: `POST /token` and `GET /users/{u}` with 32 concurrent clients for 10 s each.
//! `rooms N...` / `groups N...`: for each size N, fills a chatroom (group) to N members with
//! 60-name batch adds, then times add one, remove one, member pages (page form and cursor form,
//! first and deep page) and details. Large groups need
//! `IMSERVER__LIMITS__GROUP_MAXUSERS_CEILING=200000`.
//! `joined-rooms N` / `joined-groups N`: one user in N rooms; times its first and last page.
//! `threads N`: a group with N threads, all of them created by one user (so that user is in N
//! threads); times create, the first and last page (limit 50) of the app's threads, the user's
//! threads and the user's threads in the group, and joins and kicks of 10 users.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Ctx {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Ctx {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut rb = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.body(b.to_string());
        }
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn report(label: &str, mut samples: Vec<Duration>, wall: Duration) {
    samples.sort();
    println!(
        "{label:<44} n={:<6} {:>9.1} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms",
        samples.len(),
        samples.len() as f64 / wall.as_secs_f64(),
        percentile(&samples, 0.50).as_secs_f64() * 1000.0,
        percentile(&samples, 0.99).as_secs_f64() * 1000.0,
    );
}

/// Runs `op` from `workers` concurrent tasks for `secs` seconds.
async fn run_for<F, Fut>(label: &str, workers: usize, secs: u64, op: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let errors = Arc::new(AtomicUsize::new(0));
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let op = op.clone();
        let errors = errors.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                if !op(i).await {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                samples.push(t.elapsed());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    report(label, all, start.elapsed());
    let e = errors.load(Ordering::Relaxed);
    if e > 0 {
        println!("    ({e} requests did not answer as expected)");
    }
}

/// Times `n` sequential calls of `op`.
async fn timed<F, Fut>(label: &str, n: usize, mut op: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        op(i).await;
        samples.push(t.elapsed());
    }
    report(label, samples, start.elapsed());
}

async fn register(ctx: &Ctx, names: &[String]) {
    for chunk in names.chunks(60) {
        let body: Vec<Value> = chunk
            .iter()
            .map(|n| json!({"username": n, "password": "pw"}))
            .collect();
        let body = Value::Array(body);
        loop {
            let (s, b) = ctx.send(reqwest::Method::POST, "/users", Some(&body)).await;
            // Hashing is bounded: a 429 is retried after its Retry-After, as clients should.
            if s == 429 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            assert_eq!(s, 200, "{b}");
            break;
        }
    }
}

async fn auth(ctx: Arc<Ctx>, creds: Value) {
    register(&ctx, &["bench_user".to_owned()]).await;
    let body = json!({"grant_type": "client_credentials",
        "client_id": creds["client_id"], "client_secret": creds["client_secret"]});
    let c = ctx.clone();
    run_for("POST /token (client_credentials)", 32, 10, move |_| {
        let c = c.clone();
        let body = body.clone();
        async move {
            let r = c
                .client
                .post(format!("{}/token", c.base))
                .body(body.to_string())
                .send()
                .await;
            matches!(r, Ok(r) if r.status() == 200)
        }
    })
    .await;
    let c = ctx.clone();
    run_for("GET /users/{username}", 32, 10, move |_| {
        let c = c.clone();
        async move {
            c.send(reqwest::Method::GET, "/users/bench_user", None)
                .await
                .0
                == 200
        }
    })
    .await;
}

/// Which face of the room core to load: its path prefix, how to create one, where the new id is.
#[derive(Clone, Copy)]
struct Face {
    prefix: &'static str,
    group: bool,
}

impl Face {
    fn create_body(self, name: &str, owner: &str, maxusers: usize, members: &[&String]) -> Value {
        if self.group {
            json!({"groupname": name, "description": "bench", "public": true, "owner": owner,
                   "maxusers": maxusers, "members": members})
        } else {
            json!({"name": name, "description": "bench", "owner": owner, "maxusers": maxusers,
                   "members": members})
        }
    }

    fn id_of(self, b: &Value) -> String {
        let field = if self.group { "groupid" } else { "id" };
        b["data"][field].as_str().unwrap().to_owned()
    }
}

async fn rooms(ctx: Arc<Ctx>, face: Face, sizes: Vec<usize>) {
    let max = sizes.iter().copied().max().unwrap_or(0);
    let names: Vec<String> = (0..max + 200).map(|i| format!("m{i:06}")).collect();
    let (s, b) = ctx
        .send(
            reqwest::Method::GET,
            &format!("/users/{}", names[max + 199]),
            None,
        )
        .await;
    if s != 200 {
        println!("registering {} users…", names.len());
        let t = Instant::now();
        // Register in parallel streams.
        let chunks: Vec<Vec<String>> = names
            .chunks(names.len().div_ceil(8))
            .map(|c| c.to_vec())
            .collect();
        let mut tasks = Vec::new();
        for chunk in chunks {
            let c = ctx.clone();
            tasks.push(tokio::spawn(async move { register(&c, &chunk).await }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        println!("registered in {:.1} s", t.elapsed().as_secs_f64());
    } else {
        let _ = b;
    }
    for size in sizes {
        println!("--- {} with {size} members", face.prefix);
        let (s, b) = ctx
            .send(
                reqwest::Method::POST,
                face.prefix,
                Some(&face.create_body(&format!("bench {size}"), &names[0], size + 200, &[])),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let id = face.id_of(&b);
        let fill: Vec<&String> = names[1..size].iter().collect();
        let start = Instant::now();
        let mut samples = Vec::new();
        for chunk in fill.chunks(60) {
            let t = Instant::now();
            let (s, b) = ctx
                .send(
                    reqwest::Method::POST,
                    &format!("{}/{id}/users", face.prefix),
                    Some(&json!({"usernames": chunk})),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            samples.push(t.elapsed());
        }
        let fill_time = start.elapsed();
        report(
            "fill: POST /chatrooms/{id}/users (60/batch)",
            samples,
            fill_time,
        );
        println!("    filled to {size} in {:.1} s", fill_time.as_secs_f64());
        measure(&ctx, face, &id, size, &names[max..max + 200]).await;
        if let Some(secs) = std::env::var("LOADGEN_SETTLE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            println!("    (waiting {secs} s for autovacuum to analyze, then again)");
            tokio::time::sleep(Duration::from_secs(secs)).await;
            measure(&ctx, face, &id, size, &names[max..max + 200]).await;
        }
    }
}

/// One user in `n` rooms: fills them (each created with the user as its one member, owners
/// spread so that nobody else reaches the join limit), then times the user's first and last
/// page of joined rooms (20 per page).
async fn joined(ctx: Arc<Ctx>, face: Face, n: usize) {
    let owners: Vec<String> = (0..n.div_ceil(100)).map(|i| format!("jo{i:05}")).collect();
    let mut all = owners.clone();
    all.push("joiner".into());
    register(&ctx, &all).await;
    let joiner = "joiner".to_owned();
    let t = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, next, owners, joiner) = (ctx.clone(), next.clone(), owners.clone(), joiner.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let body = face.create_body(&format!("j{i}"), &owners[i / 100], 10, &[&joiner]);
                let (s, b) = c
                    .send(reqwest::Method::POST, face.prefix, Some(&body))
                    .await;
                assert_eq!(s, 200, "{b}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "--- one user in {n} rooms of {} (made in {:.1} s)",
        face.prefix,
        t.elapsed().as_secs_f64()
    );
    let path = if face.group {
        "/chatgroups/users/joiner".to_owned()
    } else {
        "/users/joiner/joined_chatrooms".to_owned()
    };
    let last = n.div_ceil(20);
    for (label, p) in [
        (
            "joined, first page (pagesize=20)",
            format!("{path}?pagenum=1&pagesize=20"),
        ),
        (
            "joined, last page (pagesize=20)",
            format!("{path}?pagenum={last}&pagesize=20"),
        ),
    ] {
        timed(label, 200, |_| {
            let c = ctx.clone();
            let p = p.clone();
            async move {
                let (s, b) = c.send(reqwest::Method::GET, &p, None).await;
                assert_eq!(s, 200, "{b}");
            }
        })
        .await;
    }
}

/// Times single-member and read operations on a filled room.
async fn measure(ctx: &Arc<Ctx>, face: Face, id: &str, size: usize, spare: &[String]) {
    let pre = face.prefix;
    {
        let id = id.to_owned();

        // Add the spare users one by one, then remove them again.
        for (label, method) in [
            ("add one (POST /users/{u})", reqwest::Method::POST),
            ("remove one (DELETE /users/{u})", reqwest::Method::DELETE),
        ] {
            timed(label, 200, |i| {
                let c = ctx.clone();
                let (id, u, m) = (id.clone(), spare[i].clone(), method.clone());
                async move {
                    let (s, b) = c.send(m, &format!("{pre}/{id}/users/{u}"), None).await;
                    assert_eq!(s, 200, "{b}");
                }
            })
            .await;
        }
        let deep = (size / 100).max(1);
        for (label, path) in [
            (
                "page form, first page (pagesize=100)",
                format!("{pre}/{id}/users?pagenum=1&pagesize=100"),
            ),
            (
                "page form, last page (pagesize=100)",
                format!("{pre}/{id}/users?pagenum={deep}&pagesize=100"),
            ),
            (
                "cursor form, first page (limit=100)",
                format!("{pre}/{id}/users?version=v3&limit=100"),
            ),
            ("details (GET /{id})", format!("{pre}/{id}")),
        ] {
            timed(label, 200, |_| {
                let c = ctx.clone();
                let p = path.clone();
                async move {
                    let (s, b) = c.send(reqwest::Method::GET, &p, None).await;
                    assert_eq!(s, 200, "{b}");
                }
            })
            .await;
        }
        // A deep page of the cursor form: walk to the last page once, then time that page.
        let mut cursor: Option<String> = None;
        let mut last_cursor = None;
        loop {
            let p = match &cursor {
                Some(c) => format!("{pre}/{id}/users?version=v3&limit=100&cursor={c}"),
                None => format!("{pre}/{id}/users?version=v3&limit=100"),
            };
            let (_, b) = ctx.send(reqwest::Method::GET, &p, None).await;
            match b["cursor"].as_str() {
                Some(c) => {
                    last_cursor = cursor.take();
                    cursor = Some(c.to_owned());
                }
                None => break,
            }
        }
        if let Some(c) = cursor.or(last_cursor) {
            let path = format!("{pre}/{id}/users?version=v3&limit=100&cursor={c}");
            timed("cursor form, last page (limit=100)", 200, |_| {
                let c = ctx.clone();
                let p = path.clone();
                async move {
                    let (s, b) = c.send(reqwest::Method::GET, &p, None).await;
                    assert_eq!(s, 200, "{b}");
                }
            })
            .await;
        }
    }
}

/// Times `n` GETs of `path`.
async fn timed_get(ctx: &Arc<Ctx>, label: &str, n: usize, path: String) {
    timed(label, n, |_| {
        let (c, p) = (ctx.clone(), path.clone());
        async move {
            let (s, b) = c.send(reqwest::Method::GET, &p, None).await;
            assert_eq!(s, 200, "{b}");
        }
    })
    .await;
}

/// The `properties.cursor` of the last page of a thread list (walked once).
async fn last_thread_page(ctx: &Ctx, path: &str) -> String {
    let (mut cursor, mut previous) = (None::<String>, None::<String>);
    loop {
        let c = cursor
            .as_deref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (s, b) = ctx
            .send(reqwest::Method::GET, &format!("{path}?limit=50{c}"), None)
            .await;
        assert_eq!(s, 200, "{b}");
        match b["properties"]["cursor"].as_str() {
            Some(next) => previous = cursor.replace(next.to_owned()),
            None => break,
        }
    }
    let last = cursor
        .or(previous)
        .map(|c| format!("&cursor={c}"))
        .unwrap_or_default();
    format!("{path}?limit=50{last}")
}

async fn threads(ctx: Arc<Ctx>, n: usize) {
    let members: Vec<String> = (0..100).map(|i| format!("tm{i:03}")).collect();
    let mut all = members.clone();
    all.extend(["towner".to_owned(), "tuser".to_owned()]);
    register(&ctx, &all).await;
    let body = json!({"groupname": "threads", "description": "bench", "public": true,
                      "owner": "towner", "maxusers": 1000, "members": ["tuser"]});
    let (s, b) = ctx
        .send(reqwest::Method::POST, "/chatgroups", Some(&body))
        .await;
    assert_eq!(s, 200, "{b}");
    let group = b["data"]["groupid"].as_str().unwrap().to_owned();
    for chunk in members.chunks(50) {
        let body = json!({ "usernames": chunk });
        let path = format!("/chatgroups/{group}/users");
        let (s, b) = ctx.send(reqwest::Method::POST, &path, Some(&body)).await;
        assert_eq!(s, 200, "{b}");
    }
    println!("--- a group with {n} threads, one user in all of them");
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, next, group) = (ctx.clone(), next.clone(), group.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return (samples, ids);
                }
                let body = json!({"group_id": group, "name": format!("t{i}"), "owner": "tuser",
                                  "msg_id": i.to_string()});
                let t = Instant::now();
                let (s, b) = c.send(reqwest::Method::POST, "/thread", Some(&body)).await;
                samples.push(t.elapsed());
                assert_eq!(s, 200, "{b}");
                ids.push(b["data"]["thread_id"].as_str().unwrap().to_owned());
            }
        }));
    }
    let (mut samples, mut ids) = (Vec::new(), Vec::new());
    for t in tasks {
        let (s, i) = t.await.unwrap();
        samples.extend(s);
        ids.extend(i);
    }
    report("create (POST /thread, 8 clients)", samples, start.elapsed());
    timed("create (POST /thread, 1 client)", 200, |i| {
        let c = ctx.clone();
        let body = json!({"group_id": group, "name": format!("s{i}"), "owner": "tuser",
                          "msg_id": i.to_string()});
        async move {
            let (s, b) = c.send(reqwest::Method::POST, "/thread", Some(&body)).await;
            assert_eq!(s, 200, "{b}");
        }
    })
    .await;
    for (label, path) in [
        ("app's threads", "/thread".to_owned()),
        ("user's threads", "/threads/user/tuser".to_owned()),
        (
            "user's threads in the group",
            format!("/threads/chatgroups/{group}/user/tuser"),
        ),
    ] {
        timed_get(
            &ctx,
            &format!("{label}, first page (limit=50)"),
            200,
            format!("{path}?limit=50"),
        )
        .await;
        let last = last_thread_page(&ctx, &path).await;
        timed_get(&ctx, &format!("{label}, last page (limit=50)"), 200, last).await;
    }
    for (label, method, path) in [
        (
            "join 10 (POST /thread/{id}/users)",
            reqwest::Method::POST,
            "thread",
        ),
        (
            "kick 10 (DELETE /threads/{id}/users)",
            reqwest::Method::DELETE,
            "threads",
        ),
    ] {
        timed(label, 200, |i| {
            let c = ctx.clone();
            let m = method.clone();
            let p = format!("/{path}/{}/users", ids[i % ids.len()]);
            let body = json!({"usernames": members[(i % 10) * 10..(i % 10) * 10 + 10]});
            async move {
                let (s, b) = c.send(m, &p, Some(&body)).await;
                assert_eq!(s, 200, "{b}");
            }
        })
        .await;
    }
}

fn face_of(scenario: &str) -> Face {
    if scenario.contains("groups") {
        Face {
            prefix: "/chatgroups",
            group: true,
        }
    } else {
        Face {
            prefix: "/chatrooms",
            group: false,
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!(
            "usage: loadgen BASE_URL CREDS_JSON (auth | rooms N... | groups N... | joined-rooms N | joined-groups N | threads N)"
        );
        std::process::exit(2);
    }
    let creds: Value = serde_json::from_str(&std::fs::read_to_string(&args[2]).unwrap()).unwrap();
    let base = format!(
        "{}/{}/{}",
        args[1].trim_end_matches('/'),
        creds["org"].as_str().unwrap(),
        creds["app"].as_str().unwrap()
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let r: Value = client
        .post(format!("{base}/token"))
        .body(
            json!({"grant_type": "client_credentials",
            "client_id": creds["client_id"], "client_secret": creds["client_secret"]})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = r["access_token"].as_str().expect("token").to_owned();
    let ctx = Arc::new(Ctx {
        client,
        base,
        token,
    });
    match args[3].as_str() {
        "auth" => auth(ctx, creds).await,
        "rooms" | "groups" => {
            let face = face_of(&args[3]);
            let sizes = args[4..].iter().map(|s| s.parse().unwrap()).collect();
            rooms(ctx, face, sizes).await
        }
        "joined-rooms" | "joined-groups" => {
            let face = face_of(&args[3]);
            joined(ctx, face, args[4].parse().unwrap()).await
        }
        "threads" => threads(ctx, args[4].parse().unwrap()).await,
        other => {
            eprintln!("unknown scenario {other}");
            std::process::exit(2);
        }
    }
}
