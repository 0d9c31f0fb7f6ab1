//! Group member attributes (docs-groups-contract.md §11).

use crate::groups::*;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

pub async fn set_attrs(app: &TestApp, id: &str, user: &str, meta: Value) -> Reply {
    app.put(
        &format!("/metadata/chatgroup/{id}/user/{user}"),
        json!({"metaData": meta}),
    )
    .await
}

pub async fn get_attrs(app: &TestApp, id: &str, user: &str) -> Reply {
    app.get(&format!("/metadata/chatgroup/{id}/user/{user}"))
        .await
}

// ---- member attributes ----

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn setting_member_attributes_merges_and_an_empty_value_deletes_the_key(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let r = get_attrs(&app, &id, "amy").await;
    assert_eq!(assert_envelope(&r, "get")["data"], json!({}));
    let r = set_attrs(&app, &id, "AMY", json!({"key1": "value1"})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"key1": "value1"})
    );
    let r = set_attrs(&app, &id, "amy", json!({"nick": "A", "level": 3})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"key1": "value1", "nick": "A", "level": "3"})
    );
    let r = set_attrs(&app, &id, "amy", json!({"key1": "", "nick": "Amy"})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"nick": "Amy", "level": "3"})
    );
    let r = get_attrs(&app, &id, "amy").await;
    assert_eq!(
        assert_envelope(&r, "get")["data"],
        json!({"nick": "Amy", "level": "3"})
    );
    // The owner has attributes of its own.
    let r = set_attrs(&app, &id, "olga", json!({"nick": "O"})).await;
    assert_eq!(assert_envelope(&r, "put")["data"], json!({"nick": "O"}));
    assert_eq!(
        get_attrs(&app, &id, "amy").await.body["data"],
        json!({"nick": "Amy", "level": "3"})
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn member_attributes_are_bounded_by_key_value_and_member_size(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let d = assert_error(
        &set_attrs(&app, &id, "amy", json!({"k".repeat(17): "v"})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, format!("the key {} exceeds 16 bytes", "k".repeat(17)));
    let d = assert_error(
        &set_attrs(&app, &id, "amy", json!({"k": "v".repeat(513)})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "the value of k exceeds 512 bytes");
    // 16 bytes of key and 512 bytes of value are allowed (counted in bytes, not characters).
    let key = "é".repeat(8);
    let r = set_attrs(&app, &id, "amy", json!({key.clone(): "é".repeat(256)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_error(
        &set_attrs(&app, &id, "amy", json!({"k": "é".repeat(257)})).await,
        400,
        "invalid_parameter",
    );
    for bad in [json!({}), json!("text"), json!(null)] {
        assert_error(
            &set_attrs(&app, &id, "amy", bad).await,
            400,
            "invalid_parameter",
        );
    }
    assert_error(
        &app.put(&format!("/metadata/chatgroup/{id}/user/amy"), json!({}))
            .await,
        400,
        "invalid_parameter",
    );
    // Six more keys of 512 bytes fit in 4 KB whatever is counted; two more do not.
    let six: serde_json::Map<String, Value> = (1..=6)
        .map(|i| (format!("k{i}"), json!("x".repeat(512))))
        .collect();
    assert_eq!(
        set_attrs(&app, &id, "amy", Value::Object(six)).await.status,
        200
    );
    let d = assert_error(
        &set_attrs(
            &app,
            &id,
            "amy",
            json!({"k7": "y".repeat(512), "k8": "y".repeat(512)}),
        )
        .await,
        403,
        "forbidden_op",
    );
    assert_eq!(
        d,
        format!("the attributes of user amy in group {id} exceed 4096 bytes")
    );
    let stored = get_attrs(&app, &id, "amy").await.body["data"].clone();
    assert_eq!(stored.as_object().unwrap().len(), 7, "{stored}");
    assert!(stored.get("k7").is_none(), "{stored}");
    // Deleting keys makes room again.
    let r = set_attrs(&app, &id, "amy", json!({"k1": "", "k2": "", "k7": "z"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get_attrs(&app, &id, "amy").await.body["data"]["k7"], "z");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn member_attributes_belong_to_members_of_existing_groups_only(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    for r in [
        set_attrs(&app, &id, "cat", json!({"nick": "c"})).await,
        get_attrs(&app, &id, "cat").await,
    ] {
        let d = assert_error(&r, 403, "forbidden_op");
        assert_eq!(d, "users [cat] are not members of this group!");
    }
    for r in [
        set_attrs(&app, &id, "ghost", json!({"nick": "g"})).await,
        get_attrs(&app, &id, "ghost").await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert_eq!(d, "username ghost doesn't exist!");
    }
    for r in [
        set_attrs(&app, "999999", "amy", json!({"nick": "a"})).await,
        get_attrs(&app, "999999", "amy").await,
        app.post(
            "/metadata/chatgroup/999999/get",
            json!({"targets": ["amy"]}),
        )
        .await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert_eq!(d, "grpID 999999 does not exist!");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_batch_get_answers_the_asked_keys_or_all_keys_for_up_to_10_targets(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["test1", "test2", "test3"]).await;
    app.register(&["outsider"]).await;
    let sets = [
        set_attrs(&app, &id, "test1", json!({"key1": "value1", "key3": "x"})).await,
        set_attrs(&app, &id, "test2", json!({"key1": "value1", "key2": "v2"})).await,
        set_attrs(&app, &id, "test3", json!({"key3": "only"})).await,
    ];
    for r in sets {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let path = format!("/metadata/chatgroup/{id}/get");
    let r = app
        .post(
            &path,
            json!({"targets": ["test1", "TEST2", "test3", "outsider", "ghost"],
                   "properties": ["key1", "key2"]}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"test1": {"key1": "value1"}, "test2": {"key1": "value1", "key2": "v2"},
               "test3": {}})
    );
    let all = json!({"test1": {"key1": "value1", "key3": "x"}});
    for body in [
        json!({"targets": ["test1"], "properties": []}),
        json!({"targets": ["test1"]}),
    ] {
        let r = app.post(&path, body).await;
        assert_eq!(assert_envelope(&r, "post")["data"], all);
    }
    let d = assert_error(
        &app.post(&path, json!({"targets": many("t", 11), "properties": []}))
            .await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "targets size is more than max limit : 10");
    for body in [json!({"properties": ["key1"]}), json!({"targets": []})] {
        let d = assert_error(&app.post(&path, body).await, 400, "invalid_parameter");
        assert_eq!(d, "targets must be provided");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn member_attributes_and_member_lists_work_on_the_app_id_form(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::PUT,
            &format!("{base}/metadata/chatgroup/{id}/user/amy"),
            Some(&app.token),
            Some(json!({"metaData": {"nick": "A"}})),
        )
        .await;
    assert_eq!(assert_envelope(&r, "put")["data"], json!({"nick": "A"}));
    let r = app
        .raw(
            Method::GET,
            &format!("{base}/chatgroups/{id}/users?version=v3"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(
        strings(&assert_envelope(&r, "get")["data"]),
        ["olga", "amy"]
    );
    assert_eq!(
        get_attrs(&app, &id, "amy").await.body["data"],
        json!({"nick": "A"})
    );
}
