//! Every route, registered once and served under both tenant URL forms.

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
        .service(
            web::resource("/users/{username}/activate").route(web::post().to(users::activate)),
        );
}
