//! Shared-file test helpers: stores, multipart forms, uploads and downloads, and the scenarios
//! run against both stores (`group_files.rs`, `group_files_s3.rs`).

use crate::groups::setup;
use crate::helpers::*;
use im_server::settings::Settings;
use im_store::objects::{FilesConfig, Objects};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::json;

pub const MB10: usize = 10 * 1024 * 1024;

/// A fresh directory for one test's objects.
pub fn local_files() -> FilesConfig {
    let dir = std::env::temp_dir().join(format!("imserver-files-{}", uuid::Uuid::new_v4()));
    FilesConfig {
        dir: dir.to_string_lossy().into_owned(),
        ..FilesConfig::default()
    }
}

pub fn with_files(files: &FilesConfig) -> impl FnOnce(&mut Settings) {
    let files = files.clone();
    move |s| s.files = files
}

/// Every object in the store.
pub async fn objects_in(files: &FilesConfig) -> Vec<String> {
    use futures_util::TryStreamExt;
    let store = Objects::open(files).unwrap();
    let found: Vec<(String, i64)> = store.list().try_collect().await.unwrap();
    found.into_iter().map(|(k, _)| k).collect()
}

pub async fn file_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from group_files")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// One part of a multipart form.
pub struct Part<'a> {
    pub name: &'a str,
    pub filename: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// A multipart/form-data body and its `Content-Type`.
pub fn form(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut cd = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.filename {
            cd.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(cd.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn file_form(filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    form(&[Part {
        name: "file",
        filename: Some(filename),
        content_type: Some(content_type),
        bytes,
    }])
}

/// Sends a form to `path` (under this app's named prefix unless it starts with `/app-id`).
pub async fn send_form(
    app: &TestApp,
    path: &str,
    token: &str,
    (content_type, body): (String, Vec<u8>),
    headers: &[(&str, &str)],
) -> Reply {
    let path = if path.starts_with("/app-id") {
        path.to_owned()
    } else {
        app.path(path)
    };
    let mut rb = app
        .client
        .post(format!("{}{path}", app.base))
        .header(CONTENT_TYPE, content_type)
        .body(body);
    if !token.is_empty() {
        rb = rb.bearer_auth(token);
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    TestApp::reply(rb.send().await.unwrap()).await
}

pub async fn upload(app: &TestApp, group: &str, name: &str, ctype: &str, bytes: &[u8]) -> Reply {
    let path = format!("/chatgroups/{group}/share_files");
    send_form(app, &path, &app.token, file_form(name, ctype, bytes), &[]).await
}

pub async fn download(app: &TestApp, group: &str, file: &str) -> reqwest::Response {
    app.client
        .get(format!(
            "{}{}",
            app.base,
            app.path(&format!("/chatgroups/{group}/share_files/{file}"))
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
}

/// Sends raw bytes and reads what comes back until the server closes or a second passes.
pub async fn raw_http(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) =
        tokio::time::timeout(std::time::Duration::from_secs(1), s.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bytes that are not text and differ at every offset that matters.
pub fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[i % 4] ^ seed)
        .collect()
}

/// Upload, list, download byte for byte (also under the app-id form), delete: the object goes.
pub async fn round_trip(app: &TestApp, files: &FilesConfig) {
    let g = setup(app, "olga", &["amy"]).await;
    let small = pattern(13_512, 1);
    let r = upload(app, &g, "IMG_3.JPG", "image/jpeg", &small).await;
    let d = &assert_envelope(&r, "post")["data"];
    let first = d["file_id"].as_str().unwrap().to_owned();
    assert_eq!(d["group_id"], g.as_str());
    assert_eq!(d["file_name"], "IMG_3.JPG");
    assert_eq!(d["file_size"], 13_512);
    assert!(d["created"].is_i64());
    assert!(d["file_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/acme/chat/chatgroups/{g}/share_files/{first}")));
    let big = pattern(3 * 1024 * 1024 + 7, 2);
    let name = "报告 2026 (final).bin";
    let by_id = format!("/app-id/{}/chatgroups/{g}/share_files", app.creds.app_id);
    let r = send_form(
        app,
        &by_id,
        &app.token,
        file_form(name, "application/x-thing", &big),
        &[("restrict-access", "true")],
    )
    .await;
    let second = assert_envelope(&r, "post")["data"]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app
        .get(&format!(
            "/chatgroups/{g}/share_files?pagenum=1&pagesize=10"
        ))
        .await;
    let b = assert_envelope(&r, "get");
    assert_eq!(b["params"], json!({"pagenum": ["1"], "pagesize": ["10"]}));
    let listed = b["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{b}");
    assert_eq!(listed[0]["file_id"], second.as_str(), "newest first");
    assert_eq!(listed[0]["file_name"], name);
    assert_eq!(
        listed[0]["file_owner"], "olga",
        "an app token's file is the owner's"
    );
    assert_eq!(listed[0]["file_size"], big.len());
    assert_eq!(listed[1]["file_id"], first.as_str());

    for (id, bytes, ctype) in [
        (&first, &small, "image/jpeg"),
        (&second, &big, "application/x-thing"),
    ] {
        let resp = download(app, &g, id).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()[CONTENT_TYPE], ctype);
        assert_eq!(
            resp.headers()[CONTENT_LENGTH],
            bytes.len().to_string().as_str()
        );
        let got = resp.bytes().await.unwrap();
        assert!(got[..] == bytes[..], "the bytes differ");
    }
    let resp = download(app, &g, &second).await;
    let cd = resp.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.starts_with("attachment; filename=\""), "{cd}");
    assert!(
        cd.ends_with("filename*=UTF-8''%E6%8A%A5%E5%91%8A%202026%20%28final%29.bin"),
        "{cd}"
    );
    assert_eq!(objects_in(files).await.len(), 2);

    let r = app
        .delete(&format!("/chatgroups/{g}/share_files/{first}"))
        .await;
    assert_eq!(
        assert_envelope(&r, "delete")["data"],
        json!({"group_id": g, "file_id": first, "result": true})
    );
    let r = download(app, &g, &first).await;
    assert_eq!(r.status(), 404);
    let r = app
        .delete(&format!("/chatgroups/{g}/share_files/{first}"))
        .await;
    assert_error(&r, 404, "resource_not_found");
    assert_eq!(objects_in(files).await.len(), 1);
    assert_eq!(file_rows(app).await, 1);

    // Deleting the group removes its files' objects.
    let r = app.delete(&format!("/chatgroups/{g}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(objects_in(files).await.is_empty());
    assert_eq!(file_rows(app).await, 0);
}

/// A file of exactly the limit is stored whole; one byte more is 413 and leaves nothing behind.
pub async fn the_limit_is_exact(app: &TestApp, files: &FilesConfig) {
    let g = setup(app, "olga", &[]).await;
    let max = files.max_file_bytes as usize;
    let exact = pattern(max, 3);
    let r = upload(app, &g, "exact.bin", "application/octet-stream", &exact).await;
    let id = assert_envelope(&r, "post")["data"]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = download(app, &g, &id).await.bytes().await.unwrap();
    assert_eq!(got.len(), max);
    assert!(got[..] == exact[..], "the bytes differ");

    let over = pattern(max + 1, 4);
    let r = upload(app, &g, "over.bin", "application/octet-stream", &over).await;
    assert_error(&r, 413, "request_entity_too_large");
    assert_eq!(file_rows(app).await, 1);
    assert_eq!(objects_in(files).await.len(), 1);
}
