//! The app's totals (an imserver extension, for the console's overview).

use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{state, AppAdmin};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// How many of each the app holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppCounts {
    #[schema(minimum = 0)]
    pub users: i64,
    #[schema(minimum = 0)]
    pub groups: i64,
    #[schema(minimum = 0)]
    pub chatrooms: i64,
    #[schema(minimum = 0)]
    pub threads: i64,
}

envelope_schema!(CountsEnvelope, entities = [], { pub data: AppCounts, });

/// The app's users, groups, chatrooms and threads (exact counts, read in one statement).
#[utoipa::path(get, path = "/{org_name}/{app_name}/counts", tag = "app", operation_id = "app_counts",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    responses(
        (status = 200, description = "`data`: `{users, groups, chatrooms, threads}` (imserver extension)", body = CountsEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn counts(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let c = im_store::counts::of_app(&st.pool(), admin.tenant.id).await?;
    Ok(Envelope::new()
        .action("get")
        .data(AppCounts {
            users: c.users,
            groups: c.groups,
            chatrooms: c.chatrooms,
            threads: c.threads,
        })
        .respond(&req, &admin.tenant))
}
