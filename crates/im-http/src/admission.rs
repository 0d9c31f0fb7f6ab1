//! The admission middleware and the database watchdog: they apply the bounds and the gate of
//! [`crate::guard`] to every tenant request.

use crate::error::{ApiError, DbUnreachable};
use crate::guard::probe;
use crate::state::AppState;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::web;
use futures_util::future::{Either, LocalBoxFuture};
use std::time::Duration;

/// Checks the database every second (four times a second while it is down) and keeps the gate
/// in step. A probe is skipped while every pool connection is busy: the database is answering
/// then, and a probe would only wait in line. Ends when the pool is closed.
pub fn spawn_db_watchdog(state: web::Data<AppState>) {
    tokio::spawn(async move {
        loop {
            let down = state.guards.db.is_down();
            tokio::time::sleep(Duration::from_millis(if down { 250 } else { 1000 })).await;
            if state.pools.base().is_closed() {
                state.guards.db.trip();
                return;
            }
            let (size, idle, max) = state.pools.sizes();
            let saturated = size >= max && idle == 0;
            if saturated && !down {
                continue;
            }
            if probe(state.pools.base(), Duration::from_secs(1)).await {
                state.guards.db.reopen();
            } else {
                if !down {
                    tracing::warn!("database watchdog: `select 1` failed or took over a second");
                }
                state.guards.db.trip();
            }
        }
    });
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
    let Some(permit) = guards.enter() else {
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
