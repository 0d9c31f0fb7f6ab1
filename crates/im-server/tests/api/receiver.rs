//! A real HTTP receiver of callbacks for the tests: it records every request and answers what
//! it is told (200 by default), so tests can fail deliveries, hold them, or take a receiver
//! down.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Got {
    pub body: Value,
    pub raw: String,
    pub content_type: String,
    /// The status it was answered (0: held, never answered).
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    got: Vec<Got>,
    /// 0 means 200.
    default: u16,
    /// Answer this for events of these rooms (`id`), whatever else.
    room_status: Vec<(String, u16)>,
    /// Never answer (hold the request) while set.
    hang: bool,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<Inner>>>,
) -> HttpResponse {
    let raw = String::from_utf8_lossy(&body).into_owned();
    let parsed: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, hang) = {
        let mut s = state.lock().unwrap();
        let room = parsed["id"].as_str().unwrap_or_default().to_owned();
        let by_room = s
            .room_status
            .iter()
            .find(|(r, _)| *r == room)
            .map(|(_, st)| *st);
        let status = match by_room {
            Some(st) => st,
            None => match s.default {
                0 => 200,
                d => d,
            },
        };
        let hang = s.hang;
        s.got.push(Got {
            body: parsed,
            raw,
            content_type,
            // A held request is never answered.
            status: if hang { 0 } else { status },
        });
        (status, hang)
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body("ok")
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let data = web::Data::new(inner.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/callback"),
            inner,
        }
    }

    /// Answers `status` to every request (0: 200 again).
    pub fn answer_always(&self, status: u16) {
        self.inner.lock().unwrap().default = status;
    }

    /// Answers `status` to every event of room `id` (0: lift it).
    pub fn answer_room(&self, id: &str, status: u16) {
        let mut s = self.inner.lock().unwrap();
        s.room_status.retain(|(r, _)| r != id);
        if status != 0 {
            s.room_status.push((id.to_owned(), status));
        }
    }

    /// Holds every request without an answer while `on`.
    pub fn hang(&self, on: bool) {
        self.inner.lock().unwrap().hang = on;
    }

    /// Every request so far.
    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().unwrap().got.clone()
    }

    /// The bodies of the requests answered 200 so far.
    pub fn delivered(&self) -> Vec<Value> {
        self.got()
            .into_iter()
            .filter(|g| g.status == 200)
            .map(|g| g.body)
            .collect()
    }

    /// Waits (up to 20 s) until `n` requests were answered 200, and answers their bodies.
    pub async fn wait_delivered(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let d = self.delivered();
            if d.len() >= n {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} callbacks delivered: {:#?}",
                d.len(),
                d
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until at least `n` requests came, whatever they were answered.
    pub async fn wait_got(&self, n: usize) -> Vec<Got> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let g = self.got();
            if g.len() >= n {
                return g;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} requests came",
                g.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
