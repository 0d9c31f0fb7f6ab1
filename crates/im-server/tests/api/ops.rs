use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn health_and_ready_answer_without_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app.raw(Method::GET, "/health", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("ok"))
    );
    let r = app.raw(Method::GET, "/ready", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("ok"))
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn ready_is_503_when_the_database_is_gone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    pool.close().await;
    let r = app.raw(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["status"], "unavailable");
    let r = app.raw(Method::GET, "/health", None, None).await;
    assert_eq!(r.status, 200);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.get("/users/nobody").await;
    let text = app.metrics().await;
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/{org_name}/{app_name}/users/{username}",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"db_pool_connections{state="max"}"#),
        "{text}"
    );
}

/// Every route the server serves, as (tenant-relative path, method).
const TENANT_ROUTES: &[(&str, &str)] = &[
    ("/token", "post"),
    ("/users", "post"),
    ("/users", "get"),
    ("/users", "delete"),
    ("/users/{username}", "get"),
    ("/users/{username}", "put"),
    ("/users/{username}", "delete"),
    ("/users/{username}/password", "put"),
    ("/users/{username}/deactivate", "post"),
    ("/users/{username}/activate", "post"),
    ("/users/{username}/joined_chatrooms", "get"),
    ("/users/{username}/disconnect", "get"),
    ("/users/{username}/disconnect/{resource_id}", "delete"),
    ("/mutes", "post"),
    ("/mutes", "get"),
    ("/mutes/{username}", "get"),
    ("/metadata/user/{username}", "put"),
    ("/metadata/user/{username}", "get"),
    ("/metadata/user/{username}", "delete"),
    ("/metadata/user/get", "post"),
    ("/metadata/user/capacity", "get"),
    ("/metadata/chatroom/{chatroom_id}", "post"),
    ("/metadata/chatroom/{chatroom_id}/user/{username}", "put"),
    ("/metadata/chatroom/{chatroom_id}/user/{username}", "delete"),
    (
        "/metadata/chatroom/{chatroom_id}/user/{username}/forced",
        "put",
    ),
    (
        "/metadata/chatroom/{chatroom_id}/user/{username}/forced",
        "delete",
    ),
    ("/chatrooms", "post"),
    ("/chatrooms", "get"),
    ("/chatrooms/super_admin", "get"),
    ("/chatrooms/super_admin", "post"),
    ("/chatrooms/super_admin/{superadmin}", "delete"),
    ("/chatrooms/{chatroom_id}", "get"),
    ("/chatrooms/{chatroom_id}", "put"),
    ("/chatrooms/{chatroom_id}", "delete"),
    ("/chatrooms/{chatroom_id}/users", "get"),
    ("/chatrooms/{chatroom_id}/users", "post"),
    ("/chatrooms/{chatroom_id}/users/{username}", "post"),
    ("/chatrooms/{chatroom_id}/users/{username}", "delete"),
    ("/chatrooms/{chatroom_id}/admin", "get"),
    ("/chatrooms/{chatroom_id}/admin", "post"),
    ("/chatrooms/{chatroom_id}/admin/{oldadmin}", "delete"),
    ("/chatrooms/{chatroom_id}/mute", "get"),
    ("/chatrooms/{chatroom_id}/mute", "post"),
    ("/chatrooms/{chatroom_id}/mute/{usernames}", "delete"),
    ("/chatrooms/{chatroom_id}/ban", "post"),
    ("/chatrooms/{chatroom_id}/ban", "delete"),
    ("/chatrooms/{chatroom_id}/blocks/users", "get"),
    ("/chatrooms/{chatroom_id}/blocks/users", "post"),
    ("/chatrooms/{chatroom_id}/blocks/users/{username}", "post"),
    ("/chatrooms/{chatroom_id}/blocks/users/{username}", "delete"),
    ("/chatrooms/{chatroom_id}/white/users", "get"),
    ("/chatrooms/{chatroom_id}/white/users", "post"),
    ("/chatrooms/{chatroom_id}/white/users/{username}", "post"),
    ("/chatrooms/{chatroom_id}/white/users/{username}", "delete"),
    ("/chatrooms/{chatroom_id}/announcement", "get"),
    ("/chatrooms/{chatroom_id}/announcement", "post"),
    ("/chatrooms/{chatroom_id}/announcement", "put"),
    ("/chatgroups", "post"),
    ("/chatgroups", "get"),
    ("/chatgroups/users/{username}", "get"),
    ("/chatgroups/user/{username}", "get"),
    ("/users/{username}/joined_chatgroups", "get"),
    ("/chatgroups/{group_id}", "get"),
    ("/chatgroups/{group_id}", "put"),
    ("/chatgroups/{group_id}", "delete"),
    ("/chatgroups/{group_id}/disable", "post"),
    ("/chatgroups/{group_id}/enable", "post"),
    ("/chatgroups/{group_id}/user/{username}/is_joined", "post"),
    ("/chatgroups/{group_id}/user/{username}/is_joined", "get"),
    ("/chatgroups/{group_id}/users", "get"),
    ("/chatgroups/{group_id}/users", "post"),
    ("/chatgroups/{group_id}/users/{username}", "post"),
    ("/chatgroups/{group_id}/users/{username}", "delete"),
    ("/chatgroups/{group_id}/admin", "get"),
    ("/chatgroups/{group_id}/admin", "post"),
    ("/chatgroups/{group_id}/admin/{oldadmin}", "delete"),
    ("/chatgroups/{group_id}/mute", "get"),
    ("/chatgroups/{group_id}/mute", "post"),
    ("/chatgroups/{group_id}/mute/{usernames}", "delete"),
    ("/chatgroups/{group_id}/ban", "post"),
    ("/chatgroups/{group_id}/ban", "delete"),
    ("/chatgroups/{group_id}/blocks/users", "get"),
    ("/chatgroups/{group_id}/blocks/users", "post"),
    ("/chatgroups/{group_id}/blocks/users/{username}", "post"),
    ("/chatgroups/{group_id}/blocks/users/{username}", "delete"),
    ("/chatgroups/{group_id}/white/users", "get"),
    ("/chatgroups/{group_id}/white/users", "post"),
    ("/chatgroups/{group_id}/white/users/{username}", "post"),
    ("/chatgroups/{group_id}/white/users/{username}", "delete"),
    ("/chatgroups/{group_id}/announcement", "get"),
    ("/chatgroups/{group_id}/announcement", "post"),
    ("/chatgroups/{group_id}/announcement", "put"),
    ("/metadata/chatgroup/{group_id}/user/{username}", "put"),
    ("/metadata/chatgroup/{group_id}/user/{username}", "get"),
    ("/metadata/chatgroup/{group_id}/get", "post"),
    ("/thread", "get"),
    ("/thread", "post"),
    ("/thread/{thread_id}", "put"),
    ("/thread/{thread_id}", "delete"),
    ("/thread/{thread_id}/users", "get"),
    ("/thread/{thread_id}/users", "post"),
    ("/thread/{thread_id}/users", "delete"),
    ("/threads/{thread_id}/users", "delete"),
    ("/threads/user/{username}", "get"),
    ("/threads/chatgroups/{group_id}/user/{username}", "get"),
    ("/chatgroups/{group_id}/threads", "get"),
    ("/chatgroups/{group_id}/share_files", "post"),
    ("/chatgroups/{group_id}/share_files", "get"),
    ("/chatgroups/{group_id}/share_files/{file_id}", "get"),
    ("/chatgroups/{group_id}/share_files/{file_id}", "delete"),
    ("/callbacks/rules", "get"),
    ("/callbacks/rules", "post"),
    ("/callbacks/rules/{rule_id}", "get"),
    ("/callbacks/rules/{rule_id}", "put"),
    ("/callbacks/rules/{rule_id}", "delete"),
    ("/callbacks/storage", "get"),
    ("/callbacks/storage/info", "get"),
    ("/callbacks/storage/retry", "post"),
    ("/counts", "get"),
];

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_openapi_document_lists_every_endpoint_in_both_url_forms(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/health", "/ready", "/metrics"] {
        assert!(paths[p]["get"]["responses"]["200"].is_object(), "{p}");
    }
    for (p, m) in TENANT_ROUTES {
        for f in [
            format!("/{{org_name}}/{{app_name}}{p}"),
            format!("/app-id/{{app_id}}{p}"),
        ] {
            let op = &paths.get(&f).unwrap_or_else(|| panic!("{f} missing"))[m];
            assert!(op.is_object(), "{m} {f} missing");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("200"), "{m} {f} has no 200");
            for code in ["401", "404", "503"] {
                assert!(responses.contains_key(code), "{m} {f} documents no {code}");
            }
            if op["requestBody"].is_object() {
                for code in ["400", "413"] {
                    assert!(responses.contains_key(code), "{m} {f} documents no {code}");
                }
            }
            // Every operation may meet its app's rate limit.
            assert!(responses.contains_key("429"), "{m} {f} documents no 429");
            for (code, r) in responses {
                if code != "200" {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{m} {f} {code}");
                }
            }
        }
    }
    // Nothing is documented that is not served.
    let documented = paths
        .keys()
        .filter(|k| k.starts_with("/{org_name}"))
        .count();
    let distinct: std::collections::HashSet<&str> = TENANT_ROUTES.iter().map(|(p, _)| *p).collect();
    assert_eq!(documented, distinct.len());
    let by_id = &paths["/app-id/{app_id}/users/{username}"]["get"]["parameters"];
    let names: Vec<&str> = by_id
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app_id", "username"]);
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["schemas"]["ChatroomDetails"].is_object());
    assert!(doc["components"]["securitySchemes"]["app_token"].is_object());
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_docs_page_is_served_from_bundled_assets(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let r = app
        .client
        .get(format!("{}/docs/index.html", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let js = app
        .client
        .get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    // `/docs` leads to the page.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/docs/index.html");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn busy_tables_get_fresh_statistics_when_autovacuum_is_off(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names: Vec<String> = (0..600).map(|i| format!("stat{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    app.register(&refs).await;
    let autovacuum: String = sqlx::query_scalar("select current_setting('autovacuum')")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    if autovacuum == "on" {
        // PostgreSQL keeps statistics itself; the keeper stays out of the way.
        let analyzed = im_store::refresh_statistics(&im_store::Db::new(app.pool.clone()))
            .await
            .unwrap();
        assert!(analyzed.is_empty(), "{analyzed:?}");
        return;
    }
    // Server backends report their counts to shared statistics with a delay of up to a second.
    let mut analyzed = Vec::new();
    for _ in 0..50 {
        analyzed = im_store::refresh_statistics(&im_store::Db::new(app.pool.clone()))
            .await
            .unwrap();
        if !analyzed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(analyzed.contains(&"users".to_owned()), "{analyzed:?}");
    let pending: i64 = sqlx::query_scalar(
        "select n_mod_since_analyze from pg_stat_user_tables where relname = 'users'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(pending < 500, "{pending}");
    // Nothing changed since: nothing to do.
    assert!(
        im_store::refresh_statistics(&im_store::Db::new(app.pool.clone()))
            .await
            .unwrap()
            .is_empty()
    );
}

// ---- the document tells the truth ----

/// Checks `value` against `schema` (the JSON Schema subset the document uses: `$ref`, `type`,
/// `enum`, `oneOf`, `allOf`, `required`, `properties`, `additionalProperties`, `items`, `minItems`,
/// `maxItems`, `minProperties`, `minimum`, `maximum`; not `pattern`). Returns the first mismatch.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "dangling {r}");
        return check(doc, target, value, at);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        check(doc, part, value, at)?;
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        let fits = branches
            .iter()
            .filter(|b| check(doc, b, value, at).is_ok())
            .count();
        if fits != 1 {
            return Err(format!("{at}: {fits} oneOf branches match {value}"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let fits = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| fits(t)) {
        return Err(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| n < m)
            || schema["maximum"].as_f64().is_some_and(|m| n > m)
        {
            return Err(format!("{at}: {value} is out of range"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !fields.contains_key(name) {
                return Err(format!("{at}: required `{name}` missing in {value}"));
            }
        }
        if let Some(min) = schema["minProperties"].as_u64() {
            if (fields.len() as u64) < min {
                return Err(format!("{at}: fewer than {min} properties"));
            }
        }
        for (k, v) in fields {
            let at = format!("{at}.{k}");
            match (&schema["properties"][k], &schema["additionalProperties"]) {
                (p, _) if p.is_object() => check(doc, p, v, &at)?,
                (_, Value::Bool(false)) => return Err(format!("{at}: not allowed")),
                (_, extra) if extra.is_object() => check(doc, extra, v, &at)?,
                _ => {}
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(min) = schema["minItems"].as_u64() {
            if (items.len() as u64) < min {
                return Err(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(max) = schema["maxItems"].as_u64() {
            if (items.len() as u64) > max {
                return Err(format!("{at}: more than {max} items"));
            }
        }
        if schema["items"].is_object() {
            for (i, v) in items.iter().enumerate() {
                check(doc, &schema["items"], v, &format!("{at}[{i}]"))?;
            }
        }
    }
    Ok(())
}

async fn document(app: &TestApp) -> Value {
    app.raw(Method::GET, "/openapi.json", None, None).await.body
}

/// Asserts that a reply is what the document says `method path` answers with its status.
#[track_caller]
fn conforms(doc: &Value, method: &str, path: &str, r: &Reply) {
    let op = &doc["paths"][format!("/{{org_name}}/{{app_name}}{path}")][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let status = r.status.as_str();
    let schema = &op["responses"][status]["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} documents no {status}: {}",
        r.body
    );
    if let Err(e) = check(doc, schema, &r.body, "body") {
        panic!("{method} {path} {status}: {e}\n{}", r.body);
    }
}

fn request_schema<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][format!("/{{org_name}}/{{app_name}}{path}")][method]["requestBody"]["content"]
        ["application/json"]["schema"]
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn every_operation_has_its_own_id(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let mut seen = std::collections::HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("{id} names both {other} and {method} {path}");
            }
        }
    }
    assert_eq!(
        doc["paths"]["/{org_name}/{app_name}/users/{username}"]["delete"]["operationId"],
        "users_delete"
    );
    assert_eq!(
        doc["paths"]["/app-id/{app_id}/users/{username}"]["delete"]["operationId"],
        "users_delete_by_app_id"
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_register_body_is_one_user_or_an_array_of_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let schema = request_schema(&doc, "post", "/users");
    let one = json!({"username": "amy", "password": "pw", "nickname": "Amy"});
    for body in [
        one.clone(),
        json!([one.clone(), {"username": "bob", "password": "pw"}]),
    ] {
        check(&doc, schema, &body, "body").unwrap();
        let r = app.post("/users", body).await;
        conforms(&doc, "post", "/users", &r);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for bad in [
        json!({"One": one}),
        json!([]),
        json!({"password": "pw"}),
        json!({"username": 7, "password": "pw"}),
    ] {
        assert!(check(&doc, schema, &bad, "body").is_err(), "{bad}");
    }
}

/// Every schema a request body can take, with the field path that led to it.
fn request_schemas(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let s = &op["requestBody"]["content"]["application/json"]["schema"];
            if s.is_object() {
                out.push((format!("{method} {path}"), s.clone()));
            }
        }
    }
    out
}

fn nullable(doc: &Value, schema: &Value) -> bool {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return nullable(doc, &doc["components"]["schemas"][name]);
    }
    schema["type"] == "null"
        || schema["type"]
            .as_array()
            .is_some_and(|ts| ts.iter().any(|t| t == "null"))
        || ["oneOf", "anyOf"].iter().any(|k| {
            schema[*k]
                .as_array()
                .is_some_and(|bs| bs.iter().any(|b| nullable(doc, b)))
        })
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn no_field_is_documented_nullable_and_request_fields_say_whether_they_are_required(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    // The server never answers `null`, and a client need not send it: nothing is nullable.
    fn walk(doc: &Value, v: &Value, at: &str) {
        match v {
            Value::Object(o) => {
                assert!(!nullable(doc, v), "{at} is nullable");
                for (k, c) in o {
                    walk(doc, c, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    walk(doc, c, &format!("{at}[{i}]"));
                }
            }
            _ => {}
        }
    }
    walk(&doc, &doc, "#");
    for (op, s) in request_schemas(&doc) {
        check(&doc, &s, &json!(null), &op).unwrap_err();
    }
    let required = |name: &str| -> Vec<String> {
        let mut r: Vec<String> = doc["components"]["schemas"][name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} requires nothing"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        r.sort();
        r
    };
    assert_eq!(required("RegisterUser"), ["password", "username"]);
    assert_eq!(required("PasswordBody"), ["newpassword"]);
    assert_eq!(required("NicknameBody"), ["nickname"]);
    assert_eq!(required("CreateChatroom"), ["description", "name", "owner"]);
    assert_eq!(
        required("CreateGroup"),
        ["description", "groupname", "owner", "public"]
    );
    assert_eq!(required("UsernamesBody"), ["usernames"]);
    assert_eq!(required("MuteBody"), ["mute_duration", "usernames"]);
    assert_eq!(required("NewAdminBody"), ["newadmin"]);
    assert_eq!(required("SuperAdminBody"), ["superadmin"]);
    assert_eq!(required("AnnouncementBody"), ["announcement"]);
    assert_eq!(
        required("ClientCredentialsGrant"),
        ["client_id", "client_secret", "grant_type"]
    );
    assert_eq!(
        required("PasswordGrant"),
        ["grant_type", "password", "username"]
    );
    assert_eq!(required("InheritGrant"), ["grant_type", "username"]);
    // Always-present response fields are required, sometimes-present ones are not.
    assert_eq!(
        required("UserPageEnvelope")
            .iter()
            .filter(|f| ["count", "cursor", "data"].contains(&f.as_str()))
            .collect::<Vec<_>>(),
        ["count"]
    );
    assert!(required("ChatroomListEnvelope").contains(&"data".to_owned()));
    assert!(!required("RegisterEnvelope").contains(&"data".to_owned()));
    assert!(!required("TokenResponse").contains(&"user".to_owned()));
    assert!(!required("UserEntity").contains(&"nickname".to_owned()));
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn users_and_tokens_answer_what_the_document_says(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let c = app.creds.clone();
    let body = json!({"grant_type": "client_credentials", "client_id": c.client_id,
                      "client_secret": c.client_secret, "ttl": "3600"});
    check(&doc, request_schema(&doc, "post", "/token"), &body, "body").unwrap();
    let r = app
        .raw(Method::POST, &app.path("/token"), None, Some(body))
        .await;
    conforms(&doc, "post", "/token", &r);
    app.register(&["amy", "bob", "cat"]).await;
    let r = app.user_token("amy", "pw-amy").await;
    conforms(&doc, "post", "/token", &r);
    assert!(r.body["user"].is_object());
    let r = app.user_token("amy", "wrong").await;
    conforms(&doc, "post", "/token", &r);
    let r = app
        .post("/users", json!({"username": "amy", "password": "x"}))
        .await;
    conforms(&doc, "post", "/users", &r);
    let r = app
        .post(
            "/users",
            json!([{"username": "amy", "password": "pw-amy"}, {"username": "dan", "password": "x"}]),
        )
        .await;
    conforms(&doc, "post", "/users", &r);
    assert!(r.body["data"].is_array());
    conforms(
        &doc,
        "get",
        "/users/{username}",
        &app.get("/users/amy").await,
    );
    conforms(
        &doc,
        "get",
        "/users/{username}",
        &app.get("/users/nobody").await,
    );
    let r = app.get("/users?limit=2").await;
    assert!(r.body["cursor"].is_string());
    conforms(&doc, "get", "/users", &r);
    conforms(&doc, "get", "/users", &app.get("/users?cursor=bogus").await);
    let r = app.put("/users/amy", json!({"nickname": "Amy"})).await;
    conforms(&doc, "put", "/users/{username}", &r);
    let r = app
        .put("/users/amy/password", json!({"newpassword": "new"}))
        .await;
    conforms(&doc, "put", "/users/{username}/password", &r);
    for action in ["deactivate", "activate"] {
        let r = app
            .call(Method::POST, &format!("/users/bob/{action}"), None)
            .await;
        conforms(&doc, "post", &format!("/users/{{username}}/{action}"), &r);
    }
    let r = app.get("/users/amy/joined_chatrooms").await;
    conforms(&doc, "get", "/users/{username}/joined_chatrooms", &r);
    conforms(
        &doc,
        "delete",
        "/users/{username}",
        &app.delete("/users/cat").await,
    );
    let r = app.delete("/users?limit=1").await;
    assert!(r.body["cursor"].is_string());
    conforms(&doc, "delete", "/users", &r);
    let r = app.raw(Method::GET, &app.path("/users"), None, None).await;
    conforms(&doc, "get", "/users", &r);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn chatrooms_answer_what_the_document_says(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    app.register(&["olga", "amy", "bob", "cat", "dan"]).await;
    let create =
        json!({"name": "r", "description": "", "owner": "olga", "members": ["amy", "bob", "cat"]});
    check(
        &doc,
        request_schema(&doc, "post", "/chatrooms"),
        &create,
        "body",
    )
    .unwrap();
    let r = app.post("/chatrooms", create).await;
    conforms(&doc, "post", "/chatrooms", &r);
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let room = |p: &str| format!("/chatrooms/{id}{p}");
    app.post(
        "/chatrooms",
        json!({"name": "r2", "description": "d", "owner": "olga"}),
    )
    .await;
    let steps: Vec<(&str, &str, String, Option<Value>)> = vec![
        ("get", "/chatrooms", "/chatrooms?limit=1".into(), None),
        ("get", "/chatrooms/{chatroom_id}", room(""), None),
        (
            "get",
            "/chatrooms/{chatroom_id}",
            format!("/chatrooms/{id},99"),
            None,
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}",
            "/chatrooms/99".into(),
            None,
        ),
        (
            "put",
            "/chatrooms/{chatroom_id}",
            room(""),
            Some(json!({"name": "n", "maxusers": 50})),
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/users",
            room("/users"),
            None,
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/users",
            room("/users?version=v3&limit=2"),
            None,
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/users",
            room("/users?version=v3&limit=2&cursor=bogus"),
            None,
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/users",
            room("/users?pagenum=9&pagesize=10"),
            None,
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/users",
            room("/users?version=v3&limit=10"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/users/{username}",
            room("/users/cat"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/users/{username}",
            room("/users/cat"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/users/{username}",
            room("/users/cat"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/users/{username}",
            room("/users/cat,dan"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/users",
            room("/users"),
            Some(json!({"usernames": ["cat", "dan"]})),
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/admin",
            room("/admin"),
            Some(json!({"newadmin": "amy"})),
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/admin",
            room("/admin"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/admin/{oldadmin}",
            room("/admin/amy"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/mute",
            room("/mute"),
            Some(json!({"usernames": ["amy", "olga"], "mute_duration": 60000})),
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/mute",
            room("/mute"),
            Some(json!({"usernames": ["amy", "ghost"], "mute_duration": -1})),
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/mute",
            room("/mute"),
            Some(json!({"usernames": ["amy", "cat"], "mute_duration": -1})),
        ),
        ("get", "/chatrooms/{chatroom_id}/mute", room("/mute"), None),
        (
            "delete",
            "/chatrooms/{chatroom_id}/mute/{usernames}",
            room("/mute/amy,bob"),
            None,
        ),
        ("post", "/chatrooms/{chatroom_id}/ban", room("/ban"), None),
        ("delete", "/chatrooms/{chatroom_id}/ban", room("/ban"), None),
        (
            "post",
            "/chatrooms/{chatroom_id}/white/users/{username}",
            room("/white/users/amy"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/white/users",
            room("/white/users"),
            Some(json!({"usernames": ["bob", "nobody"]})),
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/white/users",
            room("/white/users"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/white/users/{username}",
            room("/white/users/amy,cat"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/blocks/users/{username}",
            room("/blocks/users/amy"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/blocks/users",
            room("/blocks/users"),
            Some(json!({"usernames": ["bob", "cat"]})),
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/blocks/users",
            room("/blocks/users"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/blocks/users/{username}",
            room("/blocks/users/amy"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/blocks/users/{username}",
            room("/blocks/users/amy"),
            None,
        ),
        (
            "delete",
            "/chatrooms/{chatroom_id}/blocks/users/{username}",
            room("/blocks/users/bob,cat"),
            None,
        ),
        (
            "post",
            "/chatrooms/{chatroom_id}/announcement",
            room("/announcement"),
            Some(json!({"announcement": "hi"})),
        ),
        (
            "put",
            "/chatrooms/{chatroom_id}/announcement",
            room("/announcement"),
            Some(json!({"announcement": "ho"})),
        ),
        (
            "get",
            "/chatrooms/{chatroom_id}/announcement",
            room("/announcement"),
            None,
        ),
        (
            "get",
            "/users/{username}/joined_chatrooms",
            "/users/olga/joined_chatrooms".into(),
            None,
        ),
        (
            "post",
            "/chatrooms/super_admin",
            "/chatrooms/super_admin".into(),
            Some(json!({"superadmin": "dan"})),
        ),
        (
            "get",
            "/chatrooms/super_admin",
            "/chatrooms/super_admin?pagenum=1&pagesize=5".into(),
            None,
        ),
        (
            "delete",
            "/chatrooms/super_admin/{superadmin}",
            "/chatrooms/super_admin/dan".into(),
            None,
        ),
        (
            "put",
            "/chatrooms/{chatroom_id}",
            room(""),
            Some(json!({"newowner": "bob"})),
        ),
        ("delete", "/chatrooms/{chatroom_id}", room(""), None),
        ("delete", "/chatrooms/{chatroom_id}", room(""), None),
    ];
    for (method, doc_path, path, body) in steps {
        if let Some(b) = &body {
            check(&doc, request_schema(&doc, method, doc_path), b, "body")
                .unwrap_or_else(|e| panic!("{method} {doc_path}: {e}"));
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = app.call(m, &path, body).await;
        conforms(&doc, method, doc_path, &r);
    }
    // An unknown field is refused, as the document says.
    let bogus = json!({"bogus": 1});
    assert!(check(
        &doc,
        request_schema(&doc, "put", "/chatrooms/{chatroom_id}"),
        &bogus,
        "body"
    )
    .is_err());
    let r = app.put("/chatrooms/1", bogus).await;
    conforms(&doc, "put", "/chatrooms/{chatroom_id}", &r);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn groups_answer_what_the_document_says(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    app.register(&["olga", "amy", "bob", "cat", "dan"]).await;
    let create = json!({"groupname": "g", "description": "", "public": true, "owner": "olga",
        "members": ["amy", "bob", "cat"]});
    check(
        &doc,
        request_schema(&doc, "post", "/chatgroups"),
        &create,
        "body",
    )
    .unwrap();
    let r = app.post("/chatgroups", create).await;
    conforms(&doc, "post", "/chatgroups", &r);
    let id = r.body["data"]["groupid"].as_str().unwrap().to_owned();
    let g = |p: &str| format!("/chatgroups/{id}{p}");
    app.post(
        "/chatgroups",
        json!({"groupname": "g2", "description": "d", "public": false, "owner": "olga"}),
    )
    .await;
    let steps: Vec<(&str, &str, String, Option<Value>)> = vec![
        ("get", "/chatgroups", "/chatgroups?limit=1".into(), None),
        ("get", "/chatgroups/{group_id}", g(""), None),
        (
            "get",
            "/chatgroups/{group_id}",
            format!("/chatgroups/{id},99"),
            None,
        ),
        (
            "get",
            "/chatgroups/{group_id}",
            "/chatgroups/99".into(),
            None,
        ),
        (
            "put",
            "/chatgroups/{group_id}",
            g(""),
            Some(json!({"name": "n", "maxusers": 50, "public": false})),
        ),
        (
            "get",
            "/chatgroups/users/{username}",
            "/chatgroups/users/amy?pagesize=1".into(),
            None,
        ),
        (
            "get",
            "/chatgroups/user/{username}",
            "/chatgroups/user/amy".into(),
            None,
        ),
        (
            "get",
            "/users/{username}/joined_chatgroups",
            "/users/dan/joined_chatgroups".into(),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/user/{username}/is_joined",
            g("/user/amy/is_joined"),
            None,
        ),
        (
            "get",
            "/chatgroups/{group_id}/user/{username}/is_joined",
            g("/user/dan/is_joined"),
            None,
        ),
        ("get", "/chatgroups/{group_id}/users", g("/users"), None),
        (
            "get",
            "/chatgroups/{group_id}/users",
            g("/users?version=v3&limit=2"),
            None,
        ),
        (
            "delete",
            "/chatgroups/{group_id}/users/{username}",
            g("/users/cat"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/users/{username}",
            g("/users/cat"),
            None,
        ),
        (
            "delete",
            "/chatgroups/{group_id}/users/{username}",
            g("/users/cat,dan"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/users",
            g("/users"),
            Some(json!({"usernames": ["cat", "dan"]})),
        ),
        (
            "post",
            "/chatgroups/{group_id}/admin",
            g("/admin"),
            Some(json!({"newadmin": "amy"})),
        ),
        ("get", "/chatgroups/{group_id}/admin", g("/admin"), None),
        (
            "delete",
            "/chatgroups/{group_id}/admin/{oldadmin}",
            g("/admin/amy"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/mute",
            g("/mute"),
            Some(json!({"usernames": ["amy", "ghost"], "mute_duration": 60000})),
        ),
        ("get", "/chatgroups/{group_id}/mute", g("/mute"), None),
        (
            "delete",
            "/chatgroups/{group_id}/mute/{usernames}",
            g("/mute/amy,bob"),
            None,
        ),
        ("post", "/chatgroups/{group_id}/ban", g("/ban"), None),
        ("delete", "/chatgroups/{group_id}/ban", g("/ban"), None),
        (
            "post",
            "/chatgroups/{group_id}/white/users/{username}",
            g("/white/users/amy"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/white/users",
            g("/white/users"),
            Some(json!({"usernames": ["bob", "nobody"]})),
        ),
        (
            "get",
            "/chatgroups/{group_id}/white/users",
            g("/white/users"),
            None,
        ),
        (
            "delete",
            "/chatgroups/{group_id}/white/users/{username}",
            g("/white/users/amy,cat"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/blocks/users/{username}",
            g("/blocks/users/amy"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/blocks/users",
            g("/blocks/users"),
            Some(json!({"usernames": ["bob", "cat"]})),
        ),
        (
            "get",
            "/chatgroups/{group_id}/blocks/users",
            g("/blocks/users"),
            None,
        ),
        (
            "delete",
            "/chatgroups/{group_id}/blocks/users/{username}",
            g("/blocks/users/amy"),
            None,
        ),
        (
            "delete",
            "/chatgroups/{group_id}/blocks/users/{username}",
            g("/blocks/users/bob,cat"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/announcement",
            g("/announcement"),
            Some(json!({"announcement": "hi"})),
        ),
        (
            "put",
            "/chatgroups/{group_id}/announcement",
            g("/announcement"),
            Some(json!({"announcement": "ho"})),
        ),
        (
            "get",
            "/chatgroups/{group_id}/announcement",
            g("/announcement"),
            None,
        ),
        (
            "put",
            "/metadata/chatgroup/{group_id}/user/{username}",
            format!("/metadata/chatgroup/{id}/user/dan"),
            Some(json!({"metaData": {"k": "v", "n": "1"}})),
        ),
        (
            "get",
            "/metadata/chatgroup/{group_id}/user/{username}",
            format!("/metadata/chatgroup/{id}/user/dan"),
            None,
        ),
        (
            "post",
            "/metadata/chatgroup/{group_id}/get",
            format!("/metadata/chatgroup/{id}/get"),
            Some(json!({"targets": ["dan", "olga"], "properties": ["k"]})),
        ),
        (
            "post",
            "/chatgroups/{group_id}/disable",
            g("/disable"),
            None,
        ),
        (
            "post",
            "/chatgroups/{group_id}/announcement",
            g("/announcement"),
            Some(json!({"announcement": "no"})),
        ),
        ("post", "/chatgroups/{group_id}/enable", g("/enable"), None),
        (
            "put",
            "/chatgroups/{group_id}",
            g(""),
            Some(json!({"newowner": "dan"})),
        ),
        ("delete", "/chatgroups/{group_id}", g(""), None),
        ("delete", "/chatgroups/{group_id}", g(""), None),
    ];
    for (method, doc_path, path, body) in steps {
        if let Some(b) = &body {
            check(&doc, request_schema(&doc, method, doc_path), b, "body")
                .unwrap_or_else(|e| panic!("{method} {doc_path}: {e}"));
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = app.call(m, &path, body).await;
        conforms(&doc, method, doc_path, &r);
    }
    let bogus = json!({"bogus": 1});
    assert!(check(
        &doc,
        request_schema(&doc, "put", "/chatgroups/{group_id}"),
        &bogus,
        "body"
    )
    .is_err());
    let r = app.put("/chatgroups/1", bogus).await;
    conforms(&doc, "put", "/chatgroups/{group_id}", &r);
}

/// Each HTTP worker reads and writes through a pool of its own (connections stay on the thread
/// that opened them); the pools together keep to the configured size, and they go with the pool
/// the server was built on.
#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn several_workers_share_the_connections_out_and_close_with_the_database(pool: PgPool) {
    let max = pool.options().get_max_connections();
    let app = TestApp::spawn_with(pool.clone(), |s| s.server.workers = 2).await;
    let names: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
    app.register(&names.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    let paths: Vec<String> = names.iter().map(|n| format!("/users/{n}")).collect();
    let reads = paths.iter().map(|p| app.get(p));
    for r in futures_util::future::join_all(reads).await {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let text = app.metrics().await;
    let expected = format!(r#"db_pool_connections{{state="max"}} {}"#, max / 2 * 2);
    assert!(text.contains(&expected), "{expected} in {text}");
    let workers = "select count(distinct application_name) from pg_stat_activity \
                   where datname = current_database() and application_name like 'imserver worker %'";
    let seen: i64 = sqlx::query_scalar(workers).fetch_one(&pool).await.unwrap();
    assert_eq!(seen, 2, "each worker reads through connections of its own");
    let mut watcher =
        <sqlx::PgConnection as sqlx::Connection>::connect_with(&pool.connect_options())
            .await
            .unwrap();
    pool.close().await;
    let r = app.get("/users/w1").await;
    assert_eq!(r.status, 503, "{}", r.body);
    let r = app.raw(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, 503);
    let mut left: i64 = -1;
    for _ in 0..100 {
        left = sqlx::query_scalar(workers)
            .fetch_one(&mut watcher)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the worker pools close with the server's pool");
}
