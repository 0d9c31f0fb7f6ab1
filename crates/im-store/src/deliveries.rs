//! The delivery worker's side of the outbox: claiming due streams, recording outcomes, dead
//! letters and their replay. These are the cross-app statements of callbacks (the claim and the
//! sweeps read every app's streams); everything else names its app.
//!
//! A stream (a rule's events of one room) is claimed with a lease (`for update skip locked`, so
//! instances share the work): its first delivery is sent, and only once it is done (delivered or
//! dead) is the next one due. Later events of a room thus wait while an earlier one is retried;
//! other rooms go on.

use crate::error::StoreResult;
use crate::Db;
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

/// The first delivery of a claimed stream, with what sending it needs.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub app: Uuid,
    pub rule_id: Uuid,
    pub room_id: i64,
    pub seq: i64,
    pub room_kind: String,
    pub call_id: Uuid,
    pub operation: String,
    pub operator: String,
    pub payload: Option<String>,
    pub created_at: DateTime<Utc>,
    pub enqueued_at: DateTime<Utc>,
    pub attempts: i32,
    pub target_url: Option<String>,
    pub url: String,
    pub secret_sealed: Vec<u8>,
    pub secret_kid: String,
    /// `org#app`.
    pub appkey: String,
}

/// Up to `max` apps that have streams due and not leased, soonest first (cross-app: on Citus it
/// reads every shard; the claim itself then runs on one app's shard).
pub async fn due_apps(pool: &Db, max: i64) -> StoreResult<Vec<Uuid>> {
    let mut tx = crate::citus::cross_app(pool).await?;
    let apps = sqlx::query_scalar(
        "select app from (
             select app, min(next_at) as next_at from (
                 select app, next_at from callback_streams
                  where pending > 0 and next_at <= now()
                    and (leased_until is null or leased_until < now())
                  order by next_at limit 1000) s
              group by app) a
          order by next_at limit $1",
    )
    .bind(max)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(apps)
}

/// Leases up to `max` due streams of `app`'s enabled, unpaused rules for `lease_secs`, and
/// answers their first deliveries: at most `per_rule` of one rule, less what `busy` (rule,
/// deliveries the caller has in flight) says it already sends.
pub async fn claim(
    pool: &Db,
    app: Uuid,
    (max, per_rule): (i64, i64),
    busy: &[(Uuid, i32)],
    lease_secs: f64,
) -> StoreResult<Vec<Claimed>> {
    let (busy_rules, busy_n): (Vec<Uuid>, Vec<i32>) = busy.iter().copied().unzip();
    Ok(sqlx::query_as::<_, Claimed>(
        "with due as (
             select s.app, s.rule_id, s.room_id
               from callback_streams s
               join callback_rules r on r.app = s.app and r.id = s.rule_id
              where s.app = $6 and r.app = $6 and s.pending > 0 and s.next_at <= now()
                and (s.leased_until is null or s.leased_until < now())
                and r.enabled and (r.paused_until is null or r.paused_until <= now())
                and s.rule_id <> all(array(select b.rule_id
                                             from unnest($4::uuid[], $5::int4[]) as b(rule_id, n)
                                            where b.n >= $2))
              order by s.next_at
              limit $1 * 4
                for update of s skip locked),
         fair as (
             select d.app, d.rule_id, d.room_id from (
                 select due.*, row_number() over (partition by app, rule_id) as n from due) d
               left join unnest($4::uuid[], $5::int4[]) as b(rule_id, n) on b.rule_id = d.rule_id
              where d.n <= $2 - coalesce(b.n, 0)
              limit $1),
         leased as (
             update callback_streams s set leased_until = now() + make_interval(secs => $3)
               from fair f
              where s.app = $6 and f.app = $6 and s.rule_id = f.rule_id and s.room_id = f.room_id
             returning s.app, s.rule_id, s.room_id)
         select d.app, d.rule_id, d.room_id, d.seq, d.room_kind, d.call_id, d.operation,
                d.operator, d.payload, d.created_at, d.enqueued_at, d.attempts, d.target_url,
                r.url, r.secret_sealed, r.secret_kid, a.org_name || '#' || a.app_name as appkey
           from leased l
           join lateral (select * from callback_deliveries d
                          where d.app = $6 and d.rule_id = l.rule_id and d.room_id = l.room_id
                          order by d.seq limit 1) d on true
           join callback_rules r on r.app = $6 and r.id = l.rule_id
           join apps a on a.id = $6",
    )
    .bind(max)
    .bind(per_rule)
    .bind(lease_secs)
    .bind(busy_rules)
    .bind(busy_n)
    .bind(app)
    .fetch_all(pool)
    .await?)
}

/// The delivery is done, in one statement: the row goes, and the stream's next delivery is
/// answered with the stream's lease renewed for `lease_secs` when `more` and the rule may still
/// deliver (so the caller sends it at once, without a claim); otherwise the stream's lease is
/// released and its next one is due at once.
pub async fn delivered(
    pool: &Db,
    d: &Claimed,
    more: bool,
    lease_secs: f64,
) -> StoreResult<Option<Claimed>> {
    let gone = "gone as (
             delete from callback_deliveries
              where app = $1 and rule_id = $2 and room_id = $3 and seq = $4
             returning 1)";
    finish(pool, d, gone, None, (more, lease_secs)).await
}

/// A delivery past the retry horizon goes to the dead letters, in one statement; the stream's
/// lease is released and its next one is due at once.
pub async fn dead(pool: &Db, d: &Claimed, error: &str) -> StoreResult<()> {
    let gone = "moved as (
             delete from callback_deliveries
              where app = $1 and rule_id = $2 and room_id = $3 and seq = $4
             returning *),
         gone as (
             insert into callback_dead_letters (app, rule_id, seq, room_id, room_kind, call_id,
                                                operation, operator, payload, created_at,
                                                attempts, last_error, replays)
             select app, rule_id, seq, room_id, room_kind, call_id, operation, operator, payload,
                    created_at, attempts + 1, $8, replays
               from moved
             returning 1)";
    finish(pool, d, gone, Some(error), (false, 0.0)).await?;
    Ok(())
}

/// The stream's first delivery leaves it (the CTE `gone`, a row per delivery removed): the count,
/// the failures reset, the oldest pending event's time, and either the next delivery answered
/// under a renewed lease (`more`, the rule still enabled and unpaused) or the lease released.
async fn finish(
    pool: &Db,
    d: &Claimed,
    gone: &str,
    error: Option<&str>,
    (more, lease_secs): (bool, f64),
) -> StoreResult<Option<Claimed>> {
    Ok(sqlx::query_as::<_, Claimed>(&format!(
        "with {gone},
         next as (
             select d.app, d.rule_id, d.room_id, d.seq, d.room_kind, d.call_id, d.operation,
                    d.operator, d.payload, d.created_at, d.enqueued_at, d.attempts, d.target_url,
                    r.url, r.secret_sealed, r.secret_kid,
                    $5 and r.enabled and (r.paused_until is null or r.paused_until <= now())
                      as go
               from callback_deliveries d
               join callback_rules r on r.app = d.app and r.id = d.rule_id
              where d.app = $1 and d.rule_id = $2 and d.room_id = $3 and d.seq > $4
              order by d.seq limit 1),
         stream as (
             update callback_streams s
                set pending = greatest(s.pending - (select count(*) from gone)::int, 0),
                    failures = 0, next_at = now(),
                    -- null unless the next delivery goes on (no CASE around now(): Citus
                    -- refuses one in a distributed UPDATE)
                    leased_until = nullif(now() + make_interval(
                                       secs => case when (select go from next) then $6 else 0 end),
                                     now()),
                    oldest_at = (select enqueued_at from next)
              where s.app = $1 and s.rule_id = $2 and s.room_id = $3
             returning s.app)
         select n.app, n.rule_id, n.room_id, n.seq, n.room_kind, n.call_id, n.operation,
                n.operator, n.payload, n.created_at, n.enqueued_at, n.attempts, n.target_url,
                n.url, n.secret_sealed, n.secret_kid, $7::text as appkey
           from next n where n.go and exists (select 1 from stream)"
    ))
    .bind(d.app)
    .bind(d.rule_id)
    .bind(d.room_id)
    .bind(d.seq)
    .bind(more)
    .bind(lease_secs)
    .bind(&d.appkey)
    .bind(error)
    .fetch_optional(pool)
    .await?)
}

/// How failures pause a rule: `failures` of them within `window_secs` pause it for `pause(n)`
/// seconds, its n-th pause within a day.
pub struct PausePolicy {
    pub failures: i32,
    pub window_secs: i64,
    pub pause: Box<dyn Fn(i32) -> i64 + Send + Sync>,
}

/// A failed try: the delivery is retried after `retry_ms`, and the failure counts against the
/// rule (see [`PausePolicy`]). Answers when the rule was paused until, if it was.
pub async fn failed(
    pool: &Db,
    d: &Claimed,
    error: &str,
    retry_ms: u64,
    policy: &PausePolicy,
) -> StoreResult<Option<DateTime<Utc>>> {
    let (pause_failures, window_secs) = (policy.failures, policy.window_secs);
    let mut tx = pool.begin().await?;
    sqlx::query(
        "update callback_deliveries set attempts = attempts + 1, last_error = $5
          where app = $1 and rule_id = $2 and room_id = $3 and seq = $4",
    )
    .bind(d.app)
    .bind(d.rule_id)
    .bind(d.room_id)
    .bind(d.seq)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    // The transaction's time (the retry's time less its delay), for the window below: compared
    // there as values, since Citus refuses now() inside a CASE of a distributed UPDATE.
    let retry_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "update callback_streams
            set failures = failures + 1, leased_until = null,
                next_at = now() + make_interval(secs => $4::float8 / 1000)
          where app = $1 and rule_id = $2 and room_id = $3
          returning next_at",
    )
    .bind(d.app)
    .bind(d.rule_id)
    .bind(d.room_id)
    .bind(retry_ms as f64)
    .fetch_optional(&mut *tx)
    .await?;
    let now = retry_at.map_or_else(Utc::now, |t| {
        t - chrono::Duration::milliseconds(retry_ms as i64)
    });

    let (failures, pauses): (i32, i32) = sqlx::query_as(
        "update callback_rules
            set window_failures = case when window_start is null or window_start < $3
                                       then 1 else window_failures + 1 end,
                window_start = case when window_start is null or window_start < $3
                                    then $4 else window_start end,
                pauses = case when last_paused_at is null or last_paused_at < $5
                              then 0 else pauses end
          where app = $1 and id = $2
          returning window_failures, pauses",
    )
    .bind(d.app)
    .bind(d.rule_id)
    .bind(now - chrono::Duration::seconds(window_secs))
    .bind(now)
    .bind(now - chrono::Duration::days(1))
    .fetch_one(&mut *tx)
    .await?;
    let mut paused = None;
    if failures >= pause_failures {
        let nth = pauses + 1;
        paused = sqlx::query_scalar(
            "update callback_rules
                set paused_until = now() + make_interval(secs => $3::float8), pauses = $4,
                    last_paused_at = now(), window_failures = 0, window_start = null
              where app = $1 and id = $2
              returning paused_until",
        )
        .bind(d.app)
        .bind(d.rule_id)
        .bind((policy.pause)(nth) as f64)
        .bind(nth)
        .fetch_optional(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(paused)
}

/// Gives back leases of streams claimed but not sent (this instance had no room for them).
pub async fn release(pool: &Db, d: &Claimed) -> StoreResult<()> {
    sqlx::query(
        "update callback_streams set leased_until = null
          where app = $1 and rule_id = $2 and room_id = $3",
    )
    .bind(d.app)
    .bind(d.rule_id)
    .bind(d.room_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// The age of the oldest event not yet delivered, in seconds (0 when none), and how many wait.
pub async fn backlog(pool: &Db) -> StoreResult<(f64, i64)> {
    let mut tx = crate::citus::cross_app(pool).await?;
    let (age, pending): (Option<f64>, Option<i64>) = sqlx::query_as(
        "select extract(epoch from now() - min(oldest_at))::float8, sum(pending)::bigint
           from callback_streams where pending > 0",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((age.unwrap_or(0.0).max(0.0), pending.unwrap_or(0)))
}

/// Deletes what rules removed meanwhile left behind (a change that read a rule just before its
/// removal committed), and dead letters older than `keep_secs`. Answers the rows removed.
pub async fn sweep(pool: &Db, keep_secs: f64) -> StoreResult<u64> {
    let mut tx = crate::citus::cross_app(pool).await?;
    let mut removed = 0;
    for table in ["callback_deliveries", "callback_streams"] {
        removed += sqlx::query(&format!(
            "delete from {table} t where not exists (
                 select 1 from callback_rules r where r.app = t.app and r.id = t.rule_id)"
        ))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    removed += sqlx::query(
        "delete from callback_dead_letters where dead_at < now() - make_interval(secs => $1)",
    )
    .bind(keep_secs)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(removed)
}

/// A dead letter, as the CLI lists them.
#[derive(Debug, Clone, FromRow)]
pub struct DeadLetter {
    pub rule_id: Uuid,
    pub seq: i64,
    pub room_id: i64,
    pub room_kind: String,
    pub call_id: Uuid,
    pub operation: String,
    pub created_at: DateTime<Utc>,
    pub dead_at: DateTime<Utc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub replays: i32,
}

/// The app's dead letters, oldest death first, `limit` after position `after` (a seq).
pub async fn dead_letters(
    pool: &Db,
    app: Uuid,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> StoreResult<Vec<DeadLetter>> {
    let (at, seq) = after.unzip();
    Ok(sqlx::query_as::<_, DeadLetter>(
        "select rule_id, seq, room_id, room_kind, call_id, operation, created_at, dead_at,
                attempts, last_error, replays
           from callback_dead_letters
          where app = $1 and ($2::timestamptz is null or (dead_at, seq) > ($2, $3))
          order by dead_at, seq limit $4",
    )
    .bind(app)
    .bind(at)
    .bind(seq)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The app's dead letters by the ten minutes they died in: (start of the ten minutes, how many,
/// the most replays any of them had).
pub async fn dead_letter_buckets(
    pool: &Db,
    app: Uuid,
) -> StoreResult<Vec<(DateTime<Utc>, i64, i32)>> {
    Ok(sqlx::query_as(
        "select to_timestamp(floor(extract(epoch from dead_at) / 600) * 600) as bucket,
                count(*), max(replays)
           from callback_dead_letters where app = $1
          group by bucket order by bucket",
    )
    .bind(app)
    .fetch_all(pool)
    .await?)
}

/// Puts the app's dead letters that died in `[from, to)` back at the end of their streams (same
/// callId and timestamp, a new place in the order, a new retry horizon), to the rule's URL or
/// `target_url`, in one statement. Answers how many.
pub async fn replay(
    pool: &Db,
    app: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    target_url: Option<&str>,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "with gone as (
             delete from callback_dead_letters
              where app = $1 and dead_at >= $2 and dead_at < $3
                and rule_id in (select id from callback_rules where app = $1)
             returning *),
         back as (
             insert into callback_deliveries (app, rule_id, room_id, seq, room_kind, call_id,
                                              operation, operator, payload, created_at,
                                              target_url, replays)
             select app, rule_id, room_id, nextval('callback_seq'), room_kind, call_id,
                    operation, operator, payload, created_at, $4, replays + 1
               from gone order by seq
             returning rule_id, room_id),
         streams as (
             insert into callback_streams as s (app, rule_id, room_id, pending, next_at, oldest_at)
             select $1, rule_id, room_id, count(*), now(), now() from back group by rule_id, room_id
             on conflict (app, rule_id, room_id) do update
                set pending = s.pending + excluded.pending,
                    next_at = case when s.pending = 0 then excluded.next_at else s.next_at end,
                    oldest_at = case when s.pending = 0 then excluded.oldest_at
                                     else s.oldest_at end,
                    failures = case when s.pending = 0 then 0 else s.failures end)
         select count(*) from back",
    )
    .bind(app)
    .bind(from)
    .bind(to)
    .bind(target_url)
    .fetch_one(pool)
    .await?)
}
