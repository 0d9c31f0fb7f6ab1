//! `POST /{org}/{app}/token`: app tokens (`client_credentials`) and user tokens (`password`,
//! `inherit`).

use crate::auth::{Claims, TOKEN_ISSUER};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{bearer, state, Body, Principal, Tenant};
use crate::lenient;
use crate::routes::users::UserEntity;
use actix_web::{HttpRequest, HttpResponse};
use im_domain::{DomainError, Ttl, Username};
use im_store::users::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The token request as read: every field optional, checked per grant type by the handler. The
/// documented form is [`TokenRequestDoc`].
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    /// `client_credentials`, `password` or `inherit`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub grant_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub client_secret: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub password: Option<String>,
    /// Lifetime in seconds: a number or a numeric string; absent or `""` means the default,
    /// `0` the configured maximum.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ttl: Option<String>,
    /// With `inherit`: create the user when it does not exist.
    #[serde(
        default,
        rename = "autoCreateUser",
        deserialize_with = "lenient::opt_bool"
    )]
    pub auto_create_user: Option<bool>,
}

/// The token request: one of three grant types.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TokenRequestDoc {
    ClientCredentials(ClientCredentialsGrant),
    Password(PasswordGrant),
    Inherit(InheritGrant),
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ClientCredentialsType {
    ClientCredentials,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PasswordType {
    Password,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum InheritType {
    Inherit,
}

/// An app token.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClientCredentialsGrant {
    #[schema(inline)]
    pub grant_type: ClientCredentialsType,
    /// The app's client id.
    #[schema(min_length = 1)]
    pub client_id: String,
    /// The app's client secret.
    #[schema(min_length = 1)]
    pub client_secret: String,
    #[schema(schema_with = crate::openapi::ttl_schema)]
    pub ttl: Option<i64>,
}

/// A user token from the user's password.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordGrant {
    #[schema(inline)]
    pub grant_type: PasswordType,
    #[schema(schema_with = crate::openapi::username_schema)]
    pub username: String,
    #[schema(min_length = 1)]
    pub password: String,
    #[schema(schema_with = crate::openapi::ttl_schema)]
    pub ttl: Option<i64>,
}

/// A user token without the password; needs an app token in `Authorization`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InheritGrant {
    #[schema(inline)]
    pub grant_type: InheritType,
    #[schema(schema_with = crate::openapi::username_schema)]
    pub username: String,
    /// Create the user (without a password) when it does not exist.
    #[serde(rename = "autoCreateUser")]
    #[schema(nullable = false)]
    pub auto_create_user: Option<bool>,
    #[schema(schema_with = crate::openapi::ttl_schema)]
    pub ttl: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The app's uuid.
    pub application: Uuid,
    /// The user, for user tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub user: Option<UserEntity>,
}

/// Get an app token or a user token.
#[utoipa::path(post, path = "/{org_name}/{app_name}/token", tag = "tokens", operation_id = "token",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body = TokenRequestDoc,
    responses(
        (status = 200, description = "A token", body = TokenResponse),
        (status = 400, description = "illegal_argument (a field is missing, `grant_type [x] is not supported`, a bad `ttl` or username), invalid_grant (`client_id does not match`, `client_secret does not match`, `invalid password`, `user not activated`), json_parse", body = ErrorBody),
        (status = 401, description = "`inherit` without a valid app token; a malformed or foreign token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found; invalid_grant `user not found`", body = ErrorBody),
    ),
    security((), ("app_token" = [])))]
pub async fn token(
    req: HttpRequest,
    tenant: Tenant,
    Body(body): Body<TokenRequest>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let ttl = Ttl::resolve(body.ttl.as_deref(), st.config.ttl_policy())?;
    let required = |v: &Option<String>, msg: &str| -> ApiResult<String> {
        v.clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::illegal(msg))
    };
    let grant = required(&body.grant_type, "grant_type must be provided")?;
    let (sub, user) = match grant.as_str() {
        "client_credentials" => {
            let client_id = required(&body.client_id, "client_id must be provided.")?;
            let secret = required(&body.client_secret, "client_secret must be provided")?;
            let app = im_store::apps::by_id(&st.pool(), tenant.id)
                .await?
                .ok_or_else(|| ApiError::app_not_found("application not found"))?;
            if app.client_id != client_id {
                return Err(DomainError::InvalidGrant("client_id does not match".into()).into());
            }
            let cached = st
                .verified_secrets
                .contains(&client_id, &secret, &app.client_secret_hash);
            if !cached {
                if !st
                    .hasher
                    .verify(secret.clone(), app.client_secret_hash.clone())
                    .await?
                {
                    return Err(
                        DomainError::InvalidGrant("client_secret does not match".into()).into(),
                    );
                }
                st.verified_secrets
                    .remember(&client_id, &secret, &app.client_secret_hash);
            }
            (client_id, None)
        }
        "password" => {
            let name = required(&body.username, "username must be provided")?;
            let password = required(&body.password, "password must be provided")?;
            let name = Username::parse(&name)?;
            let (user, hash) = im_store::users::credentials(&st.pool(), tenant.id, name.as_str())
                .await?
                .ok_or_else(|| DomainError::GrantUserNotFound("user not found".into()))?;
            let ok = match hash {
                Some(h) => st.hasher.verify(password, h).await?,
                None => false,
            };
            if !ok {
                return Err(DomainError::InvalidGrant("invalid password".into()).into());
            }
            (user.uuid.to_string(), Some(user))
        }
        "inherit" => {
            match bearer(&req, &tenant)? {
                Some((Principal::App, _)) => {}
                _ => return Err(ApiError::unauthorized("Unable to authenticate (OAuth)")),
            }
            let name = Username::parse(&required(&body.username, "username must be provided")?)?;
            let user = if body.auto_create_user.unwrap_or(false) {
                im_store::users::get_or_create(&st.pool(), tenant.id, name.as_str()).await?
            } else {
                im_store::users::get(&st.pool(), tenant.id, name.as_str())
                    .await?
                    .ok_or_else(|| DomainError::GrantUserNotFound("user not found".into()))?
            };
            (user.uuid.to_string(), Some(user))
        }
        other => {
            return Err(ApiError::illegal(format!(
                "grant_type [{other}] is not supported"
            )))
        }
    };
    if let Some(u) = &user {
        if !u.activated {
            return Err(DomainError::InvalidGrant("user not activated".into()).into());
        }
    }
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: TOKEN_ISSUER.into(),
        typ: if user.is_some() { "user" } else { "app" }.into(),
        app: tenant.id,
        sub,
        usr: user.as_ref().map(|u: &User| u.username.clone()),
        iat: now,
        exp: now + ttl.secs(),
    };
    let access_token = st.tokens.issue(&claims)?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token,
        expires_in: ttl.secs(),
        application: tenant.id,
        user: user.map(UserEntity::from),
    }))
}
