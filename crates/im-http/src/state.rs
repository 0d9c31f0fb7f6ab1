use crate::auth::{Argon2Config, Hasher, TokenService, VerifiedSecrets};
use crate::guard::{GuardConfig, Guards};
use crate::metrics::Metrics;
use crate::tenant::Tenant;
use im_domain::{Limits, TtlPolicy};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::RwLock;

/// What the HTTP tier needs from the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Token lifetime when a request names none, in seconds.
    pub token_ttl_default_secs: i64,
    /// Longest token lifetime, in seconds (also what `ttl: 0` gets).
    pub token_ttl_max_secs: i64,
    /// Whether `POST /users` with one user works without an app token.
    pub open_registration: bool,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    pub argon2: Argon2Config,
    pub limits: Limits,
    pub guards: GuardConfig,
    /// Which database is in use, as `/ready` shows it (never with a password).
    pub database: String,
    /// Shared files: the object store and the bounds on uploads.
    pub files: im_store::objects::FilesConfig,
    /// Per-app rate limits.
    pub rate_limits: crate::ratelimit::RateLimitConfig,
    /// Event callbacks.
    pub callbacks: crate::callbacks::CallbacksConfig,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            token_ttl_default_secs: 60 * 24 * 3600,
            token_ttl_max_secs: 10 * 365 * 24 * 3600,
            open_registration: false,
            body_limit_bytes: 1024 * 1024,
            argon2: Argon2Config::default(),
            limits: Limits::default(),
            guards: GuardConfig::default(),
            database: String::new(),
            files: im_store::objects::FilesConfig::default(),
            rate_limits: crate::ratelimit::RateLimitConfig::default(),
            callbacks: crate::callbacks::CallbacksConfig::default(),
        }
    }
}

impl HttpConfig {
    pub fn ttl_policy(&self) -> TtlPolicy {
        TtlPolicy {
            default_secs: self.token_ttl_default_secs,
            max_secs: self.token_ttl_max_secs,
        }
    }
}

/// Shared by every worker.
pub struct AppState {
    /// The database: [`AppState::pool`] picks the current thread's pool.
    pub pools: crate::pools::Pools,
    /// Adds to one room arriving together go into one transaction.
    pub member_adds: im_store::rooms::MemberAdds,
    /// So do removals of members from one room.
    pub member_removes: im_store::rooms::MemberRemoves,
    pub tokens: TokenService,
    /// Signs and checks paging cursors.
    pub cursors: crate::cursor::Cursors,
    /// Seals and opens callback rules' secrets.
    pub sealer: crate::callbacks::Sealer,
    pub hasher: Hasher,
    pub config: HttpConfig,
    pub metrics: Metrics,
    /// Bounds on what clients hold, and the database readiness gate.
    pub guards: Guards,
    /// Client secrets recently verified with argon2.
    pub verified_secrets: VerifiedSecrets,
    /// Apps never change their names or ids, so resolved tenants are kept.
    pub(crate) tenants: RwLock<HashMap<String, Tenant>>,
    /// Where shared files' bytes live.
    pub objects: im_store::objects::Objects,
    /// Places for uploads running at once (`files.max_concurrent_uploads`).
    pub uploads: std::sync::Arc<tokio::sync::Semaphore>,
    /// Per-app rate limits and their buckets.
    pub limits: crate::ratelimit::RateLimits,
}

impl AppState {
    /// `pool` is shared out over `workers` HTTP workers (see [`crate::pools`]).
    pub fn new(
        pool: PgPool,
        workers: usize,
        (tokens, sealer): (TokenService, crate::callbacks::Sealer),
        config: HttpConfig,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self {
            member_adds: im_store::rooms::MemberAdds::default(),
            member_removes: im_store::rooms::MemberRemoves::default(),
            pools: crate::pools::Pools::new(pool, workers),
            cursors: tokens.cursors(),
            sealer,
            tokens,
            hasher: Hasher::new(config.argon2).map_err(|e| format!("argon2 settings: {e}"))?,
            guards: Guards::new(config.guards),
            objects: im_store::objects::Objects::open(&config.files)?,
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(
                config.files.max_concurrent_uploads.max(1),
            )),
            limits: crate::ratelimit::RateLimits::new(
                config.rate_limits.clone(),
                crate::ratelimit::Operations::from_document(&crate::openapi::document()),
            ),
            config,
            metrics: Metrics::new()?,
            verified_secrets: VerifiedSecrets::new(std::time::Duration::from_secs(300), 10_000),
            tenants: RwLock::new(HashMap::new()),
        })
    }

    /// The database pool for the current thread.
    pub fn pool(&self) -> im_store::Db {
        self.pools.get()
    }
}
