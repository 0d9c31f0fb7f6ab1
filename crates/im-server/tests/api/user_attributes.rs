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

/// The app's user attribute bytes as its counters hold them.
async fn usage(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(bytes), 0)::bigint from attribute_usage where kind = 'user'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The bytes the user attribute rows take, summed row by row.
async fn rows_bytes(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select coalesce(sum(bytes), 0)::bigint from user_attributes")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn capacity(app: &TestApp) -> Value {
    let r = app.get("/metadata/user/capacity").await;
    assert_envelope(&r, "get")["data"].clone()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_apps_total_is_capped_and_deletes_free_it(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), |s| s.limits.user_attr_app_bytes = 100).await;
    app.register(&["amy", "bob", "cat", "dan"]).await;
    let cap_text = "the user attributes of the app would exceed 100 bytes";
    app.put("/metadata/user/amy", json!({"k": "v".repeat(48)}))
        .await;
    app.put("/metadata/user/bob", json!({"k": "v".repeat(48)}))
        .await;
    assert_eq!(capacity(&app).await, 98);
    // Past the total: 403, nothing changes.
    let r = app.put("/metadata/user/cat", json!({"x": "yy"})).await;
    assert_refusal(&r, 403, FORBIDDEN, cap_text);
    let r = app.put("/metadata/user/amy", json!({"x": "yy"})).await;
    assert_refusal(&r, 403, FORBIDDEN, cap_text);
    assert_eq!(attrs(&app, "cat").await, json!({}));
    assert_eq!(attrs(&app, "amy").await, json!({"k": "v".repeat(48)}));
    assert_eq!(capacity(&app).await, 98);
    // Exactly at the total is allowed; a set that shrinks always is.
    let r = app.put("/metadata/user/cat", json!({"x": "y"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(capacity(&app).await, 100);
    let r = app
        .put("/metadata/user/amy", json!({"k": "", "a": "b"}))
        .await;
    assert_eq!(assert_envelope(&r, "put")["data"], json!({"a": "b"}));
    assert_eq!(capacity(&app).await, 53);
    // Deleting a user's attributes, or the user, frees its bytes.
    let big = json!({"d": "v".repeat(96)});
    assert_refusal(
        &app.put("/metadata/user/dan", big.clone()).await,
        403,
        FORBIDDEN,
        cap_text,
    );
    app.delete("/metadata/user/cat").await;
    assert_eq!(capacity(&app).await, 51);
    app.delete("/users/bob").await;
    assert_eq!(capacity(&app).await, 2);
    let r = app.put("/metadata/user/dan", big).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(capacity(&app).await, 99);
    assert_eq!(usage(&pool).await, 99);
    assert_eq!(rows_bytes(&pool).await, 99);
    // Another app has its own total.
    let other = app.other_app("acme", "other").await;
    let token = app.app_token_for(&other).await;
    let r = app
        .raw(
            Method::GET,
            "/acme/other/metadata/user/capacity",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(assert_envelope(&r, "get")["data"], 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_sets_near_the_cap_never_pass_it(pool: PgPool) {
    // A set grows the total by at most 128 bytes: far from the cap it holds the guard shared
    // (the first ~10 sets here), near it exclusively.
    let app = TestApp::spawn_with(pool.clone(), |s| {
        s.limits.user_attr_app_bytes = 3000;
        s.limits.user_attr_bytes_per_user = 128;
    })
    .await;
    let names: Vec<String> = (0..60).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    app.register(&refs).await;
    // 60 sets of 100 bytes: exactly 30 fit.
    let sets = futures_util::future::join_all(names.iter().map(|u| {
        let app = &app;
        async move {
            app.put(&format!("/metadata/user/{u}"), json!({"k": "v".repeat(99)}))
                .await
        }
    }));
    let (replies, highest) = with_highest(sets, async || usage(&pool).await).await;
    let mut ok = 0;
    for r in &replies {
        if r.status == 200 {
            ok += 1;
        } else {
            assert_refusal(
                r,
                403,
                FORBIDDEN,
                "the user attributes of the app would exceed 3000 bytes",
            );
        }
    }
    assert_eq!(ok, 30);
    assert!(highest <= 3000, "{highest}");
    assert_eq!(usage(&pool).await, 3000);
    assert_eq!(rows_bytes(&pool).await, 3000);
    assert_eq!(capacity(&app).await, 3000);
}

#[sqlx::test(migrations = false)]
async fn the_usage_migration_counts_the_attributes_that_exist(pool: PgPool) {
    const USAGE: i64 = 20261130000008;
    for m in im_store::MIGRATOR.iter().filter(|m| m.version < USAGE) {
        sqlx::raw_sql(&m.sql).execute(&pool).await.unwrap();
    }
    sqlx::raw_sql(
        "insert into apps (id, app_id, org_name, app_name, client_id, client_secret_hash)
         values ('00000000-0000-0000-0000-00000000000a', 'a', 'o', 'a', 'ca', 'h'),
                ('00000000-0000-0000-0000-00000000000b', 'b', 'o', 'b', 'cb', 'h');
         insert into users (app, username, uuid)
         select a.id, u.name, gen_random_uuid() from apps a, (values ('amy'), ('bob')) u(name);
         insert into user_attributes (app, username, attrs, bytes)
         select app, username, '{}', case username when 'amy' then 10 else 7 end from users;
         insert into rooms (app, kind, name, owner, maxusers)
         values ('00000000-0000-0000-0000-00000000000a', 'chatroom', 'r', 'amy', 10);
         insert into chatroom_attributes (app, room_id, key, value, setter)
         select app, id, k, 'vé', 'amy' from rooms, (values ('k1'), ('k22')) k(k);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let usage = im_store::MIGRATOR
        .iter()
        .find(|m| m.version == USAGE)
        .unwrap();
    sqlx::raw_sql(&usage.sql).execute(&pool).await.unwrap();
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "select a.app_id, u.kind, count(*), sum(u.bytes)::bigint
           from attribute_usage u join apps a on a.id = u.app
          group by a.app_id, u.kind order by 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let want = [
        ("a", "chatroom", 16, 11),
        ("a", "user", 16, 17),
        ("b", "chatroom", 16, 0),
        ("b", "user", 16, 17),
    ];
    assert_eq!(
        rows,
        want.map(|(a, k, n, b)| (a.to_owned(), k.to_owned(), n, b))
    );
}
