//! Hostile input at the edges: cursors this server did not issue, every numeric parameter at the
//! bounds of a 64-bit integer, a multipart body that ends early, NUL characters in the keys a
//! batch read asks for. Each is a prompt 4xx, never a 5xx and never a wait.

use crate::group_files_common::send_form;
use crate::helpers::*;
use crate::threads::{create_thread, group_of};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// A chatroom, a group and a thread with a few members each: `(chatroom, group, thread)`.
async fn rooms(app: &TestApp) -> (String, String, String) {
    let group = group_of(app, "olga", &["amy", "bob", "cat"]).await;
    let thread = create_thread(app, &group, "amy", "t").await;
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga", "members": ["amy", "bob"]}),
        )
        .await;
    let chatroom = assert_envelope(&r, "post")["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for u in ["bob", "cat"] {
        let r = app
            .post(
                &format!("/thread/{thread}/users"),
                json!({ "usernames": [u] }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    (chatroom, group, thread)
}

/// Every list that pages with a cursor, with a page size of 1 so that the first page has one.
fn cursor_lists(chatroom: &str, group: &str, thread: &str) -> Vec<String> {
    vec![
        format!("/chatrooms/{chatroom}/users?version=v3&limit=1"),
        format!("/chatgroups/{group}/users?version=v3&limit=1"),
        format!("/thread/{thread}/users?limit=1"),
        "/users?limit=1".into(),
        "/chatrooms?limit=1".into(),
        "/chatgroups?limit=1".into(),
        "/thread?limit=1".into(),
        "/threads/user/amy?limit=1".into(),
        format!("/threads/chatgroups/{group}/user/amy?limit=1"),
    ]
}

fn cursor_of(b: &Value) -> Option<String> {
    b.get("cursor")
        .or_else(|| b.get("properties").and_then(|p| p.get("cursor")))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_cursor_this_server_did_not_issue_is_a_400_on_every_list(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (chatroom, group, thread) = rooms(&app).await;
    app.register(&["dan"]).await;
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r2", "description": "d", "owner": "dan"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            "/chatgroups",
            json!({"groupname": "g2", "description": "d", "public": true, "owner": "dan"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    create_thread(&app, &group, "amy", "t2").await;
    let forged = [
        // Unsigned positions at the edges of bigint, as earlier versions issued them.
        URL_SAFE_NO_PAD.encode("c1:9223372036854775807"),
        URL_SAFE_NO_PAD.encode("c1:-9223372036854775808"),
        URL_SAFE_NO_PAD.encode("c1:0:9223372036854775807"),
        URL_SAFE_NO_PAD.encode("c2:9223372036854775807.0123456789abcdef"),
        "bogus".into(),
    ];
    for list in cursor_lists(&chatroom, &group, &thread) {
        let first = app.get(&list).await;
        assert_eq!(first.status, 200, "{list}: {}", first.body);
        let issued = cursor_of(&first.body).unwrap_or_else(|| panic!("{list}: {}", first.body));
        // The issued cursor works; the same text with its position moved does not.
        let next = app.get(&format!("{list}&cursor={issued}")).await;
        assert_eq!(next.status, 200, "{list}: {}", next.body);
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(&issued).unwrap()).unwrap();
        let (body, tag) = text.rsplit_once('.').unwrap();
        let moved = format!("{}9.{tag}", body);
        let mut bad: Vec<String> = forged.to_vec();
        bad.push(URL_SAFE_NO_PAD.encode(moved));
        for cursor in bad {
            let r = app.get(&format!("{list}&cursor={cursor}")).await;
            let d = assert_error(&r, 400, "invalid_parameter");
            assert!(d.contains("cursor"), "{list} {cursor}: {d}");
        }
    }
    // The batch delete of users pages with the same cursors.
    let r = app
        .delete(&format!("/users?limit=1&cursor={}", forged[0]))
        .await;
    assert_error(&r, 400, "invalid_parameter");
    assert_eq!(app.get("/users/olga").await.status, 200, "nothing deleted");
}

/// Values of a numeric parameter that a client may send: the bounds of a 64-bit integer, one
/// past them, and the small edges.
const NUMBERS: [&str; 7] = [
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "0",
    "-1",
    "1e400",
];

/// Fills a documented path with the ids of the rooms at hand.
fn concrete(path: &str, chatroom: &str, group: &str, thread: &str) -> String {
    path.replace("{chatroom_id}", chatroom)
        .replace("{group_id}", group)
        .replace("{group_ids}", group)
        .replace("{chatroom_ids}", chatroom)
        .replace("{thread_id}", thread)
        .replace("{username}", "amy")
        .replace("{usernames}", "amy")
        .replace("{member}", "amy")
        .replace("{oldadmin}", "amy")
        .replace("{file_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{resource_id}", "r1")
        .replace("{user_id}", "amy")
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_numeric_parameter_at_the_bounds_of_an_integer_is_never_a_5xx(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (chatroom, group, thread) = rooms(&app).await;
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(rest) = path.strip_prefix("/{org_name}/{app_name}") else {
            continue;
        };
        let Some(get) = item.get("get") else { continue };
        let numeric: Vec<&str> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["schema"]["type"] == "integer")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let at = concrete(rest, &chatroom, &group, &thread);
        for name in numeric {
            for n in NUMBERS {
                let r = app.get(&format!("{at}?{name}={n}&version=v3")).await;
                assert!(
                    r.status.as_u16() < 500,
                    "GET {at}?{name}={n}: {} {}",
                    r.status,
                    r.body
                );
                let r = app.get(&format!("{at}?{name}={n}")).await;
                assert!(
                    r.status.as_u16() < 500,
                    "GET {at}?{name}={n}: {} {}",
                    r.status,
                    r.body
                );
                checked += 1;
            }
        }
        // Room ids in the path at and past the bounds too.
        for id in ["9223372036854775807", "9223372036854775808", "-1"] {
            if rest.contains("_id}") {
                let at = concrete(
                    &rest.replace("{chatroom_id}", id).replace("{group_id}", id),
                    id,
                    id,
                    id,
                );
                let r = app.get(&at).await;
                assert!(r.status.as_u16() < 500, "GET {at}: {} {}", r.status, r.body);
            }
        }
    }
    assert!(checked > 50, "only {checked} numeric parameters were tried");
    // The lists' cursors and the paged list's page numbers, combined at their largest.
    for list in cursor_lists(&chatroom, &group, &thread) {
        let r = app
            .get(&format!(
                "{list}&pagenum=9223372036854775807&pagesize=9223372036854775807"
            ))
            .await;
        assert!(r.status.as_u16() < 500, "{list}: {} {}", r.status, r.body);
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_multipart_body_that_ends_before_its_closing_boundary_is_a_prompt_400(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| {
        // A wait for more of the body would end in a 408 only after a minute.
        s.guards.body_timeout_secs = 60;
    })
    .await;
    let group = group_of(&app, "olga", &["amy"]).await;
    let boundary = "XyZ";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
    );
    let path = format!("/chatgroups/{group}/share_files");
    for tail in [
        "hello",
        "hello\r\n",
        "hello\r\n--",
        "hello\r\n--XyZ",
        "hello\r",
    ] {
        let body = format!("{head}{tail}").into_bytes();
        let ctype = format!("multipart/form-data; boundary={boundary}");
        let r = send_form(&app, &path, &app.token, (ctype, body), &[]).await;
        let d = assert_error(&r, 400, "invalid_parameter");
        assert!(d.contains("multipart"), "{tail:?}: {d}");
    }
    // Headers of a part that never end, and a body with no part at all.
    for body in [
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\""),
        format!("--{boundary}"),
    ] {
        let ctype = format!("multipart/form-data; boundary={boundary}");
        let r = send_form(
            &app,
            &path,
            &app.token,
            (ctype, body.clone().into_bytes()),
            &[],
        )
        .await;
        assert_eq!(r.status, 400, "{body:?}: {}", r.body);
    }
    let files: i64 = sqlx::query_scalar("select count(*) from group_files")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(files, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_nul_in_the_properties_of_a_batch_attribute_read_is_illegal_argument(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let group = group_of(&app, "olga", &["amy"]).await;
    let r = app
        .put(
            &format!("/metadata/chatgroup/{group}/user/amy"),
            json!({"metaData": {"k": "v"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            &format!("/metadata/chatgroup/{group}/get"),
            json!({"targets": ["amy"], "properties": ["k\u{0}"]}),
        )
        .await;
    let d = assert_error(&r, 400, "illegal_argument");
    assert!(d.contains("NUL"), "{d}");
    let r = app
        .post(
            "/metadata/user/get",
            json!({"targets": ["amy"], "properties": ["\u{0}"]}),
        )
        .await;
    let d = assert_error(&r, 400, "illegal_argument");
    assert!(d.contains("NUL"), "{d}");
    // Without the NUL both answer.
    let r = app
        .post(
            &format!("/metadata/chatgroup/{group}/get"),
            json!({"targets": ["amy"], "properties": ["k"]}),
        )
        .await;
    assert_eq!(r.body["data"]["amy"]["k"], "v", "{}", r.body);
}
