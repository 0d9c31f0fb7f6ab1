//! Every route, registered once and served under both tenant URL forms.

pub mod chatrooms;
pub mod ops;
pub mod token;
pub mod users;

use actix_web::web;

/// The routes under a tenant prefix.
pub fn tenant_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/token").route(web::post().to(token::token)))
        .service(
            web::resource("/users")
                .route(web::post().to(users::register))
                .route(web::get().to(users::list))
                .route(web::delete().to(users::delete_batch)),
        )
        .service(
            web::resource("/users/{username}")
                .route(web::get().to(users::get))
                .route(web::delete().to(users::delete))
                .route(web::put().to(users::set_nickname)),
        )
        .service(
            web::resource("/users/{username}/password").route(web::put().to(users::set_password)),
        )
        .service(
            web::resource("/users/{username}/deactivate").route(web::post().to(users::deactivate)),
        )
        .service(web::resource("/users/{username}/activate").route(web::post().to(users::activate)))
        .service(
            web::resource("/users/{username}/joined_chatrooms")
                .route(web::get().to(chatrooms::joined)),
        );
    chatroom_routes(cfg);
}

/// `/chatrooms/…`. `super_admin` is registered before `{chatroom_id}` so that it wins.
fn chatroom_routes(cfg: &mut web::ServiceConfig) {
    use chatrooms as c;
    cfg.service(
        web::resource("/chatrooms")
            .route(web::post().to(c::create))
            .route(web::get().to(c::list)),
    )
    .service(
        web::resource("/chatrooms/super_admin")
            .route(web::get().to(c::super_admins))
            .route(web::post().to(c::add_super_admin)),
    )
    .service(
        web::resource("/chatrooms/super_admin/{superadmin}")
            .route(web::delete().to(c::remove_super_admin)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}")
            .route(web::get().to(c::details))
            .route(web::put().to(c::update))
            .route(web::delete().to(c::delete)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/users")
            .route(web::get().to(c::members))
            .route(web::post().to(c::add_members)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/users/{usernames}")
            .route(web::post().to(c::add_member))
            .route(web::delete().to(c::remove_members)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/admin")
            .route(web::get().to(c::admins))
            .route(web::post().to(c::add_admin)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/admin/{oldadmin}")
            .route(web::delete().to(c::remove_admin)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/mute")
            .route(web::get().to(c::mutes))
            .route(web::post().to(c::mute)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/mute/{usernames}")
            .route(web::delete().to(c::unmute)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/ban")
            .route(web::post().to(c::ban))
            .route(web::delete().to(c::unban)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/blocks/users")
            .route(web::get().to(c::blocks))
            .route(web::post().to(c::block_many)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/blocks/users/{usernames}")
            .route(web::post().to(c::block_one))
            .route(web::delete().to(c::unblock)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/white/users")
            .route(web::get().to(c::whitelist))
            .route(web::post().to(c::whitelist_many)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/white/users/{usernames}")
            .route(web::post().to(c::whitelist_one))
            .route(web::delete().to(c::whitelist_remove)),
    )
    .service(
        web::resource("/chatrooms/{chatroom_id}/announcement")
            .route(web::get().to(c::announcement))
            .route(web::post().to(c::set_announcement))
            .route(web::put().to(c::put_announcement)),
    );
}
