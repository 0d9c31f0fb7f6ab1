//! Global user mutes (`/mutes`) and force offline (`/users/{username}/disconnect`), from
//! `reference/users.md`.

use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{segment, state, AppAdmin, Body, QueryParams};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use im_domain::user_mutes::{remaining_seconds, MuteChange, MuteKind};
use im_domain::Username;
use im_store::user_mutes as store;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// A global mute set: seconds per conversation type (`0` lifts, `-1` for ever).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetMutes {
    /// The user to mute.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub username: Option<String>,
    /// One-to-one chats: seconds (at most 2147483647), `0` lifts, `-1` for ever.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = -1, maximum = 2147483647)]
    pub chat: Option<i64>,
    /// Groups, likewise.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = -1, maximum = 2147483647)]
    pub groupchat: Option<i64>,
    /// Chatrooms, likewise.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = -1, maximum = 2147483647)]
    pub chatroom: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MuteResult {
    /// Always `ok`.
    pub result: String,
}

/// One user's global mutes: seconds left per type (`0` none, `-1` for ever).
#[derive(Serialize, ToSchema)]
pub struct UserMutes {
    /// `org#app_username`.
    pub userid: String,
    pub chat: i64,
    pub groupchat: i64,
    pub chatroom: i64,
    /// Now, in seconds since the epoch.
    pub unixtime: i64,
}

/// A page of the app's mutes: one item per user and type, `{username, <type>: seconds left}`.
#[derive(Serialize, ToSchema)]
pub struct MutePage {
    #[schema(value_type = Vec<std::collections::BTreeMap<String, Value>>)]
    pub data: Vec<Value>,
    /// Now, in seconds since the epoch.
    pub unixtime: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DisconnectResult {
    /// Always `true`: imserver holds no client connections, so none is left open.
    pub result: bool,
}

envelope_schema!(MuteSetEnvelope, entities = [], { pub data: MuteResult, });
envelope_schema!(UserMutesEnvelope, entities = [], { pub data: UserMutes, });
envelope_schema!(MutePageEnvelope, entities = [], { pub data: MutePage, });
envelope_schema!(DisconnectEnvelope, entities = [], {
    pub data: DisconnectResult,
    pub count: i64,
});

const USER_MISSING: &str = "Entity user requires a property named username";

/// The page's answer for a missing or unknown user.
fn user_missing() -> ApiError {
    ApiError::bad_request("required_property_not_found", USER_MISSING)
}

/// Set a user's global mutes.
#[utoipa::path(post, path = "/{org_name}/{app_name}/mutes", tag = "users", operation_id = "mutes_set",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = SetMutes,
    responses(
        (status = 200, description = "`data.result`: `ok`", body = MuteSetEnvelope),
        (status = 400, description = "required_property_not_found (no `username`, or no such user); invalid_parameter (a duration below -1 or above 2147483647)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<SetMutes>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let raw = body.username.ok_or_else(user_missing)?;
    let name = Username::parse(raw.trim()).map_err(|_| user_missing())?;
    let mut changes = Vec::new();
    for (kind, secs) in [
        (MuteKind::Chat, body.chat),
        (MuteKind::Groupchat, body.groupchat),
        (MuteKind::Chatroom, body.chatroom),
    ] {
        if let Some(secs) = secs {
            changes.push((kind, MuteChange::parse(kind, secs)?));
        }
    }
    if !store::set(
        &st.pool(),
        admin.tenant.id,
        name.as_str(),
        &changes,
        Utc::now(),
    )
    .await?
    {
        return Err(user_missing());
    }
    Ok(Envelope::new()
        .path("/mutes")
        .data(json!({"result": "ok"}))
        .respond(&req, &admin.tenant))
}

/// One user's global mutes, as seconds left.
#[utoipa::path(get, path = "/{org_name}/{app_name}/mutes/{username}", tag = "users", operation_id = "mutes_get",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "Seconds left per type", body = UserMutesEnvelope),
        (status = 400, description = "required_property_not_found: no such user", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let name = Username::parse(&segment(&req, "username")?).map_err(|_| user_missing())?;
    let now = Utc::now();
    let mutes = store::of_user(&st.pool(), admin.tenant.id, name.as_str(), now)
        .await?
        .ok_or_else(user_missing)?;
    let left = |kind: MuteKind| {
        let m = mutes.iter().find(|m| m.kind == kind.as_str());
        remaining_seconds(
            m.map(|m| m.expires_at.map(|t| t.timestamp_millis())),
            now.timestamp_millis(),
        )
    };
    let t = &admin.tenant;
    let data = UserMutes {
        userid: format!("{}#{}_{}", t.org_name, t.app_name, name.as_str()),
        chat: left(MuteKind::Chat),
        groupchat: left(MuteKind::Groupchat),
        chatroom: left(MuteKind::Chatroom),
        unixtime: now.timestamp(),
    };
    Ok(Envelope::new()
        .path("/mutes")
        .data(data)
        .respond(&req, &admin.tenant))
}

/// The app's global mutes in force, a page at a time.
#[utoipa::path(get, path = "/{org_name}/{app_name}/mutes", tag = "users", operation_id = "mutes_list",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("pageNum" = Option<i64>, Query, description = "From 1 (default 1; values below 1 read as 1); `pagenum` also works"),
           ("pageSize" = Option<i64>, Query, description = "1–50 (default 10; values outside are clamped); `pagesize` also works")),
    responses(
        (status = 200, description = "One item per user and type, by user", body = MutePageEnvelope),
        (status = 400, description = "invalid_parameter: a pageNum or pageSize that is not an integer", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let (offset, size) = crate::routes::room::page_args_camel(&q, 10, 50)?;
    let now = Utc::now();
    let rows = store::page(&st.pool(), admin.tenant.id, now, offset, size).await?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|m| {
            let mut item = Map::new();
            item.insert("username".into(), json!(m.username));
            let left = remaining_seconds(
                Some(m.expires_at.map(|t| t.timestamp_millis())),
                now.timestamp_millis(),
            );
            item.insert(m.kind, json!(left));
            Value::Object(item)
        })
        .collect();
    Ok(Envelope::new()
        .path("/mutes")
        .data(MutePage {
            data,
            unixtime: now.timestamp(),
        })
        .respond(&req, &admin.tenant))
}

/// Force a user offline on every device. imserver holds no client connections, so there is
/// nothing to close: an existing user gets `result: true`.
#[utoipa::path(get, path = "/{org_name}/{app_name}/users/{username}/disconnect", tag = "users", operation_id = "users_disconnect",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data.result`: `true`", body = DisconnectEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found: no such user; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn disconnect(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    disconnected(&req, &admin).await
}

/// Force a user offline on one device (`{resource_id}`, e.g. `android_123423453246`); answered
/// like the all-devices form.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/users/{username}/disconnect/{resource_id}", tag = "users", operation_id = "users_disconnect_device",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$"),
           ("resource_id" = String, Path, description = "The device's resource id, `{device type}_{resource id}`")),
    responses(
        (status = 200, description = "`data.result`: `true`", body = DisconnectEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found: no such user; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn disconnect_device(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    disconnected(&req, &admin).await
}

async fn disconnected(req: &HttpRequest, admin: &AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(req)?;
    let name = Username::parse(&segment(req, "username")?)
        .map_err(|_| ApiError::service_resource_not_found())?;
    im_store::users::get(&st.pool(), admin.tenant.id, name.as_str())
        .await?
        .ok_or_else(ApiError::service_resource_not_found)?;
    Ok(Envelope::new()
        .data(DisconnectResult { result: true })
        .count(0)
        .respond(req, &admin.tenant))
}
