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

/// How many quick rotations a replayed refresh token may be followed through.
const MAX_GRACE_HOPS: usize = 5;

/// How long sign-ins last, and the key successor refresh tokens are derived with.
#[derive(Clone)]
pub struct SessionPolicy {
    /// An unused refresh token expires after this long.
    pub idle: Duration,
    /// A sign-in (a token family) ends this long after it began.
    pub max: Duration,
    /// A rotated token presented again within this long returns its successor.
    pub grace: Duration,
    /// Server-side key: a successor's secret is `HMAC(key, predecessor's secret)`, so a replay
    /// within the grace period gets the same token back although only hashes are stored, while
    /// a thief holding an old token cannot compute its successor.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for SessionPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPolicy")
            .field("idle", &self.idle)
            .field("max", &self.max)
            .field("grace", &self.grace)
            .field("key", &"***")
            .finish()
    }
}

impl SessionPolicy {
    fn successor(&self, secret: &str) -> String {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes keys of every length")
        };
        mac.update(b"refresh-successor:");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn refresh_token_text(company: Uuid, id: Uuid, secret: &str) -> String {
    format!("rt.{}.{}.{}", company.simple(), id.simple(), secret)
}

/// Revokes every refresh token of a user and refuses their earlier access tokens.
pub(crate) async fn end_sessions(db: &impl sea_orm::ConnectionTrait, company: CompanyId, user: UserId) -> Result<(), StoreError> {
    let now = Utc::now();
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::CompanyId.eq(company.0))
        .filter(refresh_tokens::Column::UserId.eq(user.0))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    users::Entity::update_many()
        .col_expr(users::Column::TokensValidAfter, Expr::value(Some(now)))
        .filter(users::Column::CompanyId.eq(company.0))
        .filter(users::Column::Id.eq(user.0))
        .exec(db)
        .await?;
    Ok(())
}

/// An argon2id password hash in PHC string form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub(crate) String);

impl PasswordHash {
    /// Hashes a password with argon2id and a random salt, on a blocking thread (hashing takes
    /// tens of milliseconds of CPU on purpose; it must not stall the async workers).
    pub async fn new(password: &str) -> Result<Self, StoreError> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| Self(h.to_string()))
                .map_err(|_| StoreError::invalid("password", "invalid_password", "the password cannot be hashed"))
        })
        .await
        .map_err(|e| StoreError::Internal(format!("password hashing stopped: {e}")))?
    }

    /// Checks a password against a stored hash, on a blocking thread.
    pub(crate) async fn verify(stored: String, password: &str) -> bool {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            argon2::PasswordHash::new(&stored).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .unwrap_or(false)
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

pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits `<prefix>.<company>.<id>.<secret>`.
pub(crate) fn parse_token(token: &str, prefix: &str) -> Option<(Uuid, Uuid, String)> {
    let mut parts = token.trim().split('.');
    if parts.next()? != prefix {
        return None;
    }
    let company = Uuid::parse_str(parts.next()?).ok()?;
    let id = Uuid::parse_str(parts.next()?).ok()?;
    let secret = parts.next()?.to_owned();
    parts.next().is_none().then_some((company, id, secret))
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
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
            let _ = PasswordHash::new(password).await;
            return Err(AuthError::Invalid);
        };
        let user = users::Entity::find_by_id((login.company_id, login.user_id))
            .one(&self.db)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !PasswordHash::verify(user.password_hash.clone(), password).await || !user.active {
            return Err(AuthError::Invalid);
        }
        Ok(self.user(user.company_id.into(), user.id.into()).await?)
    }

    /// The user who signs in with this email, if any.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let Some(login) = logins::Entity::find_by_id(email.as_str().to_owned()).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.user(login.company_id.into(), login.user_id.into()).await.ok())
    }

    /// Starts a sign-in: a refresh token in a new family, which ends at the latest after
    /// `policy.max`.
    pub async fn issue_refresh_token(&self, user: &User, policy: &SessionPolicy) -> Result<String, StoreError> {
        let id = Uuid::now_v7();
        let secret = random_secret();
        let now = Utc::now();
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            company_id: Set(user.company_id.0),
            id: Set(id),
            user_id: Set(user.id.0),
            family_id: Set(id),
            token_hash: Set(sha256_hex(&secret)),
            expires_at: Set(now + policy.idle),
            used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now),
            replaced_by: Set(None),
            family_expires_at: Set(Some(now + policy.max)),
        })
        .exec(&self.db)
        .await?;
        Ok(refresh_token_text(user.company_id.0, id, &secret))
    }

    /// Exchanges a refresh token for a new one; the old one is spent. A spent token presented
    /// again within `policy.grace` of its rotation (a browser refreshing from two tabs or two
    /// requests at once) gets the same successor, so the sign-in survives; presented later, it
    /// means the token was stolen and the whole sign-in is revoked.
    pub async fn rotate_refresh_token(&self, token: &str, policy: &SessionPolicy) -> Result<(User, String), AuthError> {
        let (company, id, secret) = parse_token(token, "rt").ok_or(AuthError::Invalid)?;
        let row = refresh_tokens::Entity::find_by_id((company, id))
            .one(&self.db)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !constant_time_eq(&row.token_hash, &sha256_hex(&secret)) {
            return Err(AuthError::Invalid);
        }
        let now = Utc::now();
        let family_end = row.family_expires_at.unwrap_or(row.expires_at);
        if row.revoked_at.is_some() || family_end < now {
            return Err(AuthError::Invalid);
        }
        let user = self
            .user(company.into(), row.user_id.into())
            .await
            .map_err(|_| AuthError::Invalid)?;
        if !user.active {
            return Err(AuthError::Invalid);
        }
        if row.used_at.is_none() {
            if row.expires_at < now {
                return Err(AuthError::Invalid);
            }
            let next_id = Uuid::now_v7();
            let next_secret = policy.successor(&secret);
            let txn = self.write().await?;
            // Spend it only if nobody spent it meanwhile; the loser of a race takes the replay
            // path below and gets the winner's successor.
            let spent = refresh_tokens::Entity::update_many()
                .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
                .col_expr(refresh_tokens::Column::ReplacedBy, Expr::value(next_id))
                .filter(refresh_tokens::Column::CompanyId.eq(company))
                .filter(refresh_tokens::Column::Id.eq(id))
                .filter(refresh_tokens::Column::UsedAt.is_null())
                .exec(&txn)
                .await?;
            if spent.rows_affected == 1 {
                refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
                    company_id: Set(company),
                    id: Set(next_id),
                    user_id: Set(row.user_id),
                    family_id: Set(row.family_id),
                    token_hash: Set(sha256_hex(&next_secret)),
                    expires_at: Set((now + policy.idle).min(family_end)),
                    used_at: Set(None),
                    revoked_at: Set(None),
                    created_at: Set(now),
                    replaced_by: Set(None),
                    family_expires_at: Set(Some(family_end)),
                })
                .exec(&txn)
                .await?;
                txn.commit().await?;
                return Ok((user, refresh_token_text(company, next_id, &next_secret)));
            }
            txn.rollback().await?;
        }
        match self.live_successor(company, id, &secret, policy).await? {
            Some(token) => Ok((user, token)),
            None => {
                tracing::warn!(company = %company, family = %row.family_id, "a spent refresh token was presented again: sign-in revoked");
                self.revoke_family(company, row.family_id).await?;
                Err(AuthError::Invalid)
            }
        }
    }

    /// Follows the rotations of a token that was just spent to the family's live token, as long
    /// as each rotation happened within the grace period. Each successor's secret is derived from
    /// its predecessor's, so the same token text comes back without storing any secret.
    async fn live_successor(&self, company: Uuid, id: Uuid, secret: &str, policy: &SessionPolicy) -> Result<Option<String>, StoreError> {
        let now = Utc::now();
        let (mut id, mut secret) = (id, secret.to_owned());
        for _ in 0..MAX_GRACE_HOPS {
            let Some(row) = refresh_tokens::Entity::find_by_id((company, id)).one(&self.db).await? else {
                return Ok(None);
            };
            if row.revoked_at.is_some() || !constant_time_eq(&row.token_hash, &sha256_hex(&secret)) {
                return Ok(None);
            }
            match (row.used_at, row.replaced_by) {
                (None, _) if row.expires_at >= now => return Ok(Some(refresh_token_text(company, id, &secret))),
                (Some(used), Some(next)) if now - used <= policy.grace => {
                    secret = policy.successor(&secret);
                    id = next;
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Ends every sign-in of a user (password changed, user deactivated): their refresh tokens
    /// are revoked, and access tokens issued before now are refused.
    pub async fn end_sessions(&self, company: CompanyId, user: UserId) -> Result<(), StoreError> {
        let txn = self.write().await?;
        end_sessions(&txn, company, user).await?;
        txn.commit().await?;
        Ok(())
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

    #[tokio::test]
    async fn password_hashes_verify() {
        let h = PasswordHash::new("correct horse battery").await.unwrap();
        assert!(h.0.starts_with("$argon2id$"));
        assert!(PasswordHash::verify(h.0.clone(), "correct horse battery").await);
        assert!(!PasswordHash::verify(h.0, "wrong").await);
    }
}
