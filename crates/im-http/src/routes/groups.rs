//! Groups (seed 002): the group face of the room core. Members, admins, moderation and the
//! announcement are the shared handlers of [`super::room`]; here are the handlers only groups
//! have, and those whose shapes differ from chatrooms'.

use super::room::*;
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{from_value, state, AppAdmin, Body, QueryParams};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use im_domain::room::{self, RoomId, RoomKind};
use im_domain::Limits;
use im_store::rooms::{self as store, Flags, NewRoom, Room, RoomUpdate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const KIND: RoomKind = RoomKind::Group;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateGroup {
    /// The group name, at most 128 characters by default (`limits.group_name_chars`; longer is
    /// 403 `exceed_limit`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub groupname: Option<String>,
    /// At most 512 characters by default (`limits.group_description_chars`; legacy `desc`);
    /// `""` is allowed.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(ignore)]
    pub desc: Option<String>,
    /// Whether the group is listed publicly. `"true"`/`"false"` are accepted.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(required = true, nullable = false)]
    pub public: Option<bool>,
    /// The owner's username.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub owner: Option<String>,
    /// At least 1 (default 2000), including the owner; at most 100000 by default (more is 403
    /// `exceed_limit`). A numeric string is accepted.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = 1)]
    pub maxusers: Option<i64>,
    /// Joining needs approval (legacy `approval`, `members_only`, `need_verify`).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub membersonly: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(ignore)]
    pub approval: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(ignore)]
    pub members_only: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(ignore)]
    pub need_verify: Option<bool>,
    /// Members may invite.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub allowinvites: Option<bool>,
    /// An invitee must accept.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub invite_need_confirm: Option<bool>,
    /// Members besides the owner, at most 100.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::username_array_schema)]
    pub members: Option<Vec<Value>>,
    /// At most 1024 characters by default (`limits.group_custom_chars`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub custom: Option<String>,
    /// Legacy: a client-chosen id, a positive integer (as a string or a number).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false, pattern = "^[1-9][0-9]{0,17}$")]
    pub groupid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupIdData {
    pub groupid: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupSummary {
    /// `{org}#{app}_{owner}`.
    pub owner: String,
    pub groupid: String,
    /// Members, the owner included.
    pub affiliations: i32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Ms since the epoch, as a string.
    pub last_modified: String,
    pub groupname: String,
}

#[allow(non_snake_case)]
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinedGroup {
    pub name: String,
    pub owner: String,
    pub id: String,
    pub groupId: String,
    pub description: String,
    pub disabled: bool,
    pub public: bool,
    pub allowinvites: bool,
    pub membersonly: bool,
    pub maxusers: i32,
    pub created: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinedGroupName {
    pub groupid: String,
    pub groupname: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDetails {
    pub id: String,
    pub name: String,
    pub description: String,
    pub membersonly: bool,
    pub allowinvites: bool,
    pub maxusers: i32,
    pub owner: String,
    pub created: i64,
    pub custom: String,
    /// Mute-all.
    pub mute: bool,
    pub affiliations_count: i32,
    pub disabled: bool,
    pub affiliations: Vec<Affiliation>,
    pub public: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisabledData {
    pub disabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDeleteResult {
    pub success: bool,
    pub groupid: String,
}

/// An id asked for in a details request that names no group (listed after the groups found).
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingGroup {
    pub id: String,
    /// `group id doesn't exist`.
    pub error: String,
}

/// One entry of a details answer.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum GroupDetailsItem {
    Found(GroupDetails),
    Missing(MissingGroup),
}

/// `true` for each field changed (`name` answers as `groupname`). Documentation only.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct GroupUpdateResult {
    #[schema(nullable = false)]
    pub groupname: Option<bool>,
    #[schema(nullable = false)]
    pub description: Option<bool>,
    #[schema(nullable = false)]
    pub maxusers: Option<bool>,
    #[schema(nullable = false)]
    pub membersonly: Option<bool>,
    #[schema(nullable = false)]
    pub allowinvites: Option<bool>,
    #[schema(nullable = false)]
    pub invite_need_confirm: Option<bool>,
    #[schema(nullable = false)]
    pub public: Option<bool>,
    #[schema(nullable = false)]
    pub custom: Option<bool>,
    #[schema(nullable = false)]
    pub newowner: Option<bool>,
}

envelope_schema!(GroupIdEnvelope, entities = [], {
    pub data: GroupIdData,
});
envelope_schema!(GroupListEnvelope, entities = [], {
    pub data: Vec<GroupSummary>,
    pub count: i64,
    /// Present only when another page exists.
    #[schema(nullable = false)]
    pub cursor: Option<String>,
});
envelope_schema!(JoinedGroupsEnvelope, entities = JoinedGroup, {
    pub data: Vec<JoinedGroupName>,
    pub count: i64,
    /// All the user's groups.
    pub total: i64,
});
envelope_schema!(GroupDetailsEnvelope, entities = [], {
    pub data: Vec<GroupDetailsItem>,
    /// The number of groups found.
    pub count: i64,
});
envelope_schema!(DisabledEnvelope, entities = [], {
    pub data: DisabledData,
    /// Always `{}`.
    #[schema(value_type = Object)]
    pub properties: serde_json::Map<String, Value>,
});
envelope_schema!(GroupDeleteEnvelope, entities = [], {
    pub data: GroupDeleteResult,
});
envelope_schema!(GroupUpdateEnvelope, entities = [], {
    pub data: GroupUpdateResult,
});
envelope_schema!(BoolEnvelope, entities = [], {
    pub data: bool,
});

fn check_group_texts(
    name: Option<&str>,
    description: Option<&str>,
    custom: Option<&str>,
    limits: &Limits,
) -> ApiResult<()> {
    if let Some(n) = name {
        room::check_chars("title", n, limits.group_name_chars)?;
    }
    if let Some(d) = description {
        room::check_chars("desc", d, limits.group_description_chars)?;
    }
    if let Some(c) = custom {
        room::check_chars("custom", c, limits.group_custom_chars)?;
    }
    Ok(())
}

/// Create a group.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatgroups", tag = "groups", operation_id = "groups_create",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = CreateGroup,
    responses(
        (status = 200, description = "`data.groupid`: the new group's id", body = GroupIdEnvelope),
        (status = 400, description = "invalid_parameter (`groupname must be provided`, `description must be provided`, `public must be provided`, `owner must be provided`, bad maxusers or groupid, more than 100 members); illegal_argument (`group ID X already exists!`); json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "exceed_limit (title, desc, custom, maxusers); forbidden_op (group full, a user in too many groups)", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn create(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<CreateGroup>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let name = body
        .groupname
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::invalid("groupname must be provided"))?;
    let description = body
        .description
        .or(body.desc)
        .ok_or_else(|| ApiError::invalid("description must be provided"))?;
    let public = body
        .public
        .ok_or_else(|| ApiError::invalid("public must be provided"))?;
    let custom = body.custom.unwrap_or_default();
    check_group_texts(Some(&name), Some(&description), Some(&custom), limits)?;
    let owner = required_user(body.owner, "owner")?;
    let maxusers = room::maxusers(KIND, body.maxusers, limits)?;
    let id = match body.groupid.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(RoomId::parse(raw).ok_or_else(|| {
            ApiError::invalid(format!("groupid [{raw}] is not a positive integer"))
        })?),
    };
    let list = body.members.unwrap_or_default();
    if list.len() > limits.group_create_members {
        return Err(ApiError::invalid(format!(
            "members size is more than max limit : {}",
            limits.group_create_members
        )));
    }
    let members = names_of(&list)?;
    let flags = Flags {
        public,
        membersonly: body
            .membersonly
            .or(body.approval)
            .or(body.members_only)
            .or(body.need_verify)
            .unwrap_or(false),
        allowinvites: body.allowinvites.unwrap_or(false),
        invite_need_confirm: body.invite_need_confirm.unwrap_or(true),
    };
    let created = store::create(
        &st.pool(),
        admin.tenant.id,
        KIND,
        NewRoom {
            id,
            name,
            description,
            maxusers,
            owner,
            members,
            custom,
            flags,
        },
        limits.groups_per_user,
    )
    .await?;
    Ok(Envelope::new()
        .data(GroupIdData {
            groupid: created.id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

/// List the app's groups, newest first, `limit` (1–100, default 10) at a time.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatgroups", tag = "groups", operation_id = "groups_list",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("limit" = Option<i64>, Query, description = "1–100, default 10"),
           ("cursor" = Option<String>, Query, description = "From the previous page")),
    responses(
        (status = 200, description = "A page of groups; `cursor` when more follow", body = GroupListEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit or cursor", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let (rows, next) = rooms_page(&req, &admin, &q, 100, true).await?;
    let t = &admin.tenant;
    let data: Vec<GroupSummary> = rows
        .into_iter()
        .map(|r| GroupSummary {
            owner: format!("{}#{}_{}", t.org_name, t.app_name, r.owner),
            groupid: r.id.to_string(),
            affiliations: r.member_count,
            kind: "group",
            last_modified: im_store::millis(r.created_at).to_string(),
            groupname: r.name,
        })
        .collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .cursor(next)
        .field("params", q.to_json())
        .respond(&req, &admin.tenant))
}

/// The groups a user is in, newest join first (also `/chatgroups/user/{username}` and
/// `/users/{username}/joined_chatgroups`).
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatgroups/users/{username}", tag = "groups", operation_id = "groups_joined",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$"),
           ("pagenum" = Option<i64>, Query, description = "From 1 (default 1)"),
           ("pagesize" = Option<i64>, Query, description = "1–20, default 10")),
    responses(
        (status = 200, description = "`entities`: the page of groups; `total`: all the user's groups; `data`: the page as `{groupid, groupname}`", body = JoinedGroupsEnvelope),
        (status = 400, description = "invalid_parameter: bad paging values", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn joined(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let user = path_user(&req, "username")?;
    let pagenum = q.int("pagenum", 1, 1, i64::from(i32::MAX))?;
    let pagesize = q.int("pagesize", 10, 1, 20)?;
    let (rows, total) = store::joined(
        &st.pool(),
        admin.tenant.id,
        KIND,
        &user,
        (pagenum - 1) * pagesize,
        pagesize,
    )
    .await?;
    let names: Vec<JoinedGroupName> = rows
        .iter()
        .map(|r| JoinedGroupName {
            groupid: r.id.to_string(),
            groupname: r.name.clone(),
        })
        .collect();
    let entities: Vec<JoinedGroup> = rows
        .into_iter()
        .map(|r| JoinedGroup {
            id: r.id.to_string(),
            groupId: r.id.to_string(),
            name: r.name,
            owner: r.owner,
            description: r.description,
            disabled: r.disabled,
            public: r.public,
            allowinvites: r.allowinvites,
            membersonly: r.membersonly,
            maxusers: r.maxusers,
            created: im_store::millis(r.created_at),
        })
        .collect();
    Ok(Envelope::new()
        .entities(entities)
        .count(names.len())
        .data(names)
        .field("total", total)
        .field("params", q.to_json())
        .respond(&req, &admin.tenant))
}

/// Whether a user is a member of a group (GET also answers).
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatgroups/{group_id}/user/{username}/is_joined", tag = "groups", operation_id = "groups_is_joined",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `true` or `false`", body = BoolEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn is_joined(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = path_user(&req, "username")?;
    let member = store::is_member(&st.pool(), admin.tenant.id, KIND, id, &user).await?;
    Ok(Envelope::new().data(member).respond(&req, &admin.tenant))
}

fn details_of(r: Room, affiliations: Vec<Affiliation>) -> GroupDetails {
    GroupDetails {
        id: r.id.to_string(),
        name: r.name,
        description: r.description,
        membersonly: r.membersonly,
        allowinvites: r.allowinvites,
        maxusers: r.maxusers,
        owner: r.owner,
        created: im_store::millis(r.created_at),
        custom: r.custom,
        mute: r.muted_all,
        affiliations_count: r.member_count,
        disabled: r.disabled,
        affiliations,
        public: r.public,
    }
}

/// Details of one group or of up to 100 (comma-separated ids).
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatgroups/{group_id}", tag = "groups", operation_id = "groups_details",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("group_id" = String, Path, description = "One id, or up to 100 separated by `,` (`%2C`)", pattern = "^[0-9]{1,19}(,[0-9]{1,19})*$")),
    responses(
        (status = 200, description = "`data`: one object per group found; an id not found among several answers `{id, error}`", body = GroupDetailsEnvelope),
        (status = 400, description = "invalid_parameter: more than 100 ids", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found `do not find this group:X`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn details(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    room_details(req, admin, "group id doesn't exist", details_of).await
}

/// Update a group's fields (`groupname` or legacy `name`, `description`, `maxusers`,
/// `membersonly`, `allowinvites`, `invite_need_confirm`, `public`, `custom`) and/or transfer it
/// (`newowner`).
#[utoipa::path(put, path = "/{org_name}/{app_name}/chatgroups/{group_id}", tag = "groups", operation_id = "groups_update",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$")),
    request_body = UpdateGroup,
    responses(
        (status = 200, description = "`data`: `true` per field changed (`name` answers as `groupname`)", body = GroupUpdateEnvelope),
        (status = 400, description = "invalid_parameter (`some of [x] are not valid fields`, nothing to change, bad values)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "exceed_limit (lengths, maxusers); forbidden_op (maxusers below the count, transfer rules, disabled group)", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn update(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<Value>,
) -> ApiResult<HttpResponse> {
    const FIELDS: &[&str] = &[
        "groupname",
        "name",
        "description",
        "maxusers",
        "membersonly",
        "allowinvites",
        "invite_need_confirm",
        "public",
        "custom",
        "newowner",
    ];
    let st = state(&req)?;
    let id = room_id(&req)?;
    let Value::Object(fields) = &body else {
        return Err(ApiError::invalid("the request body must be a JSON object"));
    };
    let bad: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|k| !FIELDS.contains(k))
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::invalid(format!(
            "some of [{}] are not valid fields",
            bad.join(", ")
        )));
    }
    if fields.is_empty() {
        return Err(ApiError::invalid("at least one field must be provided"));
    }
    let mut result = serde_json::Map::new();
    for k in fields.keys() {
        let key = if k == "name" { "groupname" } else { k.as_str() };
        result.insert(key.to_owned(), Value::Bool(true));
    }
    let up: UpdateGroup = from_value(body)?;
    let limits = &st.config.limits;
    let name = up.groupname.or(up.name);
    check_group_texts(
        name.as_deref(),
        up.description.as_deref(),
        up.custom.as_deref(),
        limits,
    )?;
    let maxusers = up
        .maxusers
        .map(|m| room::maxusers(KIND, Some(m), limits))
        .transpose()?;
    let new_owner = up
        .newowner
        .map(|o| required_user(Some(o), "newowner"))
        .transpose()?;
    store::update(
        &st.pool(),
        admin.tenant.id,
        KIND,
        id,
        RoomUpdate {
            name,
            description: up.description,
            maxusers,
            new_owner,
            custom: up.custom,
            public: up.public,
            membersonly: up.membersonly,
            allowinvites: up.allowinvites,
            invite_need_confirm: up.invite_need_confirm,
        },
    )
    .await?;
    Ok(Envelope::new().data(result).respond(&req, &admin.tenant))
}

/// The fields to change (at least one; any other field is 400 `invalid_parameter`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub groupname: Option<String>,
    /// Legacy spelling of `groupname`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    #[schema(nullable = false, minimum = 1)]
    pub maxusers: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub membersonly: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub allowinvites: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub invite_need_confirm: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schema(nullable = false)]
    pub public: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
    pub custom: Option<String>,
    /// A member to become the owner.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(schema_with = crate::openapi::username_schema)]
    pub newowner: Option<String>,
}

/// Delete a group with everything in it (works on a disabled group).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatgroups/{group_id}", tag = "groups", operation_id = "groups_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data`: `{success: true, groupid}`", body = GroupDeleteEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    store::delete(&st.pool(), admin.tenant.id, KIND, id).await?;
    // Its shared files' objects, now that their rows are gone.
    super::group_files::reap(&st, admin.tenant.id).await;
    Ok(Envelope::new()
        .data(GroupDeleteResult {
            success: true,
            groupid: id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

async fn set_disabled(
    req: HttpRequest,
    admin: AppAdmin,
    disabled: bool,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    store::set_disabled(&st.pool(), admin.tenant.id, KIND, id, disabled).await?;
    Ok(Envelope::new()
        .data(DisabledData { disabled })
        .field("properties", serde_json::json!({}))
        .respond(&req, &admin.tenant))
}

/// Disable a group: it refuses every write but enable and delete; reads still work.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatgroups/{group_id}/disable", tag = "groups", operation_id = "groups_disable",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data`: `{disabled: true}`", body = DisabledEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn disable(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    set_disabled(req, admin, true).await
}

/// Enable a disabled group.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatgroups/{group_id}/enable", tag = "groups", operation_id = "groups_enable",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data`: `{disabled: false}`", body = DisabledEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
        (status = 503, description = "service_unavailable", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn enable(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    set_disabled(req, admin, false).await
}
