//! Group shared files over the local-directory store: the round trip, the limits, bad input,
//! the rules and the bounds.

use crate::group_files_common::*;
use crate::groups::setup;
use crate::helpers::*;
use im_store::objects::Objects;
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn shared_files_upload_list_download_and_delete_in_a_directory(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    round_trip(&app, &files).await;
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_file_of_exactly_ten_megabytes_is_stored_and_one_byte_more_is_refused(pool: PgPool) {
    let files = local_files();
    assert_eq!(files.max_file_bytes as usize, MB10);
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    the_limit_is_exact(&app, &files).await;
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn bad_forms_are_refused_and_store_nothing(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let path = format!("/chatgroups/{g}/share_files");
    let t = app.token.clone();

    // No `file` part.
    let other = form(&[Part {
        name: "note",
        filename: None,
        content_type: None,
        bytes: b"hi",
    }]);
    let d = assert_error(
        &send_form(&app, &path, &t, other, &[]).await,
        400,
        "invalid_parameter",
    );
    assert!(d.contains("file must be provided"), "{d}");
    // An empty file.
    let r = upload(&app, &g, "empty.txt", "text/plain", b"").await;
    let d = assert_error(&r, 400, "invalid_parameter");
    assert!(d.contains("empty"), "{d}");
    // A body cut off in the middle of the file.
    let (ct, mut body) = file_form("cut.bin", "application/octet-stream", &pattern(500_000, 5));
    body.truncate(300_000);
    assert_error(
        &send_form(&app, &path, &t, (ct, body), &[]).await,
        400,
        "invalid_parameter",
    );
    // Not a form at all.
    let r = app.post(&path, json!({"file": "x"})).await;
    assert_error(&r, 400, "invalid_parameter");
    // A bad restrict-access header; a NUL in the name.
    let r = send_form(
        &app,
        &path,
        &t,
        file_form("a.txt", "text/plain", b"x"),
        &[("restrict-access", "maybe")],
    )
    .await;
    assert_error(&r, 400, "invalid_parameter");
    let r = upload(&app, &g, "a\0b.txt", "text/plain", b"x").await;
    assert_error(&r, 400, "invalid_parameter");
    // A declared length far over the limit is refused before the body is read.
    let r = raw_http(&app, &format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n--x\r\n",
        app.path(&path), 2 * MB10
    )).await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    assert!(r.contains("request_entity_too_large"), "{r}");
    assert_eq!(file_rows(&app).await, 0);
    assert!(objects_in(&files).await.is_empty());
    // A name that is a path keeps its last component; no Content-Type reads as octet-stream.
    let plain = form(&[Part {
        name: "file",
        filename: Some("/tmp/dir/x.txt"),
        content_type: None,
        bytes: b"abc",
    }]);
    let r = send_form(&app, &path, &t, plain, &[]).await;
    let d = &assert_envelope(&r, "post")["data"];
    assert_eq!(d["file_name"], "x.txt");
    let resp = download(&app, &g, d["file_id"].as_str().unwrap()).await;
    assert_eq!(resp.headers()[CONTENT_TYPE], "application/octet-stream");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn files_are_found_only_in_their_own_group_and_app(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &["amy"]).await;
    let other = crate::groups::group(&app, "amy", &[]).await;
    let r = upload(&app, &g, "a.txt", "text/plain", b"abc").await;
    let id = assert_envelope(&r, "post")["data"]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (group, file) in [
        (&other, id.as_str()),
        (&g, "not-a-uuid"),
        (&g, "00000000-0000-0000-0000-000000000000"),
    ] {
        let d = assert_error(
            &app.get(&format!("/chatgroups/{group}/share_files/{file}"))
                .await,
            404,
            "resource_not_found",
        );
        assert!(d.contains(&format!("file {file} does not exist")), "{d}");
        assert_error(
            &app.delete(&format!("/chatgroups/{group}/share_files/{file}"))
                .await,
            404,
            "resource_not_found",
        );
    }
    // Another app's token on this app's path is refused; on its own path the group is unknown.
    let creds = app.other_app("beta", "chat2").await;
    let token = app.app_token_for(&creds).await;
    let theirs = format!(
        "/{}/{}/chatgroups/{g}/share_files/{id}",
        creds.org, creds.app
    );
    let r = app.raw(Method::GET, &theirs, Some(&token), None).await;
    let d = assert_error(&r, 404, "resource_not_found");
    assert!(d.contains(&format!("grpID {g} does not exist")), "{d}");
    let r = app
        .raw(
            Method::GET,
            &app.path(&format!("/chatgroups/{g}/share_files/{id}")),
            Some(&token),
            None,
        )
        .await;
    assert_error(&r, 401, "unauthorized");
    // An unknown group, on every endpoint.
    let r = upload(&app, "42", "a.txt", "text/plain", b"abc").await;
    assert_error(&r, 404, "resource_not_found");
    assert_error(
        &app.get("/chatgroups/42/share_files").await,
        404,
        "resource_not_found",
    );
    assert_error(
        &app.get(&format!("/chatgroups/42/share_files/{id}")).await,
        404,
        "resource_not_found",
    );
    assert_error(
        &app.delete(&format!("/chatgroups/42/share_files/{id}"))
            .await,
        404,
        "resource_not_found",
    );
    // No token.
    let r = app
        .raw(
            Method::GET,
            &app.path(&format!("/chatgroups/{g}/share_files")),
            None,
            None,
        )
        .await;
    assert_error(&r, 401, "unauthorized");
    let r = send_form(
        &app,
        &format!("/chatgroups/{g}/share_files"),
        "",
        file_form("a", "text/plain", b"x"),
        &[],
    )
    .await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(file_rows(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_disabled_group_refuses_uploads_and_deletes_but_serves_its_files(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let r = upload(&app, &g, "a.txt", "text/plain", b"abc").await;
    let id = assert_envelope(&r, "post")["data"]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(&format!("/chatgroups/{g}/disable"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let r = upload(&app, &g, "b.txt", "text/plain", b"abc").await;
    assert_error(&r, 403, "forbidden_op");
    let r = app
        .delete(&format!("/chatgroups/{g}/share_files/{id}"))
        .await;
    assert_error(&r, 403, "forbidden_op");
    let list = app.get(&format!("/chatgroups/{g}/share_files")).await;
    assert_eq!(
        assert_envelope(&list, "get")["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        download(&app, &g, &id)
            .await
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"abc"
    );
    assert_eq!(objects_in(&files).await.len(), 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_member_uploads_with_a_user_token_and_owns_the_file(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &["amy"]).await;
    app.register(&["zed"]).await;
    let path = format!("/chatgroups/{g}/share_files");
    let amy = app.user_access_token("amy", "pw-amy").await;
    let r = send_form(
        &app,
        &path,
        &amy,
        file_form("a.txt", "text/plain", b"mine"),
        &[],
    )
    .await;
    assert_envelope(&r, "post");
    let zed = app.user_access_token("zed", "pw-zed").await;
    let r = send_form(
        &app,
        &path,
        &zed,
        file_form("z.txt", "text/plain", b"not mine"),
        &[],
    )
    .await;
    assert_error(&r, 403, "forbidden_op");
    let list = app.get(&path).await;
    let data = &assert_envelope(&list, "get")["data"];
    assert_eq!(data.as_array().unwrap().len(), 1);
    assert_eq!(data[0]["file_owner"], "amy");
    // A user token manages nothing else.
    let r = app
        .raw(Method::GET, &app.path(&path), Some(&amy), None)
        .await;
    assert_error(&r, 401, "unauthorized");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn pages_of_files_come_newest_first(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = upload(
            &app,
            &g,
            &format!("f{i}.txt"),
            "text/plain",
            format!("{i}").as_bytes(),
        )
        .await;
        ids.push(
            assert_envelope(&r, "post")["data"]["file_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.reverse();
    let page = |n: &str, s: &str| {
        let app = &app;
        let q = format!("/chatgroups/{g}/share_files?pagenum={n}&pagesize={s}");
        async move {
            let r = app.get(&q).await;
            assert_envelope(&r, "get")["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["file_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page("1", "2").await, ids[..2]);
    assert_eq!(page("2", "2").await, ids[2..4]);
    assert_eq!(page("3", "2").await, ids[4..]);
    assert!(page("4", "2").await.is_empty());
    assert_eq!(
        page("0", "0").await,
        ids[..1],
        "pagenum 0 is 1, pagesize 0 is 1"
    );
    assert_eq!(page("", "").await, ids, "the default page holds 1000");
    let r = app
        .get(&format!("/chatgroups/{g}/share_files?pagesize=ten"))
        .await;
    assert_error(&r, 400, "invalid_parameter");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_group_holds_at_most_its_cap_of_files_even_under_concurrent_uploads(pool: PgPool) {
    let mut files = local_files();
    files.max_files_per_group = 3;
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let tries = (0..8).map(|i| {
        let (app, g) = (&app, &g);
        async move {
            upload(
                app,
                g,
                &format!("{i}.bin"),
                "application/octet-stream",
                &pattern(200_000, i),
            )
            .await
        }
    });
    let replies = futures_util::future::join_all(tries).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    for r in replies.iter().filter(|r| r.status != 200) {
        let d = assert_error(r, 403, "exceed_limit");
        assert!(d.contains("limit of 3"), "{d}");
    }
    assert_eq!(ok, 3);
    assert_eq!(file_rows(&app).await, 3);
    assert_eq!(
        objects_in(&files).await.len(),
        3,
        "refused uploads leave no object"
    );
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn uploads_past_the_concurrency_bound_get_429_at_once(pool: PgPool) {
    let mut files = local_files();
    files.max_concurrent_uploads = 1;
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let url = format!(
        "{}{}",
        app.base,
        app.path(&format!("/chatgroups/{g}/share_files"))
    );
    // One upload that sends its first half and then waits.
    let (ct, body) = file_form("slow.bin", "application/octet-stream", &pattern(100_000, 9));
    let (first, rest) = body.split_at(50_000);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tx.send(Ok(first.to_vec())).await.unwrap();
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let slow = app
        .client
        .post(&url)
        .bearer_auth(&app.token)
        .header(CONTENT_TYPE, ct)
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let slow = tokio::spawn(slow);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let r = upload(&app, &g, "b.txt", "text/plain", b"x").await;
    assert_error(&r, 429, "reach_limit");
    assert_eq!(r.headers["retry-after"], "1");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    tx.send(Ok(rest.to_vec())).await.unwrap();
    drop(tx);
    let done = TestApp::reply(slow.await.unwrap().unwrap()).await;
    assert_envelope(&done, "post");
    let r = upload(&app, &g, "b.txt", "text/plain", b"x").await;
    assert_envelope(&r, "post");
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn deleting_the_owner_of_a_group_removes_its_files(pool: PgPool) {
    let files = local_files();
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let kept = setup(&app, "amy", &[]).await;
    upload(&app, &g, "a.txt", "text/plain", b"abc").await;
    upload(&app, &kept, "b.txt", "text/plain", b"abc").await;
    assert_eq!(objects_in(&files).await.len(), 2);
    let r = app.delete("/users/olga").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(objects_in(&files).await.len(), 1);
    assert_eq!(file_rows(&app).await, 1);
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn the_start_up_sweep_removes_objects_without_rows(pool: PgPool) {
    let mut files = local_files();
    files.sweep_grace_secs = 0;
    let app = TestApp::spawn_with(pool.clone(), with_files(&files)).await;
    let g = setup(&app, "olga", &[]).await;
    let r = upload(&app, &g, "a.txt", "text/plain", b"abc").await;
    assert_envelope(&r, "post");
    // An object whose upload never recorded it, and one whose row went without its object
    // being removed (a crash between the commit and the removal).
    let store = Objects::open(&files).unwrap();
    let app_id: uuid::Uuid = sqlx::query_scalar("select app from group_files")
        .fetch_one(&pool)
        .await
        .unwrap();
    let orphan = im_store::objects::key(app_id, g.parse().unwrap(), uuid::Uuid::new_v4());
    let mut w = store.writer(&orphan);
    w.put(bytes::Bytes::from_static(b"lost")).await.unwrap();
    w.finish().await.unwrap();
    let fid = uuid::Uuid::new_v4();
    let gone = im_store::objects::key(app_id, g.parse().unwrap(), fid);
    let mut w = store.writer(&gone);
    w.put(bytes::Bytes::from_static(b"gone")).await.unwrap();
    w.finish().await.unwrap();
    sqlx::query("alter table group_files disable trigger group_files_gone")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("insert into group_files select app, group_id, $1, name, owner, size, content_type, sha256, restricted, $2, created_at from group_files")
        .bind(fid).bind(&gone).execute(&pool).await.unwrap();
    sqlx::query("delete from group_files where file_id = $1")
        .bind(fid)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("alter table group_files enable trigger group_files_gone")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(objects_in(&files).await.len(), 3);

    // A second server starts over the same database and store.
    let mut settings = test_settings();
    settings.files = files.clone();
    let _second = im_server::Application::build(&settings, pool)
        .await
        .unwrap();
    let mut left = Vec::new();
    for _ in 0..50 {
        left = objects_in(&files).await;
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let kept: String = sqlx::query_scalar("select object_key from group_files")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, vec![kept]);
}
