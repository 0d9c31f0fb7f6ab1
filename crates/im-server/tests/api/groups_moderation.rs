//! Group moderation of the whole group: a disabled group refuses every write but enable and
//! delete, while reads work (docs-groups-contract.md §0). Blocks, whitelist and mutes, shared with
//! chatrooms, are tested in `rooms_moderation.rs` and `rooms_mutes.rs`.

use crate::groups::*;
use crate::helpers::*;
use crate::kinds::{FOREVER, GROUP};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_disabled_group_refuses_every_write_but_enable_and_delete_while_reads_work(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let id = setup(&app, "olga", &["amy", "bob", "dan"]).await;
    app.register(&["cat"]).await;
    let prep = [
        app.post(
            &format!("/chatgroups/{id}/admin"),
            json!({"newadmin": "bob"}),
        )
        .await,
        GROUP
            .mute(
                &app,
                &id,
                json!({"usernames": ["dan"], "mute_duration": -1}),
            )
            .await,
        post_empty(&app, &format!("/chatgroups/{id}/white/users/dan")).await,
        app.put(
            &format!("/metadata/chatgroup/{id}/user/amy"),
            json!({"metaData": {"nick": "A"}}),
        )
        .await,
        post_empty(&app, &format!("/chatgroups/{id}/disable")).await,
    ];
    for r in prep {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let g = |p: &str| format!("/chatgroups/{id}{p}");
    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, g(""), Some(json!({"groupname": "new"}))),
        (Method::PUT, g(""), Some(json!({"newowner": "amy"}))),
        (Method::POST, g("/users/cat"), None),
        (
            Method::POST,
            g("/users"),
            Some(json!({"usernames": ["cat"]})),
        ),
        (Method::DELETE, g("/users/amy"), None),
        (Method::DELETE, g("/users/amy,bob"), None),
        (Method::POST, g("/admin"), Some(json!({"newadmin": "amy"}))),
        (Method::DELETE, g("/admin/bob"), None),
        (Method::POST, g("/blocks/users/amy"), None),
        (
            Method::POST,
            g("/blocks/users"),
            Some(json!({"usernames": ["amy"]})),
        ),
        (Method::DELETE, g("/blocks/users/amy"), None),
        (Method::POST, g("/white/users/amy"), None),
        (
            Method::POST,
            g("/white/users"),
            Some(json!({"usernames": ["amy"]})),
        ),
        (Method::DELETE, g("/white/users/dan"), None),
        (
            Method::POST,
            g("/mute"),
            Some(json!({"usernames": ["amy"], "mute_duration": -1})),
        ),
        (Method::DELETE, g("/mute/dan"), None),
        (Method::POST, g("/ban"), None),
        (Method::DELETE, g("/ban"), None),
        (
            Method::POST,
            g("/announcement"),
            Some(json!({"announcement": "x"})),
        ),
        (
            Method::PUT,
            format!("/metadata/chatgroup/{id}/user/amy"),
            Some(json!({"metaData": {"nick": "B"}})),
        ),
    ];
    for (m, p, body) in writes {
        let r = app.call(m.clone(), &p, body).await;
        let d = assert_error(&r, 403, "forbidden_op");
        assert_eq!(d, format!("group {id} is disabled!"), "{m} {p}");
    }
    // Reads work and show nothing changed.
    let d = details(&app, &id).await;
    assert_eq!(d["disabled"], true);
    assert_eq!(d["name"], "group");
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["mute"], false);
    assert_eq!(d["affiliations_count"], 4);
    let reads = [
        (Method::GET, g("/users"), None),
        (Method::GET, g("/users?version=v3"), None),
        (Method::GET, g("/admin"), None),
        (Method::GET, g("/mute"), None),
        (Method::GET, g("/blocks/users"), None),
        (Method::GET, g("/white/users"), None),
        (Method::GET, g("/announcement"), None),
        (Method::POST, g("/user/amy/is_joined"), None),
        (Method::GET, "/chatgroups/users/amy".to_owned(), None),
        (Method::GET, "/chatgroups".to_owned(), None),
        (
            Method::GET,
            format!("/metadata/chatgroup/{id}/user/amy"),
            None,
        ),
        (
            Method::POST,
            format!("/metadata/chatgroup/{id}/get"),
            Some(json!({"targets": ["amy"]})),
        ),
    ];
    for (m, p, body) in reads {
        let r = app.call(m.clone(), &p, body).await;
        assert_eq!(r.status, 200, "{m} {p}: {}", r.body);
    }
    assert_eq!(strings(&app.get(&g("/admin")).await.body["data"]), ["bob"]);
    assert_eq!(GROUP.mutes(&app, &id).await, [("dan".to_owned(), FOREVER)]);
    assert_eq!(GROUP.whites(&app, &id).await, ["dan"]);
    assert_eq!(
        app.get(&format!("/metadata/chatgroup/{id}/user/amy"))
            .await
            .body["data"],
        json!({"nick": "A"})
    );
    // Enabling lifts the refusal.
    let r = post_empty(&app, &g("/enable")).await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"disabled": false})
    );
    assert_eq!(add(&app, &id, "cat").await.status, 200);
    // And a disabled group can be deleted.
    assert_eq!(post_empty(&app, &g("/disable")).await.status, 200);
    let r = app.delete(&g("")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"success": true, "groupid": id})
    );
}
