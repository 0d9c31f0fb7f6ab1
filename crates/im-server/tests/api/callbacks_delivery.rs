//! Callback delivery: rules over REST, what a rule takes, rolled-back changes, retries with the
//! same callId and per-room order, dead letters and their replay, pauses, several instances.

use crate::callbacks::{check, quick, with_rule, with_rule_tweaked, Events};
use crate::helpers::*;
use crate::receiver::Receiver;
use im_server::Application;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::{Duration, Instant};

async fn group(app: &TestApp, owner: &str, members: &[&str]) -> String {
    let r = app
        .post(
            "/chatgroups",
            json!({"groupname": "g", "description": "d", "public": true, "maxusers": 10,
                   "owner": owner, "members": members}),
        )
        .await;
    assert_envelope(&r, "post")["data"]["groupid"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ops(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let t = e["payload"]["type"].as_str().unwrap_or("");
            format!("{}/{t}", e["operation"].as_str().unwrap_or(""))
        })
        .collect()
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn rules_are_managed_over_rest_in_both_url_forms(pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.callbacks.max_rules_per_app = 2).await;
    let r = app
        .post(
            "/callbacks/rules",
            json!({"url": "http://127.0.0.1:9/cb", "events": ["group"],
                   "operations": ["join", "LEAVE"], "secret": "s3cret-s3cret"}),
        )
        .await;
    let rule = assert_envelope(&r, "post")["data"].clone();
    assert_eq!(rule["secret"], "s3cret-s3cret");
    assert_eq!(rule["events"], json!(["group"]));
    assert_eq!(rule["operations"], json!(["JOIN", "LEAVE"]));
    assert_eq!(rule["enabled"], true);
    let id = rule["id"].as_str().unwrap().to_owned();
    // The secret is kept sealed, and never shown again.
    let sealed: Vec<u8> = sqlx::query_scalar("select secret_sealed from callback_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
    let by_id = format!("/app-id/{}/callbacks/rules", app.creds.app_id);
    let r = app.raw(Method::GET, &by_id, Some(&app.token), None).await;
    let listed = &assert_envelope(&r, "get")["data"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none(), "{listed}");
    let r = app.get(&format!("/callbacks/rules/{id}")).await;
    assert!(assert_envelope(&r, "get")["data"].get("secret").is_none());

    // A generated secret; the bound on rules.
    let r = app
        .post("/callbacks/rules", json!({"url": "https://example.com/x"}))
        .await;
    let second = assert_envelope(&r, "post")["data"].clone();
    assert!(second["secret"].as_str().unwrap().len() >= 16);
    assert_eq!(second["events"], json!(["group", "chatroom"]));
    assert!(second.get("operations").is_none());
    let r = app
        .post("/callbacks/rules", json!({"url": "https://example.com/y"}))
        .await;
    assert_error(&r, 403, "exceed_limit");

    // Changes: disable, every operation again, a new URL.
    let r = app
        .put(
            &format!("/callbacks/rules/{id}"),
            json!({"enabled": false, "operations": [], "url": "http://127.0.0.1:9/other"}),
        )
        .await;
    let changed = &assert_envelope(&r, "put")["data"];
    assert_eq!(changed["enabled"], false);
    assert!(changed.get("operations").is_none(), "{changed}");
    assert_eq!(changed["url"], "http://127.0.0.1:9/other");

    // Bad input, and rules that are not there.
    for body in [
        json!({}),
        json!({"url": "ftp://x"}),
        json!({"url": "http://x", "events": ["threads"]}),
        json!({"url": "http://x", "operations": ["SHIELD"]}),
        json!({"url": "http://x", "operations": "JOIN"}),
        json!({"url": "http://x", "secret": "short"}),
    ] {
        let r = app.post("/callbacks/rules", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    for path in [
        "/callbacks/rules/nope",
        "/callbacks/rules/00000000-0000-0000-0000-000000000000",
    ] {
        assert_error(&app.get(path).await, 404, "resource_not_found");
        assert_error(&app.delete(path).await, 404, "resource_not_found");
    }
    let r = app
        .raw(Method::GET, "/acme/chat/callbacks/rules", None, None)
        .await;
    assert_eq!(r.status, 401);

    let r = app.delete(&format!("/callbacks/rules/{id}")).await;
    assert_eq!(assert_envelope(&r, "delete")["data"]["deleted"], true);
    let r = app.get("/callbacks/rules").await;
    assert_eq!(
        assert_envelope(&r, "get")["data"].as_array().unwrap().len(),
        1
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_change_that_rolls_back_sends_nothing(pool: PgPool) {
    let (app, receiver, _) = with_rule(pool).await;
    let mut ev = Events::new(&receiver);
    app.register(&["olga", "a1", "a2", "a3"]).await;
    let g = group(&app, "olga", &[]).await;
    ev.next(1).await; // CREATE (no members, no JOIN)
                      // Refused as a whole: one user does not exist, or the group would be over its maxusers.
    let r = app
        .post(
            &format!("/chatgroups/{g}/users"),
            json!({"usernames": ["a1", "ghost"]}),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let r = app
        .put(&format!("/chatgroups/{g}"), json!({"maxusers": 2}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ev.next(1).await; // UPDATE/INFO
    let r = app
        .post(
            &format!("/chatgroups/{g}/users"),
            json!({"usernames": ["a1", "a2", "a3"]}),
        )
        .await;
    assert_error(&r, 403, "forbidden_op");
    ev.none().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from callback_deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_a_user_deletes_its_rooms_and_removes_it_from_the_others(pool: PgPool) {
    let (app, receiver, secret) = with_rule(pool).await;
    let mut ev = Events::new(&receiver);
    app.register(&["olga", "amy", "bob"]).await;
    let owned = group(&app, "amy", &["bob"]).await;
    let other = group(&app, "olga", &["amy"]).await;
    ev.next(4).await;
    assert_eq!(app.delete("/users/amy").await.status, 200);
    let mut got = ev.next(3).await;
    got.sort_by_key(|e| {
        (
            e["id"].as_str().unwrap_or("").to_owned(),
            e["operation"] == "DELETE",
        )
    });
    let by_room: Vec<(String, String)> = got
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                ops(std::slice::from_ref(e))[0].clone(),
            )
        })
        .collect();
    let mut expected = vec![
        (owned.clone(), "LEAVE/DELETE".to_owned()),
        (owned.clone(), "DELETE/".to_owned()),
        (other.clone(), "LEAVE/KICK".to_owned()),
    ];
    expected.sort_by_key(|(id, op)| (id.clone(), op == "DELETE/"));
    assert_eq!(by_room, expected);
    for e in &got {
        let p = check(
            e,
            &secret,
            "GROUP",
            e["id"].as_str().unwrap(),
            e["operation"].as_str().unwrap(),
            "@ppAdmin",
        );
        if e["operation"] == "LEAVE" && e["id"] == owned.as_str() {
            assert_eq!(p["member"], json!(["amy", "bob"]));
        }
        if e["id"] == other.as_str() {
            assert_eq!(p["member"], json!(["amy"]));
        }
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_rule_takes_only_its_kinds_and_operations_and_changes_apply_to_the_next_change(
    pool: PgPool,
) {
    let app = TestApp::spawn_with(pool, quick).await;
    let all = Receiver::start().await;
    let joins = Receiver::start().await;
    app.register(&["olga", "amy", "bob", "cat"]).await;
    let r = app
        .post(
            "/callbacks/rules",
            json!({"url": joins.url, "events": ["chatroom"], "operations": ["JOIN"]}),
        )
        .await;
    assert_eq!(r.status, 200);
    // A change before the second rule existed goes only where rules were.
    let c = app
        .post(
            "/chatrooms",
            json!({"name": "r", "description": "d", "owner": "olga", "members": ["amy"]}),
        )
        .await;
    let c = assert_envelope(&c, "post")["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ops(&joins.wait_delivered(1).await), ["JOIN/DIRECT"]);
    let r = app.post("/callbacks/rules", json!({"url": all.url})).await;
    let rule = assert_envelope(&r, "post")["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    group(&app, "olga", &["bob"]).await;
    app.post(&format!("/chatrooms/{c}/users/cat"), json!({}))
        .await;
    // Rooms go on independently: only each room's own events keep their order.
    let got = all.wait_delivered(3).await;
    let (groups, rooms): (Vec<Value>, Vec<Value>) =
        got.into_iter().partition(|e| e["type"] == "GROUP");
    assert_eq!(ops(&groups), ["CREATE/", "JOIN/DIRECT"]);
    assert_eq!(ops(&rooms), ["JOIN/DIRECT"]);
    assert_eq!(joins.wait_delivered(2).await.len(), 2);
    assert_eq!(joins.delivered()[1]["type"], "CHATROOM");
    // Disabled: the next change goes nowhere for it.
    let r = app
        .put(
            &format!("/callbacks/rules/{rule}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, 200);
    app.delete(&format!("/chatrooms/{c}/users/cat")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(all.delivered().len(), 3);
    assert_eq!(
        joins.delivered().len(),
        2,
        "a LEAVE is not the joins rule's"
    );
}

/// A receiver that fails a room's first delivery: it is retried with the same callId, that
/// room's later events wait for it, and another room's events go on meanwhile.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_failed_delivery_is_retried_in_order_and_other_rooms_go_on(pool: PgPool) {
    let (app, receiver, secret) = with_rule_tweaked(pool, |s| {
        s.callbacks.retry_base_ms = 600;
    })
    .await;
    app.register(&["olga", "amy", "bob", "cat"]).await;
    let a = group(&app, "olga", &[]).await;
    let b = group(&app, "olga", &[]).await;
    receiver.wait_delivered(2).await;
    receiver.answer_room(&a, 500);
    app.post(&format!("/chatgroups/{a}/users/amy"), json!({}))
        .await;
    app.delete(&format!("/chatgroups/{a}/users/amy")).await;
    app.post(&format!("/chatgroups/{b}/users/bob"), json!({}))
        .await;
    // Room b's event arrives while room a's first one fails.
    let got = receiver.wait_delivered(3).await;
    assert_eq!(got[2]["id"], b.as_str());
    let failed: Vec<_> = receiver
        .got()
        .into_iter()
        .filter(|g| g.status == 500)
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|g| g.body["operation"] == "JOIN"),
        "the LEAVE waited"
    );
    receiver.answer_room(&a, 0);
    let got = receiver.wait_delivered(5).await;
    let in_a: Vec<&Value> = got.iter().filter(|e| e["id"] == a.as_str()).collect();
    assert_eq!(
        ops(&in_a.iter().map(|v| (*v).clone()).collect::<Vec<_>>()),
        ["CREATE/", "JOIN/DIRECT", "LEAVE/KICK"]
    );
    // The retry carried the first try's callId and signature.
    assert_eq!(in_a[1]["callId"], failed[0].body["callId"]);
    assert_eq!(in_a[1]["security"], failed[0].body["security"]);
    check(in_a[1], &secret, "GROUP", &a, "JOIN", "@ppAdmin");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("callback_deliveries_total{outcome=\"retried\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("callback_deliveries_total{outcome=\"delivered\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("callback_delivery_lag_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains("callback_events_written_total{rule="),
        "{metrics}"
    );
}

/// Past the retry horizon a delivery goes to the dead letters (and the room's next event goes
/// on); the storage endpoints list them and queue them again, to another URL here.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn dead_letters_are_listed_and_replayed_with_their_call_id(pool: PgPool) {
    let (app, receiver, _) = with_rule_tweaked(pool, |s| {
        s.callbacks.horizon_secs = 1;
        s.callbacks.retry_base_ms = 200;
    })
    .await;
    receiver.answer_always(503);
    app.register(&["olga"]).await;
    let g = group(&app, "olga", &[]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let buckets = loop {
        let r = app.get("/callbacks/storage/info").await;
        let data = assert_envelope(&r, "get")["data"].clone();
        if data.as_array().is_some_and(|a| !a.is_empty()) {
            break data;
        }
        assert!(
            Instant::now() < deadline,
            "nothing went to the dead letters"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(buckets[0]["size"], 1);
    assert_eq!(buckets[0]["retry"], 0);
    let date = buckets[0]["date"].as_str().unwrap().to_owned();
    assert_eq!(date.len(), 12);
    let r = app.get("/callbacks/storage?limit=10").await;
    let dead = &assert_envelope(&r, "get")["data"][0];
    assert_eq!(dead["operation"], "CREATE");
    assert_eq!(dead["id"], g.as_str());
    assert!(dead["attempts"].as_i64().unwrap() >= 2, "{dead}");
    assert!(
        dead["last_error"].as_str().unwrap().contains("503"),
        "{dead}"
    );
    let first_call = receiver.got()[0].body["callId"].clone();
    assert_eq!(dead["call_id"], first_call);

    let other = Receiver::start().await;
    for bad in [
        json!({}),
        json!({"date": "yesterday"}),
        json!({"date": date, "targetUrl": "ftp://x"}),
    ] {
        let r = app.post("/callbacks/storage/retry", bad.clone()).await;
        assert_error(&r, 400, "invalid_parameter");
    }
    let r = app
        .post(
            "/callbacks/storage/retry",
            json!({"date": date, "retry": 0, "targetUrl": other.url}),
        )
        .await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["data"], "success");
    assert_eq!(b["count"], 1);
    let got = other.wait_delivered(1).await;
    assert_eq!(got[0]["callId"], first_call);
    assert_eq!(got[0]["operation"], "CREATE");
    let r = app.get("/callbacks/storage/info").await;
    assert_eq!(assert_envelope(&r, "get")["data"], json!([]));
}

/// 90 failures within 30 s pause the rule; it resumes by itself after the pause.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_receiver_that_fails_fast_pauses_its_rule_which_resumes_by_itself(pool: PgPool) {
    let (app, receiver, _) = with_rule_tweaked(pool, |s| {
        s.callbacks.pause_secs = 2;
        s.callbacks.retry_base_ms = 10;
        s.callbacks.retry_max_secs = 1;
        s.callbacks.max_in_flight = 32;
        s.callbacks.per_rule_in_flight = 32;
    })
    .await;
    receiver.answer_always(500);
    app.register(&["olga"]).await;
    for _ in 0..30 {
        group(&app, "olga", &[]).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let paused = loop {
        let r = app.get("/callbacks/rules").await;
        let rule = assert_envelope(&r, "get")["data"][0].clone();
        if rule.get("paused_until").is_some() {
            break rule;
        }
        assert!(Instant::now() < deadline, "the rule was never paused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let tried = receiver.got().len();
    assert!(tried >= 90, "{tried}");
    receiver.answer_always(0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.got().len() <= tried + 32,
        "deliveries went on while paused"
    );
    assert!(paused["paused_until"].as_i64().unwrap() > chrono::Utc::now().timestamp_millis());
    // After the pause, everything arrives.
    let got = receiver.wait_delivered(30).await;
    assert_eq!(got.len(), 30);
}

/// Two instances on one database share the work: every event is delivered once, in order per
/// room.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn two_instances_deliver_each_event_once_in_order_per_room(pool: PgPool) {
    let (app, receiver, _) = with_rule(pool.clone()).await;
    let mut settings = test_settings();
    quick(&mut settings);
    let second = Application::build(&settings, crate::helpers::served(&pool))
        .await
        .unwrap();
    tokio::spawn(second.run_until_stopped());
    let names: Vec<String> = (0..20).map(|i| format!("u{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    app.register(&refs).await;
    app.register(&["olga"]).await;
    let mut rooms = Vec::new();
    for _ in 0..4 {
        rooms.push(group(&app, "olga", &[]).await);
    }
    // Adds and removals racing on four rooms.
    let mut tasks = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (client, base, token) = (app.client.clone(), app.base.clone(), app.token.clone());
        let path = app.path(&format!("/chatgroups/{}/users/{name}", rooms[i % 4]));
        tasks.push(tokio::spawn(async move {
            for method in [Method::POST, Method::DELETE] {
                let r = client
                    .request(method, format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let total = 4 + 20 * 2;
    let got = receiver.wait_delivered(total).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_all = receiver.delivered();
    assert_eq!(got_all.len(), total, "an event was delivered twice");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in &got {
        *seen
            .entry(e["callId"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(seen.values().all(|n| *n == 1));
    // Per room and user, the JOIN came before the LEAVE.
    for name in &names {
        let of: Vec<String> = got
            .iter()
            .filter(|e| e["payload"]["member"] == json!([name]))
            .map(|e| e["operation"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(of, ["JOIN", "LEAVE"], "{name}");
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_rooms_backlog_longer_than_a_chain_arrives_once_in_commit_order(pool: PgPool) {
    let (app, receiver, _) = with_rule(pool.clone()).await;
    app.register(&["olga"]).await;
    let r = app
        .post(
            "/chatgroups",
            json!({"groupname": "g", "description": "d", "public": true, "maxusers": 400,
                   "owner": "olga"}),
        )
        .await;
    let room = assert_envelope(&r, "post")["data"]["groupid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(receiver.wait_delivered(1).await.len(), 1);
    // Held back (the rule paused) while 300 adds commit: a backlog of one room longer than what
    // one task sends in a row.
    sqlx::query("update callback_rules set paused_until = now() + interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    let names: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    for chunk in refs.chunks(60) {
        app.register(chunk).await;
    }
    for name in &names {
        let r = app
            .post(&format!("/chatgroups/{room}/users/{name}"), json!({}))
            .await;
        assert_envelope(&r, "post");
    }
    assert_eq!(receiver.delivered().len(), 1, "sent while paused");
    sqlx::query("update callback_rules set paused_until = null")
        .execute(&pool)
        .await
        .unwrap();
    let got = receiver.wait_delivered(301).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.delivered().len(),
        301,
        "an event was delivered twice"
    );
    let members: Vec<&str> = got[1..]
        .iter()
        .map(|e| e["payload"]["member"][0].as_str().unwrap())
        .collect();
    assert_eq!(members, refs, "not in commit order");
    let left: i64 = sqlx::query_scalar("select count(*) from callback_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
