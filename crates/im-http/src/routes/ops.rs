//! Health, readiness and metrics: unauthenticated, outside any tenant.

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `/ready` only: which database is in use (`configured …`, `default …` or `private
    /// PostgreSQL in …`), never with a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub database: Option<String>,
}

/// The process is alive.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// The database answers.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "The database does not answer", body = Health)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    // Answers within a second whatever the database does: a closed gate answers at once, and
    // the check itself has a one-second bound.
    let ok = !state.guards.db.is_down()
        && crate::guard::probe(&state.pool(), std::time::Duration::from_secs(1)).await;
    if ok {
        HttpResponse::Ok().json(Health {
            status: "ok",
            database: Some(state.config.database.clone()),
        })
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "1"))
            .json(Health {
                status: "unavailable",
                database: Some(state.config.database.clone()),
            })
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(
            state.pools.sizes(),
            &state.member_adds,
            &state.member_removes,
        ))
}
