//! Chatrooms (seeds 000, 001, 003; `reference/chatroom-*.md`): the chatroom face of the room
//! core in `im_store::rooms`.

use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{cursor, segment, state, AppAdmin, Body, QueryParams};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use im_domain::room::{self, MuteDuration, Outcome, RoomId, RoomKind};
use im_domain::{DomainError, Username};
use im_store::rooms::{self as store, NameList, NewRoom, Room, RoomUpdate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
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
    /// At most 512 characters by default (`limits.chatroom_description_chars`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false)]
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
pub struct UsernamesBody {
    /// Usernames (at most 60 by default, `limits.batch_add`).
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::username_batch_schema)]
    pub usernames: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MuteBody {
    /// Members to mute (at most 60 by default, `limits.batch_add`).
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::username_batch_schema)]
    pub usernames: Option<Vec<Value>>,
    /// Milliseconds from now, or `-1` for until 4638873600000. A numeric string is accepted.
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::mute_duration_schema)]
    pub mute_duration: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAdminBody {
    /// A member to make admin.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub newadmin: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SuperAdminBody {
    /// A user to make a chatroom super admin.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub superadmin: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnnouncementBody {
    /// The new announcement (`""` clears it), at most 512 characters by default
    /// (`limits.announcement_chars`; longer is 403).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false)]
    pub announcement: Option<String>,
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

/// `{"owner": name}` or `{"member": name}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Affiliation {
    Owner(String),
    Member(String),
}

impl Affiliation {
    fn of(name: String, role: i16) -> Self {
        if role == 2 {
            Self::Owner(name)
        } else {
            Self::Member(name)
        }
    }
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

/// A member page: `{owner}`/`{member}` objects (page form), or plain names (cursor form).
/// Documentation only. An empty page (`[]`) is described by the names branch, so that exactly
/// one branch matches every answer.
#[derive(Serialize)]
pub struct MemberList;

impl utoipa::PartialSchema for MemberList {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(Affiliation::name()))
                    .min_items(Some(1))
                    .description(Some("Page form: the owner first, then members in join order")),
            )
            .item(
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(
                        "Cursor form: usernames, the owner first (also an empty page of either form)",
                    )),
            )
            .description(Some(
                "`{owner}`/`{member}` objects (page form) or usernames (cursor form)",
            ))
            .into()
    }
}

impl ToSchema for MemberList {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            Affiliation::name().into_owned(),
            <Affiliation as utoipa::PartialSchema>::schema(),
        ));
        <Affiliation as ToSchema>::schemas(schemas);
    }
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

/// One user's result in a membership operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResult {
    pub result: bool,
    pub action: &'static str,
    /// Why it was not applied (`result: false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<String>,
    pub user: String,
    /// The chatroom id (member add/remove).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub id: Option<String>,
    /// The chatroom id (blocks, whitelist).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub chatroomid: Option<String>,
}

/// One result (one name without a comma) or an array of them (a comma list).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum MemberResultOneOrMany {
    One(MemberResult),
    Many(Vec<MemberResult>),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddedMembers {
    pub newmembers: Vec<String>,
    pub action: &'static str,
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminResult {
    /// `success`.
    pub result: &'static str,
    /// The new admin (add).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub newadmin: Option<String>,
    /// The former admin (remove).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub oldadmin: Option<String>,
}

/// A mute: listed (`expire`, `user`), set (`result`, `expire` or `reason`, `user`) or lifted
/// (`result`, `user`).
#[derive(Debug, Serialize, ToSchema)]
pub struct MuteEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub result: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<String>,
    /// Expiry, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub expire: Option<i64>,
    pub user: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MuteFlag {
    pub mute: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementData {
    pub announcement: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementResult {
    pub id: String,
    pub result: bool,
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
envelope_schema!(MembersEnvelope, entities = [], {
    pub data: MemberList,
    pub count: i64,
    /// Cursor form only: present when another page exists.
    #[schema(nullable = false)]
    pub cursor: Option<String>,
});
envelope_schema!(NamesEnvelope, entities = [], {
    pub data: Vec<String>,
    pub count: i64,
});
envelope_schema!(MemberResultEnvelope, entities = [], {
    pub data: MemberResult,
});
envelope_schema!(MemberResultsEnvelope, entities = [], {
    pub data: Vec<MemberResult>,
});
envelope_schema!(MemberResultOneOrManyEnvelope, entities = [], {
    pub data: MemberResultOneOrMany,
});
envelope_schema!(AddedEnvelope, entities = [], {
    pub data: AddedMembers,
});
envelope_schema!(AdminEnvelope, entities = [], {
    pub data: AdminResult,
});
envelope_schema!(MuteListEnvelope, entities = [], {
    pub data: Vec<MuteEntry>,
    pub count: i64,
});
envelope_schema!(MutesEnvelope, entities = [], {
    pub data: Vec<MuteEntry>,
});
envelope_schema!(MuteFlagEnvelope, entities = [], {
    pub data: MuteFlag,
});
envelope_schema!(AnnouncementEnvelope, entities = [], {
    pub data: AnnouncementData,
});
envelope_schema!(AnnouncementSetEnvelope, entities = [], {
    pub data: AnnouncementResult,
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
// Helpers

fn no_entities() -> Vec<Value> {
    Vec::new()
}

/// The room id in the path; one that cannot exist is `grpID X does not exist!`.
fn room_id(req: &HttpRequest) -> ApiResult<RoomId> {
    let raw = segment(req, "chatroom_id")?;
    RoomId::parse(&raw).ok_or_else(|| room::room_not_found(raw).into())
}

/// For detail and member-list reads: `do not find this group:X`.
fn listed_room_id(raw: &str) -> ApiResult<RoomId> {
    RoomId::parse(raw).ok_or_else(|| {
        DomainError::ServiceResourceNotFound(format!("do not find this group:{raw}")).into()
    })
}

/// Splits a comma list from a path segment (`a,b` or `a%2Cb`), trimmed, without empties or
/// repeats. Also says whether the segment held no comma at all.
fn comma_list(raw: &str) -> (Vec<String>, bool) {
    let raw = raw.replace("%2C", ",").replace("%2c", ",");
    let mut out: Vec<String> = Vec::new();
    for p in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    (out, !raw.contains(','))
}

/// The names in a path segment (see [`comma_list`]), at most `max`, and whether exactly one was
/// given without a comma.
fn path_names(
    req: &HttpRequest,
    name: &str,
    max: usize,
    too_many: &str,
) -> ApiResult<(Vec<Username>, bool)> {
    let (parts, single) = comma_list(&segment(req, name)?);
    if parts.len() > max {
        return Err(ApiError::invalid(format!("{too_many} : {max}")));
    }
    let mut names: Vec<Username> = Vec::with_capacity(parts.len());
    for p in &parts {
        let n = Username::parse(p).map_err(|_| ApiError::from(room::user_not_found(p)))?;
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.is_empty() {
        return Err(ApiError::invalid("usernames must be provided"));
    }
    Ok((names, single))
}

fn path_user(req: &HttpRequest, name: &str) -> ApiResult<Username> {
    let raw = segment(req, name)?;
    Username::parse(&raw).map_err(|_| room::user_not_found(&raw).into())
}

fn value_name(v: &Value) -> ApiResult<String> {
    match v {
        Value::String(s) => Ok(s.trim().to_owned()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(ApiError::invalid(format!("{other} is not a username"))),
    }
}

/// Names from a JSON array body, deduplicated; unknown-format names are 404 (cannot exist).
fn body_names(list: Option<Vec<Value>>, max: usize, too_many: &str) -> ApiResult<Vec<Username>> {
    let list = list.ok_or_else(|| ApiError::invalid("usernames must be provided"))?;
    if list.is_empty() {
        return Err(ApiError::invalid("usernames must be provided"));
    }
    if list.len() > max {
        return Err(ApiError::invalid(format!("{too_many} : {max}")));
    }
    let mut out: Vec<Username> = Vec::with_capacity(list.len());
    for v in &list {
        let raw = value_name(v)?;
        let name = Username::parse(&raw).map_err(|_| ApiError::from(room::user_not_found(&raw)))?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

fn required_user(raw: Option<String>, field: &str) -> ApiResult<Username> {
    let raw = raw
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid(format!("{field} must be provided")))?;
    Username::parse(raw.trim()).map_err(|_| room::user_not_found(raw.trim()).into())
}

fn results(
    outcomes: Vec<Outcome>,
    action: &'static str,
    id: RoomId,
    chatroomid: bool,
) -> Vec<MemberResult> {
    outcomes
        .into_iter()
        .map(|(name, o)| MemberResult {
            result: o.is_ok(),
            action,
            reason: o.err(),
            user: name.into_string(),
            id: (!chatroomid).then(|| id.to_string()),
            chatroomid: chatroomid.then(|| id.to_string()),
        })
        .collect()
}

/// `mute_duration` as sent: an integer (also written `60000.0`) or a numeric string; anything
/// else is invalid.
fn mute_millis(raw: Option<Value>) -> ApiResult<Option<i64>> {
    let bad = |v: &Value| {
        ApiError::invalid(format!(
            "mute_duration [{v}] is not a number of milliseconds"
        ))
    };
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| bad(&Value::Number(n.clone()))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(&Value::String(s.clone()))),
        Some(other) => Err(bad(&other)),
    }
}

/// A plain list of usernames with its `count`.
fn names_response(
    req: &HttpRequest,
    admin: &AppAdmin,
    names: Vec<String>,
) -> ApiResult<HttpResponse> {
    Ok(Envelope::new()
        .count(names.len())
        .data(names)
        .respond(req, &admin.tenant))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn page_args(q: &QueryParams, default_size: i64) -> ApiResult<(i64, i64)> {
    let pagenum = q.int("pagenum", 1, 1, i64::from(i32::MAX))?;
    let pagesize = q.int("pagesize", default_size, 1, 1000)?;
    Ok(((pagenum - 1) * pagesize, pagesize))
}

fn check_texts(
    name: Option<&str>,
    description: Option<&str>,
    limits: &im_domain::Limits,
) -> ApiResult<()> {
    if let Some(n) = name {
        room::check_chars("title", n, limits.chatroom_name_chars)?;
    }
    if let Some(d) = description {
        room::check_chars("desc", d, limits.chatroom_description_chars)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rooms

/// Create a chatroom.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms", tag = "chatrooms", operation_id = "chatrooms_create",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = CreateChatroom,
    responses(
        (status = 200, description = "`data.id`: the new chatroom's id", body = ChatroomIdEnvelope),
        (status = 400, description = "invalid_parameter (`name must be provided`, `owner must be provided`, maxusers below 1, a member name that is not a string); illegal_argument (a field of the wrong type); json_parse", body = ErrorBody),
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
    let description = body.description.unwrap_or_default();
    check_texts(Some(&name), Some(&description), limits)?;
    let custom = body.custom.unwrap_or_default();
    room::check_bytes("custom", &custom, limits.chatroom_custom_bytes)?;
    let owner = required_user(body.owner, "owner")?;
    let maxusers = room::chatroom_maxusers(body.maxusers, limits)?;
    let members = match body.members {
        None => Vec::new(),
        Some(list) => {
            let mut out: Vec<Username> = Vec::new();
            for v in &list {
                let raw = value_name(v)?;
                out.push(
                    Username::parse(&raw)
                        .map_err(|_| ApiError::from(room::user_not_found(&raw)))?,
                );
            }
            out
        }
    };
    let created = store::create(
        &st.pool,
        admin.tenant.id,
        KIND,
        NewRoom {
            name,
            description,
            maxusers,
            owner,
            members,
            custom,
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
    let st = state(&req)?;
    let limit = q.int("limit", 10, 1, 1000)?;
    let after = q.get("cursor").map(|c| cursor::decode(c, 1)).transpose()?;
    let (rooms, more) =
        store::page(&st.pool, admin.tenant.id, KIND, after.map(|c| c[0]), limit).await?;
    let next = cursor::next(more, &rooms, |r| r.id);
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
        page_args(&q, 1000)?
    };
    let rooms = store::joined(&st.pool, admin.tenant.id, KIND, &user, offset, limit).await?;
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

async fn details_of(
    st: &crate::AppState,
    app: uuid::Uuid,
    rooms: Vec<Room>,
) -> ApiResult<Vec<ChatroomDetails>> {
    let ids: Vec<i64> = rooms.iter().map(|r| r.id).collect();
    let mut affs =
        store::affiliations(&st.pool, app, &ids, st.config.limits.details_affiliations).await?;
    Ok(rooms
        .into_iter()
        .map(|r| {
            let mine: Vec<Affiliation> = affs
                .iter_mut()
                .filter(|(rid, _, _)| *rid == r.id)
                .map(|(_, name, role)| Affiliation::of(std::mem::take(name), *role))
                .collect();
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
                affiliations: mine,
                public: r.public,
                mute: r.muted_all,
            }
        })
        .collect())
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
    let st = state(&req)?;
    let raw = segment(&req, "chatroom_id")?;
    let (parts, _) = comma_list(&raw);
    let max = st.config.limits.details_ids;
    if parts.len() > max {
        return Err(ApiError::invalid(format!(
            "the number of chatroom ids cannot exceed {max}"
        )));
    }
    let ids: Vec<RoomId> = parts.iter().filter_map(|p| RoomId::parse(p)).collect();
    let rooms = store::get_many(&st.pool, admin.tenant.id, KIND, &ids).await?;
    if rooms.is_empty() {
        return Err(DomainError::ServiceResourceNotFound(format!(
            "do not find this group:{}",
            parts.first().cloned().unwrap_or_default()
        ))
        .into());
    }
    let count = rooms.len();
    let found: Vec<String> = rooms.iter().map(|r| r.id.to_string()).collect();
    let mut data: Vec<Value> = details_of(&st, admin.tenant.id, rooms)
        .await?
        .into_iter()
        .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
        .collect();
    // Ids asked for but not found, in the order asked, after the rooms found.
    for p in parts {
        if !found.contains(&p) {
            data.push(serde_json::json!({"id": p, "error": "chatroom id doesn't exist"}));
        }
    }
    Ok(Envelope::new()
        .data(data)
        .count(count)
        .respond(&req, &admin.tenant))
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
        .map(|m| room::chatroom_maxusers(Some(m), limits))
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
        &st.pool,
        admin.tenant.id,
        KIND,
        id,
        RoomUpdate {
            name: up.name,
            description: up.description,
            maxusers,
            new_owner,
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
    store::delete(&st.pool, admin.tenant.id, KIND, id).await?;
    Ok(Envelope::new()
        .data(DeleteResult {
            success: true,
            id: id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

// ---------------------------------------------------------------------------------------------
// Members

/// List members: `pagenum`/`pagesize` (objects `{owner}`/`{member}`), or the cursor form
/// `version=v3&limit=&cursor=` (plain names). The owner comes first.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/users", tag = "chatroom members", operation_id = "chatrooms_members",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"),
           ("pagenum" = Option<i64>, Query, description = "Page form: from 1 (default 1)"),
           ("pagesize" = Option<i64>, Query, description = "Page form: default 1000, values outside 1–1000 are clamped"),
           ("version" = Option<String>, Query, description = "`v3` selects the cursor form (also chosen by `limit` or `cursor` without `pagenum`/`pagesize`)"),
           ("limit" = Option<i64>, Query, description = "Cursor form: page size, default 1000, values outside 1–1000 are clamped"),
           ("cursor" = Option<String>, Query, description = "Cursor form: the `cursor` of the previous page")),
    responses(
        (status = 200, description = "Page form: `data` of `{owner}`/`{member}` objects, the owner first. Cursor form: `data` of usernames, the owner first, and `cursor` when more follow", body = MembersEnvelope),
        (status = 400, description = "invalid_parameter: a paging value that is not an integer, a cursor this server did not issue", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found `do not find this group:X`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn members(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = listed_room_id(&segment(&req, "chatroom_id")?)?;
    let cursor_form = q
        .get("version")
        .is_some_and(|v| v.eq_ignore_ascii_case("v3"))
        || ((q.get("cursor").is_some() || q.get("limit").is_some())
            && q.get("pagenum").is_none()
            && q.get("pagesize").is_none());
    if cursor_form {
        let limit = q.int("limit", 1000, 1, 1000)?;
        let after = q.get("cursor").map(|c| cursor::decode(c, 1)).transpose()?;
        let (rows, more) = store::members_after(
            &st.pool,
            admin.tenant.id,
            KIND,
            id,
            after.map(|c| c[0]),
            limit,
        )
        .await?;
        let next = cursor::next(more, &rows, |m| m.pos);
        let data: Vec<String> = rows.into_iter().map(|m| m.username).collect();
        return Ok(Envelope::new()
            .count(data.len())
            .data(data)
            .cursor(next)
            .respond(&req, &admin.tenant));
    }
    let (offset, limit) = page_args(&q, 1000)?;
    let rows = store::members_by_page(&st.pool, admin.tenant.id, KIND, id, offset, limit).await?;
    let data: Vec<Affiliation> = rows
        .into_iter()
        .map(|m| Affiliation::of(m.username, m.role))
        .collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .respond(&req, &admin.tenant))
}

/// Add one member.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/users/{username}", tag = "chatroom members", operation_id = "chatrooms_add_member",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `{result: true, action: add_member, id, user}`", body = MemberResultEnvelope),
        (status = 400, description = "forbidden_op: already a member", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: blocked, room full (`members size is greater than max user size !`), `has joined too many chatrooms!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn add_member(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = path_user(&req, "usernames")?;
    store::add_members(
        &st.pool,
        admin.tenant.id,
        KIND,
        id,
        std::slice::from_ref(&user),
        true,
        &st.config.limits,
    )
    .await?;
    Ok(Envelope::new()
        .data(MemberResult {
            result: true,
            action: "add_member",
            reason: None,
            user: user.into_string(),
            id: Some(id.to_string()),
            chatroomid: None,
        })
        .respond(&req, &admin.tenant))
}

/// Add up to 60 members.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/users", tag = "chatroom members", operation_id = "chatrooms_add_members",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = UsernamesBody,
    responses(
        (status = 200, description = "`data.newmembers`: the users added (members already in are skipped)", body = AddedEnvelope),
        (status = 400, description = "invalid_parameter (`addMembers: addMembers number more than maxSize : 60`, no usernames); forbidden_op: all already members; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: a blocked user, room full, join limit", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn add_members(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<UsernamesBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let names = body_names(
        body.usernames,
        st.config.limits.batch_add,
        "addMembers: addMembers number more than maxSize",
    )?;
    let plan = store::add_members(
        &st.pool,
        admin.tenant.id,
        KIND,
        id,
        &names,
        false,
        &st.config.limits,
    )
    .await?;
    Ok(Envelope::new()
        .data(AddedMembers {
            newmembers: plan.add.into_iter().map(Username::into_string).collect(),
            action: "add_member",
            id: id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

/// Remove one member (`/users/u`) or up to 100 (`/users/u1,u2`).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/users/{username}", tag = "chatroom members", operation_id = "chatrooms_remove_members",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "One name, or up to 100 separated by `,` (`%2C`)", pattern = "^[a-zA-Z0-9_.-]{1,64}(,[a-zA-Z0-9_.-]{1,64})*$")),
    responses(
        (status = 200, description = "One name: `data` is one result object; a comma list: an array of `{result, action, reason?, user, id}`", body = MemberResultOneOrManyEnvelope),
        (status = 400, description = "forbidden_op `users [X] are not members of this group!` (one name); invalid_parameter: more than 100 names", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `forbidden operation on group owner!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn remove_members(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let (names, single) = path_names(
        &req,
        "usernames",
        st.config.limits.chatroom_batch_remove,
        "kickMember: kickMembers number more than maxSize",
    )?;
    let outcomes =
        store::remove_members(&st.pool, admin.tenant.id, KIND, id, &names, single).await?;
    let mut res = results(outcomes, "remove_member", id, false);
    let env = Envelope::new();
    let env = match (single, res.pop()) {
        (true, Some(one)) => env.data(one),
        (_, last) => {
            res.extend(last);
            env.data(res)
        }
    };
    Ok(env.respond(&req, &admin.tenant))
}

// ---------------------------------------------------------------------------------------------
// Admins

/// List admins.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/admin", tag = "chatroom members", operation_id = "chatrooms_admins",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "Admin usernames", body = NamesEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn admins(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    names_response(
        &req,
        &admin,
        store::admins(&st.pool, admin.tenant.id, KIND, id).await?,
    )
}

/// Make a member an admin (at most 99 admins).
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/admin", tag = "chatroom members", operation_id = "chatrooms_add_admin",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = NewAdminBody,
    responses(
        (status = 200, description = "`data`: `{result: success, newadmin}`", body = AdminEnvelope),
        (status = 400, description = "invalid_parameter `newadmin must be provided`; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: not a member, the owner, already an admin, admin limit", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn add_admin(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<NewAdminBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = required_user(body.newadmin, "newadmin")?;
    store::set_admin(
        &st.pool,
        admin.tenant.id,
        KIND,
        id,
        &user,
        true,
        st.config.limits.admins_per_room,
    )
    .await?;
    Ok(Envelope::new()
        .data(AdminResult {
            result: "success",
            newadmin: Some(user.into_string()),
            oldadmin: None,
        })
        .respond(&req, &admin.tenant))
}

/// Demote an admin to member.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/admin/{oldadmin}", tag = "chatroom members", operation_id = "chatrooms_remove_admin",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("oldadmin" = String, Path, description = "The admin: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `{result: success, oldadmin}`", body = AdminEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: not an admin", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn remove_admin(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = path_user(&req, "oldadmin")?;
    store::set_admin(&st.pool, admin.tenant.id, KIND, id, &user, false, 0).await?;
    Ok(Envelope::new()
        .data(AdminResult {
            result: "success",
            newadmin: None,
            oldadmin: Some(user.into_string()),
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
    let (offset, limit) = page_args(&q, 10)?;
    names_response(
        &req,
        &admin,
        store::super_admins(&st.pool, admin.tenant.id, offset, limit).await?,
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
    store::add_super_admin(&st.pool, admin.tenant.id, &user).await?;
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
    store::remove_super_admin(&st.pool, admin.tenant.id, &user).await?;
    Ok(Envelope::new()
        .data(SuperAdminResult {
            result: None,
            newSuperAdmin: Some(user.into_string()),
            resource: "",
        })
        .field("properties", Map::new())
        .respond(&req, &admin.tenant))
}

// ---------------------------------------------------------------------------------------------
// Mutes

/// List unexpired mutes.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/mute", tag = "chatroom moderation", operation_id = "chatrooms_mutes",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data`: `[{expire, user}]`", body = MuteListEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn mutes(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let rows = store::mutes(&st.pool, admin.tenant.id, KIND, id, now_ms()).await?;
    let data: Vec<MuteEntry> = rows
        .into_iter()
        .map(|(user, expire)| MuteEntry {
            result: None,
            reason: None,
            expire: Some(expire),
            user,
        })
        .collect();
    Ok(Envelope::new()
        .count(data.len())
        .data(data)
        .respond(&req, &admin.tenant))
}

/// Mute up to 60 members for `mute_duration` ms (`-1`: until 4638873600000).
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/mute", tag = "chatroom moderation", operation_id = "chatrooms_mute",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = MuteBody,
    responses(
        (status = 200, description = "`data`: `[{result, expire, user}]`; non-members get `result: false` and a `reason`", body = MutesEnvelope),
        (status = 400, description = "invalid_parameter (bad or missing `mute_duration`, `userNames size is more than max limit : 60`, no usernames); forbidden_op: nobody is a member; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `forbidden operation on group owner!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn mute(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<MuteBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let names = body_names(
        body.usernames,
        st.config.limits.batch_add,
        "userNames size is more than max limit",
    )?;
    let duration = MuteDuration::parse(mute_millis(body.mute_duration)?)?;
    let (outcomes, expire) = store::mute(
        &st.pool,
        admin.tenant.id,
        KIND,
        id,
        &names,
        duration,
        now_ms(),
    )
    .await?;
    let data: Vec<MuteEntry> = outcomes
        .into_iter()
        .map(|(name, o)| MuteEntry {
            result: Some(o.is_ok()),
            expire: o.is_ok().then_some(expire),
            reason: o.err(),
            user: name.into_string(),
        })
        .collect();
    Ok(Envelope::new().data(data).respond(&req, &admin.tenant))
}

/// Lift mutes (`/mute/u1,u2`, at most 60).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/mute/{usernames}", tag = "chatroom moderation", operation_id = "chatrooms_unmute",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("usernames" = String, Path, description = "Up to 60 names separated by `,` (`%2C`)", pattern = "^[a-zA-Z0-9_.-]{1,64}(,[a-zA-Z0-9_.-]{1,64})*$")),
    responses(
        (status = 200, description = "`data`: `[{result, user}]`, `result: false` when the user was not muted", body = MutesEnvelope),
        (status = 400, description = "invalid_parameter `removeMute member size more than max limit : 60`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn unmute(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let (names, _) = path_names(
        &req,
        "usernames",
        st.config.limits.batch_add,
        "removeMute member size more than max limit",
    )?;
    let lifted = store::unmute(&st.pool, admin.tenant.id, KIND, id, &names, now_ms()).await?;
    let data: Vec<MuteEntry> = lifted
        .into_iter()
        .map(|(name, was)| MuteEntry {
            result: Some(was),
            reason: None,
            expire: None,
            user: name.into_string(),
        })
        .collect();
    Ok(Envelope::new().data(data).respond(&req, &admin.tenant))
}

/// Mute all (`POST`) or lift it (`DELETE`); whitelisted members are exempt.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/ban", tag = "chatroom moderation", operation_id = "chatrooms_ban",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`action`: `put`; `data`: `{mute: true}`", body = MuteFlagEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn ban(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    set_ban(req, admin, true).await
}

/// Lift mute-all.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/ban", tag = "chatroom moderation", operation_id = "chatrooms_unban",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data`: `{mute: false}`", body = MuteFlagEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn unban(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    set_ban(req, admin, false).await
}

async fn set_ban(req: HttpRequest, admin: AppAdmin, on: bool) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    store::set_muted_all(&st.pool, admin.tenant.id, KIND, id, on).await?;
    // The hosted service answers the POST with action "put".
    let action = if on { "put" } else { "delete" };
    Ok(Envelope::new()
        .action(action)
        .data(MuteFlag { mute: on })
        .respond(&req, &admin.tenant))
}

// ---------------------------------------------------------------------------------------------
// Blocks and whitelist

/// List blocked users.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/blocks/users", tag = "chatroom moderation", operation_id = "chatrooms_blocks",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "Blocked usernames", body = NamesEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn blocks(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    list_names(req, admin, NameList::Blocks).await
}

/// Block one member: it leaves the room and cannot come back until unblocked.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/blocks/users/{username}", tag = "chatroom moderation", operation_id = "chatrooms_block_one",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `{result: true, action: add_blocks, user, chatroomid}`", body = MemberResultEnvelope),
        (status = 400, description = "forbidden_op `users [X] are not members of this group!`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `forbidden operation on group owner!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn block_one(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    list_add_one(req, admin, NameList::Blocks).await
}

/// The names on one of the room's lists.
async fn list_names(req: HttpRequest, admin: AppAdmin, list: NameList) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let names = store::names(&st.pool, admin.tenant.id, KIND, id, list).await?;
    names_response(&req, &admin, names)
}

/// Puts the one member named in the path on a list.
async fn list_add_one(
    req: HttpRequest,
    admin: AppAdmin,
    list: NameList,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let user = path_user(&req, "usernames")?;
    let outcomes = store::add_to_list(
        &st.pool,
        admin.tenant.id,
        KIND,
        id,
        std::slice::from_ref(&user),
        true,
        list,
    )
    .await?;
    one_result(&req, &admin, outcomes, list_action(list), id)
}

/// Puts up to 60 members from the body on a list.
async fn list_add_many(
    req: HttpRequest,
    admin: AppAdmin,
    body: UsernamesBody,
    list: NameList,
    too_many: &str,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let names = body_names(body.usernames, st.config.limits.batch_add, too_many)?;
    let outcomes =
        store::add_to_list(&st.pool, admin.tenant.id, KIND, id, &names, false, list).await?;
    Ok(Envelope::new()
        .data(results(outcomes, list_action(list), id, true))
        .respond(&req, &admin.tenant))
}

fn list_action(list: NameList) -> &'static str {
    match list {
        NameList::Blocks => "add_blocks",
        NameList::Whitelist => "add_user_whitelist",
    }
}

fn one_result(
    req: &HttpRequest,
    admin: &AppAdmin,
    outcomes: Vec<Outcome>,
    action: &'static str,
    id: RoomId,
) -> ApiResult<HttpResponse> {
    let one = results(outcomes, action, id, true)
        .pop()
        .ok_or_else(ApiError::internal)?;
    Ok(Envelope::new().data(one).respond(req, &admin.tenant))
}

/// Block up to 60 members.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/blocks/users", tag = "chatroom moderation", operation_id = "chatrooms_block_many",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = UsernamesBody,
    responses(
        (status = 200, description = "`data`: `[{result, action: add_blocks, reason?, user, chatroomid}]`", body = MemberResultsEnvelope),
        (status = 400, description = "invalid_parameter (`userNames is more than max limit : 60`, no usernames); forbidden_op: nobody is a member; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `forbidden operation on group owner!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn block_many(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<UsernamesBody>,
) -> ApiResult<HttpResponse> {
    list_add_many(
        req,
        admin,
        body,
        NameList::Blocks,
        "userNames is more than max limit",
    )
    .await
}

/// Unblock one user (`/u`: one result) or up to 60 (`/u1,u2`: an array).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/blocks/users/{username}", tag = "chatroom moderation", operation_id = "chatrooms_unblock",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "One name, or up to 60 separated by `,` (`%2C`)", pattern = "^[a-zA-Z0-9_.-]{1,64}(,[a-zA-Z0-9_.-]{1,64})*$")),
    responses(
        (status = 200, description = "One name: `data` is one `{result, action: remove_blocks, user, chatroomid}`; a comma list: an array of them", body = MemberResultOneOrManyEnvelope),
        (status = 400, description = "forbidden_op: the one user is not blocked; invalid_parameter `removeBlacklist: list size more than max limit : 60`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn unblock(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let (names, single) = path_names(
        &req,
        "usernames",
        st.config.limits.batch_add,
        "removeBlacklist: list size more than max limit",
    )?;
    let outcomes = store::unblock(&st.pool, admin.tenant.id, KIND, id, &names, single).await?;
    if single {
        return one_result(&req, &admin, outcomes, "remove_blocks", id);
    }
    Ok(Envelope::new()
        .data(results(outcomes, "remove_blocks", id, true))
        .respond(&req, &admin.tenant))
}

/// List whitelisted users.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/white/users", tag = "chatroom moderation", operation_id = "chatrooms_whitelist",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "Whitelisted usernames", body = NamesEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn whitelist(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    list_names(req, admin, NameList::Whitelist).await
}

/// Whitelist one member.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/white/users/{username}", tag = "chatroom moderation", operation_id = "chatrooms_whitelist_one",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`data`: `{result: true, action: add_user_whitelist, user, chatroomid}`", body = MemberResultEnvelope),
        (status = 400, description = "forbidden_op `users [X] are not members of this group!`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `forbidden operation on group owner!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn whitelist_one(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    list_add_one(req, admin, NameList::Whitelist).await
}

/// Whitelist up to 60 members.
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/white/users", tag = "chatroom moderation", operation_id = "chatrooms_whitelist_many",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = UsernamesBody,
    responses(
        (status = 200, description = "`data`: `[{result, action: add_user_whitelist, reason?, user, chatroomid}]`", body = MemberResultsEnvelope),
        (status = 400, description = "invalid_parameter (`usernames size is more than max limit : 60`, no usernames); forbidden_op: nobody is a member; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `forbidden operation on group owner!`", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn whitelist_many(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<UsernamesBody>,
) -> ApiResult<HttpResponse> {
    list_add_many(
        req,
        admin,
        body,
        NameList::Whitelist,
        "usernames size is more than max limit",
    )
    .await
}

/// Remove users from the whitelist (`/u1,u2`, at most 60).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/white/users/{username}", tag = "chatroom moderation", operation_id = "chatrooms_whitelist_remove",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$"), ("username" = String, Path, description = "Up to 60 names separated by `,` (`%2C`)", pattern = "^[a-zA-Z0-9_.-]{1,64}(,[a-zA-Z0-9_.-]{1,64})*$")),
    responses(
        (status = 200, description = "`data`: `[{result, action: remove_user_whitelist, reason?, user, chatroomid}]`", body = MemberResultsEnvelope),
        (status = 400, description = "invalid_parameter `removeWhitelist size is more than max limit : 60`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn whitelist_remove(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let (names, _) = path_names(
        &req,
        "usernames",
        st.config.limits.batch_add,
        "removeWhitelist size is more than max limit",
    )?;
    let outcomes = store::whitelist_remove(&st.pool, admin.tenant.id, KIND, id, &names).await?;
    Ok(Envelope::new()
        .data(results(outcomes, "remove_user_whitelist", id, true))
        .respond(&req, &admin.tenant))
}

// ---------------------------------------------------------------------------------------------
// Announcement

/// Get the announcement.
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/announcement", tag = "chatrooms", operation_id = "chatrooms_announcement",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data.announcement` (empty when never set)", body = AnnouncementEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn announcement(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let r = store::require(&st.pool, admin.tenant.id, KIND, id).await?;
    Ok(Envelope::new()
        .data(AnnouncementData {
            announcement: r.announcement,
        })
        .respond(&req, &admin.tenant))
}

/// Set the announcement (the `PUT` form of the same operation).
#[utoipa::path(put, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/announcement", tag = "chatrooms", operation_id = "chatrooms_put_announcement",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = AnnouncementBody,
    responses(
        (status = 200, description = "`data`: `{id, result: true}`", body = AnnouncementSetEnvelope),
        (status = 400, description = "invalid_parameter `announcement must be provided`; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `announce info length exceeds limit!`", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn put_announcement(
    req: HttpRequest,
    admin: AppAdmin,
    body: Body<AnnouncementBody>,
) -> ApiResult<HttpResponse> {
    set_announcement(req, admin, body).await
}

/// Set the announcement (at most 512 characters).
#[utoipa::path(post, path = "/{org_name}/{app_name}/chatrooms/{chatroom_id}/announcement", tag = "chatrooms", operation_id = "chatrooms_set_announcement",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("chatroom_id" = String, Path, description = "The chatroom id", pattern = "^[0-9]{1,19}$")),
    request_body = AnnouncementBody,
    responses(
        (status = 200, description = "`data`: `{id, result: true}`", body = AnnouncementSetEnvelope),
        (status = 400, description = "invalid_parameter `announcement must be provided`; illegal_argument; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op `announce info length exceeds limit!`", body = ErrorBody),
        (status = 404, description = "resource_not_found `grpID X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set_announcement(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<AnnouncementBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = room_id(&req)?;
    let text = body
        .announcement
        .ok_or_else(|| ApiError::invalid("announcement must be provided"))?;
    if text.chars().count() > st.config.limits.announcement_chars {
        return Err(DomainError::forbidden("announce info length exceeds limit!").into());
    }
    store::set_announcement(&st.pool, admin.tenant.id, KIND, id, &text).await?;
    Ok(Envelope::new()
        .data(AnnouncementResult {
            id: id.to_string(),
            result: true,
        })
        .respond(&req, &admin.tenant))
}
