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
    /// Seconds for a `Retry-After` header (429 and 503 answers).
    pub retry_after: Option<u32>,
    /// The database could not be reached: the readiness gate closes until it answers again.
    pub db_unreachable: bool,
}

/// Set on a response whose request found the database unreachable.
#[derive(Debug, Clone, Copy)]
pub struct DbUnreachable;

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
            db_unreachable: false,
        }
    }
    /// 429 `reach_limit`: too much of something costly at once; retry after a second.
    pub fn reach_limit() -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "reach_limit",
                "This request has reached api limit",
            )
        }
    }
    /// 429 `reach_limit`: over the app's rate limit for the operation; retry after `secs`.
    pub fn rate_limited(secs: u32) -> Self {
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::reach_limit()
        }
    }
    /// 503 `service_unavailable`: the database cannot be reached; nothing was written.
    pub fn db_unavailable() -> Self {
        Self {
            retry_after: Some(1),
            db_unreachable: true,
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "The service is temporarily unavailable; retry later",
            )
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
            "required_property_not_found" => {
                "org.apache.usergrid.persistence.exceptions.RequiredPropertyNotFoundException"
            }
            "MetadataException" => "com.easemob.metadata.exception.MetadataException",
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
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            res.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        let mut res = res.json(self.body(0));
        if self.db_unreachable {
            res.extensions_mut().insert(DbUnreachable);
        }
        res
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
            NotInChatroom(m) => Self::new(StatusCode::UNAUTHORIZED, "MetadataException", m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Db(db) => db.into(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(db: sqlx::Error) -> Self {
        if is_unreachable(&db) {
            tracing::warn!(error = %db, "database unreachable");
            return Self::db_unavailable();
        }
        match db {
            // Deadlock, serialization failure, lock not available: a race that a retry
            // resolves, not a server fault.
            sqlx::Error::Database(ref d)
                if matches!(d.code().as_deref(), Some("40P01" | "40001" | "55P03")) =>
            {
                Self::new(
                    StatusCode::CONFLICT,
                    "concurrent_operation_error",
                    "A concurrent operation conflicted with this one; retry it",
                )
            }
            other => {
                tracing::error!(error = %other, "database error");
                Self::internal()
            }
        }
    }
}

/// Whether `e` says the database could not be reached or dropped the connection (restart,
/// shutdown, network), as opposed to refusing this statement.
pub fn is_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // Class 08: connection exception; 57P01-57P03: shutdown, crash, starting up;
        // 53300: too many connections.
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl From<crate::hashing::HashError> for ApiError {
    fn from(e: crate::hashing::HashError) -> Self {
        match e {
            crate::hashing::HashError::Busy => Self::reach_limit(),
            crate::hashing::HashError::Failed(m) => {
                tracing::error!(error = %m, "hashing failed");
                Self::internal()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
