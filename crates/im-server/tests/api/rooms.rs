//! Creating, updating, transferring and deleting rooms, for chatrooms and groups alike: what the
//! two kinds share of docs-groups-contract.md §1–§4 (the rest is in `chatrooms.rs`, `groups.rs`).

use crate::helpers::*;
use crate::kinds::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

// ---- create ----

async fn creating_a_room_answers_its_id_and_the_details_show_every_field(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let before = now_ms();
    let mut body = kind.body("Team", "Olga", &["amy", "BOB", "olga"]);
    body["description"] = json!("the team");
    body["maxusers"] = json!("300");
    body["custom"] = json!("c1");
    body["no_such_field"] = json!(1);
    // Groups take the flags (here each the other way from its default); chatrooms show defaults.
    let flags = json!({"public": !kind.is_group(), "membersonly": kind.is_group(),
                       "allowinvites": kind.is_group()});
    if kind.is_group() {
        for (k, v) in flags.as_object().unwrap() {
            body[k] = v.clone();
        }
        body["invite_need_confirm"] = json!(false);
        body["scale"] = json!("normal");
    }
    let r = app.post(&kind.path(""), body).await;
    let b = assert_envelope(&r, "post");
    assert_eq!(b["path"], kind.path(""));
    let id = b["data"][kind.id_key].as_str().unwrap().to_owned();
    assert!(id.parse::<i64>().is_ok(), "{id}");
    let mut want = json!({});
    want[kind.id_key] = json!(id);
    assert_eq!(b["data"], want);
    let d = kind.details(&app, &id).await;
    assert_eq!(d["id"], id.as_str());
    assert_eq!(
        (&d["name"], &d["description"], &d["custom"], &d["maxusers"]),
        (
            &json!("Team"),
            &json!("the team"),
            &json!("c1"),
            &json!(300)
        )
    );
    for (k, v) in flags.as_object().unwrap() {
        assert_eq!(d[k], *v, "{k}");
    }
    assert_eq!(d["owner"], "olga");
    assert_eq!(d["mute"], false);
    if kind.is_group() {
        assert_eq!(d["disabled"], false);
        assert!(d.get("permission").is_none(), "{d}");
    }
    assert_eq!(d["affiliations_count"], 3);
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "olga"}, {"member": "amy"}, {"member": "bob"}])
    );
    let created = d["created"].as_i64().unwrap();
    assert!(
        created >= before - 1000 && created <= now_ms() + 1000,
        "{created}"
    );
}
both_kinds!(creating_a_room_answers_its_id_and_the_details_show_every_field);

async fn a_room_needs_a_name_a_description_and_an_owner(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let name_missing = format!("{} must be provided", kind.name_key);
    assert_refusal(
        &app.post(&kind.path(""), json!({"owner": "olga"})).await,
        400,
        "invalid_parameter",
        &name_missing,
    );
    let full = kind.body("r", "olga", &[]);
    let mut required = vec![kind.name_key, "description", "owner"];
    if kind.is_group() {
        required.push("public");
    }
    for field in required {
        let mut b = full.clone();
        b.as_object_mut().unwrap().remove(field);
        assert_refusal(
            &app.post(&kind.path(""), b).await,
            400,
            "invalid_parameter",
            format!("{field} must be provided"),
        );
    }
    let mut b = full.clone();
    b[kind.name_key] = json!("");
    assert_refusal(
        &app.post(&kind.path(""), b).await,
        400,
        "invalid_parameter",
        &name_missing,
    );
    let r = app
        .raw(
            Method::POST,
            &app.path(&kind.path("")),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(kind.total(&app).await, 0);
    // An empty description is a description.
    let mut b = full.clone();
    b["description"] = json!("");
    let id = kind.create(&app, b).await;
    assert_eq!(kind.details(&app, &id).await["description"], "");
    assert_eq!(kind.total(&app).await, 1);
}
both_kinds!(a_room_needs_a_name_a_description_and_an_owner);

async fn name_description_and_custom_lengths_are_exceed_limit(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    // Chatrooms count custom in bytes (8192), groups in characters (1024).
    let (custom_over, custom_limit, custom_max) = if kind.is_group() {
        (
            "c".repeat(1025),
            "custom cannot exceed to 1024",
            "é".repeat(1024),
        )
    } else {
        // 4097 characters but 8194 bytes.
        (
            "é".repeat(4097),
            "custom cannot exceed to 8192",
            "c".repeat(8192),
        )
    };
    let cases = [
        (kind.name_key, "n".repeat(129), "title cannot exceed to 128"),
        ("description", "d".repeat(513), "desc cannot exceed to 512"),
        ("custom", custom_over, custom_limit),
    ];
    for (field, value, want) in cases {
        let mut b = kind.body("r", "olga", &[]);
        b[field] = json!(value);
        assert_refusal(
            &app.post(&kind.path(""), b).await,
            403,
            "exceed_limit",
            want,
        );
    }
    assert_eq!(kind.total(&app).await, 0);
    // The limits themselves are allowed; name and description count characters.
    let mut b = kind.body(&"é".repeat(128), "olga", &[]);
    b["description"] = json!("é".repeat(512));
    b["custom"] = json!(custom_max);
    let id = kind.create(&app, b).await;
    let d = kind.details(&app, &id).await;
    assert_eq!(d["name"].as_str().unwrap().chars().count(), 128);
    assert_eq!(d["description"].as_str().unwrap().chars().count(), 512);
    assert_eq!(d["custom"], json!(custom_max));
}
both_kinds!(name_description_and_custom_lengths_are_exceed_limit);

async fn maxusers_has_a_default_and_is_bounded_by_100000(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga"]).await;
    let id = kind.room(&app, "olga", &[]).await;
    assert_eq!(
        kind.details(&app, &id).await["maxusers"],
        kind.default_maxusers
    );
    let with = |maxusers: Value| {
        let (app, path) = (&app, kind.path(""));
        let mut b = kind.body("r", "olga", &[]);
        b["maxusers"] = maxusers;
        async move { app.post(&path, b).await }
    };
    for bad in [json!(0), json!(-5), json!("0")] {
        assert_error(&with(bad).await, 400, "invalid_parameter");
    }
    assert_error(&with(json!("many")).await, 400, "illegal_argument");
    assert_refusal(
        &with(json!(100_001)).await,
        403,
        "exceed_limit",
        "maxUsers cannot exceed 100000",
    );
    assert_eq!(kind.total(&app).await, 1);
    let mut b = kind.body("r", "olga", &[]);
    b["maxusers"] = json!(100_000);
    let id = kind.create(&app, b).await;
    assert_eq!(kind.details(&app, &id).await["maxusers"], 100_000);
}
both_kinds!(maxusers_has_a_default_and_is_bounded_by_100000);

async fn an_unknown_owner_or_member_is_resource_not_found_and_creates_nothing(
    kind: Kind,
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy"]).await;
    for body in [
        kind.body("r", "ghost", &[]),
        kind.body("r", "olga", &["amy", "ghost"]),
    ] {
        assert_no_ghost(&app.post(&kind.path(""), body).await);
    }
    assert_eq!(kind.total(&app).await, 0);
    assert!(kind.joined(&app, "amy").await.is_empty());
}
both_kinds!(an_unknown_owner_or_member_is_resource_not_found_and_creates_nothing);

async fn more_members_than_maxusers_is_refused_counting_the_owner_once(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("u", 101);
    app.register(&refs(&names)).await;
    app.register(&["olga"]).await;
    if kind.is_group() {
        // Chatrooms have no such limit.
        assert_refusal(
            &app.post(&kind.path(""), kind.body("r", "olga", &refs(&names)))
                .await,
            400,
            "invalid_parameter",
            "members size is more than max limit : 100",
        );
    }
    let mut b = kind.body("r", "olga", &["u1", "u2"]);
    b["maxusers"] = json!(2);
    assert_refusal(
        &app.post(&kind.path(""), b).await,
        403,
        FORBIDDEN,
        "members size is greater than max user size !",
    );
    assert_eq!(kind.total(&app).await, 0);
    // Repeats and the owner among the members count once; exactly 100 members is fine.
    let mut b = kind.body("r", "olga", &["u1", "u2", "U1", "olga"]);
    b["maxusers"] = json!(3);
    let id = kind.create(&app, b).await;
    assert_eq!(kind.count(&app, &id).await, 3);
    let id = kind.room(&app, "olga", &refs(&names[..100])).await;
    assert_eq!(kind.count(&app, &id).await, 101);
}
both_kinds!(more_members_than_maxusers_is_refused_counting_the_owner_once);

async fn creating_a_room_for_a_user_at_the_join_limit_is_forbidden(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| kind.limit_joins(s, 2)).await;
    app.register(&["olga", "pete", "amy"]).await;
    // Rooms of the other kind do not count towards the limit.
    kind.other().room(&app, "amy", &[]).await;
    kind.room(&app, "pete", &["amy"]).await;
    kind.room(&app, "pete", &["amy"]).await;
    assert_refusal(
        &app.post(&kind.path(""), kind.body("r", "olga", &["amy"]))
            .await,
        403,
        FORBIDDEN,
        kind.too_many("amy"),
    );
    // The owner is a member too.
    assert_refusal(
        &app.post(&kind.path(""), kind.body("r", "pete", &[])).await,
        403,
        FORBIDDEN,
        kind.too_many("pete"),
    );
    assert_eq!(kind.total(&app).await, 2);
}
both_kinds!(creating_a_room_for_a_user_at_the_join_limit_is_forbidden);

// ---- update ----

async fn updating_answers_a_key_per_field_sent_and_changes_it(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &[]).await;
    let path = kind.at(&id, "");
    let mut cases = vec![
        (json!({"name": "new name"}), json!({"groupname": true})),
        (
            json!({"description": "new desc"}),
            json!({"description": true}),
        ),
        (json!({"maxusers": 50}), json!({"maxusers": true})),
    ];
    if kind.is_group() {
        cases.extend([
            (json!({"groupname": "g2"}), json!({"groupname": true})),
            (json!({"name": "g3"}), json!({"groupname": true})),
            (json!({"maxusers": "50"}), json!({"maxusers": true})),
            (json!({"membersonly": true}), json!({"membersonly": true})),
            (json!({"allowinvites": true}), json!({"allowinvites": true})),
            (
                json!({"invite_need_confirm": false}),
                json!({"invite_need_confirm": true}),
            ),
            (json!({"public": false}), json!({"public": true})),
            (json!({"custom": "k=v"}), json!({"custom": true})),
        ]);
    }
    for (body, want) in cases {
        let r = app.put(&path, body.clone()).await;
        assert_eq!(assert_envelope(&r, "put")["data"], want, "{body}");
    }
    let d = kind.details(&app, &id).await;
    let name = if kind.is_group() { "g3" } else { "new name" };
    assert_eq!(
        (&d["name"], &d["description"], &d["maxusers"]),
        (&json!(name), &json!("new desc"), &json!(50))
    );
    if kind.is_group() {
        assert_eq!(
            (
                &d["membersonly"],
                &d["allowinvites"],
                &d["public"],
                &d["custom"]
            ),
            (&json!(true), &json!(true), &json!(false), &json!("k=v"))
        );
    }
    // All at once.
    let r = app
        .put(
            &path,
            json!({"name": "n2", "description": "d2", "maxusers": 60}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"groupname": true, "description": true, "maxusers": true})
    );
    let d = kind.details(&app, &id).await;
    assert_eq!(
        (&d["name"], &d["description"], &d["maxusers"]),
        (&json!("n2"), &json!("d2"), &json!(60))
    );
    if !kind.is_group() {
        return;
    }
    // Every group field at once, as the doc's example.
    let r = app
        .put(
            &path,
            json!({"groupname": "test groupname", "description": "updategroupinfo12311",
                   "maxusers": 1500, "membersonly": false, "allowinvites": false,
                   "invite_need_confirm": true, "custom": "abc", "public": true}),
        )
        .await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"allowinvites": true, "invite_need_confirm": true, "membersonly": true,
               "public": true, "custom": true, "description": true, "maxusers": true,
               "groupname": true})
    );
    let d = kind.details(&app, &id).await;
    assert_eq!(
        (&d["name"], &d["description"], &d["maxusers"], &d["custom"]),
        (
            &json!("test groupname"),
            &json!("updategroupinfo12311"),
            &json!(1500),
            &json!("abc")
        )
    );
    assert_eq!(
        (&d["membersonly"], &d["public"]),
        (&json!(false), &json!(true))
    );
}
both_kinds!(updating_answers_a_key_per_field_sent_and_changes_it);

async fn updating_an_unknown_field_or_nothing_is_invalid_parameter_and_changes_nothing(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    let path = kind.at(&id, "");
    for field in ["chatroom_id", "groupid", "owner", "desc"] {
        assert_refusal(
            &app.put(&path, json!({field: "x"})).await,
            400,
            "invalid_parameter",
            format!("some of [{field}] are not valid fields"),
        );
    }
    let d = assert_error(
        &app.put(&path, json!({"name": "changed", "groupid": 1}))
            .await,
        400,
        "invalid_parameter",
    );
    assert!(d.contains("groupid"), "{d}");
    assert_error(&app.put(&path, json!({})).await, 400, "invalid_parameter");
    let d = kind.details(&app, &id).await;
    assert_eq!(d["name"], kind.room_name());
    assert_eq!(d["owner"], "olga");
}
both_kinds!(updating_an_unknown_field_or_nothing_is_invalid_parameter_and_changes_nothing);

async fn updating_past_the_limits_or_below_the_member_count_is_refused(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let path = kind.at(&id, "");
    let mut cases = vec![
        (
            json!({"name": "n".repeat(129)}),
            "title cannot exceed to 128",
        ),
        (
            json!({"description": "d".repeat(513)}),
            "desc cannot exceed to 512",
        ),
        (
            json!({"maxusers": 100_001}),
            "maxUsers cannot exceed 100000",
        ),
    ];
    if kind.is_group() {
        cases.extend([
            (
                json!({"groupname": "n".repeat(129)}),
                "title cannot exceed to 128",
            ),
            (
                json!({"custom": "c".repeat(1025)}),
                "custom cannot exceed to 1024",
            ),
        ]);
    }
    for (body, want) in cases {
        let d = assert_error(&app.put(&path, body).await, 403, "exceed_limit");
        assert_eq!(d, want);
    }
    assert_refusal(
        &app.put(&path, json!({"maxusers": 2})).await,
        403,
        FORBIDDEN,
        "current user count is larger than the maxUsers that you want to update !",
    );
    assert_eq!(
        kind.details(&app, &id).await["maxusers"],
        kind.default_maxusers
    );
    // Exactly the member count is fine.
    let r = app.put(&path, json!({"maxusers": 3})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"maxusers": true})
    );
    assert_eq!(kind.details(&app, &id).await["maxusers"], 3);
    assert_no_room(
        &app.put(&kind.path("/999999"), json!({"name": "x"})).await,
        "999999",
    );
}
both_kinds!(updating_past_the_limits_or_below_the_member_count_is_refused);

// ---- owner transfer ----

async fn transferring_ownership_keeps_the_old_owner_as_a_member_and_drops_the_new_owners_admin_role(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let r = kind.make_admin(&app, &id, "amy").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.put(&kind.at(&id, ""), json!({"newowner": "AMY"})).await;
    assert_eq!(
        assert_envelope(&r, "put")["data"],
        json!({"newowner": true})
    );
    let d = kind.details(&app, &id).await;
    assert_eq!(d["owner"], "amy");
    assert_eq!(d["affiliations_count"], 3);
    // The new owner first, the old one after every member there before.
    assert_eq!(
        d["affiliations"],
        json!([{"owner": "amy"}, {"member": "bob"}, {"member": "olga"}])
    );
    assert_eq!(
        roles(&app, &id).await,
        [
            ("amy".to_owned(), 2),
            ("bob".to_owned(), 0),
            ("olga".to_owned(), 0)
        ]
    );
    assert!(kind.admins(&app, &id).await.is_empty());
    // A member who joins after the transfer comes after the old owner.
    let r = kind.remove(&app, &id, "bob").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = kind.add(&app, &id, "bob").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        kind.details(&app, &id).await["affiliations"],
        json!([{"owner": "amy"}, {"member": "olga"}, {"member": "bob"}])
    );
    // The old owner is an ordinary member now and can be removed.
    let r = kind.remove(&app, &id, "olga").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kind.count(&app, &id).await, 2);
}
both_kinds!(
    transferring_ownership_keeps_the_old_owner_as_a_member_and_drops_the_new_owners_admin_role
);

async fn transferring_to_an_unknown_user_a_non_member_or_the_owner_is_refused(
    kind: Kind,
    pool: PgPool,
) {
    let (app, id) = kind.start(pool, "olga", &["amy"]).await;
    app.register(&["cat"]).await;
    let path = kind.at(&id, "");
    assert_no_ghost(&app.put(&path, json!({"newowner": "ghost"})).await);
    assert_refusal(
        &app.put(&path, json!({"newowner": "cat"})).await,
        403,
        FORBIDDEN,
        format!("user: cat doesn't exist in group: {id}"),
    );
    assert_refusal(
        &app.put(&path, json!({"newowner": "olga"})).await,
        403,
        FORBIDDEN,
        "new owner and old owner are the same",
    );
    assert_no_room(
        &app.put(&kind.path("/999999"), json!({"newowner": "amy"}))
            .await,
        "999999",
    );
    assert_eq!(kind.details(&app, &id).await["owner"], "olga");
}
both_kinds!(transferring_to_an_unknown_user_a_non_member_or_the_owner_is_refused);

// ---- delete ----

async fn deleting_a_room_answers_its_id_and_leaves_nothing_behind(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob", "cat"]).await;
    let mut calls = vec![
        kind.make_admin(&app, &id, "amy").await,
        kind.mute_for(&app, &id, &["bob"], json!(-1)).await,
        kind.block(&app, &id, "cat").await,
        post_empty(&app, &kind.at(&id, "/white/users/bob")).await,
    ];
    if kind.is_group() {
        calls.push(
            app.put(
                &format!("/metadata/chatgroup/{id}/user/bob"),
                json!({"metaData": {"nick": "b"}}),
            )
            .await,
        );
    }
    for r in calls {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app.delete(&kind.at(&id, "")).await;
    let mut want = json!({"success": true});
    want[kind.id_key] = json!(id);
    assert_eq!(assert_envelope(&r, "delete")["data"], want);
    assert_refusal(
        &app.get(&kind.at(&id, "")).await,
        404,
        "service_resource_not_found",
        format!("do not find this group:{id}"),
    );
    assert_no_room(&app.delete(&kind.at(&id, "")).await, &id);
    assert!(kind.joined(&app, "amy").await.is_empty());
    assert_eq!(kind.total(&app).await, 0);
    for table in [
        "room_members",
        "room_mutes",
        "room_blocks",
        "room_whitelist",
    ] {
        let n: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {table} where room_id = $1::bigint"
        ))
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}
both_kinds!(deleting_a_room_answers_its_id_and_leaves_nothing_behind);

async fn deleting_a_user_deletes_the_rooms_it_owns_and_leaves_the_others(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["olga", "amy", "bob"]).await;
    let owned = kind.room(&app, "olga", &["amy", "bob"]).await;
    let other = kind.room(&app, "amy", &["olga", "bob"]).await;
    assert_eq!(kind.count(&app, &other).await, 3);
    let r = app.delete("/users/olga").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_refusal(
        &app.get(&kind.at(&owned, "")).await,
        404,
        "service_resource_not_found",
        format!("do not find this group:{owned}"),
    );
    assert_eq!(kind.members(&app, &other).await, ["amy", "bob"]);
    assert_eq!(kind.count(&app, &other).await, 2);
    assert_eq!(kind.joined(&app, "bob").await, [other.as_str()]);
    assert_eq!(kind.total(&app).await, 1);
    if !kind.is_group() {
        let r = app.get("/users/bob/joined_chatrooms").await;
        assert_eq!(
            assert_envelope(&r, "get")["data"],
            json!([{"id": other, "name": "room", "disabled": "false"}])
        );
        let list = app.get("/chatrooms").await;
        assert_eq!(list.body["data"][0]["id"], other.as_str());
    }
}
both_kinds!(deleting_a_user_deletes_the_rooms_it_owns_and_leaves_the_others);
