use crate::DomainError;

/// A valid IM username: 1–64 bytes of `[a-zA-Z0-9_.-]`, held lowercased (usernames are
/// case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub const MAX_BYTES: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() > Self::MAX_BYTES {
            return Err(DomainError::illegal("USERNAME_TOO_LONG"));
        }
        if raw.is_empty()
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(DomainError::illegal(format!(
                "username [{raw}] is not legal"
            )));
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    /// Parses several names, dropping repeats while keeping the first-seen order.
    pub fn parse_many<'a>(
        raw: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Username>, DomainError> {
        let mut out: Vec<Username> = Vec::new();
        for r in raw {
            let u = Self::parse(r.trim())?;
            if !out.contains(&u) {
                out.push(u);
            }
        }
        Ok(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login password: 1–64 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        match raw {
            None | Some("") => Err(DomainError::illegal("password or pin must provided")),
            Some(p) if p.chars().count() > Self::MAX_CHARS => {
                Err(DomainError::illegal("PASSWORD_TOO_LONG"))
            }
            Some(p) => Ok(Self(p.to_owned())),
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A push nickname: at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::illegal("NICKNAME_TOO_LONG"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("User1", Ok("user1")),
            ("a.b-c_d", Ok("a.b-c_d")),
            ("0", Ok("0")),
            ("", Err("username [] is not legal")),
            ("has space", Err("username [has space] is not legal")),
            ("é", Err("username [é] is not legal")),
            ("a@b", Err("username [a@b] is not legal")),
        ];
        for (raw, want) in cases {
            let got = Username::parse(raw).map(|u| u.into_string());
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(*w), "{raw}"),
                Err(e) => assert_eq!(got, Err(DomainError::illegal(*e)), "{raw}"),
            }
        }
    }

    #[test]
    fn a_username_may_be_64_bytes_but_not_65() {
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(DomainError::illegal("USERNAME_TOO_LONG"))
        );
    }

    #[test]
    fn parse_many_drops_case_insensitive_repeats() {
        let got = Username::parse_many(["A", "b", "a", " B "]).unwrap();
        let names: Vec<&str> = got.iter().map(Username::as_str).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn passwords_must_be_present_and_at_most_64_chars() {
        assert!(Password::parse(Some("x")).is_ok());
        assert!(Password::parse(Some(&"密".repeat(64))).is_ok());
        assert_eq!(
            Password::parse(Some(&"p".repeat(65))),
            Err(DomainError::illegal("PASSWORD_TOO_LONG"))
        );
        assert_eq!(
            Password::parse(None),
            Err(DomainError::illegal("password or pin must provided"))
        );
        assert_eq!(
            Password::parse(Some("")),
            Err(DomainError::illegal("password or pin must provided"))
        );
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse(Some("hunter2")).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn nicknames_are_at_most_100_chars() {
        assert!(Nickname::parse(&"昵".repeat(100)).is_ok());
        assert_eq!(
            Nickname::parse(&"n".repeat(101)),
            Err(DomainError::illegal("NICKNAME_TOO_LONG"))
        );
    }
}
