//! Chatroom custom attributes (`reference/chatroom-attribute.md`).

use crate::helpers::*;
use crate::kinds::CHATROOM;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Registers the owner and members and creates a chatroom; returns its id.
async fn setup(app: &TestApp, owner: &str, members: &[&str]) -> String {
    CHATROOM.setup(app, owner, members).await
}

fn user_path(id: &str, user: &str, forced: bool) -> String {
    let tail = if forced { "/forced" } else { "" };
    format!("/metadata/chatroom/{id}/user/{user}{tail}")
}

async fn set(app: &TestApp, id: &str, user: &str, body: Value) -> Reply {
    app.put(&user_path(id, user, false), body).await
}

async fn set_forced(app: &TestApp, id: &str, user: &str, body: Value) -> Reply {
    app.put(&user_path(id, user, true), body).await
}

async fn remove(app: &TestApp, id: &str, user: &str, keys: Value, forced: bool) -> Reply {
    app.call(
        Method::DELETE,
        &user_path(id, user, forced),
        Some(json!({"keys": keys})),
    )
    .await
}

async fn all(app: &TestApp, id: &str) -> Value {
    let r = app
        .post(&format!("/metadata/chatroom/{id}"), json!({}))
        .await;
    assert_envelope(&r, "post")["data"].clone()
}

fn outcome(r: &Reply, action: &str) -> (Value, Value) {
    let d = &assert_envelope(r, action)["data"];
    (d["successKeys"].clone(), d["errorKeys"].clone())
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_member_sets_reads_and_deletes_its_keys(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    assert_eq!(all(&app, &id).await, json!({}));
    let r = set(
        &app,
        &id,
        "AMY",
        json!({"metaData": {"key1": "value1", "key2": "value2"}, "autoDelete": "DELETE"}),
    )
    .await;
    assert_eq!(outcome(&r, "put"), (json!(["key1", "key2"]), json!({})));
    assert_eq!(r.body["path"], "/metadata/chatroom");
    assert_eq!(
        all(&app, &id).await,
        json!({"key1": "value1", "key2": "value2"})
    );
    // Chosen keys; keys that do not exist are left out.
    let r = app
        .post(
            &format!("/metadata/chatroom/{id}"),
            json!({"keys": ["key2", "nokey"]}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"key2": "value2"})
    );
    // The setter overwrites its own key.
    let r = set(&app, &id, "amy", json!({"metaData": {"key1": "v1b"}})).await;
    assert_eq!(outcome(&r, "put").0, json!(["key1"]));
    let r = remove(&app, &id, "amy", json!(["key1", "nokey"]), false).await;
    let (ok, errors) = outcome(&r, "delete");
    assert_eq!(ok, json!(["key1"]));
    assert_eq!(
        errors,
        json!({"nokey": "properties key 'nokey' does not exist"})
    );
    assert_eq!(all(&app, &id).await, json!({"key2": "value2"}));
    // Keys that are not text are bad input.
    let r = app
        .post(
            &format!("/metadata/chatroom/{id}"),
            json!({"keys": [{"k": 1}]}),
        )
        .await;
    assert_error(&r, 400, "invalid_parameter");
    // The app-id form.
    let base = format!("/app-id/{}", app.creds.app_id);
    let r = app
        .raw(
            Method::POST,
            &format!("{base}/metadata/chatroom/{id}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"key2": "value2"})
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn only_the_setter_overwrites_or_deletes_a_key_unless_forced(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    set(
        &app,
        &id,
        "amy",
        json!({"metaData": {"a": "amy", "b": "amy"}}),
    )
    .await;
    // One key of another member among others: a result per key.
    let r = set(
        &app,
        &id,
        "bob",
        json!({"metaData": {"a": "bob", "c": "bob"}}),
    )
    .await;
    let (ok, errors) = outcome(&r, "put");
    assert_eq!(ok, json!(["c"]));
    assert_eq!(errors, json!({"a": "others are not allowed to be set"}));
    // Only keys of others: the page's 400.
    let d = assert_error(
        &set(&app, &id, "bob", json!({"metaData": {"a": "bob"}})).await,
        400,
        "forbidden_op",
    );
    assert_eq!(d, "others are not allowed to be set");
    let r = remove(&app, &id, "bob", json!(["a"]), false).await;
    assert_eq!(
        outcome(&r, "delete"),
        (
            json!([]),
            json!({"a": "others are not allowed to be deleted"})
        )
    );
    assert_eq!(
        all(&app, &id).await,
        json!({"a": "amy", "b": "amy", "c": "bob"})
    );
    // Forced: the key is bob's now.
    let r = set_forced(&app, &id, "bob", json!({"metaData": {"a": "bob"}})).await;
    assert_eq!(outcome(&r, "put"), (json!(["a"]), json!({})));
    let r = set(&app, &id, "amy", json!({"metaData": {"a": "amy"}})).await;
    assert_error(&r, 400, "forbidden_op");
    // A forced delete reaches any key, and needs no membership.
    app.delete(&format!("/chatrooms/{id}/users/bob")).await;
    let r = remove(&app, &id, "bob", json!(["b", "x"]), true).await;
    assert_eq!(
        outcome(&r, "delete"),
        (
            json!(["b"]),
            json!({"x": "properties key 'x' does not exist"})
        )
    );
    assert_eq!(all(&app, &id).await, json!({}));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn unknown_rooms_users_and_non_members_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    app.register(&["stranger"]).await;
    let meta = json!({"metaData": {"k": "v"}});
    for r in [
        set(&app, "999", "amy", meta.clone()).await,
        set(&app, "abc", "amy", meta.clone()).await,
        app.post("/metadata/chatroom/999", json!({})).await,
        remove(&app, "999", "amy", json!(["k"]), true).await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert!(d.starts_with("grpID"), "{d}");
    }
    for r in [
        set(&app, &id, "nobody", meta.clone()).await,
        remove(&app, &id, "nobody", json!(["k"]), true).await,
    ] {
        let d = assert_error(&r, 404, "resource_not_found");
        assert_eq!(d, "username nobody doesn't exist!");
    }
    for r in [
        set(&app, &id, "stranger", meta.clone()).await,
        set_forced(&app, &id, "stranger", meta.clone()).await,
        remove(&app, &id, "stranger", json!(["k"]), false).await,
    ] {
        let d = assert_error(&r, 401, "MetadataException");
        assert_eq!(d, "user is not in chatroom");
    }
    // A group id is no chatroom.
    let g = app
        .post(
            "/chatgroups",
            json!({"groupname": "g", "description": "", "public": true, "owner": "olga", "members": ["amy"]}),
        )
        .await;
    let gid = g.body["data"]["groupid"].as_str().unwrap().to_owned();
    assert_error(
        &set(&app, &gid, "amy", meta.clone()).await,
        404,
        "resource_not_found",
    );
    let r = app
        .raw(
            Method::PUT,
            &app.path(&user_path(&id, "amy", false)),
            None,
            Some(meta),
        )
        .await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(all(&app, &id).await, json!({}));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn keys_values_batches_and_rooms_have_limits(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy"]).await;
    let long = "k".repeat(129);
    let r = set(
        &app,
        &id,
        "amy",
        json!({"metaData": {
            "ok": "v", (long.clone()): "v", "bad key": "v", "empty": "",
            "big": "v".repeat(4097), "max": "é".repeat(4096), ("k".repeat(128)): "v"
        }}),
    )
    .await;
    let (ok, errors) = outcome(&r, "put");
    let mut ok: Vec<String> = serde_json::from_value(ok).unwrap();
    ok.sort();
    assert_eq!(ok, vec!["k".repeat(128), "max".into(), "ok".into()]);
    assert_eq!(
        errors[&long],
        format!("properties key '{long}' is exceeding maximum limit 128")
    );
    assert_eq!(errors.as_object().unwrap().len(), 4, "{errors}");
    // Over 10 keys in one request, none at all, or a bad autoDelete: 400, nothing written.
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("n{i}"), json!("v"))).collect();
    let d = assert_error(
        &set(&app, &id, "amy", json!({"metaData": eleven})).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "exceed allowed batch size 10");
    let keys: Vec<String> = (0..11).map(|i| format!("n{i}")).collect();
    let d = assert_error(
        &remove(&app, &id, "amy", json!(keys), false).await,
        400,
        "invalid_parameter",
    );
    assert_eq!(d, "exceed allowed batch size 10");
    for bad in [
        json!({}),
        json!({"metaData": {}}),
        json!({"metaData": {"k": "v"}, "autoDelete": "SOMETIMES"}),
        json!({"metaData": {"k": ["v"]}}),
    ] {
        assert_error(&set(&app, &id, "amy", bad).await, 400, "invalid_parameter");
    }
    assert_error(
        &remove(&app, &id, "amy", json!([]), false).await,
        400,
        "invalid_parameter",
    );
    assert_error(
        &set(&app, &id, "amy", json!({"metaData": {"k": "a\u{0}b"}})).await,
        400,
        "illegal_argument",
    );
    assert_eq!(all(&app, &id).await.as_object().unwrap().len(), 3);
    // At most 100 keys per room: 97 more fit, the rest are refused one by one.
    for chunk in 0..10 {
        let meta: serde_json::Map<String, Value> = (0..10)
            .map(|i| (format!("f{}", chunk * 10 + i), json!("v")))
            .collect();
        set(&app, &id, "amy", json!({"metaData": meta})).await;
    }
    let stored = all(&app, &id).await;
    assert_eq!(stored.as_object().unwrap().len(), 100);
    let r = set(
        &app,
        &id,
        "amy",
        json!({"metaData": {"ok": "changed", "f99x": "v"}}),
    )
    .await;
    let (ok, errors) = outcome(&r, "put");
    assert_eq!(ok, json!(["ok"]));
    assert!(errors["f99x"].as_str().unwrap().contains("100"), "{errors}");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_members_delete_keys_go_when_it_leaves_and_no_delete_keys_stay(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let id = setup(&app, "olga", &["amy", "bob", "cat", "dan"]).await;
    for u in ["amy", "bob", "cat", "dan"] {
        set(&app, &id, u, json!({"metaData": {(format!("{u}_d")): "v"}})).await;
        set(
            &app,
            &id,
            u,
            json!({"metaData": {(format!("{u}_k")): "v"}, "autoDelete": "NO_DELETE"}),
        )
        .await;
    }
    set(&app, &id, "olga", json!({"metaData": {"olga_d": "v"}})).await;
    // Kicked, blocked, deleted: their DELETE keys go with the membership.
    app.delete(&format!("/chatrooms/{id}/users/amy")).await;
    app.post(&format!("/chatrooms/{id}/blocks/users/bob"), json!({}))
        .await;
    app.delete("/users/cat").await;
    let keys: Vec<String> = all(&app, &id)
        .await
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        ["amy_k", "bob_k", "cat_k", "dan_d", "dan_k", "olga_d"].map(String::from)
    );
    // Forcing a key over makes it follow the new setter's choice.
    set_forced(&app, &id, "dan", json!({"metaData": {"amy_k": "dan"}})).await;
    app.delete(&format!("/chatrooms/{id}/users/dan")).await;
    let left = all(&app, &id).await;
    assert_eq!(
        left.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["bob_k", "cat_k", "dan_k", "olga_d"].map(String::from)
    );
    // Deleting the room deletes its keys.
    app.delete(&format!("/chatrooms/{id}")).await;
    let rows: i64 = sqlx::query_scalar("select count(*) from chatroom_attributes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn two_members_setting_one_key_at_once_one_wins_and_the_other_is_told_why(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    for round in 0..5 {
        let key = format!("seat{round}");
        let replies = join_all(["amy", "bob"].map(|u| {
            let (app, id, key) = (&app, &id, key.clone());
            async move { (u, set(app, id, u, json!({"metaData": {(key): u}})).await) }
        }))
        .await;
        let winners: Vec<&str> = replies
            .iter()
            .filter(|(_, r)| r.status == 200)
            .map(|(u, _)| *u)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}");
        let loser = replies.iter().find(|(_, r)| r.status != 200).unwrap();
        let d = assert_error(&loser.1, 400, "forbidden_op");
        assert_eq!(d, "others are not allowed to be set");
        let stored = all(&app, &id).await;
        assert_eq!(stored[&key], winners[0]);
    }
}

/// The app's chatroom attribute bytes as its counters hold them.
async fn usage(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(bytes), 0)::bigint from attribute_usage where kind = $1",
    )
    .bind(kind)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The bytes the chatroom attribute rows take, summed row by row.
async fn rows_bytes(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(octet_length(key) + octet_length(value)), 0)::bigint
           from chatroom_attributes",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_apps_total_is_capped_and_deletes_leaves_and_room_deletion_free_it(pool: PgPool) {
    let app = TestApp::spawn_with(pool.clone(), |s| s.limits.chatroom_attr_app_bytes = 100).await;
    let id = setup(&app, "olga", &["amy", "bob"]).await;
    let cap_text = "the chatroom attributes of the app would exceed 100 bytes";
    // 49 + 49 bytes.
    let r = set(&app, &id, "amy", json!({"metaData": {"a": "v".repeat(48)}})).await;
    assert_eq!(outcome(&r, "put").0, json!(["a"]));
    set(&app, &id, "bob", json!({"metaData": {"b": "v".repeat(48)}})).await;
    assert_eq!(usage(&pool, "chatroom").await, 98);
    // Nothing fits: refused whole, nothing changes (forced too).
    for r in [
        set(&app, &id, "amy", json!({"metaData": {"c": "vv"}})).await,
        set_forced(&app, &id, "amy", json!({"metaData": {"c": "vv"}})).await,
    ] {
        assert_refusal(&r, 403, FORBIDDEN, cap_text);
    }
    assert_eq!(all(&app, &id).await.as_object().unwrap().len(), 2);
    assert_eq!(usage(&pool, "chatroom").await, 98);
    // Some keys fit: the others are reported per key.
    let r = set(
        &app,
        &id,
        "amy",
        json!({"metaData": {"d": "v", "e": "vvvv"}}),
    )
    .await;
    assert_eq!(outcome(&r, "put"), (json!(["d"]), json!({"e": cap_text})));
    assert_eq!(usage(&pool, "chatroom").await, 100);
    // A key that shrinks, with one that grows by what it frees, at the cap.
    let r = set(
        &app,
        &id,
        "amy",
        json!({"metaData": {"a": "v", "f": "v".repeat(46)}}),
    )
    .await;
    assert_eq!(outcome(&r, "put"), (json!(["a", "f"]), json!({})));
    assert_eq!(usage(&pool, "chatroom").await, 100);
    // A delete frees its key's bytes.
    let r = remove(&app, &id, "amy", json!(["f"]), false).await;
    assert_eq!(outcome(&r, "delete").0, json!(["f"]));
    assert_eq!(usage(&pool, "chatroom").await, 53);
    let big = json!({"metaData": {"g": "v".repeat(48)}});
    assert_refusal(
        &set(&app, &id, "amy", big.clone()).await,
        403,
        FORBIDDEN,
        cap_text,
    );
    // bob's DELETE key goes when he leaves: now 49 bytes fit.
    app.delete(&format!("/chatrooms/{id}/users/bob")).await;
    assert_eq!(usage(&pool, "chatroom").await, 4);
    let r = set(&app, &id, "amy", big.clone()).await;
    assert_eq!(outcome(&r, "put").0, json!(["g"]));
    assert_eq!(usage(&pool, "chatroom").await, 53);
    // Deleting the room frees all of its keys; another room can use them.
    let other = CHATROOM.room(&app, "olga", &["amy"]).await;
    let r = set(
        &app,
        &other,
        "amy",
        json!({"metaData": {"h": "v".repeat(60)}}),
    )
    .await;
    assert_refusal(&r, 403, FORBIDDEN, cap_text);
    app.delete(&format!("/chatrooms/{id}")).await;
    assert_eq!(usage(&pool, "chatroom").await, 0);
    let r = set(
        &app,
        &other,
        "amy",
        json!({"metaData": {"h": "v".repeat(60)}}),
    )
    .await;
    assert_eq!(outcome(&r, "put").0, json!(["h"]));
    // Deleting the user who owns the room deletes the room and its keys.
    app.delete("/users/olga").await;
    assert_eq!(usage(&pool, "chatroom").await, 0);
    assert_eq!(rows_bytes(&pool).await, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn concurrent_sets_near_the_cap_never_pass_it(pool: PgPool) {
    // One key of at most 3 + 4 * 47 = 191 bytes per set: far from the cap a set holds the guard
    // shared (the first ~17 sets here), near it exclusively.
    let app = TestApp::spawn_with(pool.clone(), |s| {
        s.limits.chatroom_attr_app_bytes = 4000;
        s.limits.chatroom_attr_batch = 1;
        s.limits.chatroom_attr_key_chars = 3;
        s.limits.chatroom_attr_value_chars = 47;
    })
    .await;
    let owners: Vec<String> = (0..10).map(|i| format!("o{i}")).collect();
    let names: Vec<&str> = owners.iter().map(String::as_str).collect();
    app.register(&names).await;
    let mut rooms = Vec::new();
    for o in &names {
        rooms.push(CHATROOM.room(&app, o, &[]).await);
    }
    // 100 sets of 50 bytes each into 10 rooms: exactly 80 fit.
    let sets = join_all((0..100).map(|i| {
        let (app, room, owner) = (&app, &rooms[i % 10], names[i % 10]);
        async move {
            let key = format!("k{i:02}");
            set(
                app,
                room,
                owner,
                json!({"metaData": {(key): "v".repeat(47)}}),
            )
            .await
        }
    }));
    let (replies, highest) = with_highest(sets, async || usage(&pool, "chatroom").await).await;
    let mut ok = 0;
    for r in &replies {
        if r.status == 200 {
            assert_eq!(outcome(r, "put").1, json!({}));
            ok += 1;
        } else {
            assert_refusal(
                r,
                403,
                FORBIDDEN,
                "the chatroom attributes of the app would exceed 4000 bytes",
            );
        }
    }
    assert_eq!(ok, 80);
    assert!(highest <= 4000, "{highest}");
    assert_eq!(usage(&pool, "chatroom").await, 4000);
    assert_eq!(rows_bytes(&pool).await, 4000);
    // Shards: the writes spread over several rows.
    let shards: i64 = sqlx::query_scalar(
        "select count(*) from attribute_usage where kind = 'chatroom' and bytes <> 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(shards > 1, "{shards}");
}
