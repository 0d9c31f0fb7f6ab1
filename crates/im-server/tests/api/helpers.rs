//! A real server on a free port over a fresh database, and a client for it.

use im_http::auth::Argon2Config;
use im_server::provision::{self, Credentials};
use im_server::settings::Settings;
use im_server::Application;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
    pub creds: Credentials,
    pub token: String,
}

pub fn test_settings() -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1".into();
    s.server.port = 0;
    s.server.workers = 1;
    s.server.body_limit_bytes = 64 * 1024;
    // Shared files out of the checkout; tests that look at the objects use a directory of their own.
    s.files.dir = std::env::temp_dir()
        .join("imserver-test-files")
        .to_string_lossy()
        .into_owned();
    // Cheap hashing keeps the suite fast; production defaults are tested in unit tests.
    s.auth.argon2 = Argon2Config {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
        ..Argon2Config::default()
    };
    s
}

/// The pool a test server runs on: the test's own; on a Citus cluster (`IMSERVER_TEST_CITUS=1`,
/// see `.ci/citus`) one whose sessions refuse every statement that would run on more than one
/// shard, so that a request that is not confined to its app's shard fails its test, and that
/// plan each statement for its values, as imserver's own sessions on Citus do.
pub fn served(pool: &PgPool) -> PgPool {
    if std::env::var("IMSERVER_TEST_CITUS").as_deref() != Ok("1") {
        return pool.clone();
    }
    let opts = (*pool.connect_options()).clone().options([
        ("citus.multi_task_query_log_level", "error"),
        ("plan_cache_mode", "force_custom_plan"),
    ]);
    let served = sqlx::postgres::PgPoolOptions::new()
        .max_connections(pool.options().get_max_connections())
        .connect_lazy_with(opts);
    // It closes with the test's pool, as the test's own pool would (the tests of a lost
    // database close theirs).
    let (base, mine) = (pool.clone(), served.clone());
    tokio::spawn(async move {
        base.close_event().await;
        mine.close().await;
    });
    served
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> TestApp {
        Self::spawn_with(pool, |_| {}).await
    }

    pub async fn spawn_with(pool: PgPool, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let served = served(&pool);
        Self::spawn_over(pool, served, tweak).await
    }

    /// A server whose own pool is `served` (for example one through a proxy), provisioned and
    /// checked through `pool`.
    pub async fn spawn_over(
        pool: PgPool,
        served: PgPool,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let mut settings = test_settings();
        tweak(&mut settings);
        let app = Application::build(&settings, served).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        let creds = provision::create_app(&pool, &state.hasher, "acme", "chat")
            .await
            .unwrap()
            .unwrap();
        let mut t = TestApp {
            base,
            client: reqwest::Client::new(),
            pool,
            creds,
            token: String::new(),
        };
        t.token = t.app_token_for(&t.creds.clone()).await;
        t
    }

    /// Provisions another app on the same server.
    pub async fn other_app(&self, org: &str, app: &str) -> Credentials {
        let hasher = im_http::auth::Hasher::new(test_settings().auth.argon2).unwrap();
        provision::create_app(&self.pool, &hasher, org, app)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn app_token_for(&self, c: &Credentials) -> String {
        let r = self
            .raw(
                Method::POST,
                &format!("/{}/{}/token", c.org, c.app),
                None,
                Some(json!({"grant_type": "client_credentials",
                            "client_id": c.client_id, "client_secret": c.client_secret})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["access_token"].as_str().unwrap().to_owned()
    }

    /// `/{org}/{app}` + `path`.
    pub fn path(&self, path: &str) -> String {
        format!("/{}/{}{}", self.creds.org, self.creds.app, path)
    }

    /// Sends a request to `base + path` with an optional bearer token and JSON body (sent with
    /// no Content-Type, as `curl -d` clients do).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut rb = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.body(b.to_string());
        }
        Self::reply(rb.send().await.unwrap()).await
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("non-JSON body ({e}) for {status}: {text}"))
        };
        Reply {
            status,
            body,
            headers,
        }
    }

    /// An app-token request under this app's `/{org}/{app}` prefix.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.raw(method, &self.path(path), Some(&self.token.clone()), body)
            .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Registers users with password `pw-<name>`.
    pub async fn register(&self, names: &[&str]) {
        let body: Vec<Value> = names
            .iter()
            .map(|n| json!({"username": n, "password": format!("pw-{n}")}))
            .collect();
        for chunk in body.chunks(60) {
            let r = self.post("/users", Value::Array(chunk.to_vec())).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }

    pub async fn user_token(&self, name: &str, password: &str) -> Reply {
        self.raw(
            Method::POST,
            &self.path("/token"),
            None,
            Some(json!({"grant_type": "password", "username": name, "password": password})),
        )
        .await
    }

    /// A user token's `access_token` (the grant must succeed).
    pub async fn user_access_token(&self, name: &str, password: &str) -> String {
        let r = self.user_token(name, password).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["access_token"].as_str().unwrap().to_owned()
    }
}

/// Asserts an Easemob error body with this status and `error`, and returns the description.
#[track_caller]
pub fn assert_error(r: &Reply, status: u16, error: &str) -> String {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["error"], error, "{}", r.body);
    for f in ["exception", "error_description"] {
        assert!(r.body[f].is_string(), "missing {f}: {}", r.body);
    }
    for f in ["timestamp", "duration"] {
        assert!(r.body[f].is_i64(), "missing {f}: {}", r.body);
    }
    r.body["error_description"].as_str().unwrap().to_owned()
}

/// The `error` of a refused operation.
pub const FORBIDDEN: &str = "forbidden_op";
/// The `error` of an unknown user or room on a write.
pub const NOT_FOUND: &str = "resource_not_found";
/// The description of the unknown user `ghost` the tests use.
pub const GHOST: &str = "username ghost doesn't exist!";

/// Asserts the 404 of the unknown user `ghost` the tests use.
#[track_caller]
pub fn assert_no_ghost(r: &Reply) {
    assert_refusal(r, 404, NOT_FOUND, GHOST);
}

/// Asserts the 404 of a write to the unknown room `id`.
#[track_caller]
pub fn assert_no_room(r: &Reply, id: &str) {
    assert_refusal(r, 404, NOT_FOUND, format!("grpID {id} does not exist!"));
}

/// Asserts an Easemob error body with this status, `error` and description.
#[track_caller]
pub fn assert_refusal(r: &Reply, status: u16, error: &str, description: impl AsRef<str>) {
    assert_eq!(assert_error(r, status, error), description.as_ref());
}

/// Asserts the common success envelope and returns its body.
#[track_caller]
pub fn assert_envelope<'a>(r: &'a Reply, action: &str) -> &'a Value {
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["action"], action, "{b}");
    for f in [
        "application",
        "uri",
        "path",
        "organization",
        "applicationName",
    ] {
        assert!(b[f].is_string(), "missing {f}: {b}");
    }
    assert!(b["entities"].is_array(), "{b}");
    assert!(b["timestamp"].is_i64() && b["duration"].is_i64(), "{b}");
    b
}

pub fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["username"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs `work` while reading `probe` every 2 ms: the work's output and the highest value read.
pub async fn with_highest<T>(
    work: impl std::future::Future<Output = T>,
    probe: impl AsyncFn() -> i64,
) -> (T, i64) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let done = AtomicBool::new(false);
    let watch = async {
        let mut highest = 0;
        while !done.load(Ordering::Relaxed) {
            highest = highest.max(probe().await);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        highest
    };
    futures_util::join!(
        async {
            let out = work.await;
            done.store(true, Ordering::Relaxed);
            out
        },
        watch
    )
}

impl TestApp {
    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}
