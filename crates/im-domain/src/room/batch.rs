//! Several callers' membership changes to one room, decided together: the store applies
//! concurrent adds to a busy room in one transaction, and each caller still gets the answer it
//! would have got alone, as if the adds had run one after another in arrival order.

use super::{plan_add, plan_remove, AddPlan, Outcome, RoomFacts, UserFacts};
use crate::{DomainError, Username};
use std::collections::HashMap;

/// One caller's add in a batch.
#[derive(Debug, Clone)]
pub struct AddRequest {
    pub names: Vec<Username>,
    /// One user through `/users/{u}` (already a member is an error) rather than a batch.
    pub single: bool,
    /// Rooms of this kind one user may be in.
    pub per_user_limit: i64,
}

/// Plans `requests` in order against `room` and `users` (the facts of every name any request
/// names, read under the room lock). Each plan sees the room as the earlier applied plans left
/// it: their members counted, their users members, their joins counted against the per-user
/// limit. A refused request changes nothing for the later ones.
pub fn plan_add_batch(
    room: &RoomFacts,
    users: &[UserFacts],
    requests: &[AddRequest],
) -> Vec<Result<AddPlan, DomainError>> {
    in_order(
        room,
        users,
        requests,
        |r| &r.names,
        |room, facts, req| plan_add(room, facts, req.single, req.per_user_limit),
        |plan, room, now| {
            for name in &plan.add {
                if let Some(u) = now.get_mut(name) {
                    u.member = true;
                    u.joined += 1;
                    room.member_count += 1;
                }
            }
        },
    )
}

/// One caller's removal in a batch.
#[derive(Debug, Clone)]
pub struct RemoveRequest {
    pub names: Vec<Username>,
    /// One user through `/users/{u}` (a refusal is an error) rather than a list.
    pub single: bool,
}

/// Plans removals in order, as [`plan_add_batch`] plans adds: each sees the members the earlier
/// ones removed gone.
pub fn plan_remove_batch(
    room: &RoomFacts,
    users: &[UserFacts],
    requests: &[RemoveRequest],
) -> Vec<Result<Vec<Outcome>, DomainError>> {
    in_order(
        room,
        users,
        requests,
        |r| &r.names,
        |room, facts, req| plan_remove(room, facts, req.single),
        |outcomes, room, now| {
            for (name, outcome) in outcomes {
                if let (Ok(()), Some(u)) = (outcome, now.get_mut(name)) {
                    u.member = false;
                    u.joined -= 1;
                    room.member_count -= 1;
                }
            }
        },
    )
}

/// Plans each request against the facts the earlier applied plans left (`apply` records a
/// plan's effect); a refused request changes nothing.
fn in_order<R, P>(
    room: &RoomFacts,
    users: &[UserFacts],
    requests: &[R],
    names: impl Fn(&R) -> &Vec<Username>,
    plan: impl Fn(&RoomFacts, &[UserFacts], &R) -> Result<P, DomainError>,
    apply: impl Fn(&P, &mut RoomFacts, &mut HashMap<Username, UserFacts>),
) -> Vec<Result<P, DomainError>> {
    let mut room = room.clone();
    let mut now: HashMap<Username, UserFacts> =
        users.iter().map(|u| (u.name.clone(), u.clone())).collect();
    requests
        .iter()
        .map(|req| {
            let facts = facts_of(&now, names(req));
            let planned = plan(&room, &facts, req)?;
            apply(&planned, &mut room, &mut now);
            Ok(planned)
        })
        .collect()
}

/// The current facts of the named users.
fn facts_of(now: &HashMap<Username, UserFacts>, names: &[Username]) -> Vec<UserFacts> {
    names
        .iter()
        .map(|n| now.get(n).cloned().unwrap_or_else(|| unknown(n.clone())))
        .collect()
}

/// A name the caller read no facts for: treated as a user that does not exist.
fn unknown(name: Username) -> UserFacts {
    UserFacts {
        name,
        exists: false,
        member: false,
        blocked: false,
        joined: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::{RoomId, RoomKind};

    fn room(count: i32, max: i32) -> RoomFacts {
        RoomFacts {
            kind: RoomKind::Chatroom,
            id: RoomId::new(7),
            owner: "owner".into(),
            maxusers: max,
            member_count: count,
        }
    }

    fn user(name: &str, joined: i64) -> UserFacts {
        UserFacts {
            name: Username::parse(name).unwrap(),
            exists: true,
            member: false,
            blocked: false,
            joined,
        }
    }

    fn req(names: &[&str], single: bool, limit: i64) -> AddRequest {
        AddRequest {
            names: names.iter().map(|n| Username::parse(n).unwrap()).collect(),
            single,
            per_user_limit: limit,
        }
    }

    #[test]
    fn a_later_request_sees_the_members_an_earlier_one_added() {
        let plans = plan_add_batch(
            &room(1, 100),
            &[user("a", 0), user("b", 0)],
            &[
                req(&["a"], true, 10),
                req(&["a"], true, 10),
                req(&["a", "b"], false, 10),
            ],
        );
        assert_eq!(
            plans[0].as_ref().unwrap().add,
            vec![Username::parse("a").unwrap()]
        );
        let err = plans[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("already in group"), "{err}");
        let third = plans[2].as_ref().unwrap();
        assert_eq!(third.add, vec![Username::parse("b").unwrap()]);
        assert_eq!(third.already, vec![Username::parse("a").unwrap()]);
    }

    #[test]
    fn the_room_fills_up_in_arrival_order_and_a_refusal_takes_no_place() {
        let plans = plan_add_batch(
            &room(1, 3),
            &[user("a", 0), user("b", 0), user("c", 0), user("d", 0)],
            &[
                req(&["a"], true, 10),
                req(&["b", "c"], false, 10),
                req(&["b"], true, 10),
                req(&["d"], true, 10),
            ],
        );
        assert!(plans[0].is_ok());
        let full = plans[1].as_ref().unwrap_err().to_string();
        assert!(full.contains("greater than max user size"), "{full}");
        assert!(plans[2].is_ok());
        assert!(plans[3].is_err());
    }

    #[test]
    fn joins_in_one_batch_count_against_the_per_user_limit() {
        let mut other = room(1, 100);
        other.id = RoomId::new(8);
        let plans = plan_add_batch(
            &room(1, 100),
            &[user("a", 1), user("b", 0)],
            &[req(&["a"], true, 2), req(&["b"], true, 2)],
        );
        assert!(plans.iter().all(Result::is_ok));
        // A user at the limit is refused.
        let plans = plan_add_batch(&other, &[user("a", 2)], &[req(&["a"], true, 2)]);
        let err = plans[0].as_ref().unwrap_err().to_string();
        assert!(err.contains("joined too many"), "{err}");
    }

    fn member(name: &str) -> UserFacts {
        UserFacts {
            member: true,
            joined: 1,
            ..user(name, 1)
        }
    }

    fn rm(names: &[&str], single: bool) -> RemoveRequest {
        RemoveRequest {
            names: names.iter().map(|n| Username::parse(n).unwrap()).collect(),
            single,
        }
    }

    #[test]
    fn a_later_removal_sees_the_members_an_earlier_one_removed() {
        let plans = plan_remove_batch(
            &room(3, 100),
            &[member("a"), member("b")],
            &[rm(&["a"], true), rm(&["a"], true), rm(&["a", "b"], false)],
        );
        assert_eq!(plans[0].as_ref().unwrap()[0].1, Ok(()));
        let err = plans[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("not members"), "{err}");
        let third = plans[2].as_ref().unwrap();
        assert!(third[0].1.is_err());
        assert_eq!(third[1].1, Ok(()));
    }

    #[test]
    fn the_owner_is_never_removed_in_a_batch() {
        let plans = plan_remove_batch(
            &room(2, 100),
            &[member("owner"), member("a")],
            &[rm(&["owner"], true), rm(&["owner", "a"], false)],
        );
        assert!(plans[0].is_err());
        let second = plans[1].as_ref().unwrap();
        assert!(second[0].1.is_err());
        assert_eq!(second[1].1, Ok(()));
    }

    #[test]
    fn a_name_without_facts_is_an_unknown_user() {
        let plans = plan_add_batch(&room(1, 100), &[], &[req(&["ghost"], true, 10)]);
        let err = plans[0].as_ref().unwrap_err().to_string();
        assert!(err.contains("ghost"), "{err}");
    }
}
