//! Room admins, for chatrooms and groups alike (docs-groups-contract.md §12).

use crate::helpers::*;
use crate::kinds::*;
use serde_json::json;
use sqlx::PgPool;

async fn admins_are_added_listed_and_removed(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    let r = kind.make_admin(&app, &id, "AMY").await;
    assert_eq!(
        assert_envelope(&r, "post")["data"],
        json!({"result": "success", "newadmin": "amy"})
    );
    assert_eq!(kind.make_admin(&app, &id, "bob").await.status, 200);
    assert_eq!(kind.admins(&app, &id).await, ["amy", "bob"]);
    assert_eq!(
        roles(&app, &id).await,
        [
            ("amy".to_owned(), 1),
            ("bob".to_owned(), 1),
            ("olga".to_owned(), 2)
        ]
    );
    let r = app.delete(&kind.at(&id, "/admin/amy")).await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"result": "success", "oldadmin": "amy"})
    );
    assert_eq!(kind.admins(&app, &id).await, ["bob"]);
    // Still a member.
    assert_eq!(kind.count(&app, &id).await, 3);
}
both_kinds!(admins_are_added_listed_and_removed);

async fn adding_or_removing_an_admin_refuses_every_documented_case(kind: Kind, pool: PgPool) {
    let (app, id) = kind.start(pool, "olga", &["amy", "bob"]).await;
    app.register(&["cat"]).await;
    assert_eq!(kind.make_admin(&app, &id, "amy").await.status, 200);
    let path = kind.at(&id, "/admin");
    assert_refusal(
        &app.post(&path, json!({})).await,
        400,
        "invalid_parameter",
        "newadmin must be provided",
    );
    assert_no_ghost(&kind.make_admin(&app, &id, "ghost").await);
    assert_refusal(
        &kind.make_admin(&app, &id, "cat").await,
        403,
        FORBIDDEN,
        format!("user: cat doesn't exist in group: {id}"),
    );
    assert_refusal(
        &kind.make_admin(&app, &id, "olga").await,
        403,
        FORBIDDEN,
        "forbidden operation on group owner!",
    );
    assert_refusal(
        &kind.make_admin(&app, &id, "amy").await,
        403,
        FORBIDDEN,
        format!("user amy is already an admin of group: {id}"),
    );
    assert_refusal(
        &app.delete(&format!("{path}/bob")).await,
        403,
        FORBIDDEN,
        format!("user bob is not an admin of group: {id}"),
    );
    assert_no_ghost(&app.delete(&format!("{path}/ghost")).await);
    for r in [
        kind.make_admin(&app, "999999", "amy").await,
        app.get(&kind.path("/999999/admin")).await,
        app.delete(&kind.path("/999999/admin/amy")).await,
    ] {
        assert_no_room(&r, "999999");
    }
    assert_eq!(kind.admins(&app, &id).await, ["amy"]);
}
both_kinds!(adding_or_removing_an_admin_refuses_every_documented_case);

async fn a_room_refuses_an_admin_past_the_configured_limit(kind: Kind, pool: PgPool) {
    let app = TestApp::spawn_with(pool, |s| s.limits.admins_per_room = 2).await;
    let id = kind.setup(&app, "olga", &["amy", "bob", "cat"]).await;
    assert_eq!(kind.make_admin(&app, &id, "amy").await.status, 200);
    assert_eq!(kind.make_admin(&app, &id, "bob").await.status, 200);
    assert_refusal(
        &kind.make_admin(&app, &id, "cat").await,
        403,
        FORBIDDEN,
        "the number of admins has reached the limit of 2!",
    );
    assert_eq!(kind.admins(&app, &id).await.len(), 2);
    // Freeing a slot allows another.
    assert_eq!(app.delete(&kind.at(&id, "/admin/amy")).await.status, 200);
    assert_eq!(kind.make_admin(&app, &id, "cat").await.status, 200);
}
both_kinds!(a_room_refuses_an_admin_past_the_configured_limit);

async fn a_room_takes_at_most_99_admins_even_when_promoted_at_once(kind: Kind, pool: PgPool) {
    let names = many("a", 100);
    let (app, id) = kind.start(pool, "olga", &refs(&names)).await;
    let replies =
        futures_util::future::join_all(names.iter().map(|u| kind.make_admin(&app, &id, u))).await;
    let mut refused = 0;
    for r in &replies {
        if r.status != 200 {
            assert_refusal(
                r,
                403,
                FORBIDDEN,
                "the number of admins has reached the limit of 99!",
            );
            refused += 1;
        }
    }
    assert_eq!(refused, 1);
    assert_eq!(kind.admins(&app, &id).await.len(), 99);
    let admin_rows: i64 = sqlx::query_scalar(
        "select count(*) from room_members where room_id = $1::bigint and role = 1",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(admin_rows, 99);
}
both_kinds!(a_room_takes_at_most_99_admins_even_when_promoted_at_once);
