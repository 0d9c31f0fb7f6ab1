//! Global user mutes (`reference/users.md`, 用户全局禁言) and force offline.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn mutes_of(app: &TestApp, user: &str) -> Value {
    let r = app.get(&format!("/mutes/{user}")).await;
    assert_envelope(&r, "get")["data"].clone()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_global_mute_is_set_per_type_read_back_and_lifted_with_zero(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["zs1"]).await;
    let d = mutes_of(&app, "zs1").await;
    assert_eq!(
        (&d["chat"], &d["groupchat"], &d["chatroom"]),
        (&json!(0), &json!(0), &json!(0))
    );
    assert_eq!(
        d["userid"],
        format!("{}#{}_zs1", app.creds.org, app.creds.app)
    );
    let r = app
        .post(
            "/mutes",
            json!({"username": "ZS1", "chat": 100, "groupchat": "-1", "chatroom": 100}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["data"], json!({"result": "ok"}));
    assert_eq!(b["path"], "/mutes");
    let d = mutes_of(&app, "zs1").await;
    assert!((99..=100).contains(&d["chat"].as_i64().unwrap()), "{d}");
    assert_eq!(d["groupchat"], -1);
    let now = chrono::Utc::now().timestamp();
    assert!((d["unixtime"].as_i64().unwrap() - now).abs() <= 2, "{d}");
    // 0 lifts one type; the fields left out keep their mutes.
    let r = app
        .post("/mutes", json!({"username": "zs1", "chat": 0}))
        .await;
    assert_envelope(&r, "post");
    let d = mutes_of(&app, "zs1").await;
    assert_eq!(d["chat"], 0);
    assert_eq!(d["groupchat"], -1);
    assert!(d["chatroom"].as_i64().unwrap() > 0, "{d}");
    // Setting again replaces the time.
    app.post("/mutes", json!({"username": "zs1", "chatroom": 5}))
        .await;
    assert!(mutes_of(&app, "zs1").await["chatroom"].as_i64().unwrap() <= 5);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn global_mute_errors_change_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["zs1"]).await;
    let d = assert_error(
        &app.post("/mutes", json!({"chat": 100})).await,
        400,
        "required_property_not_found",
    );
    assert_eq!(d, "Entity user requires a property named username");
    assert_error(
        &app.post("/mutes", json!({"username": "nobody", "chat": 100}))
            .await,
        400,
        "required_property_not_found",
    );
    assert_error(
        &app.post("/mutes", json!({"username": "bad name!", "chat": 100}))
            .await,
        400,
        "required_property_not_found",
    );
    assert_error(
        &app.get("/mutes/nobody").await,
        400,
        "required_property_not_found",
    );
    for bad in [
        json!(-2),
        json!(2_147_483_648_i64),
        json!("soon"),
        json!(1.5),
    ] {
        let r = app
            .post(
                "/mutes",
                json!({"username": "zs1", "chat": 100, "groupchat": bad}),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    assert_error(
        &app.post("/mutes", json!({"username": "zs1\u{0}", "chat": 100}))
            .await,
        400,
        "illegal_argument",
    );
    // Nothing was written by the refused sets, not even their valid fields.
    assert_eq!(mutes_of(&app, "zs1").await["chat"], 0);
    let r = app
        .raw(
            Method::POST,
            &app.path("/mutes"),
            None,
            Some(json!({"username": "zs1", "chat": 1})),
        )
        .await;
    assert_error(&r, 401, "unauthorized");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_app_list_shows_mutes_in_force_a_page_at_a_time(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register(&["h2", "zs1", "zs2"]).await;
    app.post(
        "/mutes",
        json!({"username": "zs1", "chat": 100, "groupchat": 100}),
    )
    .await;
    app.post("/mutes", json!({"username": "zs2", "chatroom": -1}))
        .await;
    app.post("/mutes", json!({"username": "h2", "chat": 50}))
        .await;
    let r = app.get("/mutes?pageNum=1&pageSize=10").await;
    let d = &assert_envelope(&r, "get")["data"];
    let items = d["data"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{d}");
    assert_eq!(items[0]["username"], "h2");
    assert!(items[0]["chat"].as_i64().unwrap() > 0);
    assert_eq!(items[3], json!({"username": "zs2", "chatroom": -1}));
    assert!(d["unixtime"].is_i64());
    // Pages: two at a time.
    let r = app.get("/mutes?pageNum=2&pageSize=2").await;
    let items = assert_envelope(&r, "get")["data"]["data"].clone();
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[1]["username"], "zs2");
    let r = app.get("/mutes?pagenum=3&pagesize=2").await;
    assert_eq!(assert_envelope(&r, "get")["data"]["data"], json!([]));
    assert_error(
        &app.get("/mutes?pageSize=x").await,
        400,
        "invalid_parameter",
    );
    // An expired mute is gone from both reads at once, with no job run.
    sqlx::query(
        "update user_mutes set expires_at = now() - interval '1 second' where username = 'h2'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(mutes_of(&app, "h2").await["chat"], 0);
    let r = app.get("/mutes").await;
    let items = assert_envelope(&r, "get")["data"]["data"].clone();
    assert_eq!(items.as_array().unwrap().len(), 3);
    assert!(items
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["username"] != "h2"));
    // Deleting a user deletes its mutes.
    app.delete("/users/zs2").await;
    let r = app.get("/mutes").await;
    assert_eq!(
        assert_envelope(&r, "get")["data"]["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn mutes_are_served_under_the_app_id_form_and_apps_do_not_see_each_other(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["zs1"]).await;
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::POST,
            &format!("{base}/mutes"),
            Some(&app.token),
            Some(json!({"username": "zs1", "chat": -1})),
        )
        .await;
    assert_envelope(&r, "post");
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/mutes/zs1"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(assert_envelope(&r, "get")["data"]["chat"], -1);
    let other = app.other_app("org2", "app2").await;
    let token = app.app_token_for(&other).await;
    let r = app
        .raw(Method::GET, "/org2/app2/mutes", Some(&token), None)
        .await;
    assert_eq!(assert_envelope(&r, "get")["data"]["data"], json!([]));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn force_offline_answers_true_for_a_user_and_404_for_nobody(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["user1"]).await;
    let r = app.get("/users/user1/disconnect").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["data"], json!({"result": true}));
    assert_eq!(b["count"], 0);
    let r = app
        .delete("/users/User1/disconnect/android_123423453246")
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": true})
    );
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/users/user1/disconnect"),
            Some(&app.token),
            None,
        )
        .await;
    assert_envelope(&r, "get");
    for r in [
        app.get("/users/nobody/disconnect").await,
        app.delete("/users/nobody/disconnect/web_1").await,
    ] {
        let d = assert_error(&r, 404, "service_resource_not_found");
        assert_eq!(d, "Service resource not found");
    }
    let r = app
        .raw(
            Method::GET,
            &app.path("/users/user1/disconnect"),
            None,
            None,
        )
        .await;
    assert_error(&r, 401, "unauthorized");
}
