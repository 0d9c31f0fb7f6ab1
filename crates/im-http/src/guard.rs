//! What keeps one client, or one outage, from taking the server down: a readiness gate that
//! answers 503 at once while the database cannot be reached, a bound on requests in flight, and a
//! budget for request bodies held in memory at once.

use crate::error::{ApiError, DbUnreachable};
use crate::state::AppState;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::web;
use futures_util::future::{Either, LocalBoxFuture};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
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
    closed: Notify,
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

    fn reopen(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("database reachable again");
        }
    }
}

/// Checks the database every second (four times a second while it is down) and keeps the gate
/// in step. A probe is skipped while every pool connection is busy: the database is answering
/// then, and a probe would only wait in line. Ends when the pool is closed.
pub fn spawn_db_watchdog(state: web::Data<AppState>) {
    tokio::spawn(async move {
        loop {
            let down = state.guards.db.is_down();
            tokio::time::sleep(Duration::from_millis(if down { 250 } else { 1000 })).await;
            if state.pool.is_closed() {
                state.guards.db.trip();
                return;
            }
            let saturated = state.pool.size() >= state.pool.options().get_max_connections()
                && state.pool.num_idle() == 0;
            if saturated && !down {
                continue;
            }
            if probe(&state.pool, Duration::from_secs(1)).await {
                state.guards.db.reopen();
            } else {
                state.guards.db.trip();
            }
        }
    });
}

/// Whether the database answers `select 1` within `within`.
pub async fn probe(pool: &PgPool, within: Duration) -> bool {
    let check = sqlx::query_scalar::<_, i32>("select 1").fetch_one(pool);
    matches!(tokio::time::timeout(within, check).await, Ok(Ok(1)))
}

/// Paths outside every tenant: never gated or counted.
fn is_operational(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics" | "/openapi.json") || path.starts_with("/docs")
}

/// The middleware: gate, in-flight bound, and release of waiting requests when the database
/// goes away.
pub fn middleware<S>(
    req: ServiceRequest,
    srv: &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
    S::Future: 'static,
{
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| !is_operational(req.path())) else {
        return Box::pin(srv.call(req));
    };
    if req.query_string().contains("%00") {
        let e = ApiError::illegal("the query string contains a NUL character (%00)");
        return Box::pin(std::future::ready(Ok(refuse(req, e))));
    }
    let guards = &state.guards;
    if guards.db.is_down() {
        return Box::pin(std::future::ready(Ok(refuse(
            req,
            ApiError::db_unavailable(),
        ))));
    }
    let Ok(permit) = guards.inflight.clone().try_acquire_owned() else {
        return Box::pin(std::future::ready(Ok(refuse(req, ApiError::reach_limit()))));
    };
    let fut = srv.call(req);
    Box::pin(async move {
        let closed = state.guards.db.closed.notified();
        let res = match futures_util::future::select(Box::pin(fut), Box::pin(closed)).await {
            Either::Left((res, _)) => res?,
            // The database went away while this request waited on it: whatever it had begun
            // is rolled back when its connection is dropped. (The request itself went to the
            // router, so the answer travels as an error, which actix renders.)
            Either::Right(_) => return Err(ApiError::db_unavailable().into()),
        };
        drop(permit);
        if res.response().extensions().get::<DbUnreachable>().is_some() {
            state.guards.db.trip();
        }
        Ok(res)
    })
}

fn refuse(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(actix_web::ResponseError::error_response(&e))
}
