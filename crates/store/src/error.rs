use crm_domain::contacts::ContactErrors;

/// What can go wrong in a repository call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or the caller may not see it (the two are not told apart).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken (or another request changed the record first).
    #[error("{message}")]
    Conflict { field: Option<&'static str>, message: String },
    /// The record's state does not allow this now (already decided, claimed by someone else):
    /// a conflict with its own stable code.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// A value broke a rule.
    #[error("{message}")]
    Invalid {
        field: String,
        code: &'static str,
        message: String,
    },
    /// A contact's fields broke their kind's rules.
    #[error(transparent)]
    Contact(#[from] ContactErrors),
    /// The caller lacks the right for this action.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The database's own words are the source, for the log; the API answers a generic 500.
    #[error("database error")]
    Db(#[source] sea_orm::DbErr),
    /// Something that should not happen (a worker thread died).
    #[error("{0}")]
    Internal(String),
}

impl From<sea_orm::DbErr> for StoreError {
    /// A unique key's violation is a lost race or a duplicate: a conflict, not a failure.
    fn from(e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::Conflict {
                field: None,
                message: "that record exists already (or was just created by another request)".to_owned(),
            },
            _ => Self::Db(e),
        }
    }
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}
