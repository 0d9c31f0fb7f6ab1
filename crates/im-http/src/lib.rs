//! The HTTP tier: routes, the auth extractor, wire DTOs, the envelope and error mapping.

pub mod admission;
pub mod auth;
pub mod callbacks;
pub mod cursor;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod guard;
pub mod hashing;
pub mod lenient;
pub mod metrics;
pub mod openapi;
pub mod pools;
pub mod ratelimit;
pub mod routes;
pub mod state;
pub mod tenant;

pub use state::{AppState, HttpConfig};

use crate::error::ApiError;
use crate::extract::{elapsed_ms, RequestStart};
use actix_web::dev::{Server, Service, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::time::Instant;
use tracing::Instrument;
use utoipa_swagger_ui::SwaggerUi;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Starts serving on `listener`. The returned server runs until stopped.
pub fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: usize,
) -> std::io::Result<Server> {
    let doc = openapi::document();
    let limits = state.config.guards;
    admission::spawn_db_watchdog(state.clone());
    ratelimit::spawn_refresher(state.clone());
    let server = HttpServer::new(move || {
        // Runs on each worker thread as it starts.
        state.pools.enter_worker();
        App::new()
            .app_data(state.clone())
            .wrap_fn(admission::middleware)
            .wrap(ErrorHandlers::new().default_handler(json_error_body))
            .wrap_fn(|req, srv| {
                let start = Instant::now();
                actix_web::HttpMessage::extensions_mut(&req).insert(RequestStart(start));
                let request_id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty() && v.len() <= 128)
                    .map(str::to_owned)
                    .unwrap_or_else(new_request_id);
                let method = req.method().to_string();
                let span = tracing::info_span!(
                    "request",
                    method = %method,
                    path = %req.path(),
                    request_id = %request_id,
                    route = tracing::field::Empty,
                    status = tracing::field::Empty,
                    duration_ms = tracing::field::Empty,
                );
                let fut = srv.call(req);
                async move {
                    let mut res = fut.instrument(span.clone()).await?;
                    let route = res
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".to_owned());
                    let status = res.status().as_u16();
                    let secs = start.elapsed().as_secs_f64();
                    span.record("route", route.as_str());
                    span.record("status", status);
                    span.record("duration_ms", secs * 1000.0);
                    if let Some(st) = res.request().app_data::<web::Data<AppState>>() {
                        st.metrics.observe(&method, &route, status, secs);
                    }
                    if let Ok(v) = HeaderValue::from_str(&request_id) {
                        res.headers_mut().insert(REQUEST_ID, v);
                    }
                    span.in_scope(|| tracing::info!("request finished"));
                    Ok(res)
                }
            })
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .service(web::resource("/health").route(web::get().to(routes::ops::health)))
            .service(web::resource("/ready").route(web::get().to(routes::ops::ready)))
            .service(web::resource("/metrics").route(web::get().to(routes::ops::metrics)))
            .service(web::resource("/docs").route(web::get().to(docs_redirect)))
            .service(web::resource("/console").route(web::get().to(routes::console::page)))
            .service(web::resource("/console/{file}").route(web::get().to(routes::console::file)))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
            .service(web::scope("/app-id/{app_id}").configure(routes::tenant_routes))
            .service(web::scope("/{org_name}/{app_name}").configure(routes::tenant_routes))
    })
    .workers(workers)
    .max_connections((limits.max_connections / workers.max(1)).max(1))
    .client_request_timeout(std::time::Duration::from_millis(limits.header_timeout_ms))
    .keep_alive(std::time::Duration::from_secs(limits.keep_alive_secs))
    .listen(listener)?
    .run();
    Ok(server)
}

/// A fresh request id: a version-4 UUID made of a random number drawn once per process and a
/// counter, so that it costs no call to the system's random source per request.
fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEED: std::sync::OnceLock<[u8; 8]> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = SEED.get_or_init(|| {
        let mut b = [0; 8];
        b.copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..8]);
        b
    });
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(seed);
    bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/docs/index.html"))
        .finish()
}

/// Gives every error response that is not already JSON (unknown route, wrong method, …) an
/// Easemob error body.
fn json_error_body<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, old) = res.into_parts();
    let status = old.status();
    let err = describe(&req, status);
    let mut new = HttpResponse::build(status).json(err.body(elapsed_ms(&req)));
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

fn describe(req: &HttpRequest, status: StatusCode) -> ApiError {
    let what = format!("{} {}", req.method(), req.path());
    match status {
        StatusCode::NOT_FOUND => {
            ApiError::new(status, "not_found", format!("No endpoint for {what}"))
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            format!("Method {} is not allowed on {}", req.method(), req.path()),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "request_entity_too_large",
            "Request Entity Too Large",
        ),
        s if s.is_server_error() => ApiError::internal(),
        s => ApiError::new(
            s,
            "bad_request",
            s.canonical_reason().unwrap_or("bad request").to_owned(),
        ),
    }
}
