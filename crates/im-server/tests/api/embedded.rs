//! The default setup: with no database configured and nothing usable at the default address,
//! `imserver` runs a private PostgreSQL of its own, stops it when it stops, and finds it again.

use crate::cli::database_url;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh directory under the system temp dir (short, so the socket path fits), removed on
/// drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!(
            "imsrv-{tag}-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

/// `imserver ARGS` with no database configured: the default address is a free port where
/// nothing answers, the private server lives in `dir/pg`.
fn unconfigured(dir: &Path, args: &[&str]) -> Command {
    let mut c = bare(args);
    c.env("IMSERVER__DATABASE__EMBEDDED_DIR", dir.join("pg"));
    c
}

/// `imserver ARGS` with no database setting at all, and the default address a free port where
/// nothing answers (PostgreSQL stopped, as far as imserver can tell).
fn bare(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_imserver"));
    c.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("IMSERVER__DATABASE__URL")
        .env_remove("IMSERVER__DATABASE__EMBEDDED_DIR")
        .env(
            "IMSERVER__DATABASE__DEFAULT_URL",
            format!("postgres://postgres@127.0.0.1:{}/imserver", free_port()),
        )
        .env("IMSERVER__AUTH__ARGON2__MEMORY_KIB", "256")
        .env("IMSERVER__AUTH__ARGON2__ITERATIONS", "1");
    c
}

/// A running `imserver serve`, with its stdout lines.
struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    base: String,
}

impl Served {
    fn start(dir: &Path) -> Served {
        let port = free_port();
        Self::spawn(
            unconfigured(dir, &["serve", "--port", &port.to_string()]),
            port,
        )
    }

    fn spawn(mut command: Command, port: u16) -> Served {
        let mut child = command
            .arg("--bind")
            .arg("127.0.0.1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // What it prints and what it logs, as lines in one stream.
        let (tx, lines) = mpsc::channel();
        let out: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().unwrap());
        let err: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [out, err] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Served {
            child,
            lines,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Waits for `/ready` (initdb on a busy machine takes a while) and answers its body.
    async fn ready(&mut self, client: &reqwest::Client) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("imserver exited before it was ready: {status}");
            }
            if let Ok(r) = client.get(format!("{}/ready", self.base)).send().await {
                if r.status() == 200 {
                    return r.json().await.unwrap();
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("imserver was not ready within 120 s");
    }

    /// The lines printed up to the first that contains `needle` (within 30 s).
    fn printed_until(&self, needle: &str) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) {
            let done = line.contains(needle);
            out.push(line);
            if done {
                return out;
            }
        }
        panic!("{needle} was never printed: {out:?}");
    }

    /// SIGTERM, then waits for a clean exit; answers every line printed that was not read yet.
    fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "imserver exited with {status}");
                break;
            }
            assert!(Instant::now() < deadline, "imserver did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
        // The reader ends at the end of the output, so this is all of it.
        self.lines.iter().collect()
    }
}

fn credential(lines: &[String], key: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {lines:?}"))
        .trim()
        .to_owned()
}

async fn token(client: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    token_of(client, &format!("{base}/demo/demo"), id, secret).await
}

/// An app token of the app at `app_base` (`http://…/{org}/{app}`).
async fn token_of(client: &reqwest::Client, app_base: &str, id: &str, secret: &str) -> String {
    let r: Value = client
        .post(format!("{app_base}/token"))
        .json(
            &json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

#[tokio::test]
async fn with_nothing_configured_a_private_postgres_serves_and_keeps_the_data_across_restarts() {
    let dir = Scratch::new("emb");
    let client = reqwest::Client::new();

    let mut first = Served::start(&dir.0);
    let ready = first.ready(&client).await;
    let db = ready["database"].as_str().unwrap_or_default().to_owned();
    assert!(db.starts_with("private PostgreSQL in "), "{ready}");
    assert!(db.contains(&dir.0.join("pg").display().to_string()), "{db}");
    assert!(dir.0.join("pg/PG_VERSION").is_file());
    let printed = first.printed_until("client_secret:");
    let (id, secret) = (
        credential(&printed, "client_id"),
        credential(&printed, "client_secret"),
    );
    let tok = token(&client, &first.base, &id, &secret).await;
    let r = client
        .post(format!("{}/demo/demo/users", first.base))
        .bearer_auth(&tok)
        .json(&json!({"username": "keeper", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    first.stop();
    assert!(
        !dir.0.join("pg/postmaster.pid").exists(),
        "the private PostgreSQL was not stopped"
    );

    let mut second = Served::start(&dir.0);
    second.ready(&client).await;
    let tok = token(&client, &second.base, &id, &secret).await;
    let r = client
        .get(format!("{}/demo/demo/users/keeper", second.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let printed = second.stop();
    assert!(
        !printed.iter().any(|l| l.contains("a demo app was created")),
        "a second demo app was created: {printed:?}"
    );
    assert!(!dir.0.join("pg/postmaster.pid").exists());
}

#[tokio::test]
async fn without_postgres_binaries_the_error_is_one_line_naming_the_package() {
    let dir = Scratch::new("nobin");
    let out = unconfigured(&dir.0, &["migrate"])
        .env("IMSERVER__DATABASE__EMBEDDED_BIN_DIR", dir.0.join("none"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("imserver: "), "{err}");
    assert!(
        last.contains("install the PostgreSQL server package"),
        "{last}"
    );
    assert!(last.contains("postgresql"), "{last}");
    assert!(!dir.0.join("pg").exists(), "something was created");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_configured_url_starts_no_private_server(pool: PgPool) {
    let dir = Scratch::new("conf");
    let out = unconfigured(&dir.0, &["migrate"])
        .env("DATABASE_URL", database_url(&pool))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("configured postgres://"), "{err}");
    assert!(!dir.0.join("pg").exists(), "a private server was set up");
}

/// A private PostgreSQL an earlier run left running in /var/lib/imserver/postgres (a killed
/// test, an interrupted quick start) would be found and used, not started, so not stopped: this
/// test checks the start and the stop, so it stops such a leftover first.
fn stop_leftover_root_server() {
    let root = Path::new("/var/lib/imserver/postgres");
    if !root.join("postmaster.pid").exists() {
        return;
    }
    let Some(pg_ctl) = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|v| v.path().join("bin/pg_ctl"))
        .find(|p| p.is_file())
    else {
        return;
    };
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(pg_ctl)
        .args([
            "-D",
            "/var/lib/imserver/postgres",
            "stop",
            "-m",
            "fast",
            "-w",
        ])
        .status();
    eprintln!("stopped a leftover private PostgreSQL: {status:?}");
}

/// Whether this process runs as root.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// As root in a directory the `postgres` account cannot enter (a `mktemp -d` directory, anything
/// under `/root`), the private PostgreSQL lives in /var/lib/imserver/postgres: it serves a token
/// and keeps the data across a restart. Apps there may come from earlier runs, so this test
/// makes its own with the CLI, from the same directory.
#[tokio::test]
async fn as_root_in_a_closed_directory_the_private_postgres_lives_where_postgres_can_reach() {
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        eprintln!("skipped: this test runs only as root");
        return;
    }
    let dir = Scratch::new("root");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    stop_leftover_root_server();
    let client = reqwest::Client::new();
    let in_dir = |args: &[&str]| {
        let mut c = bare(args);
        c.current_dir(&dir.0);
        c
    };
    let port = free_port();
    let mut first = Served::spawn(in_dir(&["serve", "--port", &port.to_string()]), port);
    let ready = first.ready(&client).await;
    let db = ready["database"].as_str().unwrap_or_default().to_owned();
    assert!(
        db.starts_with("private PostgreSQL in /var/lib/imserver/postgres"),
        "{ready}"
    );
    let org = format!("root{}", rand_suffix());
    let out = in_dir(&["app", "create", "--org", &org, "--app", "a", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let creds: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) = (
        creds["client_id"].as_str().unwrap(),
        creds["client_secret"].as_str().unwrap(),
    );
    let app_base = format!("{}/{org}/a", first.base);
    let tok = token_of(&client, &app_base, id, secret).await;
    let r = client
        .post(format!("{app_base}/users"))
        .bearer_auth(&tok)
        .json(&json!({"username": "keeper", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let printed = first.stop();
    assert!(
        printed
            .iter()
            .any(|l| l.contains("running as root") && l.contains("/var/lib/imserver/postgres")),
        "the log does not say where the data went: {printed:?}"
    );
    assert!(!Path::new("/var/lib/imserver/postgres/postmaster.pid").exists());
    assert!(
        !dir.0.join("imserver-data/postgres").exists(),
        "a data directory was made where postgres cannot reach"
    );

    let port = free_port();
    let mut second = Served::spawn(in_dir(&["serve", "--port", &port.to_string()]), port);
    second.ready(&client).await;
    let app_base = format!("{}/{org}/a", second.base);
    let tok = token_of(&client, &app_base, id, secret).await;
    let r = client
        .get(format!("{app_base}/users/keeper"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    second.stop();
}

/// A configured data directory the `postgres` account cannot enter is one line that says what
/// to set, and nothing is made.
#[tokio::test]
async fn as_root_a_configured_directory_postgres_cannot_enter_is_one_line_saying_what_to_set() {
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        eprintln!("skipped: this test runs only as root");
        return;
    }
    let dir = Scratch::new("rootconf");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = unconfigured(&dir.0, &["migrate"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("imserver: "), "{err}");
    assert!(last.contains("database.embedded_dir"), "{last}");
    assert!(last.contains("/var/lib/imserver/postgres"), "{last}");
    assert!(!dir.0.join("pg").exists(), "something was created");
}
