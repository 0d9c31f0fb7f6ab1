//! Same-SQL ceilings: `/db/replay/{name}` runs the statements imserver ran for one request of the
//! read `name`, with the same parameters, one after the other on one connection of a sqlx pool of
//! its own; it decodes every row of each and answers the last one's rows as JSON. What that read
//! costs the stack with nothing of imserver's own: no routing of its own, no auth, no domain
//! types.
//!
//! Added to a copy of the shared ceiling server by `bench/lib.sh` (`ceiling_source`), which
//! captures the statements from PostgreSQL's statement log (`bench/capture.py`) into
//! `REPLAY_DIR/name.json`: `[{"sql": "...", "params": ["text" or null, ...]}, ...]`, read on the
//! first request of `name`. `REPLAY_DATABASE_URL` (else `DATABASE_URL`) is the database.
//!
//! The connections are set up as imserver's are, since that is the best this stack does: its
//! session settings (sequential scans off, generic plans), and `REPLAY_POOL` connections (else
//! `POOL`, default 20; the bench passes imserver's number)
//! shared out over one pool per worker thread, opened on that thread (a connection used from
//! another thread than the one whose runtime opened it costs two context switches per round
//! trip).
//!
//! `REPLAY_HOLD=1` measures what sqlx's pool costs on top: each worker keeps its connections on a
//! free list of its own instead of giving them back to the pool, which pings every connection it
//! gets back (a Sync round trip per release, unconditional in sqlx 0.8).

use actix_web::{web, HttpResponse};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Column, Either, Executor, PgPool, Row, TypeInfo, ValueRef};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// One parameter, typed as the statement declares it.
#[derive(Clone)]
enum Param {
    Text(Option<String>),
    Int8(Option<i64>),
    Int4(Option<i32>),
    Int2(Option<i16>),
    Float8(Option<f64>),
    Bool(Option<bool>),
    Uuid(Option<uuid::Uuid>),
    Time(Option<chrono::DateTime<chrono::Utc>>),
    TextArray(Option<Vec<String>>),
    Int8Array(Option<Vec<i64>>),
}

struct Statement {
    sql: &'static str,
    params: Vec<Param>,
}

pub struct Replays {
    opts: PgConnectOptions,
    per_worker: u32,
    dir: std::path::PathBuf,
    reads: Mutex<HashMap<String, Arc<Vec<Statement>>>>,
}

thread_local! {
    /// This worker's pool.
    static POOL: std::cell::OnceCell<PgPool> = const { std::cell::OnceCell::new() };
    /// This worker's connections held out of the pool (REPLAY_HOLD=1).
    static HELD: std::cell::RefCell<Vec<sqlx::pool::PoolConnection<sqlx::Postgres>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Replays {
    fn pool(&self) -> PgPool {
        POOL.with(|p| {
            p.get_or_init(|| {
                PgPoolOptions::new()
                    .max_connections(self.per_worker)
                    .test_before_acquire(false)
                    .connect_lazy_with(self.opts.clone())
            })
            .clone()
        })
    }

    /// The statements of `name`, read from `REPLAY_DIR/name.json` the first time.
    async fn read(&self, name: &str) -> Result<Arc<Vec<Statement>>, String> {
        if let Some(r) = self.reads.lock().unwrap().get(name) {
            return Ok(r.clone());
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad name {name}"));
        }
        let path = self.dir.join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let mut statements = Vec::new();
        for s in list {
            let sql = s["sql"].as_str().unwrap_or_default().to_owned();
            let texts: Vec<Option<String>> = s["params"]
                .as_array()
                .map(|a| a.iter().map(|p| p.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let types = match self
                .pool()
                .describe(&sql)
                .await
                .map_err(|e| e.to_string())?
                .parameters
            {
                Some(Either::Left(types)) => types.iter().map(|t| t.name().to_owned()).collect(),
                _ => Vec::new(),
            };
            if types.len() != texts.len() {
                return Err(format!(
                    "{sql}: {} parameters, {} values",
                    types.len(),
                    texts.len()
                ));
            }
            let params = types
                .iter()
                .zip(texts)
                .map(|(t, v)| param(t, v))
                .collect::<Result<Vec<_>, String>>()?;
            statements.push(Statement {
                sql: Box::leak(sql.into_boxed_str()),
                params,
            });
        }
        let statements = Arc::new(statements);
        self.reads
            .lock()
            .unwrap()
            .insert(name.to_owned(), statements.clone());
        Ok(statements)
    }
}

/// The same-SQL ceilings when `REPLAY_DIR` is set.
pub fn configure() -> std::io::Result<Option<web::Data<Replays>>> {
    let dir = std::env::var("REPLAY_DIR").unwrap_or_default();
    if dir.is_empty() {
        return Ok(None);
    }
    let url = std::env::var("REPLAY_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .map_err(std::io::Error::other)?;
    let opts = PgConnectOptions::from_str(&url)
        .map_err(std::io::Error::other)?
        .options([
            ("enable_seqscan", "off"),
            ("plan_cache_mode", "force_generic_plan"),
        ]);
    let size: u32 = std::env::var("REPLAY_POOL")
        .or_else(|_| std::env::var("POOL"))
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(20);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    Ok(Some(web::Data::new(Replays {
        opts,
        per_worker: (size / workers).max(1),
        dir: dir.into(),
        reads: Mutex::default(),
    })))
}

fn param(kind: &str, v: Option<String>) -> Result<Param, String> {
    let bad = |e: &dyn std::fmt::Display| format!("{kind} {v:?}: {e}");
    let text = v.as_deref();
    Ok(match kind {
        "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => Param::Text(v.clone()),
        "INT8" => Param::Int8(parsed(text).map_err(|e| bad(&e))?),
        "INT4" => Param::Int4(parsed(text).map_err(|e| bad(&e))?),
        "INT2" => Param::Int2(parsed(text).map_err(|e| bad(&e))?),
        "FLOAT8" => Param::Float8(parsed(text).map_err(|e| bad(&e))?),
        "UUID" => Param::Uuid(parsed(text).map_err(|e| bad(&e))?),
        "BOOL" => Param::Bool(text.map(|b| b == "t" || b == "true")),
        "TIMESTAMPTZ" => Param::Time(
            text.map(|t| {
                chrono::DateTime::parse_from_str(&format!("{t}00"), "%Y-%m-%d %H:%M:%S%.f%z")
                    .map(|t| t.to_utc())
            })
            .transpose()
            .map_err(|e| bad(&e))?,
        ),
        "TEXT[]" | "VARCHAR[]" => Param::TextArray(text.map(array)),
        "INT8[]" => Param::Int8Array(
            text.map(|a| {
                array(a)
                    .iter()
                    .map(|i| i.parse())
                    .collect::<Result<Vec<i64>, _>>()
            })
            .transpose()
            .map_err(|e| bad(&e))?,
        ),
        other => return Err(format!("parameter type {other} is not handled")),
    })
}

/// A parameter's text parsed as `T` (`None` for NULL).
fn parsed<T: FromStr>(text: Option<&str>) -> Result<Option<T>, T::Err> {
    text.map(str::parse).transpose()
}

/// The elements of a PostgreSQL array literal (`{a,"b c",d}`), one level deep.
fn array(s: &str) -> Vec<String> {
    let inner = s.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    if inner.is_empty() {
        return out;
    }
    let (mut cur, mut quoted, mut chars) = (String::new(), false, inner.chars());
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => cur.extend(chars.next()),
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A row as JSON, each column decoded as its type.
fn json(row: &PgRow) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let null = row.try_get_raw(i).map(|v| v.is_null()).unwrap_or(true);
        let v = if null {
            serde_json::Value::Null
        } else {
            match col.type_info().name() {
                "TEXT" | "VARCHAR" | "NAME" => row.get::<String, _>(i).into(),
                "INT8" => row.get::<i64, _>(i).into(),
                "INT4" => row.get::<i32, _>(i).into(),
                "INT2" => row.get::<i16, _>(i).into(),
                "FLOAT8" => row.get::<f64, _>(i).into(),
                "BOOL" => row.get::<bool, _>(i).into(),
                "UUID" => row.get::<uuid::Uuid, _>(i).to_string().into(),
                "TIMESTAMPTZ" => row
                    .get::<chrono::DateTime<chrono::Utc>, _>(i)
                    .timestamp_millis()
                    .into(),
                "TEXT[]" => row.get::<Vec<String>, _>(i).into(),
                "INT8[]" => row.get::<Vec<i64>, _>(i).into(),
                // jsonb and anything else: its bytes as text.
                _ => String::from_utf8_lossy(
                    row.try_get_raw(i)
                        .ok()
                        .and_then(|v| v.as_bytes().ok())
                        .unwrap_or_default(),
                )
                .into_owned()
                .into(),
            }
        };
        map.insert(col.name().to_owned(), v);
    }
    serde_json::Value::Object(map)
}

pub async fn run(db: web::Data<Replays>, name: web::Path<String>) -> HttpResponse {
    let statements = match db.read(&name).await {
        Ok(statements) => statements,
        Err(e) => return HttpResponse::NotFound().body(e),
    };
    // REPLAY_HOLD=1: connections are kept on a free list of this worker and never go back to
    // sqlx's pool, which pings each connection it gets back (a round trip per request).
    let hold = std::env::var("REPLAY_HOLD").is_ok_and(|v| v == "1");
    let held = if hold {
        HELD.with(|h| h.borrow_mut().pop())
    } else {
        None
    };
    let mut conn = match held {
        Some(conn) => conn,
        None => match db.pool().acquire().await {
            Ok(conn) => conn,
            Err(_) => return HttpResponse::ServiceUnavailable().finish(),
        },
    };
    let mut last = Vec::new();
    for s in statements.iter() {
        let mut q = sqlx::query(s.sql);
        for p in &s.params {
            q = match p.clone() {
                Param::Text(v) => q.bind(v),
                Param::Int8(v) => q.bind(v),
                Param::Int4(v) => q.bind(v),
                Param::Int2(v) => q.bind(v),
                Param::Float8(v) => q.bind(v),
                Param::Bool(v) => q.bind(v),
                Param::Uuid(v) => q.bind(v),
                Param::Time(v) => q.bind(v),
                Param::TextArray(v) => q.bind(v),
                Param::Int8Array(v) => q.bind(v),
            };
        }
        match q.fetch_all(&mut *conn).await {
            Ok(rows) => last = rows,
            Err(e) => return HttpResponse::InternalServerError().body(e.to_string()),
        }
    }
    if hold {
        HELD.with(|h| h.borrow_mut().push(conn));
    }
    let data: Vec<serde_json::Value> = last.iter().map(json).collect();
    HttpResponse::Ok().json(serde_json::json!({"action": "get", "data": data, "count": data.len()}))
}
