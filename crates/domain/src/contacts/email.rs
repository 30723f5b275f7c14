use serde::{Deserialize, Serialize};

/// Why a string is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("'{0}' is not a valid email address")]
    Invalid(String),
}

/// An email address, trimmed and lower-cased (mailbox names are case-insensitive in practice,
/// and duplicates must be found whatever case a receptionist typed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        let invalid = || EmailError::Invalid(input.trim().to_owned());
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains(char::is_whitespace)
            && !local.contains(['@', '<', '>', ',', ';', '"']);
        if !domain_ok || !local_ok || value.len() > 254 {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Email::parse("  Jan.Novak@Example.CZ ").map(|e| e.0),
            Ok("jan.novak@example.cz".into())
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "jan", "jan@", "@x.cz", "jan@x", "jan novak@x.cz", "a@b..cz", "a@.b.cz"] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
