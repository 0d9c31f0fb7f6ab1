//! Event callbacks: every group and chatroom operation sends its `group_op_event` (the body of
//! the callback pages' examples, signed), whatever route caused it; a rolled-back change sends
//! nothing; rules are managed over REST in both URL forms.

use crate::group_files_common::upload;
use crate::helpers::*;
use crate::receiver::Receiver;
use md5::{Digest, Md5};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// Callback settings that keep the tests quick: the worker polls often and retries soon.
pub fn quick(s: &mut im_server::settings::Settings) {
    s.callbacks.poll_ms = 10;
    s.callbacks.retry_base_ms = 100;
    s.callbacks.retry_max_secs = 1;
    s.callbacks.timeout_ms = 2000;
}

/// A server with quick callbacks, a receiver, and a rule for every event to it: the app, the
/// receiver, the rule's secret.
pub async fn with_rule(pool: PgPool) -> (TestApp, Receiver, String) {
    with_rule_tweaked(pool, |_| {}).await
}

pub async fn with_rule_tweaked(
    pool: PgPool,
    tweak: impl FnOnce(&mut im_server::settings::Settings),
) -> (TestApp, Receiver, String) {
    let app = TestApp::spawn_with(pool, |s| {
        quick(s);
        tweak(s);
    })
    .await;
    let receiver = Receiver::start().await;
    let r = app
        .post("/callbacks/rules", json!({"url": receiver.url}))
        .await;
    let secret = assert_envelope(&r, "post")["data"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    (app, receiver, secret)
}

/// Reads the receiver's deliveries in order, a few at a time.
pub struct Events {
    pub receiver: Receiver,
    seen: usize,
}

impl Events {
    pub fn new(receiver: &Receiver) -> Self {
        Self {
            receiver: receiver.clone(),
            seen: 0,
        }
    }

    /// The next `n` delivered events.
    pub async fn next(&mut self, n: usize) -> Vec<Value> {
        let all = self.receiver.wait_delivered(self.seen + n).await;
        let out = all[self.seen..self.seen + n].to_vec();
        self.seen += n;
        out
    }

    /// Waits a little and checks that nothing more came.
    pub async fn none(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let all = self.receiver.delivered();
        assert_eq!(
            all.len(),
            self.seen,
            "unexpected events: {:#?}",
            &all[self.seen..]
        );
    }
}

/// Checks an event's envelope against the pages' example: callId `{org}#{app}_{uuid}`, the
/// signature, appkey, the room, `group_op_event`, the operation and operator, a timestamp in
/// milliseconds; answers its payload.
pub fn check(
    ev: &Value,
    secret: &str,
    kind: &str,
    id: &str,
    operation: &str,
    operator: &str,
) -> Value {
    let call_id = ev["callId"].as_str().unwrap_or_else(|| panic!("{ev}"));
    let uuid = call_id
        .strip_prefix("acme#chat_")
        .unwrap_or_else(|| panic!("{ev}"));
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{ev}");
    let ts = ev["timestamp"].as_i64().unwrap_or_else(|| panic!("{ev}"));
    let now = chrono::Utc::now().timestamp_millis();
    assert!(ts <= now && ts > now - 120_000, "{ev}");
    let expected = hex::encode(Md5::digest(format!("{call_id}{secret}{ts}").as_bytes()));
    assert_eq!(ev["security"], expected, "{ev}");
    assert_eq!(ev["appkey"], "acme#chat", "{ev}");
    assert_eq!(ev["id"], id, "{ev}");
    assert_eq!(ev["type"], kind, "{ev}");
    assert_eq!(ev["event"], "group_op_event", "{ev}");
    assert_eq!(ev["operation"], operation, "{ev}");
    assert_eq!(ev["operator"], operator, "{ev}");
    ev.get("payload").cloned().unwrap_or(Value::Null)
}

fn id_of(r: &Reply, key: &str) -> String {
    let b = assert_envelope(r, "post");
    b["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"))
        .to_owned()
}

/// `info` without its times, which the test cannot know.
fn without_times(mut info: Value) -> Value {
    if let Some(o) = info.as_object_mut() {
        o.remove("created");
        o.remove("last_modified");
    }
    info
}

async fn ok(r: Reply) -> Reply {
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

/// Every group operation of the pages, through the REST API, in both URL forms.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_group_operation_sends_its_event(pool: PgPool) {
    let (app, receiver, secret) = with_rule(pool).await;
    let mut ev = Events::new(&receiver);
    app.register(&["olga", "amy", "bob", "cat", "dan"]).await;
    let r = app
        .post(
            "/chatgroups",
            json!({"groupname": "g", "description": "d", "public": true, "maxusers": 200,
                   "owner": "olga", "members": ["amy", "bob"]}),
        )
        .await;
    let g = id_of(&r, "groupid");
    let got = ev.next(2).await;
    let p = check(&got[0], &secret, "GROUP", &g, "CREATE", "@ppAdmin");
    assert_eq!(p["role"], json!({"olga": "owner"}));
    assert_eq!(p["member"], json!(["amy", "bob"]));
    assert_eq!(
        without_times(p["info"].clone()),
        json!({"owner": "acme#chat_olga", "custom": "", "description": "d", "mute": "false",
               "title": "g", "max_users": "200", "invite_need_confirm": "true",
               "public": "true", "allow_user_invites": "false", "members_only": "false",
               "disabled": "false"})
    );
    assert!(p["info"]["created"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .is_ok());
    let p = check(&got[1], &secret, "GROUP", &g, "JOIN", "@ppAdmin");
    assert_eq!(p, json!({"member": ["amy", "bob"], "type": "DIRECT"}));

    let at = |rest: &str| format!("/chatgroups/{g}{rest}");
    ok(app
        .put(
            &at(""),
            json!({"groupname": "g2", "description": "d2", "maxusers": 300}),
        )
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p["type"], "INFO");
    assert_eq!(
        without_times(p["info"].clone()),
        json!({"title": "g2", "description": "d2", "max_users": 300})
    );

    // Adds: one, and a batch through the app-id form.
    ok(app.post(&at("/users/cat"), json!({})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "JOIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["cat"], "type": "DIRECT"}));
    let by_id = format!("/app-id/{}/chatgroups/{g}/users", app.creds.app_id);
    let r = app
        .raw(
            Method::POST,
            &by_id,
            Some(&app.token),
            Some(json!({"usernames": ["dan"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "JOIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["dan"], "type": "DIRECT"}));
    ok(app.delete(&at("/users/dan")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "LEAVE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["dan"], "type": "KICK"}));

    // Admins.
    ok(app.post(&at("/admin"), json!({"newadmin": "amy"})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "ADMIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"admin": ["amy"], "type": "ADD"}));
    ok(app.delete(&at("/admin/amy")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "ADMIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"admin": ["amy"], "type": "REMOVE"}));

    // Mutes, with their expiry.
    let before = chrono::Utc::now().timestamp_millis();
    ok(app
        .post(
            &at("/mute"),
            json!({"usernames": ["bob"], "mute_duration": 60000}),
        )
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "MUTE",
        "@ppAdmin",
    );
    assert_eq!(p["member"], json!(["bob"]));
    assert_eq!(p["type"], "ADD");
    let expire = p["expire_timestamp"].as_i64().unwrap();
    assert!(expire >= before + 60000 && expire < before + 70000, "{p}");
    ok(app.delete(&at("/mute/bob")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "MUTE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["bob"], "type": "REMOVE"}));

    // Mute-all on and off.
    ok(app.post(&at("/ban"), json!({})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"mute": true, "type": "MUTE"}));
    ok(app.delete(&at("/ban")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"mute": false, "type": "MUTE"}));

    // Allowlist.
    ok(app.post(&at("/white/users/amy"), json!({})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "WHITE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["amy"], "type": "ADD"}));
    ok(app.delete(&at("/white/users/amy")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "WHITE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["amy"], "type": "REMOVE"}));

    // A blocked member leaves; a blocked outsider only is blocked.
    ok(app.post(&at("/blocks/users/cat"), json!({})).await).await;
    let got = ev.next(2).await;
    let p = check(&got[0], &secret, "GROUP", &g, "BLOCK", "@ppAdmin");
    assert_eq!(
        p,
        json!({"member": ["cat"], "expire_timestamp": 4638873600000i64, "type": "ADD"})
    );
    let p = check(&got[1], &secret, "GROUP", &g, "LEAVE", "@ppAdmin");
    assert_eq!(p, json!({"member": ["cat"], "type": "BLOCK"}));
    ok(app
        .post(&at("/blocks/users"), json!({"usernames": ["dan"]}))
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "BLOCK",
        "@ppAdmin",
    );
    assert_eq!(p["member"], json!(["dan"]));
    ok(app.delete(&at("/blocks/users/cat,dan")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "BLOCK",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["cat", "dan"], "type": "REMOVE"}));

    // Announcement, set and cleared.
    ok(app
        .post(&at("/announcement"), json!({"announcement": "hi"}))
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"type": "ANNOUNCEMENT", "announcement": "hi"}));
    ok(app
        .post(&at("/announcement"), json!({"announcement": ""}))
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"type": "ANNOUNCEMENT"}));

    // Shared files, uploaded by a member (the operator) and deleted by the app.
    let amy = app.user_access_token("amy", "pw-amy").await;
    let (ctype, body) = crate::group_files_common::file_form("a.txt", "text/plain", b"hello");
    let r = crate::group_files_common::send_form(
        &app,
        &format!("/chatgroups/{g}/share_files"),
        &amy,
        (ctype, body),
        &[],
    )
    .await;
    let file = assert_envelope(&r, "post")["data"]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "SHARE_FILE",
        "amy",
    );
    assert_eq!(p, json!({"share_file": [file], "type": "ADD"}));
    let r = upload(&app, &g, "b.txt", "text/plain", b"x").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "SHARE_FILE",
        "@ppAdmin",
    );
    assert_eq!(p["type"], "ADD");
    ok(app.delete(&at(&format!("/share_files/{file}"))).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "SHARE_FILE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"share_file": [file], "type": "REMOVE"}));

    // Owner transfer, disable and enable.
    ok(app.put(&at(""), json!({"newowner": "amy"})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(
        p,
        json!({"owner": "olga", "new_owner": "amy", "type": "OWNER"})
    );
    ok(app.post(&at("/disable"), json!({})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"disable": true, "type": "DISABLE"}));
    ok(app.post(&at("/enable"), json!({})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "GROUP",
        &g,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"disable": false, "type": "DISABLE"}));

    // Deletion: the members leave, then the group goes.
    ok(app.delete(&at("")).await).await;
    let got = ev.next(2).await;
    let p = check(&got[0], &secret, "GROUP", &g, "LEAVE", "@ppAdmin");
    assert_eq!(
        p,
        json!({"member": ["amy", "bob", "olga"], "type": "DELETE"})
    );
    let p = check(&got[1], &secret, "GROUP", &g, "DELETE", "@ppAdmin");
    assert_eq!(p, Value::Null);
    assert!(got[1].get("payload").is_none(), "{}", got[1]);
    ev.none().await;

    // Every request was JSON, UTF-8.
    for g in receiver.got() {
        assert!(
            g.content_type.starts_with("application/json"),
            "{}",
            g.content_type
        );
        assert_eq!(serde_json::from_str::<Value>(&g.raw).unwrap(), g.body);
    }
}

/// The chatroom face of the same core, and the app-level super admins.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_chatroom_operation_sends_its_event(pool: PgPool) {
    let (app, receiver, secret) = with_rule(pool).await;
    let mut ev = Events::new(&receiver);
    app.register(&["olga", "amy", "bob", "cat"]).await;
    let r = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "maxusers": 50, "owner": "olga",
                   "members": ["amy"]}),
        )
        .await;
    let c = id_of(&r, "id");
    let got = ev.next(2).await;
    let p = check(&got[0], &secret, "CHATROOM", &c, "CREATE", "@ppAdmin");
    assert_eq!(
        without_times(p["info"].clone()),
        json!({"owner": "acme#chat_olga", "custom": "", "description": "d", "mute": "false",
               "title": "r", "max_users": "50"})
    );
    let p = check(&got[1], &secret, "CHATROOM", &c, "JOIN", "@ppAdmin");
    assert_eq!(p, json!({"member": ["amy"], "type": "DIRECT"}));

    let at = |rest: &str| format!("/chatrooms/{c}{rest}");
    ok(app
        .post(&at("/users"), json!({"usernames": ["bob", "cat"]}))
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "CHATROOM",
        &c,
        "JOIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["bob", "cat"], "type": "DIRECT"}));
    ok(app.delete(&at("/users/bob,cat")).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "CHATROOM",
        &c,
        "LEAVE",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"member": ["bob", "cat"], "type": "KICK"}));
    ok(app.put(&at(""), json!({"name": "r2"})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "CHATROOM",
        &c,
        "UPDATE",
        "@ppAdmin",
    );
    assert_eq!(without_times(p["info"].clone()), json!({"title": "r2"}));
    ok(app.post(&at("/admin"), json!({"newadmin": "amy"})).await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "CHATROOM",
        &c,
        "ADMIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"admin": ["amy"], "type": "ADD"}));
    ok(app.post(&at("/blocks/users/amy"), json!({})).await).await;
    let got = ev.next(2).await;
    check(&got[0], &secret, "CHATROOM", &c, "BLOCK", "@ppAdmin");
    let p = check(&got[1], &secret, "CHATROOM", &c, "LEAVE", "@ppAdmin");
    assert_eq!(p, json!({"member": ["amy"], "type": "BLOCK"}));

    // Super admins are app-level: no room id.
    ok(app
        .post("/chatrooms/super_admin", json!({"superadmin": "bob"}))
        .await)
    .await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "CHATROOM",
        "",
        "ROOM_SUPER_ADMIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"admin": ["bob"], "type": "ADD"}));
    ok(app.delete("/chatrooms/super_admin/bob").await).await;
    let p = check(
        &ev.next(1).await[0],
        &secret,
        "CHATROOM",
        "",
        "ROOM_SUPER_ADMIN",
        "@ppAdmin",
    );
    assert_eq!(p, json!({"admin": ["bob"], "type": "REMOVE"}));

    ok(app.delete(&at("")).await).await;
    let got = ev.next(2).await;
    let p = check(&got[0], &secret, "CHATROOM", &c, "LEAVE", "@ppAdmin");
    assert_eq!(p, json!({"member": ["olga"], "type": "DELETE"}));
    check(&got[1], &secret, "CHATROOM", &c, "DELETE", "@ppAdmin");
    ev.none().await;
}
