//! Which PostgreSQL to use, and the private one for the default setup.
//!
//! A configured `database.url` always wins and starts nothing. Without one, a login at
//! `database.default_url` (the usual local server) is tried; when nothing answers there or the
//! login is refused, imserver runs its own PostgreSQL from the binaries installed on the machine:
//! `initdb` into `database.embedded_dir` once, then `postgres` as a child process listening on a
//! Unix socket only (no TCP port), stopped with `pg_ctl stop -m fast` when imserver stops. A
//! private server left running (imserver killed, or another imserver command using it) is found
//! through its socket and used as it is. Nothing is ever downloaded.
//!
//! As root, PostgreSQL runs as the `postgres` account, which often cannot enter the working
//! directory (anything under `/root`, a `mktemp -d` directory): the data then lives in
//! [`ROOT_DIR`] instead, and the log says so.

use crate::settings::DatabaseSettings;
use anyhow::{bail, Context};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The database imserver uses: its URL, a description for logs and `/ready` (never a password),
/// and the private server when imserver started one.
pub struct Database {
    pub url: String,
    pub label: String,
    private: Option<PrivateServer>,
}

impl Database {
    /// Stops the private server when this process started it.
    pub fn stop(self) {
        if let Some(p) = self.private {
            p.stop();
        }
    }
}

/// Picks the database by the rule in the module documentation.
pub async fn resolve(db: &DatabaseSettings) -> anyhow::Result<Database> {
    if let Some(url) = db.url.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok(Database {
            url: url.to_owned(),
            label: format!("configured {}", redact(url)),
            private: None,
        });
    }
    match login_works(&db.default_url).await {
        Ok(()) => {
            return Ok(Database {
                url: db.default_url.clone(),
                label: format!("default {}", redact(&db.default_url)),
                private: None,
            })
        }
        Err(why) => tracing::info!(
            address = %redact(&db.default_url),
            reason = %why,
            "no usable PostgreSQL at the default address; using the private one"
        ),
    }
    let account = Account::current()?;
    let dir = data_dir(db.embedded_dir.as_deref(), account)?;
    let bin = find_binaries(db.embedded_bin_dir.as_deref().map(Path::new))?;
    let server = PrivateServer::start(&bin, &dir, account).await?;
    let url = format!(
        "postgres://postgres@localhost/imserver?host={}",
        encode(&server.socket_dir.to_string_lossy())
    );
    let label = format!(
        "private PostgreSQL in {} (socket {})",
        dir.display(),
        server.socket_dir.display()
    );
    Ok(Database {
        url,
        label,
        private: server.owned.then_some(server),
    })
}

/// The private PostgreSQL's data directory when `database.embedded_dir` is unset, relative to
/// the working directory.
pub const DEFAULT_DIR: &str = "imserver-data/postgres";

/// Where a root process keeps the private PostgreSQL when the `postgres` account cannot reach
/// [`DEFAULT_DIR`] (a working directory under `/root`, or made by `mktemp -d`).
pub const ROOT_DIR: &str = "/var/lib/imserver/postgres";

/// The private PostgreSQL's data directory: the configured one, else [`DEFAULT_DIR`]; when
/// imserver runs as root (so PostgreSQL runs as the `postgres` account) and that account cannot
/// enter the default one, [`ROOT_DIR`]. A configured directory the account cannot enter is an
/// error that says what to set.
fn data_dir(configured: Option<&str>, account: Account) -> anyhow::Result<PathBuf> {
    if let Some(dir) = configured.filter(|d| !d.trim().is_empty()) {
        let dir = absolute(Path::new(dir))?;
        if let Some(closed) = account.closed_on_the_way_to(&dir) {
            bail!(
                "running as root, the private PostgreSQL runs as the postgres account, which cannot \
                 enter {} (its directory {} is closed to it): set database.embedded_dir to a \
                 directory it can reach, such as {ROOT_DIR}, or set database.url",
                dir.display(),
                closed.display()
            );
        }
        return Ok(dir);
    }
    let dir = absolute(Path::new(DEFAULT_DIR))?;
    match account.closed_on_the_way_to(&dir) {
        None => Ok(dir),
        Some(closed) => {
            tracing::info!(
                closed = %closed.display(),
                dir = ROOT_DIR,
                "running as root: the postgres account cannot enter the working directory, so \
                 the private PostgreSQL keeps its data in {ROOT_DIR} (set database.embedded_dir \
                 to choose another place)"
            );
            Ok(PathBuf::from(ROOT_DIR))
        }
    }
}

/// The URL with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Whether a login to the server of `url` (its `postgres` database) works, within 3 seconds.
async fn login_works(url: &str) -> Result<(), String> {
    let opts = PgConnectOptions::from_str(url)
        .map_err(|e| e.to_string())?
        .database("postgres");
    match tokio::time::timeout(Duration::from_secs(3), opts.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".into()),
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    })
}

/// Percent-encodes a socket path for the `host` query parameter.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const NEEDED: [&str; 3] = ["initdb", "postgres", "pg_ctl"];

/// The directory holding `initdb`, `postgres` and `pg_ctl`: the configured one only, else
/// `pg_config --bindir`, `PATH`, and the usual install paths (newest version first).
fn find_binaries(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let complete = |d: &Path| NEEDED.iter().all(|b| d.join(b).is_file());
    let candidates: Vec<PathBuf> = match configured {
        Some(d) => vec![d.to_owned()],
        None => {
            let mut c = Vec::new();
            if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
                if out.status.success() {
                    c.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
                }
            }
            if let Some(path) = std::env::var_os("PATH") {
                c.extend(std::env::split_paths(&path));
            }
            for pattern in [
                "/usr/lib/postgresql",
                "/usr/local/opt",
                "/opt/homebrew/opt",
                "/usr",
            ] {
                c.extend(versioned_bins(Path::new(pattern)));
            }
            c.push("/usr/local/pgsql/bin".into());
            c
        }
    };
    candidates.into_iter().find(|d| complete(d)).with_context(|| {
        "no PostgreSQL server binaries (initdb, postgres, pg_ctl) found: install the PostgreSQL \
         server package (Debian/Ubuntu: postgresql; Fedora/RHEL: postgresql-server; macOS: \
         brew install postgresql), or set database.url to a running server"
    })
}

/// `<root>/<version>/bin`, `<root>/postgresql@<v>/bin` and `<root>/pgsql-<v>/bin`, newest first.
fn versioned_bins(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name
                .trim_start_matches("postgresql@")
                .trim_start_matches("postgresql")
                .trim_start_matches("pgsql-");
            let major = version.split('.').next()?.parse::<u32>().ok()?;
            let looks_right = name.starts_with("postgresql")
                || name.starts_with("pgsql-")
                || root.ends_with("postgresql");
            looks_right.then(|| (major, e.path().join("bin")))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, p)| p).collect()
}

/// The OS account the private server runs as: this one, or `postgres` when this is root
/// (PostgreSQL refuses to run as root).
#[derive(Clone, Copy)]
struct Account {
    ids: Option<(u32, u32)>,
}

impl Account {
    fn current() -> anyhow::Result<Account> {
        use std::os::unix::fs::MetadataExt;
        let euid = std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(1);
        if euid != 0 {
            return Ok(Account { ids: None });
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let ids = passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 3 && f[0] == "postgres")
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        });
        match ids {
            Some(ids) => Ok(Account { ids: Some(ids) }),
            None => bail!(
                "running as root, and PostgreSQL will not run as root: create a `postgres` \
                 account (installing PostgreSQL's server package does), run imserver as an \
                 ordinary user, or set database.url"
            ),
        }
    }

    /// The first existing directory on the way to `dir` (itself included) that this account
    /// may not enter, when it is another account than this process's. Directories still to be
    /// made are made by imserver, open to it.
    fn closed_on_the_way_to(self, dir: &Path) -> Option<PathBuf> {
        use std::os::unix::fs::MetadataExt;
        let (uid, gid) = self.ids?;
        dir.ancestors()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .filter_map(|d| std::fs::metadata(d).ok().map(|m| (d, m)))
            .find(|(_, m)| {
                let mode = m.mode();
                let search = if m.uid() == uid {
                    mode & 0o100
                } else if m.gid() == gid {
                    mode & 0o010
                } else {
                    mode & 0o001
                };
                m.is_dir() && search == 0
            })
            .map(|(d, _)| d.to_owned())
    }

    /// `program`, run as this account from `dir` (which the account can always enter).
    fn command(self, program: PathBuf, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir);
        if let Some((uid, gid)) = self.ids {
            c.uid(uid).gid(gid);
        }
        c
    }

    fn own(self, path: &Path) -> anyhow::Result<()> {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).with_context(|| {
                format!("cannot hand {} to the postgres account", path.display())
            })?;
        }
        Ok(())
    }
}

struct PrivateServer {
    bin: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    account: Account,
    child: Option<Child>,
    /// Started by this process (so stopped by it).
    owned: bool,
}

/// The port only names the socket file; nothing listens on TCP.
const PORT: u16 = 5432;

impl PrivateServer {
    async fn start(bin: &Path, data_dir: &Path, account: Account) -> anyhow::Result<PrivateServer> {
        let socket_dir = data_dir.to_owned();
        let mut server = PrivateServer {
            bin: bin.to_owned(),
            data_dir: data_dir.to_owned(),
            socket_dir,
            account,
            child: None,
            owned: false,
        };
        if server.answers().await {
            tracing::info!(dir = %data_dir.display(), "private PostgreSQL already running; using it");
            return Ok(server);
        }
        if !data_dir.join("PG_VERSION").is_file() {
            server.init()?;
        }
        server.spawn()?;
        server.owned = true;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.answers().await {
                tracing::info!(dir = %data_dir.display(), "private PostgreSQL started");
                return Ok(server);
            }
            if let Some(child) = server.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    bail!(
                        "the private PostgreSQL exited ({status}); its log: {}",
                        server.log_path().display()
                    );
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.stop();
        bail!(
            "the private PostgreSQL did not start within 60 s; its log: {}",
            data_dir.join("imserver-postgres.log").display()
        )
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("imserver-postgres.log")
    }

    async fn answers(&self) -> bool {
        let opts = PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username("postgres")
            .database("postgres");
        matches!(
            tokio::time::timeout(Duration::from_secs(2), opts.connect()).await,
            Ok(Ok(_))
        )
    }

    /// `initdb` into an empty data directory: trust on the socket only (which only this OS
    /// account can open), UTF-8, C collation.
    fn init(&self) -> anyhow::Result<()> {
        if self
            .socket_dir
            .join(format!(".s.PGSQL.{PORT}"))
            .to_string_lossy()
            .len()
            > 100
        {
            bail!(
                "database.embedded_dir is too long for a Unix socket path (over 100 bytes): {}",
                self.data_dir.display()
            );
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create {} (set database.embedded_dir to a writable place, or database.url)",
                self.data_dir.display()
            )
        })?;
        self.account.own(&self.data_dir)?;
        tracing::info!(dir = %self.data_dir.display(), "creating the private PostgreSQL (initdb)");
        let out = self
            .account
            .command(self.bin.join("initdb"), &self.data_dir)
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .stdin(Stdio::null())
            .output()
            .context("cannot run initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .trim()
                    .replace('\n', " ")
            );
        }
        Ok(())
    }

    /// `postgres` as a child in its own process group (a Ctrl-C aimed at imserver does not
    /// reach it; imserver stops it after draining), its output appended to a log in the data
    /// directory.
    fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .context("cannot open the private PostgreSQL's log")?;
        self.account.own(&self.log_path())?;
        let child = self
            .account
            .command(self.bin.join("postgres"), &self.data_dir)
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-k")
            .arg(&self.socket_dir)
            .args(["-p", &PORT.to_string()])
            .args(["-c", "listen_addresses="])
            .args(["-c", "unix_socket_permissions=0700"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .context("cannot start postgres")?;
        self.child = Some(child);
        Ok(())
    }

    /// A fast shutdown (open sessions are ended, then a clean checkpoint), waiting for it.
    fn stop(mut self) {
        let stopped = self
            .account
            .command(self.bin.join("pg_ctl"), &self.data_dir)
            .arg("-D")
            .arg(&self.data_dir)
            .args(["stop", "-m", "fast", "-w", "-t", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match stopped {
            Ok(s) if s.success() => tracing::info!("private PostgreSQL stopped"),
            other => tracing::warn!(result = ?other, "pg_ctl stop failed"),
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/im"),
            "postgres://app:***@db:5432/im"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/imserver"),
            "postgres://postgres@127.0.0.1:5432/imserver"
        );
        assert_eq!(
            redact("postgres:///im?host=/run"),
            "postgres:///im?host=/run"
        );
    }

    #[test]
    fn socket_paths_are_encoded_for_the_host_parameter() {
        assert_eq!(encode("/tmp/a b/pg"), "/tmp/a%20b/pg");
    }

    #[test]
    fn a_configured_bin_dir_without_postgres_names_the_package() {
        let e = find_binaries(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(e.to_string().contains("postgresql"), "{e}");
    }
}
