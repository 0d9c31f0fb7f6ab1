//! The one place where failures become HTTP responses.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use im_domain::DomainError;
use im_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The Easemob error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable error kind, e.g. `illegal_argument`.
    #[schema(example = "illegal_argument")]
    pub error: String,
    /// The server-side exception class of the hosted service, kept for compatibility.
    pub exception: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// Milliseconds spent on the request.
    pub duration: i64,
    /// Human-readable detail.
    pub error_description: String,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
    pub fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }
    pub fn illegal(description: impl Into<String>) -> Self {
        Self::bad_request("illegal_argument", description)
    }
    pub fn invalid(description: impl Into<String>) -> Self {
        Self::bad_request("invalid_parameter", description)
    }
    pub fn json_parse(description: impl Into<String>) -> Self {
        Self::bad_request("json_parse", description)
    }
    pub fn unauthorized(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", description)
    }
    pub fn bad_token(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "auth_bad_access_token",
            description,
        )
    }
    pub fn app_not_found(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "organization_application_not_found",
            description,
        )
    }
    pub fn service_resource_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "service_resource_not_found",
            "Service resource not found",
        )
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "The server could not complete the request",
        )
    }

    fn exception(&self) -> &'static str {
        match self.error {
            "illegal_argument" => "java.lang.IllegalArgumentException",
            "invalid_parameter" => "com.easemob.common.exception.InvalidParameterException",
            "json_parse" => "com.fasterxml.jackson.core.JsonParseException",
            "duplicate_unique_property_exists" => {
                "org.apache.usergrid.persistence.exceptions.DuplicateUniquePropertyExistsException"
            }
            "invalid_grant" => "EasemobSecurityException",
            "unauthorized" | "auth_bad_access_token" => "UnauthorizedException",
            "forbidden_op" => "com.easemob.group.exception.ForbiddenOpException",
            "exceed_limit" => "com.easemob.group.exception.ExceedLimitException",
            "resource_not_found" => "com.easemob.group.exception.ResourceNotFoundException",
            "service_resource_not_found" => {
                "org.apache.usergrid.services.exceptions.ServiceResourceNotFoundException"
            }
            "entity_not_found" => {
                "org.apache.usergrid.persistence.exceptions.EntityNotFoundException"
            }
            "organization_application_not_found" => {
                "org.apache.usergrid.rest.exceptions.OrganizationApplicationNotFoundException"
            }
            "method_not_allowed" => "javax.ws.rs.NotAllowedException",
            "request_entity_too_large" => "javax.ws.rs.RequestEntityTooLargeException",
            "reach_limit" => "com.easemob.common.exception.ReachLimitException",
            "concurrent_operation_error" => {
                "com.easemob.common.exception.ConcurrentOperationException"
            }
            _ => "com.easemob.common.exception.ServiceException",
        }
    }

    pub fn body(&self, duration_ms: i64) -> ErrorBody {
        ErrorBody {
            error: self.error.to_owned(),
            exception: self.exception().to_owned(),
            timestamp: chrono::Utc::now().timestamp_millis(),
            duration: duration_ms,
            error_description: self.description.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error,
            self.description
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body(0))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        use DomainError::*;
        match e {
            IllegalArgument(m) => Self::illegal(m),
            InvalidParameter(m) => Self::invalid(m),
            DuplicateUniqueProperty(m) => Self::bad_request("duplicate_unique_property_exists", m),
            InvalidGrant(m) => Self::bad_request("invalid_grant", m),
            GrantUserNotFound(m) => Self::new(StatusCode::NOT_FOUND, "invalid_grant", m),
            Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "forbidden_op", m),
            ForbiddenBadRequest(m) => Self::new(StatusCode::BAD_REQUEST, "forbidden_op", m),
            ExceedLimit(m) => Self::new(StatusCode::FORBIDDEN, "exceed_limit", m),
            NotFound(m) => Self::new(StatusCode::NOT_FOUND, "resource_not_found", m),
            ServiceResourceNotFound(m) => {
                Self::new(StatusCode::NOT_FOUND, "service_resource_not_found", m)
            }
            EntityNotFound(m) => Self::new(StatusCode::NOT_FOUND, "entity_not_found", m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Db(db) => {
                tracing::error!(error = %db, "database error");
                match db {
                    sqlx::Error::PoolTimedOut => Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "service_unavailable",
                        "The database is busy; retry later",
                    ),
                    // Deadlock, serialization failure, lock not available: a race that a
                    // retry resolves, not a server fault.
                    sqlx::Error::Database(ref d)
                        if matches!(d.code().as_deref(), Some("40P01" | "40001" | "55P03")) =>
                    {
                        Self::new(
                            StatusCode::CONFLICT,
                            "concurrent_operation_error",
                            "A concurrent operation conflicted with this one; retry it",
                        )
                    }
                    _ => Self::internal(),
                }
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
