use thiserror::Error;

/// Every way a request can break a rule. The http tier maps each variant to a status, an
/// Easemob `error` string and an `error_description` in one place.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// 400 `illegal_argument`.
    #[error("{0}")]
    IllegalArgument(String),
    /// 400 `invalid_parameter`.
    #[error("{0}")]
    InvalidParameter(String),
    /// 400 `duplicate_unique_property_exists`.
    #[error("{0}")]
    DuplicateUniqueProperty(String),
    /// 400 `invalid_grant`.
    #[error("{0}")]
    InvalidGrant(String),
    /// 404 `invalid_grant` (the token page names this status for an unknown user).
    #[error("{0}")]
    GrantUserNotFound(String),
    /// 403 `forbidden_op`.
    #[error("{0}")]
    Forbidden(String),
    /// 400 `forbidden_op` (where a 3.x page names 400 for a rule violation).
    #[error("{0}")]
    ForbiddenBadRequest(String),
    /// 403 `exceed_limit`.
    #[error("{0}")]
    ExceedLimit(String),
    /// 404 `resource_not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 404 `service_resource_not_found`.
    #[error("{0}")]
    ServiceResourceNotFound(String),
    /// 401 `MetadataException` (the chatroom attribute page's answer for a non-member).
    #[error("{0}")]
    NotInChatroom(String),
    /// 404 `entity_not_found`.
    #[error("{0}")]
    EntityNotFound(String),
}

impl DomainError {
    pub fn illegal(msg: impl Into<String>) -> Self {
        Self::IllegalArgument(msg.into())
    }
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidParameter(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
}
