//! User attributes (`/metadata/user/…`; the contract is API-NOTES §7).

use super::room::value_name;
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{parse_json, segment, state, AppAdmin, Body, RawBody};
use actix_web::{HttpRequest, HttpResponse};
use im_domain::attributes::Patch;
use im_domain::{room, Username};
use im_store::user_attributes as store;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The set body: pairs of key and value, form-urlencoded (`k1=v1&k2=v2`) or as a JSON object;
/// with an empty body, the query string's pairs are read instead.
#[derive(ToSchema)]
pub struct SetUserAttributes(pub BTreeMap<String, String>);

#[derive(Debug, Deserialize, ToSchema)]
pub struct GetUserAttributes {
    /// Users to read, at most 100.
    #[serde(default)]
    #[schema(required = true, nullable = false, value_type = Vec<String>, min_items = 1, max_items = 100)]
    pub targets: Option<Vec<Value>>,
    /// Keys to read; none or `[]` means every key.
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<Vec<String>>)]
    pub properties: Option<Vec<Value>>,
}

envelope_schema!(UserAttributesEnvelope, entities = [], {
    /// Key to value.
    pub data: BTreeMap<String, String>,
});
envelope_schema!(UsersAttributesEnvelope, entities = [], {
    /// Username to its attributes (key to value); users that do not exist are left out.
    pub data: BTreeMap<String, BTreeMap<String, String>>,
});
envelope_schema!(UserAttributesDeletedEnvelope, entities = [], {
    /// Always `true`.
    pub data: bool,
});
envelope_schema!(CapacityEnvelope, entities = [], {
    /// Bytes used by every user attribute of the app.
    pub data: i64,
});

fn text_of(k: &str, v: &Value) -> ApiResult<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ApiError::invalid(format!(
            "the value of {k} is not a string"
        ))),
    }
}

/// The pairs a set sends: a JSON object, else form-urlencoded pairs, else (no body) the query.
fn pairs_of(req: &HttpRequest, body: &[u8]) -> ApiResult<Vec<(String, String)>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::illegal("the body is not UTF-8 text"))?
        .trim();
    if text.starts_with('{') {
        let obj: Map<String, Value> = parse_json(text.as_bytes())?;
        return obj
            .iter()
            .map(|(k, v)| Ok((k.clone(), text_of(k, v)?)))
            .collect();
    }
    let source = if text.is_empty() {
        req.query_string()
    } else {
        text
    };
    Ok(form_urlencoded::parse(source.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

fn path_user(req: &HttpRequest) -> ApiResult<Username> {
    let raw = segment(req, "username")?;
    Username::parse(&raw).map_err(|_| room::user_not_found(&raw).into())
}

/// Set a user's attributes: merged into its keys; `""` deletes a key.
#[utoipa::path(put, path = "/{org_name}/{app_name}/metadata/user/{username}", tag = "user attributes", operation_id = "user_attributes_set",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body(content = SetUserAttributes, content_type = "application/x-www-form-urlencoded", description = "`k1=v1&k2=v2`; a JSON object works too, and with no body the query string's pairs are read"),
    responses(
        (status = 200, description = "`data`: the user's attributes after the merge", body = UserAttributesEnvelope),
        (status = 400, description = "invalid_parameter (no pairs, an empty key, a value that is not text); illegal_argument (a NUL character)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: the user's attributes would exceed 2048 bytes (`limits.user_attr_bytes_per_user`), or the app's user attributes would exceed their total (`the user attributes of the app would exceed N bytes`, `limits.user_attr_app_bytes`, 10 GiB)", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
        (status = 405, description = "method_not_allowed: `get` and `capacity` are the fixed paths `/metadata/user/get` (POST) and `/metadata/user/capacity` (GET), not usernames", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set(req: HttpRequest, admin: AppAdmin, body: RawBody) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let user = path_user(&req)?;
    let pairs = pairs_of(&req, &body.0)?;
    if pairs.is_empty() {
        return Err(ApiError::invalid("the attributes must be provided"));
    }
    let total = limits.user_attr_bytes_per_user;
    let patch = Patch::parse_with(pairs, total, usize::MAX)?;
    let all = store::set(&st.pool(), admin.tenant.id, user.as_str(), &patch, limits).await?;
    Ok(Envelope::new().data(all).respond(&req, &admin.tenant))
}

/// A user's attributes (`{}` when none).
#[utoipa::path(get, path = "/{org_name}/{app_name}/metadata/user/{username}", tag = "user attributes", operation_id = "user_attributes_get",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: the user's attributes", body = UserAttributesEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
        (status = 405, description = "method_not_allowed: `get` and `capacity` are the fixed paths `/metadata/user/get` (POST) and `/metadata/user/capacity` (GET), not usernames", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let user = path_user(&req)?;
    let attrs = store::of_user(&st.pool(), admin.tenant.id, user.as_str()).await?;
    Ok(Envelope::new().data(attrs).respond(&req, &admin.tenant))
}

/// Chosen keys (or all) of up to 100 users: `data: {user: {key: value}}`.
#[utoipa::path(post, path = "/{org_name}/{app_name}/metadata/user/get", tag = "user attributes", operation_id = "user_attributes_get_many",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = GetUserAttributes,
    responses(
        (status = 200, description = "`data`: attributes per user that exists", body = UsersAttributesEnvelope),
        (status = 400, description = "invalid_parameter (`targets must be provided`, more than 100 targets); illegal_argument (a NUL character in a target or a property)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get_many(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<GetUserAttributes>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let max = st.config.limits.user_attr_targets;
    let targets = body.targets.unwrap_or_default();
    if targets.is_empty() {
        return Err(ApiError::invalid("targets must be provided"));
    }
    if targets.len() > max {
        return Err(ApiError::invalid(format!(
            "targets size is more than max limit : {max}"
        )));
    }
    // A name that cannot be a username cannot exist: it is simply left out.
    let mut names: Vec<String> = Vec::with_capacity(targets.len());
    for t in &targets {
        if let Ok(n) = Username::parse(&value_name(t)?) {
            if !names.iter().any(|m| m == n.as_str()) {
                names.push(n.as_str().to_owned());
            }
        }
    }
    let mut keys = Vec::new();
    for p in body.properties.unwrap_or_default() {
        let key = text_of("properties", &p)?;
        if key.contains('\0') {
            return Err(ApiError::illegal(
                "a property contains a NUL character (\\u0000)",
            ));
        }
        keys.push(key);
    }
    let found = store::of_users(&st.pool(), admin.tenant.id, &names, &keys).await?;
    let data: Map<String, Value> = found
        .into_iter()
        .map(|(u, a)| (u, serde_json::json!(a)))
        .collect();
    Ok(Envelope::new().data(data).respond(&req, &admin.tenant))
}

/// Remove all of a user's attributes.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/metadata/user/{username}", tag = "user attributes", operation_id = "user_attributes_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `true`, also when there were none", body = UserAttributesDeletedEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
        (status = 405, description = "method_not_allowed: `get` and `capacity` are the fixed paths `/metadata/user/get` (POST) and `/metadata/user/capacity` (GET), not usernames", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let user = path_user(&req)?;
    store::delete(&st.pool(), admin.tenant.id, user.as_str()).await?;
    Ok(Envelope::new().data(true).respond(&req, &admin.tenant))
}

/// Bytes used by every user attribute of the app.
#[utoipa::path(get, path = "/{org_name}/{app_name}/metadata/user/capacity", tag = "user attributes", operation_id = "user_attributes_capacity",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    responses(
        (status = 200, description = "`data`: bytes", body = CapacityEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn capacity(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let used = store::capacity(&st.pool(), admin.tenant.id).await?;
    Ok(Envelope::new().data(used).respond(&req, &admin.tenant))
}
