//! IM users (`reference/users.md`).

use crate::envelope::Envelope;
use crate::envelope_schema;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{
    bearer, from_value, segment, state, AppAdmin, Body, Principal, QueryParams, Tenant,
};
use crate::lenient;
use actix_web::{HttpRequest, HttpResponse};
use im_domain::{DomainError, Nickname, Password, Username};
use im_store::users::{NewUser, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user as every users endpoint shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserEntity {
    pub uuid: Uuid,
    /// Always `user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Registration time, ms since the epoch.
    pub created: i64,
    /// Last change, ms since the epoch.
    pub modified: i64,
    pub username: String,
    /// `false` while the user is deactivated.
    pub activated: bool,
    /// The push nickname, when one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub nickname: Option<String>,
}

impl From<User> for UserEntity {
    fn from(u: User) -> Self {
        Self {
            uuid: u.uuid,
            kind: "user",
            created: im_store::millis(u.created_at),
            modified: im_store::millis(u.modified_at),
            username: u.username,
            activated: u.activated,
            nickname: u.nickname,
        }
    }
}

/// One user to register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterUser {
    /// 1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive (stored lowercased).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, schema_with = crate::openapi::username_schema)]
    pub username: Option<String>,
    /// 1–64 characters.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1, max_length = 64)]
    pub password: Option<String>,
    /// Push nickname, at most 100 characters.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(nullable = false, max_length = 100)]
    pub nickname: Option<String>,
}

/// The register body: one user object, or a non-empty array of them (at most the batch limit,
/// 60 by default). Documentation only; the handler reads a JSON value.
pub struct RegisterBody;

impl utoipa::PartialSchema for RegisterBody {
    fn schema() -> RefOr<Schema> {
        let user = || Ref::from_schema_name(RegisterUser::name());
        OneOfBuilder::new()
            .item(user())
            .item(
                ArrayBuilder::new()
                    .items(user())
                    .min_items(Some(1))
                    .description(Some(
                        "A batch: at most 60 users by default (`limits.batch_register`)",
                    )),
            )
            .description(Some(
                "One user object, or a non-empty array of them (a batch)",
            ))
            .into()
    }
}

impl ToSchema for RegisterBody {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            RegisterUser::name().into_owned(),
            <RegisterUser as utoipa::PartialSchema>::schema(),
        ));
        <RegisterUser as ToSchema>::schemas(schemas);
    }
}

/// A batch entry that was not registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterFailure {
    pub username: String,
    #[serde(rename = "registerUserFailReason")]
    pub register_user_fail_reason: String,
}

envelope_schema!(
    /// Register: the users created in `entities`; for a batch, `data` lists the names that
    /// already existed.
    RegisterEnvelope, entities = UserEntity, {
        /// Batch registration only: the names that were not registered.
        #[schema(nullable = false)]
        pub data: Option<Vec<RegisterFailure>>,
    }
);
envelope_schema!(
    /// One user in `entities`, with `count`.
    UserEnvelope, entities = UserEntity, {
        /// Always 1.
        pub count: i64,
    }
);
envelope_schema!(
    /// A page of users in `entities`.
    UserPageEnvelope, entities = UserEntity, {
        pub count: i64,
        /// Present only when another page exists.
        #[schema(nullable = false)]
        pub cursor: Option<String>,
    }
);
envelope_schema!(
    /// The users concerned in `entities`.
    UsersEnvelope, entities = UserEntity
);
envelope_schema!(
    /// The deleted users in `entities`.
    DeletedUsersEnvelope, entities = UserEntity, {
        /// Present while older users remain.
        #[schema(nullable = false)]
        pub cursor: Option<String>,
    }
);
envelope_schema!(
    /// `action` is `set user password`; `entities` is empty.
    PasswordEnvelope, entities = []
);

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordBody {
    /// The new password, 1–64 characters.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, min_length = 1, max_length = 64)]
    pub newpassword: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NicknameBody {
    /// The push nickname, at most 100 characters.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    #[schema(required = true, nullable = false, max_length = 100)]
    pub nickname: Option<String>,
}

/// A username from the path; one that could never be valid cannot exist either.
fn path_user(raw: &str) -> ApiResult<Username> {
    Username::parse(raw).map_err(|_| ApiError::service_resource_not_found())
}

fn parse_new(item: RegisterUser) -> ApiResult<(Username, Password, Option<Nickname>)> {
    let name = item
        .username
        .ok_or_else(|| ApiError::illegal("Entity user requires a property named username"))?;
    let name = Username::parse(&name)?;
    let password = Password::parse(item.password.as_deref())?;
    let nickname = item.nickname.as_deref().map(Nickname::parse).transpose()?;
    Ok((name, password, nickname))
}

/// Register one user (object body) or a batch (array body).
#[utoipa::path(post, path = "/{org_name}/{app_name}/users", tag = "users", operation_id = "users_register",
    params(("org_name" = String, Path), ("app_name" = String, Path)),
    request_body(content = RegisterBody, description = "One user object, or an array of them"),
    responses(
        (status = 200, description = "The users registered in `entities`; in a batch, names that already existed in `data`", body = RegisterEnvelope),
        (status = 400, description = "illegal_argument (`username [x] is not legal`, `USERNAME_TOO_LONG`, `password or pin must provided`, `PASSWORD_TOO_LONG`, `NICKNAME_TOO_LONG`, an empty or too large batch), duplicate_unique_property_exists (the one user exists; one name twice with different passwords), json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token (`Open registration doesn't allow, so register user need token`)", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn register(
    req: HttpRequest,
    tenant: Tenant,
    Body(body): Body<Value>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let batch = body.is_array();
    match bearer(&req, &tenant)? {
        Some((Principal::App, _)) => {}
        Some((Principal::User { .. }, _)) => {
            return Err(ApiError::unauthorized("Unable to authenticate (OAuth)"))
        }
        None if st.config.open_registration && !batch => {}
        None => {
            return Err(ApiError::unauthorized(
                "Open registration doesn't allow, so register user need token",
            ))
        }
    }
    let items: Vec<RegisterUser> = match body {
        Value::Array(items) => {
            let max = st.config.limits.batch_register;
            if items.len() > max {
                return Err(ApiError::illegal(format!(
                    "Request body array size[{}] had almost reached or been greater than the upper range value[{max}]",
                    items.len()
                )));
            }
            if items.is_empty() {
                return Err(ApiError::illegal("Request body array is empty"));
            }
            items
                .into_iter()
                .map(from_value)
                .collect::<ApiResult<_>>()?
        }
        Value::Object(_) => vec![from_value(body)?],
        _ => return Err(ApiError::illegal("this is an invalid request.")),
    };
    // Validate everything before writing anything; fold exact repeats.
    let mut parsed: Vec<(Username, Password, Option<Nickname>)> = Vec::new();
    for item in items {
        let (name, password, nickname) = parse_new(item)?;
        match parsed.iter().find(|(n, _, _)| *n == name) {
            Some((_, p, _)) if *p == password => continue,
            Some(_) => {
                return Err(DomainError::DuplicateUniqueProperty(format!(
                    "the same user {name} has a different password"
                ))
                .into())
            }
            None => parsed.push((name, password, nickname)),
        }
    }
    let hashes = st
        .hasher
        .hash_all(
            parsed
                .iter()
                .map(|(_, p, _)| p.expose().to_owned())
                .collect(),
        )
        .await?;
    let new: Vec<NewUser> = parsed
        .into_iter()
        .zip(hashes)
        .map(|((name, _, nick), hash)| NewUser {
            username: name.into_string(),
            password_hash: Some(hash),
            nickname: nick.map(|n| n.as_str().to_owned()),
        })
        .collect();
    let (created, existing) = im_store::users::register(&st.pool(), tenant.id, new).await?;
    let env = Envelope::new()
        .path("/users")
        .entities(created.into_iter().map(UserEntity::from));
    if !batch {
        if let Some(name) = existing.first() {
            return Err(DomainError::DuplicateUniqueProperty(format!(
                "Application {} Entity user requires that property named username be unique, value of {name} exists",
                tenant.id
            ))
            .into());
        }
        return Ok(env.respond(&req, &tenant));
    }
    let failures: Vec<RegisterFailure> = existing
        .into_iter()
        .map(|name| RegisterFailure {
            register_user_fail_reason: format!("the {name} already exists"),
            username: name,
        })
        .collect();
    Ok(env.data(failures).respond(&req, &tenant))
}

/// Get one user.
#[utoipa::path(get, path = "/{org_name}/{app_name}/users/{username}", tag = "users", operation_id = "users_get",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "The user in `entities`", body = UserEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn get(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let name = path_user(&segment(&req, "username")?)?;
    let user = im_store::users::get(&st.pool(), admin.tenant.id, name.as_str())
        .await?
        .ok_or_else(ApiError::service_resource_not_found)?;
    Ok(Envelope::new()
        .path("/users")
        .entities([UserEntity::from(user)])
        .count(1)
        .respond(&req, &admin.tenant))
}

/// List users in registration order, `limit` (1–100, default 10) at a time.
#[utoipa::path(get, path = "/{org_name}/{app_name}/users", tag = "users", operation_id = "users_list",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("limit" = Option<i64>, Query, description = "Page size; default 10, values outside 1–100 are clamped"),
           ("cursor" = Option<String>, Query, description = "The `cursor` of the previous page")),
    responses(
        (status = 200, description = "A page of users; `cursor` when more follow", body = UserPageEnvelope),
        (status = 400, description = "invalid_parameter: a limit that is not an integer, a cursor this server did not issue", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn list(req: HttpRequest, admin: AppAdmin, q: QueryParams) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limit = q.int("limit", 10, 1, 100)?;
    let after = q
        .get("cursor")
        .map(|c| st.cursors.decode(c, 1))
        .transpose()?;
    let (users, more) =
        im_store::users::page(&st.pool(), admin.tenant.id, after.map(|c| c[0]), limit).await?;
    let next = st.cursors.next(more, &users, |u| u.seq);
    Ok(Envelope::new()
        .path("/users")
        .count(users.len())
        .entities(users.into_iter().map(UserEntity::from))
        .cursor(next)
        .respond(&req, &admin.tenant))
}

/// Delete one user, the rooms it owns and its memberships.
#[utoipa::path(delete, path = "/{org_name}/{app_name}/users/{username}", tag = "users", operation_id = "users_delete",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "The deleted user in `entities`", body = UsersEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let name = path_user(&segment(&req, "username")?)?;
    let user = im_store::users::delete_one(&st.pool(), admin.tenant.id, name.as_str())
        .await?
        .ok_or_else(ApiError::service_resource_not_found)?;
    // The groups it owned went with it, and their shared files.
    super::group_files::reap(&st, admin.tenant.id).await;
    Ok(Envelope::new()
        .path("/users")
        .entities([UserEntity::from(user)])
        .respond(&req, &admin.tenant))
}

/// Delete the `limit` oldest users (1–100, default 10).
#[utoipa::path(delete, path = "/{org_name}/{app_name}/users", tag = "users", operation_id = "users_delete_batch",
    params(("org_name" = String, Path), ("app_name" = String, Path),
           ("limit" = Option<i64>, Query, description = "How many; default 10, values outside 1–100 are clamped"),
           ("cursor" = Option<String>, Query, description = "The `cursor` of the previous response")),
    responses(
        (status = 200, description = "The deleted users; `cursor` while users remain", body = DeletedUsersEnvelope),
        (status = 400, description = "invalid_parameter: a limit that is not an integer, a cursor this server did not issue", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn delete_batch(
    req: HttpRequest,
    admin: AppAdmin,
    q: QueryParams,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let limit = q.int("limit", 10, 1, 100)?;
    let after = q
        .get("cursor")
        .map(|c| st.cursors.decode(c, 1))
        .transpose()?;
    let (users, more) =
        im_store::users::delete_oldest(&st.pool(), admin.tenant.id, after.map(|c| c[0]), limit)
            .await?;
    super::group_files::reap(&st, admin.tenant.id).await;
    let next = st.cursors.next(more, &users, |u| u.seq);
    Ok(Envelope::new()
        .path("/users")
        .entities(users.into_iter().map(UserEntity::from))
        .cursor(next)
        .respond(&req, &admin.tenant))
}

/// Set a user's password (the old one is not needed).
#[utoipa::path(put, path = "/{org_name}/{app_name}/users/{username}/password", tag = "users", operation_id = "users_set_password",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "`action`: `set user password`", body = PasswordEnvelope),
        (status = 400, description = "illegal_argument `newpassword is required`, `PASSWORD_TOO_LONG`; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "entity_not_found `User null not found`; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set_password(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<PasswordBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let not_found = || DomainError::EntityNotFound("User null not found".into());
    let raw = body
        .newpassword
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::illegal("newpassword is required"))?;
    let password = Password::parse(Some(&raw))?;
    let name = Username::parse(&segment(&req, "username")?).map_err(|_| not_found())?;
    if im_store::users::get(&st.pool(), admin.tenant.id, name.as_str())
        .await?
        .is_none()
    {
        return Err(not_found().into());
    }
    let hash = st.hasher.hash(password.expose().to_owned()).await?;
    if !im_store::users::set_password(&st.pool(), admin.tenant.id, name.as_str(), &hash).await? {
        return Err(not_found().into());
    }
    Ok(Envelope::new()
        .action("set user password")
        .path("/users")
        .respond(&req, &admin.tenant))
}

async fn set_activated(
    req: HttpRequest,
    admin: AppAdmin,
    name: &str,
    activated: bool,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let name = path_user(name)?;
    let user =
        im_store::users::set_activated(&st.pool(), admin.tenant.id, name.as_str(), activated)
            .await?
            .ok_or_else(ApiError::service_resource_not_found)?;
    Ok(Envelope::new()
        .action(if activated {
            "activate user"
        } else {
            "Deactivate user"
        })
        .path("/users")
        .entities([UserEntity::from(user)])
        .respond(&req, &admin.tenant))
}

/// Deactivate (ban) a user: it can get no token until activated again.
#[utoipa::path(post, path = "/{org_name}/{app_name}/users/{username}/deactivate", tag = "users", operation_id = "users_deactivate",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`action`: `Deactivate user`; the user in `entities`", body = UsersEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn deactivate(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let name = segment(&req, "username")?;
    set_activated(req, admin, &name, false).await
}

/// Activate (unban) a user.
#[utoipa::path(post, path = "/{org_name}/{app_name}/users/{username}/activate", tag = "users", operation_id = "users_activate",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "`action`: `activate user`; the user in `entities`", body = UsersEnvelope),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn activate(req: HttpRequest, admin: AppAdmin) -> ApiResult<HttpResponse> {
    let name = segment(&req, "username")?;
    set_activated(req, admin, &name, true).await
}

/// Set a user's push nickname.
#[utoipa::path(put, path = "/{org_name}/{app_name}/users/{username}", tag = "users", operation_id = "users_set_nickname",
    params(("org_name" = String, Path), ("app_name" = String, Path), ("username" = String, Path, description = "1–64 bytes of `[a-zA-Z0-9_.-]`, case-insensitive", pattern = "^[a-zA-Z0-9_.-]{1,64}$")),
    request_body = NicknameBody,
    responses(
        (status = 200, description = "The updated user in `entities`", body = UsersEnvelope),
        (status = 400, description = "illegal_argument `nickname is required`, `NICKNAME_TOO_LONG`; json_parse", body = ErrorBody),
        (status = 401, description = "No valid app token", body = ErrorBody),
        (status = 404, description = "service_resource_not_found; organization_application_not_found", body = ErrorBody),
    ),
    security(("app_token" = [])))]
pub async fn set_nickname(
    req: HttpRequest,
    admin: AppAdmin,
    Body(body): Body<NicknameBody>,
) -> ApiResult<HttpResponse> {
    let st = state(&req)?;
    let nickname = body
        .nickname
        .ok_or_else(|| ApiError::illegal("nickname is required"))?;
    let nickname = Nickname::parse(&nickname)?;
    let name = path_user(&segment(&req, "username")?)?;
    let user = im_store::users::set_nickname(
        &st.pool(),
        admin.tenant.id,
        name.as_str(),
        nickname.as_str(),
    )
    .await?
    .ok_or_else(ApiError::service_resource_not_found)?;
    Ok(Envelope::new()
        .path("/users")
        .entities([UserEntity::from(user)])
        .respond(&req, &admin.tenant))
}
