//! What keeps one client, or one outage, from taking the server down: a readiness gate that
//! answers 503 at once while the database cannot be reached, a bound on requests in flight, and a
//! budget for request bodies held in memory at once.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The bounds on what clients may hold. Every field can be set in `[server]` of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardConfig {
    /// Requests being handled at once; past it, new requests get 429 `reach_limit`.
    pub max_inflight: usize,
    /// Bytes of request bodies buffered at once, over all requests; past it, 429.
    pub body_budget_bytes: usize,
    /// Seconds a client may take to send a whole body once its headers arrived; past it, 408.
    pub body_timeout_secs: u64,
    /// Milliseconds a new connection may take to send its request headers; past it, 408.
    pub header_timeout_ms: u64,
    /// Seconds an idle keep-alive connection is kept open.
    pub keep_alive_secs: u64,
    /// Open client connections, over all workers; past it, new connections wait in the
    /// listen backlog.
    pub max_connections: usize,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            max_inflight: 1024,
            body_budget_bytes: 64 * 1024 * 1024,
            body_timeout_secs: 10,
            header_timeout_ms: 5000,
            keep_alive_secs: 5,
            max_connections: 10_000,
        }
    }
}

/// The counters behind [`GuardConfig`].
pub struct Guards {
    inflight: Arc<Semaphore>,
    bodies: Arc<Semaphore>,
    pub config: GuardConfig,
    pub db: DbGate,
}

impl Guards {
    pub fn new(config: GuardConfig) -> Self {
        Self {
            inflight: Arc::new(Semaphore::new(config.max_inflight.max(1))),
            bodies: Arc::new(Semaphore::new(
                config.body_budget_bytes.clamp(1, Semaphore::MAX_PERMITS),
            )),
            config,
            db: DbGate::default(),
        }
    }

    /// Takes a place in flight, or `None` when every place is taken.
    pub fn enter(&self) -> Option<OwnedSemaphorePermit> {
        self.inflight.clone().try_acquire_owned().ok()
    }

    /// Reserves `bytes` more of the body budget, or `None` when it is spent.
    pub fn reserve_body(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(bytes).ok()?;
        self.bodies.clone().try_acquire_many_owned(n).ok()
    }
}

/// Open while the database answers; closed (requests answer 503 at once) from the moment a
/// request finds it unreachable until a probe reaches it again.
#[derive(Default)]
pub struct DbGate {
    down: AtomicBool,
    pub(crate) closed: Notify,
}

impl DbGate {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Closes the gate and releases every request still waiting for the database.
    pub fn trip(&self) {
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!("database unreachable: answering 503 until it is back");
        }
        self.closed.notify_waiters();
    }

    pub(crate) fn reopen(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("database reachable again");
        }
    }
}

/// Whether the database answers `select 1` within `within`.
pub async fn probe(pool: &im_store::Db, within: Duration) -> bool {
    let check = sqlx::query_scalar::<_, i32>("select 1").fetch_one(pool);
    matches!(tokio::time::timeout(within, check).await, Ok(Ok(1)))
}
