//! The callback events of room changes that need the room row to build (see
//! `im_domain::callbacks` for the rest).

use super::*;
use im_domain::callbacks::{Field, Operation, Operator, Payload, RoomEvent};

fn flag(b: bool) -> Field {
    Field::Text(b.to_string())
}

/// CREATE: the owner and first members (`member` names the others), and the room's fields, every
/// value as text, the owner as `org#app_user`, as the hosted service's example has them. A
/// chatroom has no group flags.
pub(super) fn created(
    kind: RoomKind,
    room: &Room,
    appkey: &str,
    members: &[Username],
    operator: &Operator,
) -> RoomEvent {
    let at = Field::Text(room.created_at.timestamp_millis().to_string());
    let mut info = vec![
        ("owner", Field::Text(format!("{appkey}_{}", room.owner))),
        ("created", at.clone()),
        ("custom", Field::Text(room.custom.clone())),
        ("description", Field::Text(room.description.clone())),
        ("mute", flag(room.muted_all)),
        ("title", Field::Text(room.name.clone())),
        ("max_users", Field::Text(room.maxusers.to_string())),
    ];
    if kind == RoomKind::Group {
        info.extend([
            ("invite_need_confirm", flag(room.invite_need_confirm)),
            ("public", flag(room.public)),
            ("allow_user_invites", flag(room.allowinvites)),
            ("members_only", flag(room.membersonly)),
            ("disabled", flag(room.disabled)),
        ]);
    }
    info.push(("last_modified", at));
    RoomEvent::new(
        kind,
        room.id,
        Operation::Create,
        operator,
        Payload::Create {
            role: vec![(room.owner.clone(), "owner")],
            member: strings(members),
            info,
        },
    )
}

/// UPDATE/INFO with the fields an update changed, when it changed any, and UPDATE/OWNER for a
/// transfer.
pub(super) fn updated(
    kind: RoomKind,
    up: &RoomUpdate,
    old_owner: &str,
    after: &Room,
    operator: &Operator,
) -> Vec<RoomEvent> {
    let mut info: Vec<(&'static str, Field)> = Vec::new();
    if let Some(v) = &up.name {
        info.push(("title", Field::Text(v.clone())));
    }
    if let Some(v) = &up.description {
        info.push(("description", Field::Text(v.clone())));
    }
    if let Some(v) = up.maxusers {
        info.push(("max_users", Field::Int(i64::from(v))));
    }
    if let Some(v) = &up.custom {
        info.push(("custom", Field::Text(v.clone())));
    }
    for (key, value) in [
        ("public", up.public),
        ("members_only", up.membersonly),
        ("allow_user_invites", up.allowinvites),
        ("invite_need_confirm", up.invite_need_confirm),
    ] {
        if let Some(v) = value {
            info.push((key, flag(v)));
        }
    }
    let mut out = Vec::new();
    if !info.is_empty() {
        info.push((
            "last_modified",
            Field::Text(chrono::Utc::now().timestamp_millis().to_string()),
        ));
        out.push(RoomEvent::update(
            kind,
            after.id,
            operator,
            Payload::Info(info),
        ));
    }
    if let Some(new_owner) = &up.new_owner {
        out.push(RoomEvent::update(
            kind,
            after.id,
            operator,
            Payload::Owner {
                owner: old_owner.to_owned(),
                new_owner: new_owner.as_str().to_owned(),
            },
        ));
    }
    out
}
