//! The announcement.

use super::*;
use crate::error::ErrorBody;
use crate::extract::{state, Body};
use im_store::rooms::{self as store};

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
    let face = face(&req);
    let id = room_id(&req)?;
    let r = store::require(&st.pool(), admin.tenant.id, face.kind, id).await?;
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
    let face = face(&req);
    let id = room_id(&req)?;
    let text = body
        .announcement
        .ok_or_else(|| ApiError::invalid("announcement must be provided"))?;
    if text.chars().count() > st.config.limits.announcement_chars {
        return Err(DomainError::forbidden("announce info length exceeds limit!").into());
    }
    store::set_announcement(&st.pool(), admin.tenant.id, face.kind, id, &text).await?;
    Ok(Envelope::new()
        .data(AnnouncementResult {
            id: id.to_string(),
            result: true,
        })
        .respond(&req, &admin.tenant))
}
