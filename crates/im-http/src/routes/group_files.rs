//! Group shared files (`/chatgroups/{group_id}/share_files`): upload, list, download, delete.
//!
//! An upload streams the `file` part of a multipart body into the object store as it arrives:
//! at most two parts of it are in memory, the one being filled and the one being written
//! (`files.local_part_bytes`, or 5 MiB on S3, the smallest part S3 takes), and that much is taken
//! from the server-wide body budget for the upload's duration. The size limit
//! is checked on every chunk. Uploads also have their own bound on how many run at once. The
//! row is written only once the object is complete; any failure removes the object.

use super::room::{page_args, room_id};
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{bearer, state, AppAdmin, Principal, QueryParams, Tenant};
use crate::state::AppState;
use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::{Stream, StreamExt, TryStreamExt};
use im_domain::files::{check_size, file_not_found, FileName};
use im_domain::Username;
use im_store::files::{self as store, FileRow, NewFile};
use im_store::objects::{self, ObjectWriter};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use utoipa::ToSchema;

/// Multipart framing allowed over the file's own bytes before a declared length is refused.
const FRAMING_SLACK: u64 = 64 * 1024;

/// The upload form.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct UploadForm {
    /// The file; its part's `filename` becomes the file's name, its `Content-Type` the type it
    /// is downloaded with.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedFile {
    /// Where the file is downloaded.
    pub file_url: String,
    pub group_id: String,
    pub file_name: String,
    /// Milliseconds since the epoch.
    pub created: i64,
    pub file_id: String,
    /// Bytes.
    pub file_size: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListedFile {
    pub file_id: String,
    pub file_name: String,
    /// The uploading user (user token), or the group owner (app token).
    pub file_owner: String,
    pub file_size: i64,
    pub created: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedFile {
    pub group_id: String,
    pub file_id: String,
    pub result: bool,
}

envelope_schema!(UploadEnvelope, entities = [], { pub data: SharedFile, });
envelope_schema!(FilesEnvelope, entities = [], { pub data: Vec<ListedFile>, });
envelope_schema!(DeleteFileEnvelope, entities = [], { pub data: DeletedFile, });

fn file_url(req: &HttpRequest, file: &str) -> String {
    let conn = req.connection_info();
    let path = req.path().trim_end_matches('/');
    format!("{}://{}{path}/{file}", conn.scheme(), conn.host())
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_entity_too_large",
        format!("Request Entity Too Large: the file exceeds {max} bytes"),
    )
}

fn timed_out() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "The request body did not arrive in time",
    )
}

fn bad_form(e: MultipartError) -> ApiError {
    ApiError::invalid(format!(
        "the body is not a complete multipart/form-data form: {e}"
    ))
}

fn store_failed(e: objects::ObjectError) -> ApiError {
    tracing::error!(error = %e, "object store failed");
    ApiError::internal()
}

/// Who uploads: an app token (the file's owner is then the group owner) or a member's user
/// token.
async fn uploader(req: &HttpRequest) -> ApiResult<(Tenant, Option<Username>)> {
    let tenant = Tenant::resolve(req).await?;
    match bearer(req, &tenant)? {
        Some((Principal::App, _)) => Ok((tenant, None)),
        Some((Principal::User { username }, _)) => Ok((tenant, Some(Username::parse(&username)?))),
        None => Err(ApiError::unauthorized("Unable to authenticate (OAuth)")),
    }
}

fn restrict_access(req: &HttpRequest) -> ApiResult<bool> {
    let Some(v) = req.headers().get("restrict-access") else {
        return Ok(false);
    };
    match v.to_str().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Ok("true") => Ok(true),
        Ok("false") | Ok("") => Ok(false),
        _ => Err(ApiError::invalid("restrict-access must be true or false")),
    }
}

/// The request body, noting when it has ended. The multipart parser asks for more bytes when a
/// form stops before its closing boundary, and would wait for them until the idle timeout: once
/// the body has ended, such a wait is answered at once as an incomplete form.
struct Watched {
    body: web::Payload,
    ended: Rc<Cell<bool>>,
}

impl Stream for Watched {
    type Item = <web::Payload as Stream>::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.body.poll_next_unpin(cx);
        if let Poll::Ready(None) = next {
            self.ended.set(true);
        }
        next
    }
}

/// The next item of `s`, within `idle`; a 400 when `s` waits for a body that has `ended`.
async fn next_within<S: Stream + Unpin>(
    s: &mut S,
    idle: Duration,
    ended: &Cell<bool>,
) -> ApiResult<Option<S::Item>> {
    let next = futures_util::future::poll_fn(|cx| {
        match s.poll_next_unpin(cx) {
        Poll::Ready(item) => Poll::Ready(Ok(item)),
        Poll::Pending if ended.get() => Poll::Ready(Err(ApiError::invalid(
            "the body is not a complete multipart/form-data form: it ended before the closing boundary",
        ))),
        Poll::Pending => Poll::Pending,
    }
    });
    tokio::time::timeout(idle, next)
        .await
        .map_err(|_| timed_out())?
}

/// Reads and drops the rest of a part, at most `budget` more bytes (a client still sending
/// gets its answer rather than a reset connection).
async fn drain(
    field: &mut Field,
    idle: Duration,
    ended: &Cell<bool>,
    budget: &mut u64,
    max: u64,
) -> ApiResult<()> {
    while let Some(chunk) = next_within(field, idle, ended).await? {
        let n = chunk.map_err(bad_form)?.len() as u64;
        *budget = budget.checked_sub(n).ok_or_else(|| too_large(max))?;
    }
    Ok(())
}

struct Received {
    name: FileName,
    content_type: String,
    size: u64,
    sha256: String,
}

/// Streams the first `file` part into `writer` and reads past the other parts.
async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    writer: &mut ObjectWriter,
    max: u64,
    idle: Duration,
) -> ApiResult<Received> {
    let ended = Rc::new(Cell::new(false));
    let body = Watched {
        body: payload,
        ended: ended.clone(),
    };
    let mut form = Multipart::new(req.headers(), body);
    let mut got: Option<Received> = None;
    let mut over = false;
    let mut spare = max.saturating_mul(2);
    while let Some(field) = next_within(&mut form, idle, &ended).await? {
        let mut field = field.map_err(bad_form)?;
        if got.is_some() || over || field.name() != Some("file") {
            drain(&mut field, idle, &ended, &mut spare, max)
                .await
                .map_err(|e| if over { too_large(max) } else { e })?;
            continue;
        }
        let name = FileName::parse(field.content_disposition().and_then(|cd| cd.get_filename()))?;
        let content_type = field
            .content_type()
            .map(|m| m.essence_str().to_owned())
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = next_within(&mut field, idle, &ended).await? {
            let chunk = chunk.map_err(bad_form)?;
            size += chunk.len() as u64;
            if size > max {
                over = true;
                writer.discard().await;
                drain(&mut field, idle, &ended, &mut spare, max)
                    .await
                    .map_err(|_| too_large(max))?;
                break;
            }
            hasher.update(&chunk);
            writer.put(chunk).await.map_err(store_failed)?;
        }
        if over {
            continue;
        }
        check_size(size)?;
        writer.finish().await.map_err(store_failed)?;
        got = Some(Received {
            name,
            content_type,
            size,
            sha256: hex::encode(hasher.finalize()),
        });
    }
    if over {
        return Err(too_large(max));
    }
    got.ok_or_else(|| ApiError::invalid("file must be provided"))
}

/// Upload a shared file (multipart field `file`, at most `files.max_file_bytes`, 10 MB by
/// default). With a user token the uploader must be a member and owns the file; with an app
/// token the group owner does.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatgroups/{group_id}/share_files", tag = "group files", operation_id = "group_files_upload",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"),
        ("restrict-access" = Option<bool>, Header, nullable = false, description = "Whether only group members may see the file")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "`data`: the stored file", body = UploadEnvelope),
        (status = 400, description = "invalid_parameter (no `file` part, an empty file, a body that is not a complete multipart form, a bad `restrict-access`); illegal_argument (a NUL in the file name)", body = ErrorBody),
        (status = 401, description = "No valid app or user token", body = ErrorBody),
        (status = 403, description = "forbidden_op (disabled group, uploader not a member); exceed_limit (the group holds `files.max_files_per_group` files)", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
        (status = 408, description = "request_timeout: the body did not arrive in time", body = ErrorBody),
        (status = 413, description = "request_entity_too_large: the file exceeds `files.max_file_bytes`", body = ErrorBody),
        (status = 429, description = "reach_limit: too many uploads at once; retry after `Retry-After`", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn upload(req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let cfg = &st.config.files;
    let (tenant, user) = uploader(&req).await?;
    let id = room_id(&req)?;
    let restricted = restrict_access(&req)?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cfg.max_file_bytes + FRAMING_SLACK) {
        return Err(too_large(cfg.max_file_bytes));
    }
    let _slot = st
        .uploads
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::reach_limit())?;
    let _memory = st
        .guards
        .reserve_body(st.objects.upload_memory())
        .ok_or_else(ApiError::reach_limit)?;
    let cap = cfg.max_files_per_group;
    store::check_upload_allowed(&st.pool(), tenant.id, id, user.as_ref(), cap).await?;

    let file_id = uuid::Uuid::new_v4();
    let mut writer = st
        .objects
        .writer(&objects::key(tenant.id, id.get(), file_id));
    let idle = Duration::from_secs(st.guards.config.body_timeout_secs.max(1));
    let whole = Duration::from_secs(cfg.upload_timeout_secs.max(1));
    let received = tokio::time::timeout(
        whole,
        receive(&req, payload, &mut writer, cfg.max_file_bytes, idle),
    )
    .await
    .unwrap_or_else(|_| Err(timed_out()));
    let got = match received {
        Ok(got) => got,
        Err(e) => {
            writer.discard().await;
            return Err(e);
        }
    };
    let new = NewFile {
        file_id,
        name: got.name.into_string(),
        size: got.size as i64,
        content_type: got.content_type,
        sha256: got.sha256,
        restricted,
    };
    let row = match store::insert(&st.pool(), tenant.id, id, user.as_ref(), cap, &new).await {
        Ok(row) => row,
        Err(e) => {
            writer.discard().await;
            return Err(e.into());
        }
    };
    let file_id = row.file_id.to_string();
    Ok(Envelope::new()
        .data(SharedFile {
            file_url: file_url(&req, &file_id),
            group_id: id.to_string(),
            file_name: row.name,
            created: im_store::millis(row.created_at),
            file_id,
            file_size: row.size,
        })
        .respond(&req, &tenant))
}

/// A group's shared files, newest first: `pagenum` from 1, `pagesize` in [1, 1000] (default
/// 1000).
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatgroups/{group_id}/share_files", tag = "group files", operation_id = "group_files_list",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"),
        ("pagenum" = Option<i64>, Query, description = "Page number from 1 (0 reads as 1)"),
        ("pagesize" = Option<i64>, Query, description = "Files per page, [1, 1000]; default 1000")),
    responses(
        (status = 200, description = "`data`: one page of files", body = FilesEnvelope),
        (status = 400, description = "invalid_parameter: pagenum or pagesize is not a number", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let (offset, limit) = page_args(&q, 1000, 1000)?;
    let rows = store::page(&st.pool(), admin.tenant.id, id, offset, limit).await?;
    let data: Vec<ListedFile> = rows
        .into_iter()
        .map(|r| ListedFile {
            file_id: r.file_id.to_string(),
            file_name: r.name,
            file_owner: r.owner,
            file_size: r.size,
            created: im_store::millis(r.created_at),
        })
        .collect();
    Ok(Envelope::new().data(data).respond(&req, &admin.tenant))
}

/// What RFC 5987 `attr-char` leaves out, to be percent-encoded.
const ATTR_CHAR_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with the name twice: an ASCII fallback and the exact UTF-8 name (RFC 6266).
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let exact = percent_encoding::utf8_percent_encode(name, ATTR_CHAR_ESCAPES);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

/// Download a shared file: its bytes, with the type it was uploaded with and its name in
/// `Content-Disposition`.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatgroups/{group_id}/share_files/{file_id}", tag = "group files", operation_id = "group_files_download",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"),
        ("file_id" = String, Path, description = "The file id")),
    responses(
        (status = 200, description = "The file's bytes", content_type = "*/*", body = Vec<u8>,
            headers(("Content-Disposition" = String, description = "`attachment` with the file's name"))),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `file X does not exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn download(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let raw = crate::extract::segment(&req, "file_id")?;
    let row: FileRow = store::get(&st.pool(), admin.tenant.id, id, &raw).await?;
    let Some((size, bytes)) = st
        .objects
        .read(&row.object_key)
        .await
        .map_err(store_failed)?
    else {
        tracing::error!(key = %row.object_key, "a file row has no object");
        return Err(file_not_found(&raw).into());
    };
    let bytes = bytes.map_err(|e| {
        tracing::error!(error = %e, "object read failed mid-stream");
        std::io::Error::other(e)
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, row.content_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition(&row.name)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(size)
        .streaming(bytes))
}

/// Delete a shared file (a disabled group refuses it).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatgroups/{group_id}/share_files/{file_id}", tag = "group files", operation_id = "group_files_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"),
        ("file_id" = String, Path, description = "The file id")),
    responses(
        (status = 200, description = "`data`: `{group_id, file_id, result: true}`", body = DeleteFileEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: disabled group", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `file X does not exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let raw = crate::extract::segment(&req, "file_id")?;
    store::delete(&st.pool(), admin.tenant.id, id, &raw).await?;
    reap(&st, admin.tenant.id).await;
    Ok(Envelope::new()
        .data(DeletedFile {
            group_id: id.to_string(),
            file_id: raw,
            result: true,
        })
        .respond(&req, &admin.tenant))
}

/// After a commit that deleted file rows (a file, a group, a user who owned groups): removes
/// their objects. A failure is logged and left for the next reap or the start-up sweep.
pub async fn reap(st: &AppState, app: uuid::Uuid) {
    if let Err(e) = store::reap(&st.pool(), &st.objects, Some(app)).await {
        tracing::warn!(error = %e, "removing deleted files' objects failed; retried later");
    }
}
