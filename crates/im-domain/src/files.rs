//! Group shared files: what a file's name may be, and the per-group cap.

use crate::DomainError;

/// Longest file name kept, in characters.
pub const NAME_CHARS: usize = 255;

/// A shared file's name as shown and downloaded: the last component of what the client sent
/// (browsers and `curl -F` may send a path), trimmed; no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// `None` or an empty name becomes `file`.
    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        let raw = raw.unwrap_or_default();
        if raw.contains('\0') {
            return Err(DomainError::illegal(
                "the file name contains a NUL character (\\u0000)",
            ));
        }
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
        if last.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "the file name contains a control character",
            ));
        }
        if last.chars().count() > NAME_CHARS {
            return Err(DomainError::invalid(format!(
                "the file name is longer than {NAME_CHARS} characters"
            )));
        }
        Ok(Self(match last {
            "" | "." | ".." => "file".to_owned(),
            s => s.to_owned(),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A group holding `count` files may take one more only under `cap`.
pub fn check_cap(count: i64, cap: i64) -> Result<(), DomainError> {
    if count >= cap {
        return Err(DomainError::ExceedLimit(format!(
            "the group has reached its limit of {cap} shared files"
        )));
    }
    Ok(())
}

/// An empty upload is refused.
pub fn check_size(size: u64) -> Result<(), DomainError> {
    if size == 0 {
        return Err(DomainError::invalid("the file is empty"));
    }
    Ok(())
}

pub fn file_not_found(id: &str) -> DomainError {
    DomainError::not_found(format!("file {id} does not exist!"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_last_component_and_refuse_control_characters() {
        let ok = |s: &str| FileName::parse(Some(s)).unwrap().into_string();
        assert_eq!(ok("report.pdf"), "report.pdf");
        assert_eq!(ok("C:\\Users\\me\\报告 1.pdf"), "报告 1.pdf");
        assert_eq!(ok("/tmp/../a b.txt "), "a b.txt");
        assert_eq!(ok(""), "file");
        assert_eq!(ok("dir/"), "file");
        assert_eq!(FileName::parse(None).unwrap().as_str(), "file");
        assert!(FileName::parse(Some("a\0b")).is_err());
        assert!(FileName::parse(Some("a\nb")).is_err());
        assert!(FileName::parse(Some(&"x".repeat(NAME_CHARS))).is_ok());
        assert!(FileName::parse(Some(&"é".repeat(NAME_CHARS + 1))).is_err());
    }

    #[test]
    fn the_cap_and_the_size_rules() {
        assert!(check_cap(9_999, 10_000).is_ok());
        assert!(matches!(
            check_cap(10_000, 10_000),
            Err(DomainError::ExceedLimit(_))
        ));
        assert!(check_size(0).is_err());
        assert!(check_size(1).is_ok());
    }
}
