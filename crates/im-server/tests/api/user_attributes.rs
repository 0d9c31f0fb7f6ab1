//! User attributes (`/metadata/user/…`, API-NOTES §7).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// A PUT with a form-urlencoded body, as the contract's clients send it.
async fn put_form(app: &TestApp, user: &str, form: &str) -> Reply {
    let resp = app
        .client
        .put(format!(
            "{}{}",
            app.base,
            app.path(&format!("/metadata/user/{user}"))
        ))
        .bearer_auth(&app.token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await
}

async fn attrs(app: &TestApp, user: &str) -> Value {
    let r = app.get(&format!("/metadata/user/{user}")).await;
    assert_envelope(&r, "get")["data"].clone()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn attributes_are_set_from_a_form_a_json_object_or_the_query_and_merged(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy"]).await;
    assert_eq!(attrs(&app, "amy").await, json!({}));
    let r = put_form(&app, "amy", "nickname=Amy&avatarurl=http%3A%2F%2Fx%2Fa.png").await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"nickname": "Amy", "avatarurl": "http://x/a.png"})
    );
    let r = app
        .put("/metadata/user/AMY", json!({"gender": 2, "nickname": "A."}))
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"nickname": "A.", "avatarurl": "http://x/a.png", "gender": "2"})
    );
    let r = app
        .call(Method::PUT, "/metadata/user/amy?sign=hi&avatarurl=", None)
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"nickname": "A.", "gender": "2", "sign": "hi"})
    );
    assert_eq!(
        attrs(&app, "amy").await,
        json!({"nickname": "A.", "gender": "2", "sign": "hi"})
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_user_holds_at_most_2_kb_of_attributes_and_bad_input_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy"]).await;
    // 2048 bytes exactly are allowed.
    let r = app
        .put("/metadata/user/amy", json!({"k": "v".repeat(2047)}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = assert_error(
        &app.put("/metadata/user/amy", json!({"x": "y"})).await,
        403,
        "forbidden_op",
    );
    assert_eq!(d, "the attributes of user amy exceed 2048 bytes");
    app.delete("/metadata/user/amy").await;
    assert_error(
        &app.put("/metadata/user/amy", json!({"k": "é".repeat(1024)}))
            .await,
        403,
        "forbidden_op",
    );
    assert_error(
        &app.call(Method::PUT, "/metadata/user/amy", None).await,
        400,
        "invalid_parameter",
    );
    assert_error(
        &app.put("/metadata/user/amy", json!({"k": {"nested": 1}}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_error(
        &app.put("/metadata/user/amy", json!({"k": "a\u{0}b"})).await,
        400,
        "illegal_argument",
    );
    assert_error(
        &put_form(&app, "amy", "k=a%00b").await,
        400,
        "illegal_argument",
    );
    assert_eq!(attrs(&app, "amy").await, json!({}));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn unknown_users_are_404_on_set_get_and_delete(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for r in [
        app.put("/metadata/user/nobody", json!({"k": "v"})).await,
        app.get("/metadata/user/nobody").await,
        app.delete("/metadata/user/nobody").await,
        app.get("/metadata/user/bad%20name").await,
    ] {
        assert_error(&r, 404, "resource_not_found");
    }
    let d = assert_error(
        &app.get("/metadata/user/nobody").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username nobody doesn't exist!");
    let r = app
        .raw(Method::GET, &app.path("/metadata/user/nobody"), None, None)
        .await;
    assert_error(&r, 401, "unauthorized");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_batch_get_answers_chosen_keys_of_users_that_exist(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy", "bob", "cat"]).await;
    app.put(
        "/metadata/user/amy",
        json!({"nickname": "A", "gender": "1"}),
    )
    .await;
    app.put("/metadata/user/bob", json!({"nickname": "B"}))
        .await;
    let r = app
        .post(
            "/metadata/user/get",
            json!({"targets": ["amy", "BOB", "cat", "nobody", "bad name"], "properties": ["nickname", "missing"]}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"amy": {"nickname": "A"}, "bob": {"nickname": "B"}, "cat": {}})
    );
    let r = app
        .post("/metadata/user/get", json!({"targets": ["amy"]}))
        .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"amy": {"nickname": "A", "gender": "1"}})
    );
    let d = assert_error(
        &app.post("/metadata/user/get", json!({"properties": ["k"]}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "targets must be provided");
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let d = assert_error(
        &app.post("/metadata/user/get", json!({"targets": many}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "targets size is more than max limit : 100");
    let hundred: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
    let r = app
        .post("/metadata/user/get", json!({"targets": hundred}))
        .await;
    assert_eq!(assert_envelope(&r, "post")["data"], json!({}));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn delete_capacity_and_user_deletion(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.register(&["amy", "bob", "cat"]).await;
    let r = app.get("/metadata/user/capacity").await;
    assert_eq!(assert_envelope(&r, "get")["data"], 0);
    app.put("/metadata/user/amy", json!({"ab": "cde"})).await;
    app.put("/metadata/user/bob", json!({"x": "yz"})).await;
    let r = app.get("/metadata/user/capacity").await;
    assert_eq!(assert_envelope(&r, "get")["data"], 8);
    let r = app.delete("/metadata/user/amy").await;
    assert_eq!(assert_envelope(&r, "delete")["data"], true);
    assert_eq!(attrs(&app, "amy").await, json!({}));
    // Also when there is nothing to delete.
    let r = app.delete("/metadata/user/amy").await;
    assert_eq!(assert_envelope(&r, "delete")["data"], true);
    assert_eq!(app.get("/metadata/user/capacity").await.body["data"], 3);
    // The fixed paths win over users of those names: they answer their own method only.
    app.put("/metadata/user/cat", json!({"a": "1"})).await;
    let r = app.put("/metadata/user/get", json!({"a": "1"})).await;
    assert_eq!(r.status, 405, "{}", r.body);
    let r = app.delete("/metadata/user/capacity").await;
    assert_eq!(r.status, 405, "{}", r.body);
    // Deleting a user deletes its attributes.
    app.delete("/users/bob").await;
    let left: i64 = sqlx::query_scalar("select count(*) from user_attributes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
    // The app-id form.
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/metadata/user/cat"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(assert_envelope(&r, "get")["data"], json!({"a": "1"}));
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/metadata/user/capacity"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(assert_envelope(&r, "get")["data"], 2);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_sets_of_one_user_all_land(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["amy"]).await;
    let sets = (0..8).map(|i| {
        let app = &app;
        async move {
            app.put("/metadata/user/amy", json!({format!("k{i}"): "v"}))
                .await
        }
    });
    for r in futures_util::future::join_all(sets).await {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(attrs(&app, "amy").await.as_object().unwrap().len(), 8);
}
