//! The admin console: a page and its scripts and styles, compiled into the binary and served at
//! `/console`. It is a client of the REST API and nothing more: no route here reads or changes
//! data, and every call the page makes carries the app token its user signed in for.

use crate::error::{ApiError, ErrorBody};
use crate::extract::elapsed_ms;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use std::sync::OnceLock;

/// The page may load its own scripts, styles and images, and call its own origin; nothing
/// inline, nothing from elsewhere, and no page may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'; object-src 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../console/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("overview.js", JS),
    asset!("users.js", JS),
    asset!("rooms.js", JS),
    asset!("room_parts.js", JS),
    asset!("room_more.js", JS),
    asset!("callbacks.js", JS),
];

/// Each asset's ETag: a hash of its bytes, computed once.
fn etag(index: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        use sha2::{Digest, Sha256};
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.body)[..12])))
            .collect()
    });
    tags.get(index).map_or("\"\"", String::as_str)
}

/// The headers of every console answer, found or not.
fn secured(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("cross-origin-opener-policy", "same-origin"))
        .insert_header(("cross-origin-resource-policy", "same-origin"));
    b
}

fn serve(req: &HttpRequest, name: &str) -> HttpResponse {
    let Some((i, asset)) = ASSETS.iter().enumerate().find(|(_, a)| a.name == name) else {
        let err = ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No console file {name}"),
        );
        return secured(StatusCode::NOT_FOUND).json(err.body(elapsed_ms(req)));
    };
    let tag = etag(i);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut b = secured(if fresh {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    });
    if let Ok(v) = HeaderValue::from_str(tag) {
        b.insert_header((header::ETAG, v));
    }
    if fresh {
        return b.finish();
    }
    b.content_type(asset.content_type).body(asset.body)
}

/// The console's page.
#[utoipa::path(get, path = "/console", tag = "console",
    responses((status = 200, description = "The console's page (HTML), served with a Content-Security-Policy that allows no inline script, `X-Frame-Options: DENY` and `X-Content-Type-Options: nosniff`", body = String, content_type = "text/html"),
              (status = 304, description = "Not modified (`If-None-Match` named its ETag)")))]
pub async fn page(req: HttpRequest) -> HttpResponse {
    serve(&req, "index.html")
}

/// One of the console's scripts, styles or images.
#[utoipa::path(get, path = "/console/{file}", tag = "console",
    params(("file" = String, Path, description = "A file of the console, such as `app.js`")),
    responses((status = 200, description = "The file, with the same headers as the page", body = String, content_type = "text/javascript"),
              (status = 304, description = "Not modified (`If-None-Match` named its ETag)"),
              (status = 404, description = "not_found: no such file", body = ErrorBody)))]
pub async fn file(req: HttpRequest) -> HttpResponse {
    let name = req.match_info().get("file").unwrap_or_default().to_owned();
    serve(&req, &name)
}
