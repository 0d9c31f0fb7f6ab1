//! Chatroom custom attributes (`reference/chatroom-attribute.md`): up to 10 keys per request,
//! each checked on its own; a key belongs to the member who set it, and only they may
//! overwrite or delete it unless the request is forced.

use crate::{DomainError, Limits};
use std::collections::BTreeMap;

/// Whether a member's keys go when they leave the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoDelete {
    Delete,
    NoDelete,
}

impl AutoDelete {
    /// `DELETE` (the default) or `NO_DELETE`, in any case.
    pub fn parse(raw: Option<&str>) -> Result<AutoDelete, DomainError> {
        match raw.map(|s| s.trim().to_ascii_uppercase()).as_deref() {
            None | Some("") | Some("DELETE") => Ok(AutoDelete::Delete),
            Some("NO_DELETE") => Ok(AutoDelete::NoDelete),
            Some(_) => Err(DomainError::invalid(
                "autoDelete must be DELETE or NO_DELETE",
            )),
        }
    }
}

/// The 401 the page names for a user who is not a member.
pub fn not_in_chatroom() -> DomainError {
    DomainError::NotInChatroom("user is not in chatroom".into())
}

/// Checks the number of keys one request names (at least one, at most the batch size) and
/// refuses NUL characters, which PostgreSQL cannot store.
pub fn check_request<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    count: usize,
    what: &str,
    limits: &Limits,
) -> Result<(), DomainError> {
    if count == 0 {
        return Err(DomainError::invalid(format!("{what} must be provided")));
    }
    if count > limits.chatroom_attr_batch {
        return Err(DomainError::invalid(format!(
            "exceed allowed batch size {}",
            limits.chatroom_attr_batch
        )));
    }
    if texts.into_iter().any(|t| t.contains('\0')) {
        return Err(DomainError::illegal(
            "the attributes contain a NUL character (\\u0000)",
        ));
    }
    Ok(())
}

/// Why a key cannot be used, if it cannot: 1–128 characters of `[a-zA-Z0-9_.-]`.
fn key_error(key: &str, limits: &Limits) -> Option<String> {
    let max = limits.chatroom_attr_key_chars;
    if key.is_empty() {
        return Some("properties key is empty".into());
    }
    if key.chars().count() > max {
        return Some(format!(
            "properties key '{key}' is exceeding maximum limit {max}"
        ));
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Some(format!(
            "properties key '{key}' may only hold a-z, A-Z, 0-9, '_', '-' and '.'"
        ));
    }
    None
}

/// What a request did: the keys it applied, and a reason for each key it did not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyResults {
    pub success: Vec<String>,
    pub errors: BTreeMap<String, String>,
}

pub const OTHERS_SET: &str = "others are not allowed to be set";
pub const OTHERS_DELETE: &str = "others are not allowed to be deleted";

/// Decides a set by `who`: which pairs to write and why the others are refused. `setters` has
/// the current setter of each requested key that exists; `stored` is how many keys the room
/// holds. Refused when nothing can be written because the keys belong to others (the page's
/// 400 `others are not allowed to be set`).
pub fn plan_set(
    pairs: Vec<(String, String)>,
    setters: &BTreeMap<String, String>,
    stored: i64,
    who: &str,
    forced: bool,
    limits: &Limits,
) -> Result<(Vec<(String, String)>, KeyResults), DomainError> {
    let mut write = Vec::new();
    let mut results = KeyResults::default();
    let mut room_left = limits.chatroom_attrs_per_room - stored;
    for (k, v) in pairs {
        let refused = if let Some(e) = key_error(&k, limits) {
            Some(e)
        } else if v.is_empty() {
            Some(format!("properties value of key '{k}' is empty"))
        } else if v.chars().count() > limits.chatroom_attr_value_chars {
            Some(format!(
                "properties value of key '{k}' is exceeding maximum limit {}",
                limits.chatroom_attr_value_chars
            ))
        } else {
            match setters.get(&k) {
                Some(s) if s != who && !forced => Some(OTHERS_SET.to_owned()),
                Some(_) => None,
                None if room_left <= 0 => Some(format!(
                    "the chatroom already has {} attributes, the maximum",
                    limits.chatroom_attrs_per_room
                )),
                None => {
                    room_left -= 1;
                    None
                }
            }
        };
        match refused {
            Some(e) => {
                results.errors.insert(k, e);
            }
            None => {
                results.success.push(k.clone());
                write.push((k, v));
            }
        }
    }
    if write.is_empty() && results.errors.values().any(|e| e == OTHERS_SET) {
        return Err(DomainError::ForbiddenBadRequest(OTHERS_SET.into()));
    }
    Ok((write, results))
}

/// Why a key is refused when the app's chatroom attributes would grow past their total, and
/// the 403 when no key of a set can be written for that reason (the shape of the other size
/// limits: per key in `errorKeys`, 403 `forbidden_op` when the whole write is refused).
pub fn app_cap_text(cap: i64) -> String {
    format!("the chatroom attributes of the app would exceed {cap} bytes")
}

/// The bytes a key takes in its app's total: its key and value, in UTF-8.
pub fn entry_bytes(key: &str, value: &str) -> i64 {
    (key.len() + value.len()) as i64
}

/// How much writing `pairs` grows the app's total; `old` has the bytes of each key that
/// exists now.
pub fn growth(pairs: &[(String, String)], old: &BTreeMap<String, i64>) -> i64 {
    pairs
        .iter()
        .map(|(k, v)| entry_bytes(k, v) - old.get(k).copied().unwrap_or(0))
        .sum()
}

/// Keeps the planned pairs that fit within the app's `cap` when it uses `used` bytes: keys
/// that do not grow the total always fit; growing keys are taken in request order while they
/// fit, and the others are refused in `errorKeys`. Refused whole (403) when nothing is left to
/// write because of the cap.
pub fn fit_app_cap(
    write: Vec<(String, String)>,
    mut results: KeyResults,
    old: &BTreeMap<String, i64>,
    used: i64,
    cap: i64,
) -> Result<(Vec<(String, String)>, KeyResults), DomainError> {
    let delta = |k: &str, v: &str| entry_bytes(k, v) - old.get(k).copied().unwrap_or(0);
    let mut total = used
        + write
            .iter()
            .map(|(k, v)| delta(k, v))
            .filter(|d| *d <= 0)
            .sum::<i64>();
    let mut kept = Vec::with_capacity(write.len());
    let mut refused = false;
    for (k, v) in write {
        let d = delta(&k, &v);
        if d <= 0 {
            kept.push((k, v));
        } else if total + d <= cap {
            total += d;
            kept.push((k, v));
        } else {
            refused = true;
            results.success.retain(|s| *s != k);
            results.errors.insert(k, app_cap_text(cap));
        }
    }
    if kept.is_empty() && refused {
        return Err(DomainError::forbidden(app_cap_text(cap)));
    }
    Ok((kept, results))
}

/// Decides a delete by `who`: keys that exist and are theirs (any key when forced) go.
pub fn plan_delete(
    keys: Vec<String>,
    setters: &BTreeMap<String, String>,
    who: &str,
    forced: bool,
) -> KeyResults {
    let mut results = KeyResults::default();
    for k in keys {
        match setters.get(&k) {
            None => {
                results
                    .errors
                    .insert(k.clone(), format!("properties key '{k}' does not exist"));
            }
            Some(s) if s != who && !forced => {
                results.errors.insert(k, OTHERS_DELETE.to_owned());
            }
            Some(_) => results.success.push(k),
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn setters(p: &[(&str, &str)]) -> BTreeMap<String, String> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn auto_delete_defaults_to_delete() {
        assert_eq!(AutoDelete::parse(None), Ok(AutoDelete::Delete));
        assert_eq!(
            AutoDelete::parse(Some("no_delete")),
            Ok(AutoDelete::NoDelete)
        );
        assert!(AutoDelete::parse(Some("sometimes")).is_err());
    }

    #[test]
    fn a_request_names_one_to_ten_keys_without_nul() {
        let l = Limits::default();
        assert!(check_request([], 0, "metaData", &l).is_err());
        assert!(check_request(["k"], 10, "metaData", &l).is_ok());
        assert_eq!(
            check_request([], 11, "metaData", &l),
            Err(DomainError::invalid("exceed allowed batch size 10"))
        );
        assert!(check_request(["a\0"], 1, "keys", &l).is_err());
    }

    #[test]
    fn each_key_is_checked_on_its_own() {
        let l = Limits::default();
        let long = "k".repeat(129);
        let (write, r) = plan_set(
            pairs(&[
                ("ok", "v"),
                (&long, "v"),
                ("bad key", "v"),
                ("e", ""),
                ("big", &"v".repeat(4097)),
            ]),
            &BTreeMap::new(),
            0,
            "amy",
            false,
            &l,
        )
        .unwrap();
        assert_eq!(write, pairs(&[("ok", "v")]));
        assert_eq!(r.success, vec!["ok".to_string()]);
        assert_eq!(
            r.errors[&long],
            format!("properties key '{long}' is exceeding maximum limit 128")
        );
        assert_eq!(r.errors.len(), 4);
    }

    #[test]
    fn only_the_setter_overwrites_unless_forced() {
        let l = Limits::default();
        let s = setters(&[("a", "bob"), ("b", "amy")]);
        let (write, r) =
            plan_set(pairs(&[("a", "1"), ("b", "2")]), &s, 2, "amy", false, &l).unwrap();
        assert_eq!(write, pairs(&[("b", "2")]));
        assert_eq!(r.errors["a"], OTHERS_SET);
        assert_eq!(
            plan_set(pairs(&[("a", "1")]), &s, 2, "amy", false, &l),
            Err(DomainError::ForbiddenBadRequest(OTHERS_SET.into()))
        );
        let (write, _) = plan_set(pairs(&[("a", "1")]), &s, 2, "amy", true, &l).unwrap();
        assert_eq!(write.len(), 1);
    }

    #[test]
    fn a_room_holds_at_most_100_keys_but_existing_ones_can_change() {
        let l = Limits::default();
        let s = setters(&[("old", "amy")]);
        let (write, r) = plan_set(
            pairs(&[("old", "1"), ("n1", "1"), ("n2", "1")]),
            &s,
            99,
            "amy",
            false,
            &l,
        )
        .unwrap();
        assert_eq!(write, pairs(&[("old", "1"), ("n1", "1")]));
        assert!(r.errors["n2"].contains("maximum"));
    }

    #[test]
    fn the_app_cap_keeps_shrinking_keys_and_growing_ones_while_they_fit() {
        let old: BTreeMap<String, i64> = [("big".to_string(), 10)].into();
        let write = pairs(&[("a", "1234"), ("big", "1"), ("b", "12"), ("c", "1")]);
        let results = KeyResults {
            success: write.iter().map(|(k, _)| k.clone()).collect(),
            errors: BTreeMap::new(),
        };
        assert_eq!(growth(&write, &old), 5 + 4 - 10 + 3 + 2);
        // 100 used of 101: "big" frees 6, so "a" (5) fits, "b" (3) does not, "c" (2) does.
        let (kept, r) = fit_app_cap(write.clone(), results.clone(), &old, 100, 101).unwrap();
        assert_eq!(kept, pairs(&[("a", "1234"), ("big", "1"), ("c", "1")]));
        assert_eq!(r.success, vec!["a", "big", "c"]);
        assert_eq!(
            r.errors["b"],
            "the chatroom attributes of the app would exceed 101 bytes"
        );
        // Nothing fits: the whole set is refused.
        let only = pairs(&[("a", "1234")]);
        let r = KeyResults {
            success: vec!["a".into()],
            errors: BTreeMap::new(),
        };
        assert_eq!(
            fit_app_cap(only, r, &old, 100, 104),
            Err(DomainError::forbidden(app_cap_text(104)))
        );
    }

    #[test]
    fn deletes_need_the_key_and_its_setter_unless_forced() {
        let s = setters(&[("a", "bob"), ("b", "amy")]);
        let keys = || vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let r = plan_delete(keys(), &s, "amy", false);
        assert_eq!(r.success, vec!["b".to_string()]);
        assert_eq!(r.errors["a"], OTHERS_DELETE);
        assert_eq!(r.errors["c"], "properties key 'c' does not exist");
        let r = plan_delete(keys(), &s, "amy", true);
        assert_eq!(r.success, vec!["a".to_string(), "b".to_string()]);
    }
}
