//! Plans that stay right whatever the statistics say. The statistics here are taken while the
//! tables are tiny (one room, its owner), then the tables grow with no analyze (autovacuum off on
//! them), as in a fresh deployment whose first room fills faster than autovacuum analyzes. The
//! generic plans a connection caches for its prepared statements, and PostgreSQL's own
//! foreign-key checks, must still find one row by key without reading a whole room or app.

use crate::helpers::*;
use crate::kinds::*;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};

/// Every index a plan reads, and whether it scans a table sequentially.
fn scans(plan: &Value, indexes: &mut Vec<String>, seq: &mut bool) {
    if let Some(name) = plan["Index Name"].as_str() {
        indexes.push(name.to_owned());
    }
    if plan["Node Type"] == "Seq Scan" {
        *seq = true;
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        scans(child, indexes, seq);
    }
}

/// The id of the only app, whose rooms may now hold 5000 members.
async fn room_for_5000(pool: &PgPool) -> uuid::Uuid {
    let (app_uuid,): (uuid::Uuid,) = sqlx::query_as("select id from apps")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query("update rooms set maxusers = 5000")
        .execute(pool)
        .await
        .unwrap();
    app_uuid
}

/// Users m1..m3000 (inserted in SQL), then joined to the room through the API in batches of 60.
async fn join_3000(app: &TestApp, kind: Kind, id: &str, pool: &PgPool, app_uuid: uuid::Uuid) {
    sqlx::query(
        "insert into users (app, username, uuid)
         select $1, 'm' || i, gen_random_uuid() from generate_series(1, 3000) i",
    )
    .bind(app_uuid)
    .execute(pool)
    .await
    .unwrap();
    for first in (1..=3000).step_by(60) {
        let names: Vec<String> = (first..first + 60).map(|i| format!("m{i}")).collect();
        let r = app
            .post(&kind.at(id, "/users"), json!({ "usernames": names }))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
}

async fn lookups_by_key_take_the_key_on_statistics_from_tiny_tables(kind: Kind, pool: PgPool) {
    // The server, and the connection that plans the lookups, run with the server's settings.
    let options = im_store::session_options((*pool.connect_options()).clone());
    let served = PgPoolOptions::new()
        .max_connections(4)
        .connect_lazy_with(options.clone());
    let app = TestApp::spawn_over(pool.clone(), served.clone(), |_| {}).await;
    let id = kind.setup(&app, "olga", &[]).await;
    let app_uuid = room_for_5000(&pool).await;
    for t in ["users", "rooms", "room_members", "user_room_counts"] {
        sqlx::query(&format!("alter table {t} set (autovacuum_enabled = off)"))
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("analyze").execute(&pool).await.unwrap();

    // The lookups by key every write makes (the shapes of the foreign-key checks of a membership
    // row, and of the store's per-name facts), on a connection with the server's settings:
    // planned generic now, on the tiny tables, and cached, as a busy connection's would be.
    let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
    sqlx::query("set plan_cache_mode = force_generic_plan")
        .execute(&mut conn)
        .await
        .unwrap();
    let lookups = [
        (
            "prepare member (uuid, bigint, text) as select 1 from room_members
              where app = $1 and room_id = $2 and username = $3",
            format!("execute member ('{app_uuid}', {id}, 'm1')"),
            None,
        ),
        (
            "prepare room (uuid, bigint) as select 1 from rooms where app = $1 and id = $2",
            format!("execute room ('{app_uuid}', {id})"),
            Some("rooms_pkey"),
        ),
        (
            "prepare person (uuid, text) as select 1 from users where app = $1 and username = $2",
            format!("execute person ('{app_uuid}', 'm1')"),
            Some("users_pkey"),
        ),
    ];
    for (prepare, execute, _) in &lookups {
        sqlx::query(prepare).execute(&mut conn).await.unwrap();
        sqlx::query(execute).execute(&mut conn).await.unwrap();
    }

    // The tables grow: 3000 users join the room through the API, the app gets 2000 more rooms.
    sqlx::query(
        "insert into rooms (app, kind, name, owner, maxusers)
         select $1, $2, 'r' || i, 'olga', 10 from generate_series(1, 2000) i",
    )
    .bind(app_uuid)
    .bind(if kind.is_group() { "group" } else { "chatroom" })
    .execute(&pool)
    .await
    .unwrap();
    join_3000(&app, kind, &id, &pool, app_uuid).await;
    let r = app
        .get(&kind.at(&id, "/users?pagenum=30&pagesize=100"))
        .await;
    assert_eq!(
        r.body["data"].as_array().map(Vec::len),
        Some(100),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["data"][0], json!({"member": "m2900"}));

    // The cached generic plans, after the growth; then plans made afresh for these values, on
    // the same stale statistics.
    for mode in ["force_generic_plan", "force_custom_plan"] {
        sqlx::query(&format!("set plan_cache_mode = {mode}"))
            .execute(&mut conn)
            .await
            .unwrap();
        for (_, execute, key) in &lookups {
            let (plan,): (Value,) = sqlx::query_as(&format!("explain (format json) {execute}"))
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let (mut indexes, mut seq) = (Vec::new(), false);
            scans(&plan[0]["Plan"], &mut indexes, &mut seq);
            assert!(!seq, "{mode} {execute}: {plan}");
            assert_eq!(indexes.len(), 1, "{mode} {execute}: {plan}");
            match key {
                Some(key) => assert_eq!(indexes, [key.to_string()], "{mode} {execute}: {plan}"),
                // The primary key, or the index of the user's memberships: never a scan of the
                // room's members.
                None => {
                    let page = "room_members_page_idx".to_owned();
                    assert!(!indexes.contains(&page), "{mode} {execute}: {plan}");
                }
            }
        }
    }
}

both_kinds!(lookups_by_key_take_the_key_on_statistics_from_tiny_tables);

/// Each statement is planned once per connection: its generic plan, whatever its values. A member
/// page by number has a `limit`, an `offset` and branches one call never takes, so its generic
/// plan always looks dearer than one made for the values at hand, and without the server's
/// settings PostgreSQL plans it afresh on every call of a big room (about as much work as
/// running it).
async fn member_pages_are_planned_once_per_connection(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let id = kind.setup(&app, "olga", &[]).await;
    let app_uuid = room_for_5000(&pool).await;
    join_3000(&app, kind, &id, &pool, app_uuid).await;
    sqlx::query("analyze").execute(&pool).await.unwrap();

    let room_kind = if kind.is_group() {
        im_domain::room::RoomKind::Group
    } else {
        im_domain::room::RoomKind::Chatroom
    };
    let room = im_domain::room::RoomId::new(id.parse().unwrap());
    let plain = (*pool.connect_options()).clone();
    for (options, served) in [
        (im_store::session_options(plain.clone()), true),
        (plain, false),
    ] {
        // One connection, so that the plan counts read below are the pages' own.
        let one = im_store::Db::new(
            PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .unwrap(),
        );
        // The first page of 10, the legacy form's usual call.
        for _ in 0..8 {
            let members = im_store::rooms::members_by_page(&one, app_uuid, room_kind, room, 0, 10)
                .await
                .unwrap();
            let names: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
            assert_eq!(names[..3], ["olga", "m1", "m2"]);
            assert_eq!(names.len(), 10);
        }
        let (generic, custom): (i64, i64) = sqlx::query_as(
            "select generic_plans, custom_plans from pg_prepared_statements
              where statement like '%left join lateral%'",
        )
        .fetch_one(&one)
        .await
        .unwrap();
        if served {
            assert_eq!((generic, custom), (8, 0));
        } else {
            // What the server's settings spare it.
            assert_eq!((generic, custom), (0, 8));
        }
    }
}

both_kinds!(member_pages_are_planned_once_per_connection);
