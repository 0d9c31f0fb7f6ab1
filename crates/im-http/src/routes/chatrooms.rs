//! Chatrooms (seeds 000, 001, 003; `reference/chatroom-*.md`): the chatroom face of the room
//! core in `im_store::rooms`.

use super::room::*;
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{state, AppAdmin, Body, QueryParams};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use im_domain::room::{self, RoomKind};
use im_store::rooms::{self as store, NewRoom, Room, RoomUpdate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

const KIND: RoomKind = RoomKind::Chatroom;

// ---------------------------------------------------------------------------------------------
// Wire types

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateChatroom {
    /// The chatroom name, at most 128 characters by default (`limits.chatroom_name_chars`;
    /// longer is 403 `exceed_limit`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub name: Option<String>,
    /// At most 512 characters by default (`limits.chatroom_description_chars`); `""` is
    /// allowed.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false)]
    pub description: Option<String>,
    /// At least 1 (default 1000), including the owner; at most 100000 by default
    /// (`limits.chatroom_maxusers_ceiling`; more is 403 `exceed_limit`). A numeric string is
    /// accepted.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = 1)]
    pub maxusers: Option<i64>,
    /// The owner's username.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub owner: Option<String>,
    /// Members besides the owner.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::username_array_schema)]
    pub members: Option<Vec<Value>>,
    /// Extension data, at most 8192 bytes by default (`limits.chatroom_custom_bytes`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub custom: Option<String>,
}

/// `name`, `description` and `maxusers` update the room; `newowner` transfers it. At least one
/// field; any other field is 400 `invalid_parameter`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChatroom {
    /// At most 128 characters by default.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// At most 512 characters by default.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    /// At least 1, not below the current member count (403).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = 1)]
    pub maxusers: Option<i64>,
    /// A member to become the owner.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(schema_with = crate::openapi::username_schema)]
    pub newowner: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SuperAdminBody {
    /// A user to make a chatroom super admin.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub superadmin: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatroomIdData {
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatroomSummary {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub affiliations_count: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinedChatroom {
    pub id: String,
    pub name: String,
    /// Always `"false"` for chatrooms.
    pub disabled: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatroomDetails {
    pub id: String,
    pub name: String,
    pub description: String,
    pub membersonly: bool,
    pub allowinvites: bool,
    pub maxusers: i32,
    pub owner: String,
    /// Creation time, ms.
    pub created: i64,
    pub custom: String,
    pub affiliations_count: i32,
    /// Owner first, then members in join order; at most `limits.details_affiliations` entries.
    pub affiliations: Vec<Affiliation>,
    pub public: bool,
    /// Whether mute-all (ban) is on.
    pub mute: bool,
}

/// An id asked for in a details request that names no chatroom (listed after the rooms found).
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingChatroom {
    pub id: String,
    /// `chatroom id doesn't exist`.
    pub error: String,
}

/// One entry of a details answer.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum DetailsItem {
    Found(ChatroomDetails),
    Missing(MissingChatroom),
}

/// `true` for each change made.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateResult {
    /// The name changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub groupname: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub maxusers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub newowner: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeleteResult {
    pub success: bool,
    pub id: String,
}

#[allow(non_snake_case)]
#[derive(Debug, Serialize, ToSchema)]
pub struct SuperAdminResult {
    /// `success` (add).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub result: Option<&'static str>,
    /// The revoked super admin (remove).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub newSuperAdmin: Option<String>,
    /// Always `""`.
    pub resource: &'static str,
}

envelope_schema!(ChatroomIdEnvelope, entities = [], {
    pub data: ChatroomIdData,
});
envelope_schema!(ChatroomListEnvelope, entities = [], {
    pub data: Vec<ChatroomSummary>,
    pub count: i64,
    /// Present only when another page exists.
    #[schema(nullable = false)]
    pub cursor: Option<String>,
});
envelope_schema!(JoinedEnvelope, entities = [], {
    pub data: Vec<JoinedChatroom>,
    pub count: i64,
    /// Always `{}`.
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
});
envelope_schema!(DetailsEnvelope, entities = [], {
    pub data: Vec<DetailsItem>,
    /// The number of chatrooms found.
    pub count: i64,
});
envelope_schema!(UpdateEnvelope, entities = [], {
    pub data: UpdateResult,
});
envelope_schema!(DeleteEnvelope, entities = [], {
    pub data: DeleteResult,
});
envelope_schema!(SuperAdminEnvelope, entities = [], {
    pub data: SuperAdminResult,
});
envelope_schema!(SuperAdminRemovedEnvelope, entities = [], {
    pub data: SuperAdminResult,
    /// Always `{}`.
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
});

// ---------------------------------------------------------------------------------------------
// Rooms

/// Create a chatroom.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms", tag = "chatrooms", operation_id = "chatrooms_create",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = CreateChatroom,
    responses(
        (status = 200, description = "`data.id`: the new chatroom's id", body = ChatroomIdEnvelope),
        (status = 400, description = "invalid_parameter (`name must be provided`, `description must be provided`, `owner must be provided`, maxusers below 1, a member name that is not a string); illegal_argument (a field of the wrong type); json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "exceed_limit (`title cannot exceed to 128`, `desc cannot exceed to 512`, `custom cannot exceed to 8192`, `maxUsers cannot exceed 100000`); forbidden_op (`members size is greater than max user size !`, a user `has joined too many chatrooms!`)", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn create(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<CreateChatroom>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let name = body
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::invalid("name must be provided"))?;
    let description = body
        .description
        .ok_or_else(|| ApiError::invalid("description must be provided"))?;
    check_texts(Some(&name), Some(&description), limits)?;
    let custom = body.custom.unwrap_or_default();
    room::check_bytes("custom", &custom, limits.chatroom_custom_bytes)?;
    let owner = required_user(body.owner, "owner")?;
    let maxusers = room::maxusers(KIND, body.maxusers, limits)?;
    let members = names_of(&body.members.unwrap_or_default())?;
    let created = store::create(
        &st.pool(),
        admin.tenant.id,
        KIND,
        NewRoom {
            id: None,
            name,
            description,
            maxusers,
            owner,
            members,
            custom,
            flags: Default::default(),
        },
        limits.chatrooms_per_user,
    )
    .await?;
    Ok(Envelope::new()
        .entities(no_entities())
        .data(ChatroomIdData {
            id: created.id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

/// List chatrooms in creation order, `limit` (1–1000, default 10) at a time.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms", tag = "chatrooms", operation_id = "chatrooms_list",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("limit" = Option<i64>, Query, description = "Page size; default 10, values outside 1–1000 are clamped"),
           ("cursor" = Option<String>, Query, description = "The `cursor` of the previous page")),
    responses(
        (status = 200, description = "A page of chatrooms; `cursor` when more follow", body = ChatroomListEnvelope),
        (status = 400, description = "invalid_parameter: a limit that is not an integer, a cursor this server did not issue", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let (rooms, next) = rooms_page(&req, &admin, &q, 1000, false).await?;
    let data: Vec<ChatroomSummary> = rooms
        .into_iter()
        .map(|r| ChatroomSummary {
            id: r.id.to_string(),
            name: r.name,
            owner: r.owner,
            affiliations_count: r.member_count,
        })
        .collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .cursor(next)
        .respond(&req, &admin.tenant))
}

/// The chatrooms a user is in, newest join first.
#[utoipa::path(get, path = "/{org_name}/{app_name}/users/{username}/joined_chatrooms", tag = "chatrooms", operation_id = "chatrooms_joined",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$"),
           ("pagenum" = Option<i64>, Query, description = "From 1 (default 1; values below 1 read as 1)"),
           ("pagesize" = Option<i64>, Query, description = "Default 1000, values outside 1–1000 are clamped; with neither parameter, the newest 500")),
    responses(
        (status = 200, description = "The user's chatrooms, newest join first", body = JoinedEnvelope),
        (status = 400, description = "invalid_parameter: a pagenum or pagesize that is not an integer", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn joined(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let user = path_user(&req, "username")?;
    // With neither paging parameter the hosted service answers the newest 500.
    let (offset, limit) = if q.get("pagenum").is_none() && q.get("pagesize").is_none() {
        (0, 500)
    } else {
        page_args(&q, 1000, 1000)?
    };
    let (rooms, _) = store::joined(&st.pool(), admin.tenant.id, KIND, &user, offset, limit).await?;
    let data: Vec<JoinedChatroom> = rooms
        .into_iter()
        .map(|r| JoinedChatroom {
            id: r.id.to_string(),
            name: r.name,
            disabled: r.disabled.to_string(),
        })
        .collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .field("properties", Map::new())
        .respond(&req, &admin.tenant))
}

fn details_of(r: Room, affiliations: Vec<Affiliation>) -> ChatroomDetails {
    ChatroomDetails {
        id: r.id.to_string(),
        name: r.name,
        description: r.description,
        membersonly: r.membersonly,
        allowinvites: r.allowinvites,
        maxusers: r.maxusers,
        owner: r.owner,
        created: im_store::millis(r.created_at),
        custom: r.custom,
        affiliations_count: r.member_count,
        affiliations,
        public: r.public,
        mute: r.muted_all,
    }
}

/// Details of one chatroom or of up to 100 (comma-separated ids).
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}", tag = "chatrooms", operation_id = "chatrooms_details",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("chatroom_id" = String, Path, description = "One id, or up to 100 separated by `,` (`%2C`)", pattern = "^[0-9]{1,19}(,[0-9]{1,19})*$")),
    responses(
        (status = 200, description = "Details in `data`, the rooms found first; an id among several that names no room appears as `{id, error}`", body = DetailsEnvelope),
        (status = 400, description = "invalid_parameter: more than 100 ids", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found `do not find this group:X` (no id names a room); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn details(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    room_details(req, admin, "chatroom id doesn't exist", details_of).await
}

/// Update a chatroom (`name`, `description`, `maxusers`) or transfer it (`newowner`).
#[utoipa::path(put, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}", tag = "chatrooms", operation_id = "chatrooms_update",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = UpdateChatroom,
    responses(
        (status = 200, description = "`data` has `groupname`/`description`/`maxusers`/`newowner`: true for each change", body = UpdateEnvelope),
        (status = 400, description = "invalid_parameter (`some of [x] are not valid fields`, nothing to change, not a JSON object, maxusers below 1); illegal_argument (a field of the wrong type); json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op (`current user count is larger than the maxUsers that you want to update !`, `new owner and old owner are the same`, new owner not a member); exceed_limit (name, description or maxusers too large)", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn update(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<Value>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let Value::Object(fields) = &body else {
        return Err(ApiError::invalid("the request body must be a JSON object"));
    };
    let bad: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "name" | "description" | "maxusers" | "newowner"))
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::invalid(format!(
            "some of [{}] are not valid fields",
            bad.join(", ")
        )));
    }
    let up: UpdateChatroom = crate::extract::from_value(body)?;
    if up.name.is_none()
        && up.description.is_none()
        && up.maxusers.is_none()
        && up.newowner.is_none()
    {
        return Err(ApiError::invalid(
            "at least one of name, description, maxusers or newowner must be provided",
        ));
    }
    let limits = &st.config.limits;
    check_texts(up.name.as_deref(), up.description.as_deref(), limits)?;
    let maxusers = up
        .maxusers
        .map(|m| room::maxusers(KIND, Some(m), limits))
        .transpose()?;
    let new_owner = up
        .newowner
        .clone()
        .map(|o| required_user(Some(o), "newowner"))
        .transpose()?;
    let result = UpdateResult {
        groupname: up.name.as_ref().map(|_| true),
        description: up.description.as_ref().map(|_| true),
        maxusers: maxusers.map(|_| true),
        newowner: new_owner.as_ref().map(|_| true),
    };
    store::update(
        &st.pool(),
        admin.tenant.id,
        KIND,
        id,
        RoomUpdate {
            name: up.name,
            description: up.description,
            maxusers,
            new_owner,
            ..Default::default()
        },
    )
    .await?;
    Ok(Envelope::new().data(result).respond(&req, &admin.tenant))
}

/// Delete a chatroom.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}", tag = "chatrooms", operation_id = "chatrooms_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data`: `{success: true, id}`", body = DeleteEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    store::delete(&st.pool(), admin.tenant.id, KIND, id).await?;
    Ok(Envelope::new()
        .data(DeleteResult {
            success: true,
            id: id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

// ---------------------------------------------------------------------------------------------
// Super admins

/// List chatroom super admins.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/super_admin", tag = "chatroom super admins", operation_id = "chatrooms_super_admins",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("pagenum" = Option<i64>, Query, description = "From 1 (default 1)"),
           ("pagesize" = Option<i64>, Query, description = "Default 10, values outside 1–1000 are clamped")),
    responses(
        (status = 200, description = "Super admin usernames, oldest first", body = NamesEnvelope),
        (status = 400, description = "invalid_parameter: a pagenum or pagesize that is not an integer", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn super_admins(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let (offset, limit) = page_args(&q, 10, 1000)?;
    names_response(
        &req,
        &admin,
        store::super_admins(&st.pool(), admin.tenant.id, offset, limit).await?,
    )
}

/// Make a user a chatroom super admin.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/super_admin", tag = "chatroom super admins", operation_id = "chatrooms_add_super_admin",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = SuperAdminBody,
    responses(
        (status = 200, description = "`data`: `{result: success, resource: \"\"}`", body = SuperAdminEnvelope),
        (status = 400, description = "invalid_parameter `superadmin must be provided`; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn add_super_admin(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<SuperAdminBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let user = required_user(body.superadmin, "superadmin")?;
    store::add_super_admin(&st.pool(), admin.tenant.id, &user).await?;
    Ok(Envelope::new()
        .data(SuperAdminResult {
            result: Some("success"),
            newSuperAdmin: None,
            resource: "",
        })
        .respond(&req, &admin.tenant))
}

/// Revoke a chatroom super admin.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/super_admin/{superadmin}", tag = "chatroom super admins", operation_id = "chatrooms_remove_super_admin",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("superadmin" = String, Path, description = "The super admin: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `{newSuperAdmin, resource: \"\"}`", body = SuperAdminRemovedEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found: unknown user or not a super admin; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn remove_super_admin(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let user = path_user(&req, "superadmin")?;
    store::remove_super_admin(&st.pool(), admin.tenant.id, &user).await?;
    Ok(Envelope::new()
        .data(SuperAdminResult {
            result: None,
            newSuperAdmin: Some(user.into_string()),
            resource: "",
        })
        .field("properties", Map::new())
        .respond(&req, &admin.tenant))
}
