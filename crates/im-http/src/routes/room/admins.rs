//! Admins: list, promote, demote.

use super::*;
use crate::error::ErrorBody;
use crate::extract::{state, Body};
use im_store::rooms::{self as store};

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
    let face = face(&req);
    let id = room_id(&req)?;
    names_response(
        &req,
        &admin,
        store::admins(&st.pool(), admin.tenant.id, face.kind, id).await?,
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
    let face = face(&req);
    let id = room_id(&req)?;
    let user = required_user(body.newadmin, "newadmin")?;
    store::set_admin(
        &st.pool(),
        admin.tenant.id,
        face.kind,
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
    let face = face(&req);
    let id = room_id(&req)?;
    let user = path_user(&req, "oldadmin")?;
    store::set_admin(&st.pool(), admin.tenant.id, face.kind, id, &user, false, 0).await?;
    Ok(Envelope::new()
        .data(AdminResult {
            result: "success",
            newadmin: None,
            oldadmin: Some(user.into_string()),
        })
        .respond(&req, &admin.tenant))
}
