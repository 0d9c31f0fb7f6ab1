//! Threads (seed 002 thread management, seed 004 thread members): sub-rooms of a group on the
//! room core. Lists of the app's threads, a user's and a user's in one group; create, rename,
//! delete; members list, batch join, batch kick.

use super::room::{body_names, path_user, required_user};
use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{segment, state, AppAdmin, Body, QueryParams};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use im_domain::room::{self, RoomId, RoomKind};
use im_store::rooms::{self as store, NewThread, Thread, ThreadKey, ThreadScope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const KIND: RoomKind = RoomKind::Thread;
/// Default and largest page of every thread list and of a thread's members.
const PAGE: (i64, i64) = (20, 50);

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateThread {
    /// The group the thread belongs to (a string or a number).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, pattern = "^[0-9]{1,19}$")]
    pub group_id: Option<String>,
    /// At most 64 characters by default (`limits.thread_name_chars`; longer is 403
    /// `exceed_limit`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub name: Option<String>,
    /// The id of the message the thread hangs from (a string or a number), at most 128
    /// characters.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1, max_length = 128)]
    pub msg_id: Option<String>,
    /// The creator: a member of the group, and the thread's first member.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub owner: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameThread {
    /// The new name, at most 64 characters by default.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ThreadUsernames {
    /// Usernames, at most 10 by default (`limits.thread_batch`).
    #[serde(default)]
    #[schema(required = true, schema_with = crate::openapi::thread_batch_schema)]
    pub usernames: Option<Vec<Value>>,
}

/// A thread as listed.
#[allow(non_snake_case)]
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadEntity {
    pub id: String,
    pub name: String,
    /// The creator.
    pub owner: String,
    /// The parent message id.
    pub msgId: String,
    pub groupId: String,
    /// Creation time, ms since the epoch.
    pub created: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadCursor {
    /// Present only when another page exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadIdData {
    pub thread_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadNameData {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusData {
    /// `ok`.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadMembers {
    /// Usernames, in join order (the creator first while it stays).
    pub affiliations: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KickResult {
    /// `false` for a user who was not a member (or does not exist).
    pub result: bool,
    pub user: String,
}

envelope_schema!(ThreadListEnvelope, entities = ThreadEntity, {
    pub properties: ThreadCursor,
});
envelope_schema!(ThreadIdEnvelope, entities = [], {
    pub data: ThreadIdData,
});
envelope_schema!(ThreadNameEnvelope, entities = [], {
    pub data: ThreadNameData,
});
envelope_schema!(StatusEnvelope, entities = [], {
    pub data: StatusData,
});
envelope_schema!(ThreadMembersEnvelope, entities = [], {
    pub data: ThreadMembers,
    pub properties: ThreadCursor,
});
envelope_schema!(KickEnvelope, entities = KickResult);

fn thread_id(req: &HttpRequest) -> ApiResult<RoomId> {
    let raw = segment(req, "thread_id")?;
    RoomId::parse(&raw).ok_or_else(|| room::not_found(KIND, raw).into())
}

/// `limit`, `cursor` (a two-part position) and `sort` (`desc`, the default, or `asc`).
fn page_query(
    q: &QueryParams,
    cursors: &crate::cursor::Cursors,
) -> ApiResult<(i64, Option<ThreadKey>, bool)> {
    let limit = q.int("limit", PAGE.0, 1, PAGE.1)?;
    let after = q
        .get("cursor")
        .map(|c| cursors.decode(c, 2).map(|p| (p[0], p[1])))
        .transpose()?;
    let newest_first = match q.get("sort").map(str::to_ascii_lowercase).as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sort [{other}] must be asc or desc"
            )))
        }
    };
    Ok((limit, after, newest_first))
}

async fn list(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
    scope: ThreadScope,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let (limit, after, newest_first) = page_query(&q, &st.cursors)?;
    let (rows, more) = store::threads_page(
        &st.pool(),
        admin.tenant.id,
        &scope,
        after,
        limit,
        newest_first,
    )
    .await?;
    let next = rows.last().filter(|_| more).map(|t: &Thread| {
        let at = match scope {
            ThreadScope::App | ThreadScope::Group(_) => 0,
            _ => t.joined_at.timestamp_micros(),
        };
        st.cursors.encode(&[at, t.id])
    });
    let entities: Vec<ThreadEntity> = rows
        .into_iter()
        .map(|t| ThreadEntity {
            id: t.id.to_string(),
            name: t.name,
            owner: t.owner,
            msgId: t.msg_id,
            groupId: t.group_id.to_string(),
            created: im_store::millis(t.created_at),
        })
        .collect();
    Ok(Envelope::new()
        .entities(entities)
        .field("properties", ThreadCursor { cursor: next })
        .respond(&req, &admin.tenant))
}

/// The app's threads, newest first (`sort=asc`: oldest first).
#[utoipa::path(get, path = "/{org_name}/{app_name}/thread", tag = "threads", operation_id = "threads_list",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("limit" = Option<i64>, Query, description = "1–50, default 20; values outside are clamped"),
           ("cursor" = Option<String>, Query, description = "`properties.cursor` of the previous page"),
           ("sort" = Option<String>, Query, description = "`desc` (default): newest created first; `asc`: oldest first", pattern = "^([aA][sS][cC]|[dD][eE][sS][cC])$")),
    responses(
        (status = 200, description = "`entities`: a page of threads; `properties.cursor` when more follow", body = ThreadListEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit, cursor or sort", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list_app(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    list(req, admin, q, ThreadScope::App).await
}

/// The threads a user is in, newest join first (`sort=asc`: oldest first).
#[utoipa::path(get, path = "/{org_name}/{app_name}/threads/user/{username}", tag = "threads", operation_id = "threads_of_user",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$"),
           ("limit" = Option<i64>, Query, description = "1–50, default 20; values outside are clamped"),
           ("cursor" = Option<String>, Query, description = "`properties.cursor` of the previous page"),
           ("sort" = Option<String>, Query, description = "`desc` (default): newest join first; `asc`: oldest first", pattern = "^([aA][sS][cC]|[dD][eE][sS][cC])$")),
    responses(
        (status = 200, description = "`entities`: a page of threads; `properties.cursor` when more follow", body = ThreadListEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit, cursor or sort", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found `username X doesn't exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list_user(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    let user = path_user(&req, "username")?;
    list(req, admin, q, ThreadScope::User(user)).await
}

/// The threads a user is in within one group, newest join first (`sort=asc`: oldest first).
#[utoipa::path(get, path = "/{org_name}/{app_name}/threads/chatgroups/{group_id}/user/{username}", tag = "threads", operation_id = "threads_of_user_in_group",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"),
           ("username" = String, Path, description = "The username: 1–64 bytes of `[a-zA-Z0-9_.-]`", pattern = "^[a-zA-Z0-9_.-]{1,64}$"),
           ("limit" = Option<i64>, Query, description = "1–50, default 20; values outside are clamped"),
           ("cursor" = Option<String>, Query, description = "`properties.cursor` of the previous page"),
           ("sort" = Option<String>, Query, description = "`desc` (default): newest join first; `asc`: oldest first", pattern = "^([aA][sS][cC]|[dD][eE][sS][cC])$")),
    responses(
        (status = 200, description = "`entities`: a page of threads; `properties.cursor` when more follow", body = ThreadListEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit, cursor or sort", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list_user_in_group(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    let raw = segment(&req, "group_id")?;
    let group = RoomId::parse(&raw).ok_or_else(|| ApiError::from(room::room_not_found(&raw)))?;
    let user = path_user(&req, "username")?;
    list(req, admin, q, ThreadScope::UserInGroup(user, group)).await
}

/// The threads of one group, newest first (`sort=asc`: oldest first; imserver extension).
#[utoipa::path(get, path = "/{org_name}/{app_name}/chatgroups/{group_id}/threads", tag = "threads", operation_id = "threads_of_group",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("group_id" = String, Path, description = "The group id", pattern = "^[0-9]{1,19}$"),
           ("limit" = Option<i64>, Query, description = "1–50, default 20; values outside are clamped"),
           ("cursor" = Option<String>, Query, description = "`properties.cursor` of the previous page"),
           ("sort" = Option<String>, Query, description = "`desc` (default): newest created first; `asc`: oldest first", pattern = "^([aA][sS][cC]|[dD][eE][sS][cC])$")),
    responses(
        (status = 200, description = "`entities`: a page of the group's threads; `properties.cursor` when more follow (imserver extension)", body = ThreadListEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit, cursor or sort", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list_group(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    let group = super::room::room_id(&req)?;
    list(req, admin, q, ThreadScope::Group(group)).await
}

/// Create a thread in a group; its creator (a group member) is its first member.
#[utoipa::path(post, path = "/{org_name}/{app_name}/thread", tag = "threads", operation_id = "threads_create",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = CreateThread,
    responses(
        (status = 200, description = "`data.thread_id`: the new thread's id", body = ThreadIdEnvelope),
        (status = 400, description = "invalid_parameter (`group_id must be provided`, `name must be provided`, `msg_id must be provided`, `owner must be provided`)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "exceed_limit (name over 64 characters, msg_id over 128, the app's thread cap); forbidden_op (`users [X] are not members of group G!`, the group is disabled)", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn create(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<CreateThread>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limits = &st.config.limits;
    let raw = body
        .group_id
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .ok_or_else(|| ApiError::invalid("group_id must be provided"))?;
    let group = RoomId::parse(&raw).ok_or_else(|| ApiError::from(room::room_not_found(&raw)))?;
    let draft = room::thread_draft(
        body.name.as_deref(),
        body.msg_id.as_deref(),
        limits.thread_name_chars,
    )?;
    let owner = required_user(body.owner, "owner")?;
    let id = store::create_thread(
        &st.pool(),
        admin.tenant.id,
        NewThread {
            group,
            name: draft.name,
            msg_id: draft.msg_id,
            owner,
        },
        limits,
    )
    .await?;
    Ok(Envelope::new()
        .data(ThreadIdData {
            thread_id: id.to_string(),
        })
        .respond(&req, &admin.tenant))
}

/// Rename a thread.
#[utoipa::path(put, path = "/{org_name}/{app_name}/thread/{thread_id}", tag = "threads", operation_id = "threads_rename",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("thread_id" = String, Path, description = "The thread id", pattern = "^[0-9]{1,19}$")),
    request_body = RenameThread,
    responses(
        (status = 200, description = "`data.name`: the new name", body = ThreadNameEnvelope),
        (status = 400, description = "invalid_parameter `name must be provided`", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "exceed_limit: name over 64 characters; forbidden_op: the group is disabled", body = ErrorBody),
        (status = 404, description = "resource_not_found `thread X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn rename(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<RenameThread>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = thread_id(&req)?;
    let name = room::thread_name(body.name.as_deref(), st.config.limits.thread_name_chars)?;
    store::rename_thread(&st.pool(), admin.tenant.id, id, &name).await?;
    Ok(Envelope::new()
        .data(ThreadNameData { name })
        .respond(&req, &admin.tenant))
}

/// Delete a thread.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/thread/{thread_id}", tag = "threads", operation_id = "threads_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("thread_id" = String, Path, description = "The thread id", pattern = "^[0-9]{1,19}$")),
    responses(
        (status = 200, description = "`data.status`: `ok`", body = StatusEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: the group is disabled", body = ErrorBody),
        (status = 404, description = "resource_not_found `thread X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = thread_id(&req)?;
    store::delete_thread(&st.pool(), admin.tenant.id, id).await?;
    Ok(Envelope::new()
        .data(StatusData { status: "ok" })
        .respond(&req, &admin.tenant))
}

/// A thread's members in join order.
#[utoipa::path(get, path = "/{org_name}/{app_name}/thread/{thread_id}/users", tag = "threads", operation_id = "threads_members",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("thread_id" = String, Path, description = "The thread id", pattern = "^[0-9]{1,19}$"),
           ("limit" = Option<i64>, Query, description = "1–50, default 20; values outside are clamped"),
           ("cursor" = Option<String>, Query, description = "`properties.cursor` of the previous page")),
    responses(
        (status = 200, description = "`data.affiliations`: a page of usernames; `properties.cursor` when more follow", body = ThreadMembersEnvelope),
        (status = 400, description = "invalid_parameter: a bad limit or cursor", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found `do not find this thread:X`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn members(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let raw = segment(&req, "thread_id")?;
    let id = RoomId::parse(&raw).ok_or_else(|| {
        ApiError::from(im_domain::DomainError::ServiceResourceNotFound(format!(
            "do not find this thread:{raw}"
        )))
    })?;
    let limit = q.int("limit", PAGE.0, 1, PAGE.1)?;
    let after = q
        .get("cursor")
        .map(|c| st.cursors.decode(c, 1))
        .transpose()?;
    let (rows, more) = store::members_after(
        &st.pool(),
        admin.tenant.id,
        KIND,
        id,
        after.map(|c| c[0]),
        limit,
    )
    .await?;
    let next = st.cursors.next(more, &rows, |m| m.pos);
    Ok(Envelope::new()
        .data(ThreadMembers {
            affiliations: rows.into_iter().map(|m| m.username).collect(),
        })
        .field("properties", ThreadCursor { cursor: next })
        .respond(&req, &admin.tenant))
}

/// Add up to 10 members of the group to a thread.
#[utoipa::path(post, path = "/{org_name}/{app_name}/thread/{thread_id}/users", tag = "threads", operation_id = "threads_join",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("thread_id" = String, Path, description = "The thread id", pattern = "^[0-9]{1,19}$")),
    request_body = ThreadUsernames,
    responses(
        (status = 200, description = "`data.status`: `ok` (members already in are skipped)", body = StatusEnvelope),
        (status = 400, description = "invalid_parameter (no usernames, more than 10)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op (`users [X] are not members of group G!`, all already members, the group is disabled)", body = ErrorBody),
        (status = 404, description = "resource_not_found (`thread X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn join(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<ThreadUsernames>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = thread_id(&req)?;
    let names = body_names(
        body.usernames,
        st.config.limits.thread_batch,
        "joinThread: usernames number more than maxSize",
    )?;
    store::join_thread(&st.pool(), admin.tenant.id, id, &names).await?;
    Ok(Envelope::new()
        .data(StatusData { status: "ok" })
        .respond(&req, &admin.tenant))
}

/// Remove up to 10 members from a thread (also `DELETE /thread/{thread_id}/users`).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/threads/{thread_id}/users", tag = "threads", operation_id = "threads_kick",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("thread_id" = String, Path, description = "The thread id", pattern = "^[0-9]{1,19}$")),
    request_body = ThreadUsernames,
    responses(
        (status = 200, description = "`entities`: `{result, user}` per name: `false` for a non-member", body = KickEnvelope),
        (status = 400, description = "invalid_parameter (no usernames, more than 10)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 403, description = "forbidden_op: the group is disabled", body = ErrorBody),
        (status = 404, description = "resource_not_found `thread X does not exist!`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn kick(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<ThreadUsernames>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let id = thread_id(&req)?;
    let names = body_names(
        body.usernames,
        st.config.limits.thread_batch,
        "kickThread: usernames number more than maxSize",
    )?;
    let outcomes = store::kick_from_thread(&st.pool(), admin.tenant.id, id, &names).await?;
    let entities = outcomes.into_iter().map(|(name, o)| KickResult {
        result: o.is_ok(),
        user: name.into_string(),
    });
    Ok(Envelope::new()
        .entities(entities)
        .respond(&req, &admin.tenant))
}
