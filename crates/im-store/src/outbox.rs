//! The callback outbox: the events of a change, written in the change's own transaction, one
//! delivery row for each enabled rule of the app that takes the event. A change that rolls back
//! writes nothing; a committed one's deliveries wait for the worker (see `crate::deliveries`).
//!
//! Every write path of groups and chatrooms calls [`record`] inside its transaction, after the
//! statement that locks or changes the room row: so the deliveries of one room take their `seq`
//! numbers in commit order. With no rule that takes them, [`record`] inserts nothing (one
//! statement, one index probe on the app's rules).

use crate::error::StoreResult;
use im_domain::callbacks::{Field, Operation, Payload, RoomEvent};
use im_domain::room::RoomKind;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// Deliveries written per rule by this process, for `/metrics`.
static WRITTEN: Mutex<Option<HashMap<Uuid, u64>>> = Mutex::new(None);

/// Deliveries written so far by this process, per rule.
pub fn written() -> HashMap<Uuid, u64> {
    WRITTEN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default()
}

/// Writes `events` (in order) for every enabled rule of `app` that takes them, in the caller's
/// transaction.
pub async fn record(conn: &mut PgConnection, app: Uuid, events: &[RoomEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let n = events.len();
    let (mut kinds, mut rooms, mut ops, mut operators, mut payloads, mut calls) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in events {
        kinds.push(e.kind.as_str());
        rooms.push(e.room_id);
        ops.push(e.operation.as_str());
        operators.push(e.operator.as_str());
        payloads.push(payload_json(&e.payload));
        calls.push(Uuid::new_v4());
    }
    let per_rule: Vec<(Uuid, i64)> = sqlx::query_as(
        "with ev as (
             select * from unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                  $7::uuid[])
                    with ordinality as e(room_kind, room_id, operation, operator, payload,
                                         call_id, ord)),
         d as (
             insert into callback_deliveries (app, rule_id, room_id, seq, room_kind, call_id,
                                              operation, operator, payload, created_at)
             select $1, r.id, ev.room_id, nextval('callback_seq'), ev.room_kind, ev.call_id,
                    ev.operation, ev.operator, ev.payload, clock_timestamp()
               from ev join callback_rules r
                 on r.app = $1 and r.enabled and ev.room_kind = any(r.kinds)
                and (r.operations is null or ev.operation = any(r.operations))
              order by ev.ord, r.id
             returning rule_id, room_id, created_at),
         s as (
             insert into callback_streams as s (app, rule_id, room_id, pending, next_at, oldest_at)
             select $1, rule_id, room_id, count(*), now(), min(created_at)
               from d group by rule_id, room_id
             on conflict (app, rule_id, room_id) do update
                set pending = s.pending + excluded.pending,
                    next_at = case when s.pending = 0 then excluded.next_at else s.next_at end,
                    oldest_at = case when s.pending = 0 then excluded.oldest_at
                                     else s.oldest_at end,
                    failures = case when s.pending = 0 then 0 else s.failures end)
         select rule_id, count(*) from d group by rule_id",
    )
    .bind(app)
    .bind(&kinds)
    .bind(&rooms)
    .bind(&ops)
    .bind(&operators)
    .bind(&payloads)
    .bind(&calls)
    .fetch_all(&mut *conn)
    .await?;
    if !per_rule.is_empty() {
        let mut w = WRITTEN.lock().unwrap_or_else(|p| p.into_inner());
        let map = w.get_or_insert_with(HashMap::new);
        for (rule, n) in per_rule {
            *map.entry(rule).or_default() += n.max(0) as u64;
        }
    }
    Ok(())
}

/// The app's key (`org#app`) when an enabled rule of `app` takes any of `operations` of rooms
/// of `kind`, else `None`: for changes whose events cost a read to build (the members of a room
/// being deleted) or name the app (CREATE's owner).
pub async fn wanted(
    conn: &mut PgConnection,
    app: Uuid,
    kind: RoomKind,
    operations: &[Operation],
) -> StoreResult<Option<String>> {
    wanted_of(conn, app, &[kind], operations).await
}

/// [`wanted`] for rooms of any of `kinds`.
pub async fn wanted_of(
    conn: &mut PgConnection,
    app: Uuid,
    kinds: &[RoomKind],
    operations: &[Operation],
) -> StoreResult<Option<String>> {
    let kinds: Vec<&str> = kinds
        .iter()
        .filter(|k| im_domain::callbacks::has_events(**k))
        .map(|k| k.as_str())
        .collect();
    if kinds.is_empty() {
        return Ok(None);
    }
    let ops: Vec<&str> = operations.iter().map(|o| o.as_str()).collect();
    Ok(sqlx::query_scalar(
        "select org_name || '#' || app_name from apps a
          where a.id = $1
            and exists (select 1 from callback_rules
                         where app = $1 and enabled and kinds && $2::text[]
                           and (operations is null or operations && $3::text[]))",
    )
    .bind(app)
    .bind(&kinds)
    .bind(&ops)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A payload as the hosted service's examples write it (their key order), or `None` for an
/// event without one.
pub fn payload_json(p: &Payload) -> Option<String> {
    let s = |v: &str| serde_json::Value::from(v).to_string();
    let list = |v: &[String]| serde_json::Value::from(v.to_vec()).to_string();
    let info = |fields: &[(&str, Field)]| {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Field::Text(t) => s(t),
                    Field::Int(i) => i.to_string(),
                };
                format!("{}:{v}", s(k))
            })
            .collect();
        format!("{{{}}}", body.join(","))
    };
    Some(match p {
        Payload::None => return None,
        Payload::Members {
            member,
            kind,
            expire_timestamp,
        } => match expire_timestamp {
            Some(t) => format!(
                "{{\"member\":{},\"expire_timestamp\":{t},\"type\":{}}}",
                list(member),
                s(kind)
            ),
            None => format!("{{\"member\":{},\"type\":{}}}", list(member), s(kind)),
        },
        Payload::Admins { admin, kind } => {
            format!("{{\"admin\":{},\"type\":{}}}", list(admin), s(kind))
        }
        Payload::Files { share_file, kind } => {
            format!(
                "{{\"share_file\":{},\"type\":{}}}",
                list(share_file),
                s(kind)
            )
        }
        Payload::Create {
            role,
            member,
            info: i,
        } => {
            let roles: Vec<String> = role
                .iter()
                .map(|(u, r)| format!("{}:{}", s(u), s(r)))
                .collect();
            format!(
                "{{\"role\":{{{}}},\"member\":{},\"info\":{}}}",
                roles.join(","),
                list(member),
                info(i)
            )
        }
        Payload::Info(i) => format!("{{\"type\":\"INFO\",\"info\":{}}}", info(i)),
        Payload::Announcement(Some(text)) => {
            format!("{{\"type\":\"ANNOUNCEMENT\",\"announcement\":{}}}", s(text))
        }
        Payload::Announcement(None) => "{\"type\":\"ANNOUNCEMENT\"}".to_owned(),
        Payload::MuteAll(on) => format!("{{\"mute\":{on},\"type\":\"MUTE\"}}"),
        Payload::Owner { owner, new_owner } => format!(
            "{{\"owner\":{},\"new_owner\":{},\"type\":\"OWNER\"}}",
            s(owner),
            s(new_owner)
        ),
        Payload::Disable(on) => format!("{{\"disable\":{on},\"type\":\"DISABLE\"}}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(p: &Payload) -> serde_json::Value {
        serde_json::from_str(&payload_json(p).unwrap()).unwrap()
    }

    #[test]
    fn payloads_are_the_pages_examples() {
        let p = Payload::Members {
            member: vec!["tst01".into()],
            kind: "ADD",
            expire_timestamp: Some(1729585614955),
        };
        assert_eq!(
            payload_json(&p).unwrap(),
            r#"{"member":["tst01"],"expire_timestamp":1729585614955,"type":"ADD"}"#
        );
        assert_eq!(
            parsed(&Payload::Owner {
                owner: "tst".into(),
                new_owner: "tst01".into()
            }),
            json!({"owner": "tst", "new_owner": "tst01", "type": "OWNER"})
        );
        assert_eq!(
            parsed(&Payload::Info(vec![
                ("title", Field::Text("t\"x".into())),
                ("max_users", Field::Int(2000)),
            ])),
            json!({"type": "INFO", "info": {"title": "t\"x", "max_users": 2000}})
        );
        assert_eq!(
            parsed(&Payload::Create {
                role: vec![("tst".into(), "owner")],
                member: vec!["abc".into()],
                info: vec![("public", Field::Text("true".into()))],
            }),
            json!({"role": {"tst": "owner"}, "member": ["abc"], "info": {"public": "true"}})
        );
        assert_eq!(payload_json(&Payload::None), None);
        assert_eq!(
            parsed(&Payload::Announcement(None)),
            json!({"type": "ANNOUNCEMENT"})
        );
        assert_eq!(
            parsed(&Payload::Disable(true)),
            json!({"disable": true, "type": "DISABLE"})
        );
        assert_eq!(
            parsed(&Payload::MuteAll(false)),
            json!({"mute": false, "type": "MUTE"})
        );
    }
}
