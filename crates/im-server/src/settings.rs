//! Configuration: compiled-in defaults, then an optional file, then `IMSERVER__SECTION__KEY`
//! environment variables (`DATABASE_URL` is honoured too).

use im_domain::Limits;
use im_http::auth::Argon2Config;
use im_http::callbacks::CallbacksConfig;
use im_http::guard::GuardConfig;
use im_http::ratelimit::RateLimitConfig;
use im_http::HttpConfig;
use im_store::objects::FilesConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub limits: Limits,
    /// Bounds on what clients may hold: requests in flight, body memory, slow clients,
    /// idle connections.
    pub guards: GuardConfig,
    /// Group shared files: where their bytes go and the bounds on uploads.
    pub files: FilesConfig,
    /// Per-app rate limits (none unless set).
    pub rate_limits: RateLimitConfig,
    /// Event callbacks: delivery, retries, bounds.
    pub callbacks: CallbacksConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    pub bind: String,
    pub port: u16,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `im_http=debug,info` (`RUST_LOG` wins when set).
    pub log_level: String,
    /// Create a demo app on first start when no app exists.
    pub demo_app: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0".into(),
            port: 8080,
            workers: 0,
            body_limit_bytes: 1024 * 1024,
            log_format: LogFormat::Pretty,
            log_level: "info".into(),
            demo_app: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// The PostgreSQL to use. When unset (and `DATABASE_URL` too), `default_url` is tried, and
    /// when no login works there, a private PostgreSQL runs in `embedded_dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The usual local server, tried when `url` is unset.
    pub default_url: String,
    /// Data directory of the private PostgreSQL (relative to the working directory). Unset:
    /// `imserver-data/postgres`, or, as root when the `postgres` account cannot enter it,
    /// `/var/lib/imserver/postgres`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_dir: Option<String>,
    /// Where `initdb`, `postgres` and `pg_ctl` are; when unset, `pg_config --bindir`, `PATH`
    /// and the usual install paths are searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_bin_dir: Option<String>,
    /// Connections for requests. Default: 3 per CPU core, from 4 to 20 (see
    /// [`default_max_connections`]).
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    /// Create the database on start when it does not exist.
    pub create_if_missing: bool,
    /// When PostgreSQL's autovacuum is off, refresh planner statistics of busy tables this often
    /// (seconds; 0 = never).
    pub analyze_interval_secs: u64,
}

/// Three connections per CPU core, from 4 to 20. More statements at once than the cores can run
/// only take turns on them: with PostgreSQL on the same 2-core machine (the embedded setup), 20
/// connections let a member page's p99 reach 4 to 24 times its p50 at 32 clients, where 8 kept
/// it near twice. Since a connection done with its statement goes straight to the next request
/// (no test round trip in between), each one does more: 6 then kept every group and thread
/// read's p99 within 3.2 times its p50 where 8 let some reach 4 to 20 times, with as many
/// requests a second. A database on a bigger machine of its own may use more: set it.
pub fn default_max_connections() -> u32 {
    connections_for(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The default connection count for a machine of `cores` CPU cores.
fn connections_for(cores: usize) -> u32 {
    (3 * cores).clamp(4, 20) as u32
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            default_url: "postgres://postgres@127.0.0.1:5432/imserver".into(),
            embedded_dir: None,
            embedded_bin_dir: None,
            max_connections: default_max_connections(),
            acquire_timeout_secs: 5,
            create_if_missing: true,
            analyze_interval_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    pub token_ttl_default_secs: i64,
    pub token_ttl_max_secs: i64,
    /// A fixed signing secret; when unset, keys are kept in the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
    /// Allow `POST /users` with one user and no token.
    pub open_registration: bool,
    pub argon2: Argon2Config,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let http = HttpConfig::default();
        Self {
            token_ttl_default_secs: http.token_ttl_default_secs,
            token_ttl_max_secs: http.token_ttl_max_secs,
            jwt_secret: None,
            open_registration: http.open_registration,
            argon2: http.argon2,
        }
    }
}

impl Settings {
    /// Loads the layered configuration.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::Config::try_from(&Settings::default())?);
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("IMSERVER")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        if std::env::var_os("IMSERVER__DATABASE__URL").is_none() {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                builder = builder.set_override("database.url", url)?;
            }
        }
        builder.build()?.try_deserialize()
    }

    pub fn http(&self) -> HttpConfig {
        HttpConfig {
            token_ttl_default_secs: self.auth.token_ttl_default_secs,
            token_ttl_max_secs: self.auth.token_ttl_max_secs,
            open_registration: self.auth.open_registration,
            body_limit_bytes: self.server.body_limit_bytes,
            argon2: self.auth.argon2,
            limits: self.limits.clone(),
            guards: self.guards,
            database: String::new(),
            files: self.files.clone(),
            rate_limits: self.rate_limits.clone(),
            callbacks: self.callbacks.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test touches the process environment, so the layers are checked in one place.
    #[test]
    fn defaults_then_file_then_environment() {
        let dir = std::env::temp_dir().join(format!("imserver-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("imserver.toml");
        std::fs::write(
            &file,
            "[server]\nport = 9000\nlog_format = \"json\"\n[limits]\nbatch_add = 30\n[auth]\ntoken_ttl_default_secs = 77\n[files]\nbackend = \"s3\"\n[files.s3]\nbucket = \"shared\"\n",
        )
        .unwrap();

        let defaults = Settings::load(None).unwrap();
        assert_eq!(defaults.server.port, 8080);
        assert_eq!(defaults.limits.batch_register, 60);
        assert_eq!(defaults.database.max_connections, default_max_connections());

        let from_file = Settings::load(Some(&file)).unwrap();
        assert_eq!(from_file.server.port, 9000);
        assert_eq!(from_file.server.log_format, LogFormat::Json);
        assert_eq!(from_file.limits.batch_add, 30);
        assert_eq!(from_file.limits.batch_register, 60);
        assert_eq!(from_file.http().token_ttl_default_secs, 77);
        assert_eq!(defaults.files.backend, im_store::objects::Backend::Local);
        assert_eq!(defaults.files.max_file_bytes, 10 * 1024 * 1024);
        assert_eq!(from_file.files.backend, im_store::objects::Backend::S3);
        assert_eq!(from_file.http().files.s3.bucket, "shared");
        assert!(from_file.files.s3.path_style);

        std::env::set_var("IMSERVER__SERVER__PORT", "9100");
        std::env::set_var("IMSERVER__DATABASE__MAX_CONNECTIONS", "7");
        std::env::set_var("IMSERVER__FILES__MAX_FILE_BYTES", "1000");
        let layered = Settings::load(Some(&file));
        std::env::remove_var("IMSERVER__SERVER__PORT");
        std::env::remove_var("IMSERVER__DATABASE__MAX_CONNECTIONS");
        std::env::remove_var("IMSERVER__FILES__MAX_FILE_BYTES");
        let layered = layered.unwrap();
        assert_eq!(layered.server.port, 9100);
        assert_eq!(layered.database.max_connections, 7);
        assert_eq!(layered.files.max_file_bytes, 1000);
        assert_eq!(layered.limits.batch_add, 30);

        assert!(Settings::load(Some(&dir.join("missing.toml"))).is_err());
    }

    #[test]
    fn connections_default_to_three_per_core_from_4_to_20() {
        assert_eq!(connections_for(1), 4);
        assert_eq!(connections_for(2), 6);
        assert_eq!(connections_for(4), 12);
        assert_eq!(connections_for(6), 18);
        assert_eq!(connections_for(7), 20);
        assert_eq!(connections_for(64), 20);
    }

    #[test]
    fn the_example_configuration_loads_and_names_no_database_url() {
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/imserver.example.toml");
        let text = std::fs::read_to_string(&example).unwrap();
        let parsed: Settings = config::Config::builder()
            .add_source(config::File::from_str(&text, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        assert_eq!(parsed.database.url, None);
        assert_eq!(
            parsed.database.default_url,
            DatabaseSettings::default().default_url
        );
        assert_eq!(parsed.database.embedded_dir, None);
    }
}
