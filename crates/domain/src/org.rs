//! Companies, offices, users and what each user may do.

use serde::{Deserialize, Serialize};

/// What a user does in the company. The role is descriptive (shown in the UI, used to pick
/// defaults); what a user may see is decided by [`crate::permissions::Permissions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Broker,
    OfficeManager,
    Receptionist,
    CallCentre,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::Broker,
        Self::OfficeManager,
        Self::Receptionist,
        Self::CallCentre,
        Self::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Broker => "broker",
            Self::OfficeManager => "office_manager",
            Self::Receptionist => "receptionist",
            Self::CallCentre => "call_centre",
            Self::Administrator => "administrator",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// How far a user's sight reaches for one side (offer or demand) of the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only contacts the user owns.
    Own,
    /// Also contacts owned by others in the user's office.
    Office,
    /// Also contacts owned by anyone in the company.
    Company,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Self::Own, Self::Office, Self::Company];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Office => "office",
            Self::Company => "company",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Why a name is not acceptable for an office, group or company.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {0} characters")]
    TooLong(usize),
}

/// A trimmed, non-empty name of at most 200 characters.
pub fn parse_name(input: &str) -> Result<String, NameError> {
    let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        Err(NameError::Empty)
    } else if value.chars().count() > 200 {
        Err(NameError::TooLong(200))
    } else {
        Ok(value)
    }
}

/// Why a password is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {0} characters")]
    TooShort(usize),
}

/// Passwords must have at least 10 characters; no composition rules (NIST SP 800-63B).
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < 10 {
        Err(PasswordError::TooShort(10))
    } else {
        Ok(())
    }
}
