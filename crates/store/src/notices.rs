//! Notices to users — a hand-over, a tip, a callback planned for them, a client who
//! unsubscribed — through the channels each user chose per kind: in the app (the bell), by email
//! and by SMS (both through the outbox, so a notice that cannot go now goes later, never twice).

use chrono::{DateTime, Utc};
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, UserId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::{notice_prefs, notifications, users};
use crate::{Store, StoreError};

/// The kinds of notice a user chooses channels for.
pub const NOTICE_KINDS: [&str; 5] = ["handover", "tip", "callback", "unsubscribe", "deal"];

/// Where a kind of notice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub in_app: bool,
    pub email: bool,
    pub sms: bool,
}

impl Channels {
    /// Until a user chooses: in the app always; by email as their "notify me by email" says for
    /// hand-overs and unsubscribes; never by SMS.
    fn default_for(kind: &str, notify_email: bool) -> Self {
        Self {
            in_app: true,
            email: notify_email && matches!(kind, "handover" | "unsubscribe"),
            sms: false,
        }
    }
}

/// A notice to one user.
#[derive(Debug, Clone)]
pub(crate) struct Notice<'a> {
    pub kind: &'static str,
    pub title: &'a str,
    pub body: Option<&'a str>,
    /// A path in the app (`/contacts/<id>`).
    pub link: Option<String>,
    /// The email's subject and text, when the notice goes by email.
    pub email: Option<(String, String)>,
    /// Overrides the user's email choice for this one notice (a hand-over that says so).
    pub email_override: Option<bool>,
}

/// A notification in the app.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// At most this many notifications are listed per page.
pub const MAX_PAGE: u64 = 200;

/// Sends a notice in the caller's transaction, through the channels the receiver chose (read
/// through the transaction).
pub(crate) async fn notify(db: &impl ConnectionTrait, company: CompanyId, to: UserId, notice: Notice<'_>) -> Result<(), StoreError> {
    let Some(user) = users::Entity::find_by_id((company.0, to.0)).one(db).await? else {
        return Ok(());
    };
    let chosen = notice_prefs::Entity::find_by_id((company.0, to.0, notice.kind.to_owned()))
        .one(db)
        .await?
        .map(|p| Channels {
            in_app: p.in_app,
            email: p.email,
            sms: p.sms,
        })
        .unwrap_or_else(|| Channels::default_for(notice.kind, user.notify_email));
    if chosen.in_app {
        notifications::Entity::insert(notifications::ActiveModel {
            company_id: Set(company.0),
            id: Set(Uuid::now_v7()),
            user_id: Set(to.0),
            kind: Set(notice.kind.to_owned()),
            title: Set(notice.title.to_owned()),
            body: Set(notice.body.map(str::to_owned)),
            link: Set(notice.link.clone()),
            created_at: Set(Utc::now()),
            read_at: Set(None),
        })
        .exec_without_returning(db)
        .await?;
    }
    if notice.email_override.unwrap_or(chosen.email)
        && let Some((subject, text)) = &notice.email
    {
        crate::outbox::queue_email(db, company, &user.email, subject, text).await?;
    }
    if chosen.sms
        && let Some(phone) = user.phone.as_deref().filter(|p| !p.is_empty())
    {
        let text = match notice.body {
            Some(b) => format!("{}\n{b}", notice.title),
            None => notice.title.to_owned(),
        };
        crate::outbox::queue_sms(db, company, phone, &text).await?;
    }
    Ok(())
}

impl Store {
    /// The user's notifications, newest first, after the one `after` names.
    pub async fn notifications(
        &self,
        viewer: &Viewer,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let mut q = notifications::Entity::find()
            .filter(notifications::Column::CompanyId.eq(viewer.company_id.0))
            .filter(notifications::Column::UserId.eq(viewer.user_id.0));
        if let Some((at, id)) = after {
            q = q.filter(
                Condition::any().add(notifications::Column::CreatedAt.lt(at)).add(
                    Condition::all()
                        .add(notifications::Column::CreatedAt.eq(at))
                        .add(notifications::Column::Id.lt(id)),
                ),
            );
        }
        Ok(q.order_by_desc(notifications::Column::CreatedAt)
            .order_by_desc(notifications::Column::Id)
            .limit(limit.min(MAX_PAGE))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| NotificationRecord {
                id: n.id,
                kind: n.kind,
                title: n.title,
                body: n.body,
                link: n.link,
                created_at: n.created_at,
                read_at: n.read_at,
            })
            .collect())
    }

    /// How many of the user's notifications are unread.
    pub async fn unread_notifications(&self, viewer: &Viewer) -> Result<u64, StoreError> {
        Ok(notifications::Entity::find()
            .filter(notifications::Column::CompanyId.eq(viewer.company_id.0))
            .filter(notifications::Column::UserId.eq(viewer.user_id.0))
            .filter(notifications::Column::ReadAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// Marks the user's notifications read: these, or all.
    pub async fn read_notifications(&self, viewer: &Viewer, ids: Option<&[Uuid]>) -> Result<u64, StoreError> {
        let mut q = notifications::Entity::update_many()
            .col_expr(notifications::Column::ReadAt, Expr::value(Some(Utc::now())))
            .filter(notifications::Column::CompanyId.eq(viewer.company_id.0))
            .filter(notifications::Column::UserId.eq(viewer.user_id.0))
            .filter(notifications::Column::ReadAt.is_null());
        if let Some(ids) = ids {
            q = q.filter(notifications::Column::Id.is_in(ids.to_vec()));
        }
        Ok(q.exec(&self.db).await?.rows_affected)
    }

    /// The channels the user chose per kind of notice (defaults where they chose nothing), and
    /// their mobile number for notices by SMS.
    pub async fn notice_settings(
        &self,
        company: CompanyId,
        user: UserId,
    ) -> Result<(Vec<(&'static str, Channels)>, Option<String>), StoreError> {
        let u = users::Entity::find_by_id((company.0, user.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let chosen = notice_prefs::Entity::find()
            .filter(notice_prefs::Column::CompanyId.eq(company.0))
            .filter(notice_prefs::Column::UserId.eq(user.0))
            .all(&self.db)
            .await?;
        let list = NOTICE_KINDS
            .iter()
            .map(|k| {
                let c = chosen
                    .iter()
                    .find(|p| p.kind == *k)
                    .map(|p| Channels {
                        in_app: p.in_app,
                        email: p.email,
                        sms: p.sms,
                    })
                    .unwrap_or_else(|| Channels::default_for(k, u.notify_email));
                (*k, c)
            })
            .collect();
        Ok((list, u.phone))
    }

    /// Saves the user's channels for the kinds given, and their mobile number (E.164, checked by
    /// the caller; `Some("")` removes it, `None` keeps it).
    pub async fn save_notice_settings(
        &self,
        company: CompanyId,
        user: UserId,
        kinds: &[(String, Channels)],
        phone: Option<String>,
    ) -> Result<(), StoreError> {
        if let Some((k, _)) = kinds.iter().find(|(k, _)| !NOTICE_KINDS.contains(&k.as_str())) {
            return Err(StoreError::invalid(
                "kinds",
                "unknown_kind",
                format!("'{k}' is not a kind of notice ({})", NOTICE_KINDS.join(", ")),
            ));
        }
        let txn = self.write().await?;
        for (kind, c) in kinds {
            notice_prefs::Entity::insert(notice_prefs::ActiveModel {
                company_id: Set(company.0),
                user_id: Set(user.0),
                kind: Set(kind.clone()),
                in_app: Set(c.in_app),
                email: Set(c.email),
                sms: Set(c.sms),
            })
            .on_conflict(
                OnConflict::columns([
                    notice_prefs::Column::CompanyId,
                    notice_prefs::Column::UserId,
                    notice_prefs::Column::Kind,
                ])
                .update_columns([notice_prefs::Column::InApp, notice_prefs::Column::Email, notice_prefs::Column::Sms])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        if let Some(p) = phone {
            users::Entity::update_many()
                .col_expr(users::Column::Phone, Expr::value(Some(p).filter(|p| !p.is_empty())))
                .filter(users::Column::CompanyId.eq(company.0))
                .filter(users::Column::Id.eq(user.0))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
