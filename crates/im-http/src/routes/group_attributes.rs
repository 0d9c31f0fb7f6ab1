//! Group member attributes (`/metadata/chatgroup/{group_id}/…`).

use super::room::{path_user, room_id, value_name};
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{state, AppAdmin, Body};
use actix_web::{HttpRequest, HttpResponse};
use im_domain::attributes::Patch;
use im_domain::room::RoomKind;
use im_domain::Username;
use im_store::rooms as store;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

const KIND: RoomKind = RoomKind::Group;

fn non_empty_object() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Object)
        .min_properties(Some(1))
        .additional_properties(Some(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .max_length(Some(512)),
        ))
        .build()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetAttributes {
    /// Keys (1–16 bytes) to values (≤ 512 bytes); `""` deletes the key.
    #[serde(default, rename = "metaData")]
    #[schema(required = true, schema_with = non_empty_object)]
    pub meta_data: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GetAttributes {
    /// Members to read, at most 10.
    #[serde(default)]
    #[schema(required = true, nullable = false, value_type = Vec<String>, min_items = 1, max_items = 10)]
    pub targets: Option<Vec<Value>>,
    /// Keys to read; none or `[]` means every key.
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<Vec<String>>)]
    pub properties: Option<Vec<Value>>,
}

envelope_schema!(AttributesEnvelope, entities = [], {
    /// Key to value.
    pub data: std::collections::BTreeMap<String, String>,
});
envelope_schema!(MemberAttributesEnvelope, entities = [], {
    /// Username to its attributes (key to value); members not found are left out.
    pub data: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
});

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Set a member's attributes: merged into its keys; `""` deletes a key.
#[utoipa::path(put, path = "/{org_name}/{app_name}/metadata/chatgroup/{group_id}/user/{username}", tag = "group members", operation_id = "group_attributes_set",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = SetAttributes,
    responses(
        (status = 200, description = "`data`: the member's attributes after the merge", body = AttributesEnvelope),
        (status = 400, description = "invalid_parameter (`metaData must be provided`, a key over 16 bytes, a value over 512 bytes or not text)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op (over 4096 bytes per member, not a member, disabled group)", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<SetAttributes>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let id = room_id(&req)?;
    let user = path_user(&req, "username")?;
    let Some(Value::Object(raw)) = body.meta_data else {
        return Err(ApiError::invalid("metaData must be provided"));
    };
    let mut pairs = Vec::with_capacity(raw.len());
    for (k, v) in &raw {
        let text = text_of(v)
            .ok_or_else(|| ApiError::invalid(format!("the value of {k} is not a string")))?;
        pairs.push((k.clone(), text));
    }
    let patch = Patch::parse(pairs, limits)?;
    let all =
        store::set_attributes(&st.pool(), admin.tenant.id, KIND, id, &user, &patch, limits).await?;
    Ok(Envelope::new().data(all).respond(&req, &admin.tenant))
}

/// One member's attributes.
#[utoipa::path(get, path = "/{org_name}/{app_name}/metadata/chatgroup/{group_id}/user/{username}", tag = "group members", operation_id = "group_attributes_get",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: the member's attributes (`{}` when none)", body = AttributesEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: not a member", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = path_user(&req, "username")?;
    let attrs = store::attributes_of(&st.pool(), admin.tenant.id, KIND, id, &user).await?;
    Ok(Envelope::new().data(attrs).respond(&req, &admin.tenant))
}

/// Chosen keys (or all) of up to 10 members: `data: {user: {key: value}}`; users that are not
/// members are left out.
#[utoipa::path(post, path = "/{org_name}/{app_name}/metadata/chatgroup/{group_id}/get", tag = "group members", operation_id = "group_attributes_get_many",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$")),
    request_body = GetAttributes,
    responses(
        (status = 200, description = "`data`: attributes per member", body = MemberAttributesEnvelope),
        (status = 400, description = "invalid_parameter (`targets must be provided`, more than 10 targets); illegal_argument (a NUL character in a target or a property)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get_many(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<GetAttributes>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let id = room_id(&req)?;
    let targets = body.targets.unwrap_or_default();
    if targets.is_empty() {
        return Err(ApiError::invalid("targets must be provided"));
    }
    if targets.len() > limits.member_attr_targets {
        return Err(ApiError::invalid(format!(
            "targets size is more than max limit : {}",
            limits.member_attr_targets
        )));
    }
    // A name that cannot be a username cannot be a member either: it is simply left out.
    let mut names: Vec<Username> = Vec::with_capacity(targets.len());
    for t in &targets {
        if let Ok(n) = Username::parse(&value_name(t)?) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let properties = body.properties.unwrap_or_default();
    if properties
        .iter()
        .any(|p| matches!(p, Value::String(s) if s.contains('\0')))
    {
        return Err(ApiError::illegal(
            "a property contains a NUL character (\\u0000)",
        ));
    }
    let keys: Vec<String> = properties.iter().filter_map(text_of).collect();
    let found =
        store::attributes_of_many(&st.pool(), admin.tenant.id, KIND, id, &names, &keys).await?;
    let data: Map<String, Value> = found
        .into_iter()
        .map(|(u, a)| (u, serde_json::json!(a)))
        .collect();
    Ok(Envelope::new().data(data).respond(&req, &admin.tenant))
}
