//! Hand-over: a contact passes to a colleague, who becomes its owner (the contact moves to the
//! colleague's office), gets a task and, per their setting or the request, an email in their
//! own language. All in one transaction.

use chrono::Utc;
use crm_domain::i18n::Locale;
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{ContactRecord, Placement, TimelineEvent, add_timeline, index, lock_contact};
use crate::entities::contacts;
use crate::org::User;
use crate::{Store, StoreError};

/// Gives a contact to a new owner (the contact moves to the owner's office), with its search
/// entries and counts, in the caller's transaction.
pub(crate) async fn move_owner_in(
    txn: &sea_orm::DatabaseTransaction,
    company: CompanyId,
    contact: &ContactRecord,
    to: &User,
) -> Result<(), StoreError> {
    let before = contact.placement();
    let after = Placement {
        owner: to.id,
        office: to.office_id,
        ..before
    };
    contacts::Entity::update_many()
        .col_expr(contacts::Column::OwnerId, Expr::value(to.id.0))
        .col_expr(contacts::Column::OfficeId, Expr::value(to.office_id.0))
        .col_expr(contacts::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contacts::Column::CompanyId.eq(company.0))
        .filter(contacts::Column::Id.eq(contact.id.0))
        .exec(txn)
        .await?;
    index::place_tokens(txn, company, contact.id, after).await?;
    index::count(txn, company, before, -1).await?;
    index::count(txn, company, after, 1).await?;
    Ok(())
}

impl Store {
    /// Hands a visible contact over to a colleague in the office (administrators: anyone). The
    /// email links to the contact under `app_url`.
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id, to = %to))]
    pub async fn hand_over(
        &self,
        viewer: &Viewer,
        id: ContactId,
        to: UserId,
        message: Option<&str>,
        email: Option<bool>,
        app_url: &str,
    ) -> Result<(), StoreError> {
        let company = viewer.company_id;
        let receiver = self
            .user(company, to)
            .await
            .map_err(|_| StoreError::invalid("to_user_id", "unknown_user", "no such colleague"))?;
        if !receiver.active || !receiver.permissions.work_with_clients {
            return Err(StoreError::invalid(
                "to_user_id",
                "cannot_receive",
                "that colleague cannot work with clients",
            ));
        }
        if receiver.office_id != viewer.office_id && !viewer.permissions.admin {
            return Err(StoreError::invalid(
                "to_user_id",
                "other_office",
                "contacts are handed over within the office",
            ));
        }
        let giver = self.user(company, viewer.user_id).await?;
        if !crate::calls::head_of_sales(&giver) && self.owner_kept(company, id).await? {
            return Err(StoreError::Refused {
                code: "owner_kept",
                message: "a tag keeps this client with its broker: only the head of sales or an administrator hands it over".into(),
            });
        }
        let note = message.map(str::trim).filter(|m| !m.is_empty());
        let txn = self.write().await?;
        let contact = lock_contact(&txn, viewer, id).await?;
        if receiver.id == contact.owner_id {
            return Err(StoreError::invalid(
                "to_user_id",
                "already_owner",
                "that colleague already owns the contact",
            ));
        }
        move_owner_in(&txn, company, &contact, &receiver).await?;
        add_timeline(
            &txn,
            company,
            id,
            TimelineEvent::new(
                "handover",
                json!({"from": giver.name, "to": receiver.name, "from_id": giver.id, "to_id": receiver.id, "message": note}),
            ),
            Some(viewer.user_id),
        )
        .await?;
        // The receiver reads the task and the email in their own language.
        let lang = Locale::parse(&receiver.locale).unwrap_or(Locale::En);
        let name = contact.data.display_name();
        let params = json!({
            "from": giver.name,
            "contact": name,
            "message": note.map(|n| format!("\n{n}\n")).unwrap_or_default(),
            "link": format!("{}/contacts/{id}", app_url.trim_end_matches('/')),
        });
        let title = lang.render("task.handover", &params);
        crate::tasks::create_task(
            &txn,
            company,
            crate::tasks::NewTask {
                body: note,
                contact: Some(id),
                ..crate::tasks::NewTask::new(receiver.id, "handover", &title)
            },
        )
        .await?;
        crate::notices::notify(
            &txn,
            company,
            receiver.id,
            crate::notices::Notice {
                kind: "handover",
                title: &title,
                body: note,
                link: Some(format!("/contacts/{id}")),
                email: Some((
                    lang.render("email.handover.subject", &params),
                    lang.render("email.handover.body", &params),
                )),
                email_override: email,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
