//! Group shared files over a real S3-compatible server (moto's standalone server on loopback).
//!
//! `.ci/run` starts one and exports `IMSERVER_TEST_S3_ENDPOINT`. Without that variable the tests
//! start one themselves from the venv `.ci/s3` installs (`~/.cache/imserver-s3/venv`, or
//! `IMSERVER_S3_VENV`), and fail, saying how to get it, when there is none.

use crate::group_files_common::*;
use crate::helpers::*;
use im_store::objects::{Backend, FilesConfig, S3Config};
use sqlx::PgPool;
use std::sync::OnceLock;

fn start_moto() -> String {
    let venv = std::env::var("IMSERVER_S3_VENV").unwrap_or_else(|_| {
        format!(
            "{}/.cache/imserver-s3/venv",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let bin = format!("{venv}/bin/moto_server");
    assert!(
        std::path::Path::new(&bin).exists(),
        "the S3 tests need an S3-compatible server: set IMSERVER_TEST_S3_ENDPOINT to one, or \
         install moto with `bash .ci/s3 install` (a venv in {venv}), as .ci/run does"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The server goes when this test process does.
    let watch = format!(
        "'{bin}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
         while kill -0 {} 2>/dev/null; do sleep 1; done; kill $m",
        std::process::id()
    );
    static WATCH: OnceLock<std::sync::Mutex<std::process::Child>> = OnceLock::new();
    let child = std::process::Command::new("sh")
        .args(["-c", &watch])
        .spawn()
        .unwrap();
    let _ = WATCH.set(std::sync::Mutex::new(child));
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return endpoint;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("moto_server did not answer on {endpoint}");
}

fn endpoint() -> String {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| {
            std::env::var("IMSERVER_TEST_S3_ENDPOINT")
                .ok()
                .filter(|e| !e.is_empty())
                .unwrap_or_else(start_moto)
        })
        .clone()
}

/// Settings for a new, empty bucket of its own.
async fn s3_files() -> FilesConfig {
    let endpoint = endpoint();
    let bucket = format!("t{}", uuid::Uuid::new_v4().simple());
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "creating bucket: {}", r.status());
    FilesConfig {
        backend: Backend::S3,
        s3: S3Config {
            endpoint: Some(endpoint),
            bucket,
            region: Some("us-east-1".into()),
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
            path_style: true,
        },
        ..FilesConfig::default()
    }
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn shared_files_upload_list_download_and_delete_in_s3(pool: PgPool) {
    let files = s3_files().await;
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    round_trip(&app, &files).await;
}

#[sqlx::test(migrator = "im_store::MIGRATOR")]
async fn a_file_of_exactly_ten_megabytes_goes_to_s3_in_parts_and_one_byte_more_is_refused(
    pool: PgPool,
) {
    let files = s3_files().await;
    assert_eq!(files.max_file_bytes as usize, MB10);
    let app = TestApp::spawn_with(pool, with_files(&files)).await;
    the_limit_is_exact(&app, &files).await;
}
