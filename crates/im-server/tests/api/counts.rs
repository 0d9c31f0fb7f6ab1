use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn counts_are_the_apps_users_groups_chatrooms_and_threads(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app.get("/counts").await;
    let body = assert_envelope(&r, "get");
    assert_eq!(
        body["data"],
        json!({"users": 0, "groups": 0, "chatrooms": 0, "threads": 0})
    );

    app.register(&["amy", "bob", "cat"]).await;
    let g = app
        .post(
            "/chatgroups",
            json!({"groupname": "g", "desc": "d", "public": true, "owner": "amy", "members": ["bob"]}),
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let group = g.body["data"]["groupid"].as_str().unwrap().to_owned();
    for name in ["r1", "r2"] {
        let r = app
            .post(
                "/chatrooms",
                json!({"name": name, "description": "d", "owner": "amy"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let t = app
        .post(
            "/thread",
            json!({"group_id": group, "name": "t", "msg_id": "m", "owner": "bob"}),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.body);

    let r = app.get("/counts").await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!({"users": 3, "groups": 1, "chatrooms": 2, "threads": 1})
    );
    // The app-id form answers the same.
    let by_id = format!("/app-id/{}/counts", app.creds.app_id);
    let r = app
        .raw(Method::GET, &by_id, Some(&app.token.clone()), None)
        .await;
    assert_eq!(r.body["data"]["chatrooms"], 2, "{}", r.body);

    // Deleting the group takes its thread with it.
    assert_eq!(
        app.delete(&format!("/chatgroups/{group}")).await.status,
        200
    );
    let r = app.get("/counts").await;
    assert_eq!(
        r.body["data"],
        json!({"users": 3, "groups": 0, "chatrooms": 2, "threads": 0})
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn counts_need_the_apps_own_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy"]).await;
    let r = app.raw(Method::GET, &app.path("/counts"), None, None).await;
    assert_error(&r, 401, "unauthorized");
    let r = app
        .raw(Method::GET, &app.path("/counts"), Some("not-a-token"), None)
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    // A user token is not an app token.
    let user = app.user_access_token("amy", "pw-amy").await;
    let r = app
        .raw(Method::GET, &app.path("/counts"), Some(&user), None)
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn counts_leave_other_apps_out(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy", "bob"]).await;
    let other = app.other_app("beta", "two").await;
    let token = app.app_token_for(&other).await;
    let r = app
        .raw(Method::GET, "/beta/two/counts", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["users"], 0);
    // One app's token does not open another's counts.
    let r = app
        .raw(
            Method::GET,
            "/beta/two/counts",
            Some(&app.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
}
