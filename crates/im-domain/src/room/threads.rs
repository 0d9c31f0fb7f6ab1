//! Threads: the rules a sub-room of a group adds to the room core's. A thread's members must be
//! members of its group; the rest (joins, kicks, per-user results) is the room core's.

use super::*;

/// What a thread create needs checked before anything is written.
pub struct ThreadDraft {
    pub name: String,
    pub msg_id: String,
}

/// Longest parent message id accepted, in characters.
pub const MSG_ID_CHARS: usize = 128;

/// Validates a create's or rename's name (required, at most `max_chars` characters).
pub fn thread_name(raw: Option<&str>, max_chars: usize) -> Result<String, DomainError> {
    let name = raw
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| DomainError::invalid("name must be provided"))?;
    check_chars("name", name, max_chars)?;
    Ok(name.to_owned())
}

/// Validates a create's fields other than the group and the owner.
pub fn thread_draft(
    name: Option<&str>,
    msg_id: Option<&str>,
    max_name_chars: usize,
) -> Result<ThreadDraft, DomainError> {
    let name = thread_name(name, max_name_chars)?;
    let msg_id = msg_id
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| DomainError::invalid("msg_id must be provided"))?;
    check_chars("msg_id", msg_id, MSG_ID_CHARS)?;
    Ok(ThreadDraft {
        name,
        msg_id: msg_id.to_owned(),
    })
}

/// The users named that are not members of the thread's group.
pub fn not_group_members(group: RoomId, names: &[&str]) -> DomainError {
    DomainError::forbidden(format!(
        "users [{}] are not members of group {group}!",
        names.join(", ")
    ))
}

/// Decides a create: the owner must exist and be a member of the group.
pub fn plan_thread_create(group: RoomId, owner: &UserFacts) -> Result<(), DomainError> {
    if !owner.exists {
        return Err(user_not_found(owner.name.as_str()));
    }
    if !owner.member {
        return Err(not_group_members(group, &[owner.name.as_str()]));
    }
    Ok(())
}

/// Refuses a create that took the app past its thread cap (`count` includes the new thread).
pub fn check_thread_cap(count: i64, cap: i64) -> Result<(), DomainError> {
    if count > cap {
        return Err(DomainError::ExceedLimit(format!(
            "the number of threads in this app cannot exceed {cap}"
        )));
    }
    Ok(())
}

/// Decides a join: every user must exist and be a member of the group (`in_group`, in the order
/// of `users`); then the room core's add rules apply.
pub fn plan_thread_join(
    thread: &RoomFacts,
    group: RoomId,
    users: &[UserFacts],
    in_group: &[bool],
) -> Result<AddPlan, DomainError> {
    if let Some(u) = users.iter().find(|u| !u.exists) {
        return Err(user_not_found(u.name.as_str()));
    }
    let outsiders: Vec<&str> = users
        .iter()
        .zip(in_group)
        .filter(|(_, inside)| !**inside)
        .map(|(u, _)| u.name.as_str())
        .collect();
    if !outsiders.is_empty() {
        return Err(not_group_members(group, &outsiders));
    }
    plan_add(thread, users, false, i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, exists: bool, member: bool) -> UserFacts {
        UserFacts {
            name: Username::parse(name).unwrap(),
            exists,
            member,
            blocked: false,
            joined: 0,
        }
    }

    fn thread() -> RoomFacts {
        RoomFacts {
            kind: RoomKind::Thread,
            id: RoomId::new(9),
            owner: "boss".into(),
            maxusers: i32::MAX,
            member_count: 1,
        }
    }

    #[test]
    fn names_are_required_and_at_most_the_limit() {
        assert_eq!(thread_name(Some("t"), 64), Ok("t".into()));
        assert!(matches!(
            thread_name(None, 64),
            Err(DomainError::InvalidParameter(_))
        ));
        assert!(matches!(
            thread_name(Some("  "), 64),
            Err(DomainError::InvalidParameter(_))
        ));
        let long = "é".repeat(65);
        assert!(matches!(
            thread_name(Some(&long), 64),
            Err(DomainError::ExceedLimit(_))
        ));
        assert!(thread_name(Some(&"é".repeat(64)), 64).is_ok());
        assert!(matches!(
            thread_draft(Some("t"), Some(" "), 64),
            Err(DomainError::InvalidParameter(_))
        ));
        assert_eq!(
            thread_draft(Some("t"), Some("12"), 64).unwrap().msg_id,
            "12"
        );
    }

    #[test]
    fn the_owner_must_be_an_existing_group_member() {
        let g = RoomId::new(1);
        assert!(plan_thread_create(g, &user("a", true, true)).is_ok());
        assert!(matches!(
            plan_thread_create(g, &user("a", false, false)),
            Err(DomainError::NotFound(_))
        ));
        assert_eq!(
            plan_thread_create(g, &user("a", true, false)),
            Err(DomainError::forbidden(
                "users [a] are not members of group 1!"
            ))
        );
    }

    #[test]
    fn joins_take_group_members_only_and_skip_members_already_in() {
        let g = RoomId::new(1);
        let users = [user("a", true, false), user("b", true, true)];
        let plan = plan_thread_join(&thread(), g, &users, &[true, true]).unwrap();
        assert_eq!(plan.add, vec![Username::parse("a").unwrap()]);
        assert_eq!(
            plan_thread_join(&thread(), g, &users, &[false, true]),
            Err(DomainError::forbidden(
                "users [a] are not members of group 1!"
            ))
        );
        assert!(matches!(
            plan_thread_join(&thread(), g, &[user("x", false, false)], &[false]),
            Err(DomainError::NotFound(_))
        ));
        assert!(matches!(
            plan_thread_join(&thread(), g, &[user("b", true, true)], &[true]),
            Err(DomainError::Forbidden(_))
        ));
    }

    #[test]
    fn kicks_answer_per_user_and_do_not_protect_the_creator() {
        let users = [
            user("boss", true, true),
            user("x", true, false),
            user("ghost", false, false),
        ];
        let out = plan_remove(&thread(), &users, false).unwrap();
        assert!(out[0].1.is_ok());
        assert!(out[1].1.is_err() && out[2].1.is_err());
        // Nobody kicked is still a 200 of results, unlike groups.
        assert!(plan_remove(&thread(), &users[1..], false).is_ok());
    }
}
