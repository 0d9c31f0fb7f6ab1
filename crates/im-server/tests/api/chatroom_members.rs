//! Chatroom members: the super admins, who have no group counterpart. The member and admin tests
//! shared with groups are in `rooms_members.rs` and `rooms_admins.rs`.

use crate::helpers::*;
use crate::kinds::{many, refs, strings};
use serde_json::json;
use sqlx::PgPool;

async fn super_admins(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/chatrooms/super_admin{query}")).await;
    let b = assert_envelope(&r, "get");
    let list = strings(&b["data"]);
    assert_eq!(b["count"], list.len(), "{b}");
    list
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn super_admins_are_listed_oldest_first_in_pages_without_duplicates(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["sue", "amy", "kim"]).await;
    for u in ["sue", "AMY", "kim"] {
        let r = app
            .post("/chatrooms/super_admin", json!({"superadmin": u}))
            .await;
        assert_eq!(
            assert_envelope(&r, "post")["data"],
            json!({"result": "success", "resource": ""})
        );
    }
    assert_eq!(super_admins(&app, "").await, ["sue", "amy", "kim"]);
    let r = app.get("/chatrooms/super_admin?pagenum=2&pagesize=2").await;
    let b = assert_envelope(&r, "get");
    assert_eq!(strings(&b["data"]), ["kim"]);
    assert_eq!(b["params"], json!({"pagenum": ["2"], "pagesize": ["2"]}));
    assert_eq!(
        super_admins(&app, "?pagenum=1&pagesize=2").await,
        ["sue", "amy"]
    );
    assert_eq!(super_admins(&app, "?pagesize=0").await, ["sue"]);
    // Adding one again is fine and changes nothing.
    let r = app
        .post("/chatrooms/super_admin", json!({"superadmin": "sue"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(super_admins(&app, "").await, ["sue", "amy", "kim"]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_default_super_admin_page_is_10(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = many("s", 12);
    app.register(&refs(&names)).await;
    for u in &names {
        let r = app
            .post("/chatrooms/super_admin", json!({"superadmin": u}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(super_admins(&app, "").await, names[..10]);
    assert_eq!(super_admins(&app, "?pagenum=2").await, names[10..]);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn removing_a_super_admin_and_the_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register(&["sue", "amy"]).await;
    let r = app
        .post("/chatrooms/super_admin", json!({"superadmin": "sue"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.delete("/chatrooms/super_admin/SUE").await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"newSuperAdmin": "sue", "resource": ""})
    );
    assert!(super_admins(&app, "").await.is_empty());
    assert_error(
        &app.delete("/chatrooms/super_admin/amy").await,
        404,
        "resource_not_found",
    );
    let d = assert_error(
        &app.delete("/chatrooms/super_admin/ghost").await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    let d = assert_error(
        &app.post("/chatrooms/super_admin", json!({"superadmin": "ghost"}))
            .await,
        404,
        "resource_not_found",
    );
    assert_eq!(d, "username ghost doesn't exist!");
    assert_error(
        &app.post("/chatrooms/super_admin", json!({})).await,
        400,
        "invalid_parameter",
    );
    assert!(super_admins(&app, "").await.is_empty());
}
