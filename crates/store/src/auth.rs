//! Credentials: password hashes (argon2id), rotating refresh tokens, API keys.
//!
//! Refresh tokens and API keys are high-entropy random secrets, stored as SHA-256 hashes; each
//! carries its company and id in clear so it is found with one keyed read on the right shard.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use crm_domain::contacts::Email;
use crm_domain::{CompanyId, UserId};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entities::{api_keys, logins, refresh_tokens, users};
use crate::org::User;
use crate::{Store, StoreError};

/// How long a refresh token lives when unused.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// An argon2id password hash in PHC string form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub(crate) String);

impl PasswordHash {
    /// Hashes a password with argon2id and a random salt.
    pub fn new(password: &str) -> Result<Self, StoreError> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| StoreError::invalid("password", "invalid_password", "the password cannot be hashed"))?;
        Ok(Self(hash.to_string()))
    }

    fn verify(stored: &str, password: &str) -> bool {
        argon2::PasswordHash::new(stored).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    }
}

/// An API key as listed (never with its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    pub user_id: UserId,
    pub prefix: String,
    pub created_at: chrono::DateTime<Utc>,
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits `<prefix>.<company>.<id>.<secret>`.
fn parse_token(token: &str, prefix: &str) -> Option<(Uuid, Uuid, String)> {
    let mut parts = token.trim().split('.');
    if parts.next()? != prefix {
        return None;
    }
    let company = Uuid::parse_str(parts.next()?).ok()?;
    let id = Uuid::parse_str(parts.next()?).ok()?;
    let secret = parts.next()?.to_owned();
    parts.next().is_none().then_some((company, id, secret))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why credentials were refused. Deliberately coarse: the caller learns nothing about which part
/// was wrong.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the credentials are not valid")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for AuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

impl Store {
    /// Checks an email and password; inactive users cannot sign in.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<User, AuthError> {
        let Ok(email) = Email::parse(email) else {
            return Err(AuthError::Invalid);
        };
        let Some(login) = logins::Entity::find_by_id(email.as_str().to_owned()).one(&self.db).await? else {
            // Spend the same time as a real check, so response times do not reveal who exists.
            let _ = PasswordHash::new(password);
            return Err(AuthError::Invalid);
        };
        let user = users::Entity::find_by_id((login.company_id, login.user_id))
            .one(&self.db)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !PasswordHash::verify(&user.password_hash, password) || !user.active {
            return Err(AuthError::Invalid);
        }
        Ok(self.user(user.company_id.into(), user.id.into()).await?)
    }

    /// Issues a refresh token for a user, in a new family (sign-in) or an existing one (rotation).
    pub async fn issue_refresh_token(&self, user: &User, family: Option<Uuid>) -> Result<String, StoreError> {
        let id = Uuid::now_v7();
        let secret = random_secret();
        let now = Utc::now();
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            company_id: Set(user.company_id.0),
            id: Set(id),
            user_id: Set(user.id.0),
            family_id: Set(family.unwrap_or(id)),
            token_hash: Set(sha256_hex(&secret)),
            expires_at: Set(now + Duration::days(REFRESH_TOKEN_DAYS)),
            used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now),
        })
        .exec(&self.db)
        .await?;
        Ok(format!("rt.{}.{}.{}", user.company_id.0.simple(), id.simple(), secret))
    }

    /// Exchanges a refresh token for a new one (the old one is spent). A spent token presented
    /// again means it was stolen: its whole family is revoked.
    pub async fn rotate_refresh_token(&self, token: &str) -> Result<(User, String), AuthError> {
        let (company, id, secret) = parse_token(token, "rt").ok_or(AuthError::Invalid)?;
        let row = refresh_tokens::Entity::find_by_id((company, id))
            .one(&self.db)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !constant_time_eq(&row.token_hash, &sha256_hex(&secret)) {
            return Err(AuthError::Invalid);
        }
        let now = Utc::now();
        if row.used_at.is_some() {
            self.revoke_family(company, row.family_id).await?;
            return Err(AuthError::Invalid);
        }
        if row.revoked_at.is_some() || row.expires_at < now {
            return Err(AuthError::Invalid);
        }
        // Spend it only if nobody spent it in the meantime (two concurrent refreshes: one wins).
        let spent = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
            .filter(refresh_tokens::Column::CompanyId.eq(company))
            .filter(refresh_tokens::Column::Id.eq(id))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        if spent.rows_affected != 1 {
            return Err(AuthError::Invalid);
        }
        let user = self
            .user(company.into(), row.user_id.into())
            .await
            .map_err(|_| AuthError::Invalid)?;
        if !user.active {
            return Err(AuthError::Invalid);
        }
        let next = self.issue_refresh_token(&user, Some(row.family_id)).await?;
        Ok((user, next))
    }

    /// Signs out: revokes the token's family.
    pub async fn revoke_refresh_token(&self, token: &str) -> Result<(), AuthError> {
        let (company, id, secret) = parse_token(token, "rt").ok_or(AuthError::Invalid)?;
        let row = refresh_tokens::Entity::find_by_id((company, id))
            .one(&self.db)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !constant_time_eq(&row.token_hash, &sha256_hex(&secret)) {
            return Err(AuthError::Invalid);
        }
        self.revoke_family(company, row.family_id).await?;
        Ok(())
    }

    async fn revoke_family(&self, company: Uuid, family: Uuid) -> Result<(), StoreError> {
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(refresh_tokens::Column::CompanyId.eq(company))
            .filter(refresh_tokens::Column::FamilyId.eq(family))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Creates an API key acting as `user`; returns it with its secret (shown once).
    pub async fn create_api_key(
        &self,
        company: CompanyId,
        creator: UserId,
        user: UserId,
        name: &str,
    ) -> Result<(ApiKeyRecord, String), StoreError> {
        let name = crm_domain::org::parse_name(name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        self.user(company, user)
            .await
            .map_err(|_| StoreError::invalid("user_id", "unknown_user", "no such user in this company"))?;
        let id = Uuid::now_v7();
        let secret = random_secret();
        let token = format!("ak.{}.{}.{}", company.0.simple(), id.simple(), secret);
        let prefix: String = token.chars().take(12).collect();
        let now = Utc::now();
        api_keys::Entity::insert(api_keys::ActiveModel {
            company_id: Set(company.0),
            id: Set(id),
            name: Set(name.clone()),
            user_id: Set(user.0),
            prefix: Set(prefix.clone()),
            key_hash: Set(sha256_hex(&secret)),
            created_by: Set(creator.0),
            created_at: Set(now),
            revoked_at: Set(None),
        })
        .exec(&self.db)
        .await?;
        Ok((
            ApiKeyRecord {
                id,
                name,
                user_id: user,
                prefix,
                created_at: now,
            },
            token,
        ))
    }

    /// The company's API keys that are not revoked.
    pub async fn api_keys(&self, company: CompanyId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = api_keys::Entity::find()
            .filter(api_keys::Column::CompanyId.eq(company.0))
            .filter(api_keys::Column::RevokedAt.is_null())
            .order_by_asc(api_keys::Column::CreatedAt)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|k| ApiKeyRecord {
                id: k.id,
                name: k.name,
                user_id: k.user_id.into(),
                prefix: k.prefix,
                created_at: k.created_at,
            })
            .collect())
    }

    pub async fn revoke_api_key(&self, company: CompanyId, id: Uuid) -> Result<(), StoreError> {
        let res = api_keys::Entity::update_many()
            .col_expr(api_keys::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(api_keys::Column::CompanyId.eq(company.0))
            .filter(api_keys::Column::Id.eq(id))
            .filter(api_keys::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            Err(StoreError::NotFound("api key"))
        } else {
            Ok(())
        }
    }

    /// The user an API key acts as.
    pub async fn authenticate_api_key(&self, token: &str) -> Result<User, AuthError> {
        let (company, id, secret) = parse_token(token, "ak").ok_or(AuthError::Invalid)?;
        let row = api_keys::Entity::find_by_id((company, id))
            .one(&self.db)
            .await?
            .ok_or(AuthError::Invalid)?;
        if row.revoked_at.is_some() || !constant_time_eq(&row.key_hash, &sha256_hex(&secret)) {
            return Err(AuthError::Invalid);
        }
        let user = self
            .user(company.into(), row.user_id.into())
            .await
            .map_err(|_| AuthError::Invalid)?;
        if user.active { Ok(user) } else { Err(AuthError::Invalid) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_only_in_their_own_form() {
        let c = Uuid::now_v7();
        let i = Uuid::now_v7();
        let t = format!("rt.{}.{}.abc", c.simple(), i.simple());
        assert_eq!(parse_token(&t, "rt"), Some((c, i, "abc".into())));
        assert_eq!(parse_token(&t, "ak"), None);
        assert_eq!(parse_token("rt.x.y.z", "rt"), None);
        assert_eq!(parse_token(&format!("{t}.extra"), "rt"), None);
    }

    #[test]
    fn password_hashes_verify() {
        let h = PasswordHash::new("correct horse battery").unwrap();
        assert!(h.0.starts_with("$argon2id$"));
        assert!(PasswordHash::verify(&h.0, "correct horse battery"));
        assert!(!PasswordHash::verify(&h.0, "wrong"));
    }
}
