//! Chatroom custom attributes (`reference/chatroom-attribute.md`): set, get, delete, and the
//! forced set and delete that reach other members' keys.

use super::room::{path_user, room_id};
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{state, AppAdmin, Body};
use actix_web::{HttpRequest, HttpResponse};
use im_domain::room_attributes::{check_request, AutoDelete, KeyResults};
use im_store::rooms as store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn meta_data_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .min_properties(Some(1))
        .max_properties(Some(10))
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(4096)),
        ))
        .description(Some(
            "1–10 keys (1–128 characters of `[a-zA-Z0-9_.-]`) to values (1–4096 characters); \
             a key that breaks a rule is reported in `errorKeys`",
        ))
        .build()
}

fn auto_delete_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["DELETE", "NO_DELETE"]))
        .description(Some(
            "`DELETE` (default): the keys go when this member leaves; `NO_DELETE`: they stay. \
             Any case is accepted.",
        ))
        .build()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetChatroomAttributes {
    #[serde(default, rename = "metaData")]
    #[schema(required = true, schema_with = meta_data_schema)]
    pub meta_data: Option<Value>,
    /// `DELETE` (default): the keys go when this member leaves; `NO_DELETE`: they stay.
    #[serde(
        default,
        rename = "autoDelete",
        deserialize_with = "crate::lenient::opt_string"
    )]
    #[schema(schema_with = auto_delete_schema)]
    pub auto_delete: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatroomAttributeKeys {
    /// Key names; for a delete, 1–10 of them.
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<Vec<String>>)]
    pub keys: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteChatroomAttributes {
    /// The keys to delete, 1–10.
    #[serde(default)]
    #[schema(required = true, nullable = false, value_type = Vec<String>, min_items = 1, max_items = 10)]
    pub keys: Option<Vec<Value>>,
}

/// Per-key results.
#[derive(Serialize, ToSchema)]
pub struct KeyOutcome {
    /// The keys set or deleted.
    #[serde(rename = "successKeys")]
    pub success_keys: Vec<String>,
    /// Each key that was not, with the reason.
    #[serde(rename = "errorKeys")]
    pub error_keys: BTreeMap<String, String>,
}

impl From<KeyResults> for KeyOutcome {
    fn from(r: KeyResults) -> Self {
        Self {
            success_keys: r.success,
            error_keys: r.errors,
        }
    }
}

envelope_schema!(KeyOutcomeEnvelope, entities = [], { pub data: KeyOutcome, });
envelope_schema!(ChatroomAttributesEnvelope, entities = [], {
    /// Key to value.
    pub data: BTreeMap<String, String>,
});

fn key_text(v: &Value) -> ApiResult<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(ApiError::invalid(format!("{other} is not a key"))),
    }
}

fn keys_of(list: Option<Vec<Value>>) -> ApiResult<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    for v in list.unwrap_or_default() {
        let k = key_text(&v)?;
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    Ok(keys)
}

async fn set_impl(
    req: HttpRequest,
    admin: AppAdmin,
    body: SetChatroomAttributes,
    forced: bool,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let id = room_id(&req)?;
    let user = path_user(&req, "username")?;
    let raw = match body.meta_data {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(_) => return Err(ApiError::invalid("metaData must be an object")),
    };
    let mut pairs = Vec::with_capacity(raw.len());
    for (k, v) in &raw {
        let text = key_text(v)
            .map_err(|_| ApiError::invalid(format!("the value of {k} is not a string")))?;
        pairs.push((k.clone(), text));
    }
    let texts = pairs.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]);
    check_request(texts, pairs.len(), "metaData", limits)?;
    let auto = AutoDelete::parse(body.auto_delete.as_deref())?;
    let results = store::set_room_attributes(
        &st.pool(),
        admin.tenant.id,
        id,
        &user,
        store::AttributeSet {
            pairs,
            auto,
            forced,
        },
        limits,
    )
    .await?;
    Ok(Envelope::new()
        .path("/metadata/chatroom")
        .data(KeyOutcome::from(results))
        .respond(&req, &admin.tenant))
}

async fn delete_impl(
    req: HttpRequest,
    admin: AppAdmin,
    body: DeleteChatroomAttributes,
    forced: bool,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = path_user(&req, "username")?;
    let keys = keys_of(body.keys)?;
    check_request(
        keys.iter().map(String::as_str),
        keys.len(),
        "keys",
        &st.config.limits,
    )?;
    let results =
        store::delete_room_attributes(&st.pool(), admin.tenant.id, id, &user, keys, forced).await?;
    Ok(Envelope::new()
        .path("/metadata/chatroom")
        .data(KeyOutcome::from(results))
        .respond(&req, &admin.tenant))
}

/// Set a member's chatroom attributes: a key another member set, or one that does not fit in
/// the app's total, is refused (`errorKeys`).
#[utoipa::path(put, path = "/{org_name}/{app_name}/metadata/chatroom/{chatroom_id}/user/{username}", tag = "chatroom attributes", operation_id = "chatroom_attributes_set",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The member setting the keys", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = SetChatroomAttributes,
    responses(
        (status = 200, description = "`data.successKeys` and `data.errorKeys` (key to reason)", body = KeyOutcomeEnvelope),
        (status = 400, description = "invalid_parameter (`metaData must be provided`, `exceed allowed batch size 10`, a value that is not text, a bad `autoDelete`); forbidden_op `others are not allowed to be set` (every key belongs to another member); illegal_argument (a NUL character)", body = ErrorBody),
        (status = 401, description = "MetadataException `user is not in chatroom`; or no valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `the chatroom attributes of the app would exceed N bytes`: no key fits in the app's total (`limits.chatroom_attr_app_bytes`, 10 GiB); when some keys fit, the others are reported in `errorKeys` with that text", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<SetChatroomAttributes>,
) -> ApiResult<HttpResponse> {
    set_impl(req, admin, body, false).await
}

/// Set chatroom attributes over any member's keys.
#[utoipa::path(put, path = "/{org_name}/{app_name}/metadata/chatroom/{chatroom_id}/user/{username}/forced", tag = "chatroom attributes", operation_id = "chatroom_attributes_set_forced",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The member setting the keys", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = SetChatroomAttributes,
    responses(
        (status = 200, description = "`data.successKeys` and `data.errorKeys` (key to reason)", body = KeyOutcomeEnvelope),
        (status = 400, description = "invalid_parameter (`metaData must be provided`, `exceed allowed batch size 10`, a value that is not text, a bad `autoDelete`); illegal_argument (a NUL character)", body = ErrorBody),
        (status = 401, description = "MetadataException `user is not in chatroom`; or no valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `the chatroom attributes of the app would exceed N bytes`: no key fits in the app's total (`limits.chatroom_attr_app_bytes`, 10 GiB); when some keys fit, the others are reported in `errorKeys` with that text", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set_forced(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<SetChatroomAttributes>,
) -> ApiResult<HttpResponse> {
    set_impl(req, admin, body, true).await
}

/// Chosen keys (or all) of a chatroom.
#[utoipa::path(post, path = "/{org_name}/{app_name}/metadata/chatroom/{chatroom_id}", tag = "chatroom attributes", operation_id = "chatroom_attributes_get",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = ChatroomAttributeKeys,
    responses(
        (status = 200, description = "`data`: key to value; keys that do not exist are left out", body = ChatroomAttributesEnvelope),
        (status = 400, description = "invalid_parameter: a key that is not text", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<ChatroomAttributeKeys>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let keys = keys_of(body.keys)?;
    if keys.iter().any(|k| k.contains('\0')) {
        return Err(ApiError::illegal(
            "a key contains a NUL character (\\u0000)",
        ));
    }
    let found = store::room_attributes(&st.pool(), admin.tenant.id, id, &keys).await?;
    let data: BTreeMap<String, String> = found.into_iter().collect();
    Ok(Envelope::new()
        .path("/metadata/chatroom")
        .data(data)
        .respond(&req, &admin.tenant))
}

/// Delete keys the member set (`keys` in the body).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/metadata/chatroom/{chatroom_id}/user/{username}", tag = "chatroom attributes", operation_id = "chatroom_attributes_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The member deleting its keys", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = DeleteChatroomAttributes,
    responses(
        (status = 200, description = "`data.successKeys` and `data.errorKeys` (a key that does not exist or that another member set)", body = KeyOutcomeEnvelope),
        (status = 400, description = "invalid_parameter (`keys must be provided`, `exceed allowed batch size 10`); illegal_argument (a NUL character)", body = ErrorBody),
        (status = 401, description = "MetadataException `user is not in chatroom`; or no valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<DeleteChatroomAttributes>,
) -> ApiResult<HttpResponse> {
    delete_impl(req, admin, body, false).await
}

/// Delete keys whoever set them; the user need not be a member.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/metadata/chatroom/{chatroom_id}/user/{username}/forced", tag = "chatroom attributes", operation_id = "chatroom_attributes_delete_forced",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The user deleting the keys", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = DeleteChatroomAttributes,
    responses(
        (status = 200, description = "`data.successKeys` and `data.errorKeys` (a key that does not exist)", body = KeyOutcomeEnvelope),
        (status = 400, description = "invalid_parameter (`keys must be provided`, `exceed allowed batch size 10`); illegal_argument (a NUL character)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete_forced(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<DeleteChatroomAttributes>,
) -> ApiResult<HttpResponse> {
    delete_impl(req, admin, body, true).await
}
