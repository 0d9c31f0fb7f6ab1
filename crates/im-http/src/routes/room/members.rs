//! Members: list (both forms), add one, add a batch, remove one or several.

use super::*;
use crate::error::ErrorBody;
use crate::extract::{state, Body};
use im_store::rooms::{self as store};

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
    let face = face(&req);
    let id = listed_room_id(&segment(&req, "room_id")?)?;
    let (default_size, max_size) = face.member_page();
    let cursor_form = q
        .get("version")
        .is_some_and(|v| v.eq_ignore_ascii_case("v3"))
        || ((q.get("cursor").is_some() || q.get("limit").is_some())
            && q.get("pagenum").is_none()
            && q.get("pagesize").is_none());
    if cursor_form {
        let limit = q.int("limit", default_size, 1, max_size)?;
        let after = q
            .get("cursor")
            .map(|c| st.cursors.decode(c, 1))
            .transpose()?;
        let (rows, more) = store::members_after(
            &st.pool(),
            admin.tenant.id,
            face.kind,
            id,
            after.map(|c| c[0]),
            limit,
        )
        .await?;
        let next = st.cursors.next(more, &rows, |m| m.pos);
        let data: Vec<String> = rows.into_iter().map(|m| m.username).collect();
        return Ok(Envelope::new()
            .count(data.len())
            .data(data)
            .cursor(next)
            .respond(&req, &admin.tenant));
    }
    let (offset, limit) = page_args(&q, default_size, max_size)?;
    let rows =
        store::members_by_page(&st.pool(), admin.tenant.id, face.kind, id, offset, limit).await?;
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
    let face = face(&req);
    let id = room_id(&req)?;
    let user = path_user(&req, "usernames")?;
    st.member_adds
        .add(
            &st.pool(),
            (admin.tenant.id, face.kind, id),
            vec![user.clone()],
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
            room: face.member_ids(id),
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
    let face = face(&req);
    let id = room_id(&req)?;
    let names = body_names(
        body.usernames,
        st.config.limits.batch_add,
        "addMembers: addMembers number more than maxSize",
    )?;
    let plan = st
        .member_adds
        .add(
            &st.pool(),
            (admin.tenant.id, face.kind, id),
            names,
            false,
            &st.config.limits,
        )
        .await?;
    Ok(Envelope::new()
        .data(AddedMembers {
            newmembers: plan.add.into_iter().map(Username::into_string).collect(),
            action: "add_member",
            room: face.member_ids(id),
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
    let face = face(&req);
    let id = room_id(&req)?;
    let (names, single) = path_names(
        &req,
        "usernames",
        face.batch_remove(&st.config.limits),
        "kickMember: kickMembers number more than maxSize",
    )?;
    let outcomes = st
        .member_removes
        .remove(&st.pool(), (admin.tenant.id, face.kind, id), names, single)
        .await?;
    let mut res = results(outcomes, "remove_member", face.member_ids(id));
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
