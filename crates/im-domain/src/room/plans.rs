//! The decision functions: each takes facts loaded under the room's lock and returns a plan or
//! the error to answer with.

use super::*;

/// Decides an add of one (`single`) or several users.
pub fn plan_add(
    room: &RoomFacts,
    users: &[UserFacts],
    single: bool,
    per_user_limit: i64,
) -> Result<AddPlan, DomainError> {
    if let Some(u) = users.iter().find(|u| !u.exists) {
        return Err(user_not_found(u.name.as_str()));
    }
    if let Some(u) = users.iter().find(|u| u.blocked) {
        return Err(DomainError::forbidden(format!(
            "can not join this group, reason:user {} is in the blocklist of {} {}",
            u.name,
            room.kind.as_str(),
            room.id
        )));
    }
    let (already, fresh): (Vec<&UserFacts>, Vec<&UserFacts>) = users.iter().partition(|u| u.member);
    if let Some(u) = already.first() {
        if single || fresh.is_empty() {
            return Err(room.kind.membership_error(format!(
                "can not join this group, reason:user: {} already in group: {}",
                u.name, room.id
            )));
        }
    }
    if let Some(u) = fresh.iter().find(|u| u.joined >= per_user_limit) {
        return Err(DomainError::forbidden(format!(
            "can not join this group, reason:user {} has joined too many {}!",
            u.name,
            room.kind.plural()
        )));
    }
    if i64::from(room.member_count) + fresh.len() as i64 > i64::from(room.maxusers) {
        return Err(DomainError::forbidden(
            "members size is greater than max user size !",
        ));
    }
    Ok(AddPlan {
        add: fresh.iter().map(|u| u.name.clone()).collect(),
        already: already.iter().map(|u| u.name.clone()).collect(),
    })
}

/// A per-user outcome of a batch operation: `Ok` when applied, `Err(reason)` when not.
pub type Outcome = (Username, Result<(), String>);

/// Decides a removal of one (`single`) or several members.
pub fn plan_remove(
    room: &RoomFacts,
    users: &[UserFacts],
    single: bool,
) -> Result<Vec<Outcome>, DomainError> {
    if single {
        if let Some(u) = users.first() {
            if !u.exists {
                return Err(user_not_found(u.name.as_str()));
            }
            if room.kind.protects_owner() && u.name.as_str() == room.owner {
                return Err(owner_forbidden());
            }
            if !u.member {
                return Err(not_members(room.kind, &[u.name.as_str()]));
            }
        }
    }
    let outcomes: Vec<Outcome> = users
        .iter()
        .map(|u| {
            let outcome = if room.kind.protects_owner() && u.name.as_str() == room.owner {
                Err("forbidden operation on group owner!".to_owned())
            } else if !u.exists && room.kind != RoomKind::Chatroom {
                Err(format!("user {} doesn't exist.", u.name))
            } else if !u.member {
                Err(format!(
                    "user: {} doesn't exist in group: {}",
                    u.name, room.id
                ))
            } else {
                Ok(())
            };
            (u.name.clone(), outcome)
        })
        .collect();
    // A group answers a batch that removes nobody with the error (the group page says so).
    if room.kind == RoomKind::Group && outcomes.iter().all(|(_, o)| o.is_err()) {
        let names: Vec<&str> = users
            .iter()
            .filter(|u| !u.member)
            .map(|u| u.name.as_str())
            .collect();
        if !names.is_empty() {
            return Err(not_members(room.kind, &names));
        }
        return Err(owner_forbidden());
    }
    Ok(outcomes)
}

/// Decides a block. A group blocks users who are not members too (they then cannot join until
/// unblocked), as clients written for the hosted service expect of it; a chatroom blocks only
/// its members (its page documents the 400). Unknown users and the owner fail the request.
pub fn plan_block(
    room: &RoomFacts,
    users: &[UserFacts],
    single: bool,
) -> Result<Vec<Outcome>, DomainError> {
    if room.kind != RoomKind::Group {
        return plan_members_only(room, users, single, false);
    }
    if let Some(u) = users.iter().find(|u| !u.exists) {
        return Err(user_not_found(u.name.as_str()));
    }
    if users.iter().any(|u| u.name.as_str() == room.owner) {
        return Err(owner_forbidden());
    }
    Ok(users.iter().map(|u| (u.name.clone(), Ok(()))).collect())
}

/// Decides an operation that only members may be subject to (block, whitelist, mute). Unknown
/// users fail the whole request; so does the owner when `owner_exempt` is false. A single
/// non-member is an error; in a batch, non-members fail one by one, and the request fails only
/// when nobody qualifies.
pub fn plan_members_only(
    room: &RoomFacts,
    users: &[UserFacts],
    single: bool,
    owner_exempt: bool,
) -> Result<Vec<Outcome>, DomainError> {
    if let Some(u) = users.iter().find(|u| !u.exists) {
        return Err(user_not_found(u.name.as_str()));
    }
    if !owner_exempt && users.iter().any(|u| u.name.as_str() == room.owner) {
        return Err(owner_forbidden());
    }
    let outsiders: Vec<&str> = users
        .iter()
        .filter(|u| !u.member)
        .map(|u| u.name.as_str())
        .collect();
    if !outsiders.is_empty() && (single || outsiders.len() == users.len()) {
        return Err(not_members(room.kind, &outsiders));
    }
    Ok(users
        .iter()
        .map(|u| {
            let outcome = if u.member {
                Ok(())
            } else {
                Err(format!(
                    "user: {} doesn't exist in {}: {}",
                    u.name,
                    room.kind.as_str(),
                    room.id
                ))
            };
            (u.name.clone(), outcome)
        })
        .collect())
}

/// Decides an unblock: unknown users fail the request; a name not blocked fails it when it is
/// the only one, and fails alone in a batch.
pub fn plan_unblock(
    room: &RoomFacts,
    users: &[UserFacts],
    single: bool,
) -> Result<Vec<Outcome>, DomainError> {
    if let Some(u) = users.iter().find(|u| !u.exists) {
        return Err(user_not_found(u.name.as_str()));
    }
    let reason = |u: &UserFacts| {
        format!(
            "user: {} is not in the blocklist of {}: {}",
            u.name,
            room.kind.as_str(),
            room.id
        )
    };
    if single {
        if let Some(u) = users.iter().find(|u| !u.blocked) {
            return Err(room.kind.membership_error(reason(u)));
        }
    }
    Ok(users
        .iter()
        .map(|u| {
            let o = if u.blocked { Ok(()) } else { Err(reason(u)) };
            (u.name.clone(), o)
        })
        .collect())
}

/// Per-name outcomes of removing names from a list (whitelist): applied for those that were
/// on it.
pub fn list_removal(
    room: &RoomFacts,
    names: &[Username],
    removed: &[String],
    list: &str,
) -> Vec<Outcome> {
    names
        .iter()
        .map(|n| {
            let o = if removed.iter().any(|r| r == n.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "user: {n} is not in the {list} of {}: {}",
                    room.kind.as_str(),
                    room.id
                ))
            };
            (n.clone(), o)
        })
        .collect()
}

/// Whether each name had an unexpired mute among those lifted.
pub fn unmuted(names: &[Username], lifted: &[(String, i64)], now_ms: i64) -> Vec<(Username, bool)> {
    names
        .iter()
        .map(|n| {
            let was = lifted
                .iter()
                .any(|(u, exp)| u == n.as_str() && *exp > now_ms);
            (n.clone(), was)
        })
        .collect()
}

/// Decides promoting a member to admin.
pub fn plan_add_admin(
    room: &RoomFacts,
    user: &UserFacts,
    is_admin: bool,
    admin_count: i64,
    max_admins: i64,
) -> Result<(), DomainError> {
    if !user.exists {
        return Err(user_not_found(user.name.as_str()));
    }
    if user.name.as_str() == room.owner {
        return Err(owner_forbidden());
    }
    if !user.member {
        return Err(DomainError::forbidden(format!(
            "user: {} doesn't exist in group: {}",
            user.name, room.id
        )));
    }
    if is_admin {
        return Err(DomainError::forbidden(format!(
            "user {} is already an admin of group: {}",
            user.name, room.id
        )));
    }
    if admin_count >= max_admins {
        return Err(DomainError::forbidden(format!(
            "the number of admins has reached the limit of {max_admins}!"
        )));
    }
    Ok(())
}

/// Decides demoting an admin.
pub fn plan_remove_admin(
    room: &RoomFacts,
    user: &UserFacts,
    is_admin: bool,
) -> Result<(), DomainError> {
    if !user.exists {
        return Err(user_not_found(user.name.as_str()));
    }
    if !is_admin {
        return Err(DomainError::forbidden(format!(
            "user {} is not an admin of group: {}",
            user.name, room.id
        )));
    }
    Ok(())
}

/// Decides an owner transfer.
pub fn plan_transfer(room: &RoomFacts, new_owner: &UserFacts) -> Result<(), DomainError> {
    if !new_owner.exists {
        return Err(user_not_found(new_owner.name.as_str()));
    }
    if new_owner.name.as_str() == room.owner {
        return Err(DomainError::forbidden(
            "new owner and old owner are the same",
        ));
    }
    if !new_owner.member {
        return Err(DomainError::forbidden(format!(
            "user: {} doesn't exist in group: {}",
            new_owner.name, room.id
        )));
    }
    Ok(())
}

/// Decides lowering or raising `maxusers`.
pub fn plan_maxusers(room: &RoomFacts, maxusers: i32) -> Result<(), DomainError> {
    if maxusers < room.member_count {
        return Err(DomainError::forbidden(
            "current user count is larger than the maxUsers that you want to update !",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(count: i32, max: i32) -> RoomFacts {
        RoomFacts {
            kind: RoomKind::Chatroom,
            id: RoomId::new(42),
            owner: "boss".into(),
            maxusers: max,
            member_count: count,
        }
    }

    fn user(name: &str, exists: bool, member: bool, blocked: bool, joined: i64) -> UserFacts {
        UserFacts {
            name: Username::parse(name).unwrap(),
            exists,
            member,
            blocked,
            joined,
        }
    }

    fn names(v: &[Username]) -> Vec<&str> {
        v.iter().map(Username::as_str).collect()
    }

    #[test]
    fn room_ids_are_positive_decimal_integers() {
        assert_eq!(RoomId::parse("1798").map(RoomId::get), Some(1798));
        for bad in ["", "0", "-1", "12a", "99999999999999999999", " "] {
            assert_eq!(RoomId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mute_durations_follow_the_docs() {
        assert_eq!(
            MuteDuration::parse(Some(-1)).unwrap().expire_at(5),
            4_638_873_600_000
        );
        assert_eq!(MuteDuration::parse(Some(1000)).unwrap().expire_at(5), 1005);
        for bad in [Some(0), Some(-2), None] {
            assert!(MuteDuration::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn adds_skip_members_and_respect_capacity_blocks_and_limits() {
        let r = room(2, 4);
        let plan = plan_add(
            &r,
            &[
                user("a", true, false, false, 0),
                user("b", true, true, false, 0),
            ],
            false,
            10,
        )
        .unwrap();
        assert_eq!(names(&plan.add), ["a"]);
        assert_eq!(names(&plan.already), ["b"]);

        let cases: Vec<(Vec<UserFacts>, bool, DomainError)> = vec![
            (
                vec![user("x", false, false, false, 0)],
                false,
                user_not_found("x"),
            ),
            (
                vec![user("a", true, true, false, 0)],
                true,
                DomainError::ForbiddenBadRequest(
                    "can not join this group, reason:user: a already in group: 42".into(),
                ),
            ),
            (
                vec![
                    user("a", true, true, false, 0),
                    user("b", true, true, false, 0),
                ],
                false,
                DomainError::ForbiddenBadRequest(
                    "can not join this group, reason:user: a already in group: 42".into(),
                ),
            ),
            (
                vec![
                    user("a", true, false, false, 0),
                    user("b", true, false, false, 0),
                    user("c", true, false, false, 0),
                ],
                false,
                DomainError::forbidden("members size is greater than max user size !"),
            ),
            (
                vec![user("a", true, false, false, 10)],
                true,
                DomainError::forbidden(
                    "can not join this group, reason:user a has joined too many chatrooms!",
                ),
            ),
        ];
        for (users, single, want) in cases {
            assert_eq!(plan_add(&r, &users, single, 10), Err(want));
        }
        assert!(matches!(
            plan_add(&r, &[user("a", true, false, true, 0)], true, 10),
            Err(DomainError::Forbidden(_))
        ));
    }

    #[test]
    fn removals_protect_the_owner_and_report_non_members() {
        let r = room(3, 10);
        let out = plan_remove(
            &r,
            &[
                user("a", true, true, false, 0),
                user("b", true, false, false, 0),
                user("boss", true, true, false, 0),
            ],
            false,
        )
        .unwrap();
        assert_eq!(out[0].1, Ok(()));
        assert_eq!(out[1].1, Err("user: b doesn't exist in group: 42".into()));
        assert_eq!(out[2].1, Err("forbidden operation on group owner!".into()));
        assert_eq!(
            plan_remove(&r, &[user("boss", true, true, false, 0)], true),
            Err(owner_forbidden())
        );
        assert_eq!(
            plan_remove(&r, &[user("b", true, false, false, 0)], true),
            Err(DomainError::ForbiddenBadRequest(
                "users [b] are not members of this group!".into()
            ))
        );
        assert_eq!(
            plan_remove(&r, &[user("zz", false, false, false, 0)], true),
            Err(user_not_found("zz"))
        );
    }

    #[test]
    fn members_only_operations_fail_when_nobody_qualifies() {
        let r = room(3, 10);
        let out = plan_members_only(
            &r,
            &[
                user("a", true, true, false, 0),
                user("b", true, false, false, 0),
            ],
            false,
            false,
        )
        .unwrap();
        assert_eq!(out[0].1, Ok(()));
        assert_eq!(
            out[1].1,
            Err("user: b doesn't exist in chatroom: 42".into())
        );
        assert_eq!(
            plan_members_only(&r, &[user("b", true, false, false, 0)], false, false),
            Err(DomainError::ForbiddenBadRequest(
                "users [b] are not members of this group!".into()
            ))
        );
        assert_eq!(
            plan_members_only(&r, &[user("boss", true, true, false, 0)], false, false),
            Err(owner_forbidden())
        );
        assert!(plan_members_only(&r, &[user("boss", true, true, false, 0)], true, true).is_ok());
    }

    #[test]
    fn a_group_blocks_non_members_and_a_chatroom_does_not() {
        let mut r = room(3, 10);
        let outsider = [user("b", true, false, false, 0)];
        assert_eq!(
            plan_block(&r, &outsider, true),
            Err(DomainError::ForbiddenBadRequest(
                "users [b] are not members of this group!".into()
            ))
        );
        r.kind = RoomKind::Group;
        let out = plan_block(&r, &outsider, true).unwrap();
        assert_eq!(out, vec![(outsider[0].name.clone(), Ok(()))]);
        assert_eq!(
            plan_block(&r, &[user("boss", true, true, false, 0)], true),
            Err(owner_forbidden())
        );
        assert_eq!(
            plan_block(&r, &[user("zz", false, false, false, 0)], false),
            Err(user_not_found("zz"))
        );
    }

    #[test]
    fn admin_transfer_and_maxusers_rules() {
        let r = room(3, 10);
        let a = user("a", true, true, false, 0);
        assert!(plan_add_admin(&r, &a, false, 0, 99).is_ok());
        assert!(plan_add_admin(&r, &a, true, 0, 99).is_err());
        assert!(plan_add_admin(&r, &a, false, 99, 99).is_err());
        assert!(plan_add_admin(&r, &user("boss", true, true, false, 0), false, 0, 99).is_err());
        assert!(plan_add_admin(&r, &user("o", true, false, false, 0), false, 0, 99).is_err());
        assert!(plan_remove_admin(&r, &a, false).is_err());
        assert!(plan_transfer(&r, &a).is_ok());
        assert_eq!(
            plan_transfer(&r, &user("boss", true, true, false, 0)),
            Err(DomainError::forbidden(
                "new owner and old owner are the same"
            ))
        );
        assert!(plan_transfer(&r, &user("o", true, false, false, 0)).is_err());
        assert!(plan_maxusers(&r, 3).is_ok());
        assert!(plan_maxusers(&r, 2).is_err());
    }

    #[test]
    fn lengths_and_maxusers_are_checked() {
        let l = Limits::default();
        assert!(check_chars("title", &"名".repeat(128), 128).is_ok());
        assert_eq!(
            check_chars("title", &"n".repeat(129), 128),
            Err(DomainError::ExceedLimit(
                "title cannot exceed to 128".into()
            ))
        );
        assert!(check_bytes("custom", &"é".repeat(4097), 8192).is_err());
        assert_eq!(maxusers(RoomKind::Chatroom, None, &l), Ok(1000));
        assert_eq!(maxusers(RoomKind::Chatroom, Some(300), &l), Ok(300));
        assert!(maxusers(RoomKind::Chatroom, Some(0), &l).is_err());
        assert_eq!(
            maxusers(RoomKind::Chatroom, Some(100_001), &l),
            Err(DomainError::ExceedLimit(
                "maxUsers cannot exceed 100000".into()
            ))
        );
    }
}
