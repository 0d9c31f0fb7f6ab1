//! Small string maps: group member attributes and user attributes. A set merges into the
//! existing keys and an empty value deletes its key.

use crate::{DomainError, Limits};
use std::collections::BTreeMap;

pub type Attributes = BTreeMap<String, String>;

/// A validated change: keys to set and keys to delete.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    pub set: Attributes,
    pub delete: Vec<String>,
}

impl Patch {
    /// `raw` is the `metaData` object as sent, values already read as text.
    pub fn parse(raw: Vec<(String, String)>, limits: &Limits) -> Result<Patch, DomainError> {
        if raw.is_empty() {
            return Err(DomainError::invalid("metaData must be provided"));
        }
        Self::parse_with(
            raw,
            limits.member_attr_key_bytes,
            limits.member_attr_value_bytes,
        )
    }

    /// Reads pairs whose keys (non-empty) and values are at most this many bytes.
    pub fn parse_with(
        raw: Vec<(String, String)>,
        key_bytes: usize,
        value_bytes: usize,
    ) -> Result<Patch, DomainError> {
        let mut patch = Patch::default();
        for (k, v) in raw {
            if k.contains('\0') || v.contains('\0') {
                return Err(DomainError::illegal(
                    "the attributes contain a NUL character (\\u0000)",
                ));
            }
            if k.is_empty() || k.len() > key_bytes {
                return Err(DomainError::invalid(format!(
                    "the key {k} exceeds {key_bytes} bytes"
                )));
            }
            if v.len() > value_bytes {
                return Err(DomainError::invalid(format!(
                    "the value of {k} exceeds {value_bytes} bytes"
                )));
            }
            if v.is_empty() {
                patch.set.remove(&k);
                patch.delete.push(k);
            } else {
                patch.delete.retain(|d| *d != k);
                patch.set.insert(k, v);
            }
        }
        Ok(patch)
    }

    /// The member's attributes after this patch, or the error when they grow past the limit.
    pub fn apply(
        &self,
        current: Attributes,
        who: &str,
        group: impl std::fmt::Display,
        limits: &Limits,
    ) -> Result<Attributes, DomainError> {
        let current = self.merge(current);
        if size(&current) > limits.member_attr_bytes_per_member {
            return Err(DomainError::forbidden(format!(
                "the attributes of user {who} in group {group} exceed {} bytes",
                limits.member_attr_bytes_per_member
            )));
        }
        Ok(current)
    }

    /// `current` with this patch applied, whatever its size.
    pub fn merge(&self, mut current: Attributes) -> Attributes {
        for k in &self.delete {
            current.remove(k);
        }
        current.extend(self.set.iter().map(|(k, v)| (k.clone(), v.clone())));
        current
    }
}

/// A user's attributes after `patch`, or 403 when they grow past the per-user size.
pub fn apply_to_user(
    patch: &Patch,
    current: Attributes,
    who: &str,
    limits: &Limits,
) -> Result<Attributes, DomainError> {
    let merged = patch.merge(current);
    if size(&merged) > limits.user_attr_bytes_per_user {
        return Err(DomainError::forbidden(format!(
            "the attributes of user {who} exceed {} bytes",
            limits.user_attr_bytes_per_user
        )));
    }
    Ok(merged)
}

/// The 403 of a user attribute set that would grow the app's user attributes past `cap` bytes
/// (the shape of the per-user size limit).
pub fn app_cap_exceeded(cap: i64) -> DomainError {
    DomainError::forbidden(format!(
        "the user attributes of the app would exceed {cap} bytes"
    ))
}

/// The bytes a map takes: its keys and values.
pub fn size(attrs: &Attributes) -> usize {
    attrs.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// Keeps only the asked keys (all when none are asked).
pub fn select(attrs: Attributes, keys: &[String]) -> Attributes {
    if keys.is_empty() {
        return attrs;
    }
    attrs
        .into_iter()
        .filter(|(k, _)| keys.contains(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_patch_merges_and_an_empty_value_deletes() {
        let l = Limits::default();
        let current: Attributes = [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        let p = Patch::parse(pairs(&[("b", ""), ("c", "3")]), &l).unwrap();
        let got = p.apply(current, "u", 1, &l).unwrap();
        assert_eq!(
            got,
            [("a".into(), "1".into()), ("c".into(), "3".into())].into()
        );
    }

    #[test]
    fn keys_values_and_sets_have_limits() {
        let l = Limits::default();
        assert!(Patch::parse(vec![], &l).is_err());
        assert!(Patch::parse(pairs(&[("", "x")]), &l).is_err());
        assert!(Patch::parse(pairs(&[(&"k".repeat(17), "x")]), &l).is_err());
        assert!(Patch::parse(pairs(&[(&"k".repeat(16), "x")]), &l).is_ok());
        assert!(Patch::parse(vec![("k".into(), "v".repeat(513))], &l).is_err());
        let big: Vec<(String, String)> =
            (0..9).map(|i| (format!("k{i}"), "v".repeat(500))).collect();
        let p = Patch::parse(big, &l).unwrap();
        assert_eq!(
            p.apply(Attributes::new(), "u", 7, &l),
            Err(DomainError::forbidden(
                "the attributes of user u in group 7 exceed 4096 bytes"
            ))
        );
    }

    #[test]
    fn user_attributes_merge_up_to_the_per_user_size() {
        let l = Limits::default();
        let p = Patch::parse_with(pairs(&[("a", "1"), ("b", "")]), 2048, 2048).unwrap();
        let current: Attributes = [("b".into(), "2".into())].into();
        assert_eq!(
            apply_to_user(&p, current, "u", &l).unwrap(),
            [("a".into(), "1".into())].into()
        );
        let p = Patch::parse_with(pairs(&[("k", &"v".repeat(2047))]), 2048, 2048).unwrap();
        assert!(apply_to_user(&p, Attributes::new(), "u", &l).is_ok());
        let p = Patch::parse_with(pairs(&[("kk", &"v".repeat(2047))]), 2048, 2048).unwrap();
        assert_eq!(
            apply_to_user(&p, Attributes::new(), "u", &l),
            Err(DomainError::forbidden(
                "the attributes of user u exceed 2048 bytes"
            ))
        );
    }

    #[test]
    fn select_keeps_the_asked_keys_or_all() {
        let a: Attributes = [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        assert_eq!(select(a.clone(), &[]), a);
        assert_eq!(select(a, &["b".into(), "z".into()]).len(), 1);
    }
}
