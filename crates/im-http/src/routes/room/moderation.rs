//! Mutes, mute-all, blocks and the whitelist.

use super::*;
use crate::error::ErrorBody;
use crate::extract::{state, Body};
use im_domain::room::MuteDuration;
use im_store::rooms::{self as store, NameList};

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
    let face = face(&req);
    let id = room_id(&req)?;
    let rows = store::mutes(&st.pool(), admin.tenant.id, face.kind, id, now_ms()).await?;
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
    let face = face(&req);
    let id = room_id(&req)?;
    let names = body_names(
        body.usernames,
        st.config.limits.batch_add,
        "userNames size is more than max limit",
    )?;
    let duration = MuteDuration::parse(mute_millis(body.mute_duration)?)?;
    let (outcomes, expire) = store::mute(
        &st.pool(),
        admin.tenant.id,
        face.kind,
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
    let face = face(&req);
    let id = room_id(&req)?;
    let (names, _) = path_names(
        &req,
        "usernames",
        st.config.limits.batch_add,
        "removeMute member size more than max limit",
    )?;
    let lifted =
        store::unmute(&st.pool(), admin.tenant.id, face.kind, id, &names, now_ms()).await?;
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
    let face = face(&req);
    let id = room_id(&req)?;
    store::set_muted_all(&st.pool(), admin.tenant.id, face.kind, id, on).await?;
    // The hosted service answers a chatroom's POST with action "put" (a group's with "post").
    let action = match (on, face.kind) {
        (false, _) => "delete",
        (true, RoomKind::Chatroom) => "put",
        (true, RoomKind::Group | RoomKind::Thread) => "post",
    };
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
    let face = face(&req);
    let id = room_id(&req)?;
    let names = store::names(&st.pool(), admin.tenant.id, face.kind, id, list).await?;
    names_response(&req, &admin, names)
}

/// Puts the one member named in the path on a list.
async fn list_add_one(
    req: HttpRequest,
    admin: AppAdmin,
    list: NameList,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let face = face(&req);
    let id = room_id(&req)?;
    let user = path_user(&req, "usernames")?;
    let outcomes = store::add_to_list(
        &st.pool(),
        admin.tenant.id,
        face.kind,
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
    let face = face(&req);
    let id = room_id(&req)?;
    let names = body_names(body.usernames, st.config.limits.batch_add, too_many)?;
    let outcomes = store::add_to_list(
        &st.pool(),
        admin.tenant.id,
        face.kind,
        id,
        &names,
        false,
        list,
    )
    .await?;
    Ok(Envelope::new()
        .data(results(outcomes, list_action(list), face.list_ids(id)))
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
    let one = results(outcomes, action, face(req).list_ids(id))
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
        (status = 400, description = "forbidden_op: the one user is not blocked (chatrooms); invalid_parameter `removeBlacklist: list size more than max limit : 60`", body = ErrorBody),
        (status = 403, description = "forbidden_op: the one user is not blocked (groups)", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "resource_not_found (`grpID X does not exist!`, `username X doesn't exist!`); organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn unblock(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let face = face(&req);
    let id = room_id(&req)?;
    let (names, single) = path_names(
        &req,
        "usernames",
        st.config.limits.batch_add,
        "removeBlacklist: list size more than max limit",
    )?;
    let outcomes =
        store::unblock(&st.pool(), admin.tenant.id, face.kind, id, &names, single).await?;
    if single {
        return one_result(&req, &admin, outcomes, "remove_blocks", id);
    }
    Ok(Envelope::new()
        .data(results(outcomes, "remove_blocks", face.list_ids(id)))
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
    let face = face(&req);
    let id = room_id(&req)?;
    let (names, _) = path_names(
        &req,
        "usernames",
        st.config.limits.batch_add,
        "removeWhitelist size is more than max limit",
    )?;
    let outcomes =
        store::whitelist_remove(&st.pool(), admin.tenant.id, face.kind, id, &names).await?;
    Ok(Envelope::new()
        .data(results(
            outcomes,
            "remove_user_whitelist",
            face.list_ids(id),
        ))
        .respond(&req, &admin.tenant))
}
