//! The tenant (app) a request addresses. Resolving it from a request lives in
//! [`crate::extract`].

use uuid::Uuid;

/// The application a request addresses, from `/{org_name}/{app_name}/…` or `/app-id/{app_id}/…`.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: Uuid,
    pub app_id: String,
    pub org_name: String,
    pub app_name: String,
}

impl From<im_store::apps::App> for Tenant {
    fn from(a: im_store::apps::App) -> Self {
        Self {
            id: a.id,
            app_id: a.app_id,
            org_name: a.org_name,
            app_name: a.app_name,
        }
    }
}
