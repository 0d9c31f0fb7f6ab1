//! The OpenAPI 3.1 document, generated from the handlers' annotations. Every tenant path is
//! listed twice: under `/{org_name}/{app_name}` and under `/app-id/{app_id}`.

use crate::routes::room::{admins as a, announcement as an, members as m, moderation as md};
use crate::routes::{chatrooms as c, ops, token, users};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "imserver",
        description = "Self-hosted IM management backend serving the Easemob / Agora Chat REST API. \
            Every tenant endpoint is served under `/{org_name}/{app_name}/…` and under \
            `/app-id/{app_id}/…`; management endpoints need an app token (`Authorization: Bearer …`)."
    ),
    paths(
        ops::health, ops::ready, ops::metrics,
        token::token,
        users::register, users::get, users::list, users::delete, users::delete_batch,
        users::set_password, users::deactivate, users::activate, users::set_nickname,
        c::create, c::list, c::joined, c::details, c::update, c::delete,
        m::members, m::add_member, m::add_members, m::remove_members,
        a::admins, a::add_admin, a::remove_admin,
        c::super_admins, c::add_super_admin, c::remove_super_admin,
        md::mutes, md::mute, md::unmute, md::ban, md::unban,
        md::blocks, md::block_one, md::block_many, md::unblock,
        md::whitelist, md::whitelist_one, md::whitelist_many, md::whitelist_remove,
        an::announcement, an::set_announcement,
    ),
    modifiers(&BearerAuth, &AppIdPaths),
    tags(
        (name = "tokens", description = "App and user tokens"),
        (name = "users", description = "IM users"),
        (name = "chatrooms", description = "Chatrooms: create, list, details, update, transfer, delete, announcement"),
        (name = "chatroom members", description = "Chatroom members and admins"),
        (name = "chatroom moderation", description = "Chatroom mutes, mute-all, blocks and whitelist"),
        (name = "chatroom super admins", description = "App-level chatroom super admins"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "app_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

const NAMED_PREFIX: &str = "/{org_name}/{app_name}";

struct AppIdPaths;

impl Modify for AppIdPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let copies: Vec<(String, PathItem)> = openapi
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                path.strip_prefix(NAMED_PREFIX).map(|rest| {
                    let mut item = item.clone();
                    for op in operations(&mut item) {
                        retarget(op);
                    }
                    (format!("/app-id/{{app_id}}{rest}"), item)
                })
            })
            .collect();
        openapi.paths.paths.extend(copies);
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn retarget(op: &mut Operation) {
    if let Some(id) = &op.operation_id {
        op.operation_id = Some(format!("{id}_by_app_id"));
    }
    let params = op.parameters.get_or_insert_with(Vec::new);
    params.retain(|p| !(p.name == "org_name" || p.name == "app_name"));
    params.insert(0, app_id_param());
}

fn app_id_param() -> Parameter {
    ParameterBuilder::new()
        .name("app_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(
            "The app's id (32 lowercase hex), as `imserver app list` shows",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
