//! Request extractors: the tenant from the path, the bearer token, a lenient JSON body and the
//! query string.

use crate::auth::Claims;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use crate::tenant::Tenant;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::time::Instant;

/// When the request arrived (set by the telemetry middleware).
#[derive(Clone, Copy)]
pub struct RequestStart(pub Instant);

pub fn elapsed_ms(req: &HttpRequest) -> i64 {
    req.extensions()
        .get::<RequestStart>()
        .map(|s| s.0.elapsed().as_millis() as i64)
        .unwrap_or(0)
}

/// A named path segment (percent-decoded). Tenant scopes add their own segments, so handlers
/// read theirs by name rather than through `web::Path`.
pub fn segment(req: &HttpRequest, name: &str) -> ApiResult<String> {
    req.match_info()
        .get(name)
        .map(str::to_owned)
        .ok_or_else(|| {
            tracing::error!(name, path = req.path(), "route has no such segment");
            ApiError::internal()
        })
}

pub fn state(req: &HttpRequest) -> ApiResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("application state missing");
            ApiError::internal()
        })
}

impl Tenant {
    pub async fn resolve(req: &HttpRequest) -> ApiResult<Tenant> {
        if let Some(t) = req.extensions().get::<Tenant>() {
            return Ok(t.clone());
        }
        let st = state(req)?;
        let mi = req.match_info();
        let unusable = ["app_id", "org_name", "app_name"]
            .iter()
            .filter_map(|n| mi.get(n))
            .any(|v| v.contains('\0') || v.len() > 256);
        if unusable {
            return Err(ApiError::app_not_found(format!(
                "Could not find application from URI: {}",
                req.path().trim_start_matches('/').replace('\0', "%00")
            )));
        }
        let (key, lookup) = match (mi.get("app_id"), mi.get("org_name"), mi.get("app_name")) {
            (Some(id), _, _) => (format!("i:{id}"), Lookup::Id(id.to_owned())),
            (None, Some(o), Some(a)) => (
                format!("n:{o}/{a}"),
                Lookup::Names(o.to_owned(), a.to_owned()),
            ),
            _ => {
                tracing::error!(
                    path = req.path(),
                    "tenant extractor on a route without a tenant"
                );
                return Err(ApiError::internal());
            }
        };
        let cached = st.tenants.read().ok().and_then(|m| m.get(&key).cloned());
        let tenant = match cached {
            Some(t) => t,
            None => {
                let found = match &lookup {
                    Lookup::Id(id) => im_store::apps::by_app_id(&st.pool(), id).await?,
                    Lookup::Names(o, a) => im_store::apps::by_names(&st.pool(), o, a).await?,
                };
                let Some(app) = found else {
                    let what = match &lookup {
                        Lookup::Id(id) => format!("app-id/{id}"),
                        Lookup::Names(o, a) => format!("{o}/{a}"),
                    };
                    return Err(ApiError::app_not_found(format!(
                        "Could not find application for {what} from URI: {}",
                        req.path().trim_start_matches('/')
                    )));
                };
                let t = Tenant::from(app);
                if let Ok(mut m) = st.tenants.write() {
                    m.insert(key, t.clone());
                }
                t
            }
        };
        // Once per request, before anything is done for it.
        if let Some(op) = st.limits.operations.of_request(req) {
            if let Err(secs) = st.limits.check(tenant.id, op) {
                let app = format!("{}#{}", tenant.org_name, tenant.app_name);
                st.metrics
                    .rate_limited
                    .with_label_values(&[&app, st.limits.operations.name(op)])
                    .inc();
                return Err(ApiError::rate_limited(secs));
            }
        }
        req.extensions_mut().insert(tenant.clone());
        Ok(tenant)
    }
}

enum Lookup {
    Id(String),
    Names(String, String),
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Tenant::resolve(&req).await })
    }
}

/// Who presented the token.
#[derive(Debug, Clone)]
pub enum Principal {
    App,
    User { username: String },
}

/// Verifies the bearer token for `tenant`. `Ok(None)` when no token was sent.
pub fn bearer(req: &HttpRequest, tenant: &Tenant) -> ApiResult<Option<(Principal, Claims)>> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let corrupt = || ApiError::bad_token("Unable to authenticate due to corrupt access token");
    let value = value.to_str().map_err(|_| corrupt())?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => return Err(corrupt()),
    };
    if token.is_empty() {
        return Ok(None);
    }
    let claims = state(req)?.tokens.verify(token)?;
    if claims.app != tenant.id {
        return Err(ApiError::unauthorized("Unable to authenticate (OAuth)"));
    }
    let principal = match (claims.typ.as_str(), &claims.usr) {
        ("app", _) => Principal::App,
        ("user", Some(u)) => Principal::User {
            username: u.clone(),
        },
        _ => return Err(corrupt()),
    };
    Ok(Some((principal, claims)))
}

/// An app-token bearer on its own app: what every management endpoint needs.
#[derive(Debug, Clone)]
pub struct AppAdmin {
    pub tenant: Tenant,
}

impl AppAdmin {
    pub async fn check(req: &HttpRequest) -> ApiResult<AppAdmin> {
        let tenant = Tenant::resolve(req).await?;
        match bearer(req, &tenant)? {
            Some((Principal::App, _)) => Ok(AppAdmin { tenant }),
            // User tokens carry no management rights (yet).
            Some((Principal::User { .. }, _)) | None => {
                Err(ApiError::unauthorized("Unable to authenticate (OAuth)"))
            }
        }
    }
}

impl FromRequest for AppAdmin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { AppAdmin::check(&req).await })
    }
}

/// A JSON body read whatever the `Content-Type`, chunked or not. An empty body reads as `{}`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let (buf, reserved) = read_body(&req, &mut payload).await?;
            let parsed = parse_json(&buf).map(Body);
            drop(reserved);
            parsed
        })
    }
}

/// A body as bytes, whatever its `Content-Type`, read under the same limits as [`Body`].
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let (buf, _reserved) = read_body(&req, &mut payload).await?;
            Ok(RawBody(buf.freeze()))
        })
    }
}

/// Reads a whole body within the size limit, the slow-client timeout and the server-wide body
/// budget (bytes buffered at once over all requests; 429 when spent). The reservation is
/// returned with the bytes, to be dropped once they are parsed.
async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> ApiResult<(web::BytesMut, Option<tokio::sync::OwnedSemaphorePermit>)> {
    let st = state(req)?;
    let limit = st.config.body_limit_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let guards = &st.guards;
    let timeout = std::time::Duration::from_secs(guards.config.body_timeout_secs);
    let read = async {
        let mut buf = web::BytesMut::new();
        let mut held: Option<tokio::sync::OwnedSemaphorePermit> = None;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::illegal(format!("unreadable body: {e}")))?;
            if buf.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            let more = guards
                .reserve_body(chunk.len())
                .ok_or_else(ApiError::reach_limit)?;
            match held.as_mut() {
                Some(h) => h.merge(more),
                None => held = Some(more),
            }
            buf.extend_from_slice(&chunk);
        }
        Ok((buf, held))
    };
    tokio::time::timeout(timeout, read).await.map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "The request body did not arrive in time",
        )
    })?
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_entity_too_large",
        format!("Request Entity Too Large: the body exceeds {limit} bytes"),
    )
}

/// Parses a body: empty means `{}`; broken JSON is `json_parse`; JSON of the wrong shape is
/// `illegal_argument`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(body_error)
}

/// Reads an already parsed JSON value (or part of one) as `T`; a wrong shape is
/// `illegal_argument`.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    serde_json::from_value(value).map_err(body_error)
}

fn body_error(e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::json_parse(format!("Unexpected content in the request body: {e}"))
        }
        Category::Data => ApiError::illegal(format!("Invalid request body: {e}")),
    }
}

/// The query string, with empty values read as absent.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn from_request(req: &HttpRequest) -> Self {
        Self {
            pairs: form_urlencoded::parse(req.query_string().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// An integer parameter; absent means `default`, out of `[min, max]` is clamped.
    pub fn int(&self, name: &str, default: i64, min: i64, max: i64) -> ApiResult<i64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .map(|n| n.clamp(min, max))
                .map_err(|_| ApiError::invalid(format!("{name} [{v}] is not a valid number"))),
        }
    }

    /// The echo of the query in the envelope's `params`: `{"name": ["value"]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.pairs {
            let entry = map
                .entry(k.clone())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(a) = entry {
                a.push(serde_json::Value::String(v.clone()));
            }
        }
        serde_json::Value::Object(map)
    }
}

impl FromRequest for QueryParams {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::from_request(req)))
    }
}
