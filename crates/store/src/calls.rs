//! Calls and the call-outcome pipeline (rules in `crm_domain::calls`): each contact's card,
//! the calls made and received, tags, co-brokerage deals waiting for the head of sales, the
//! company's words for all of it, and the weekly nurture tasks.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_domain::calendar::{end_of_day, local_date};
use crm_domain::calls::{self, CallDetails, CallSettings, Card, DealStatus, Effect, Outcome, Reason, Stage};
use crm_domain::i18n::Locale;
use crm_domain::org::Role;
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, OfficeId, UserId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use crate::contacts::{TimelineEvent, add_timeline, lock_contact};
use crate::entities::{call_cards, call_settings, calls as call_rows, co_deals, companies, contact_tags, contacts, tasks};
use crate::org::User;
use crate::tasks::{NewTask, create_task};
use crate::{Store, StoreError};

/// Calls shown on a card.
const HISTORY: u64 = 50;
/// Deals in one answer.
const MAX_DEALS: u64 = 500;
/// Contacts looked at per company in one nurture run.
const NURTURE_BATCH: u64 = 20_000;

/// A contact's card in the pipeline, with its tags, deals and latest calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CallCardRecord {
    pub contact_id: ContactId,
    pub stage: Stage,
    pub reason: Option<Reason>,
    pub calls: u32,
    pub unanswered: u32,
    pub rude: u32,
    pub last_call_on: Option<NaiveDate>,
    /// Postponed until this day.
    pub until: Option<NaiveDate>,
    pub may_call_today: bool,
    pub tags: Vec<String>,
    pub deals: Vec<DealRecord>,
    pub history: Vec<CallRecord>,
}

/// A call made or received.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    pub id: Uuid,
    pub contact_id: Option<ContactId>,
    pub user_id: UserId,
    /// `out` (made) or `in` (received through the telephone system).
    pub direction: String,
    pub answered: bool,
    pub outcome: Option<Outcome>,
    /// The card's stage after the call.
    pub stage: Option<Stage>,
    pub comment: Option<String>,
    pub phone: Option<String>,
    pub at: DateTime<Utc>,
}

/// A co-brokerage deal with another agency's realtor.
#[derive(Debug, Clone, PartialEq)]
pub struct DealRecord {
    pub id: Uuid,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub partner_percent: u8,
    pub status: DealStatus,
    pub note: Option<String>,
    pub proposed_by: UserId,
    pub proposed_at: DateTime<Utc>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl DealRecord {
    /// The split counts only once the head of sales approved it.
    pub fn effective(&self) -> bool {
        self.status == DealStatus::Approved
    }
}

/// A call to record.
#[derive(Debug, Clone)]
pub struct CallInput {
    pub contact: ContactId,
    pub outcome: Outcome,
    pub comment: Option<String>,
    pub until: Option<NaiveDate>,
    pub colleague: Option<UserId>,
    /// Made from this call list: its entry for the contact is settled.
    pub list: Option<Uuid>,
}

fn to_card(m: Option<&call_cards::Model>) -> Card {
    match m {
        None => Card::default(),
        Some(m) => Card {
            stage: Stage::parse(&m.stage).unwrap_or(Stage::NotReached),
            reason: m.reason.as_deref().and_then(Reason::parse),
            calls: m.calls.max(0) as u32,
            unanswered: m.unanswered.max(0) as u32,
            rude: m.rude.max(0) as u32,
            last_call_on: m.last_call_on,
        },
    }
}

fn to_call(m: call_rows::Model) -> CallRecord {
    CallRecord {
        id: m.id,
        contact_id: m.contact_id.map(Into::into),
        user_id: m.user_id.into(),
        direction: m.direction,
        answered: m.answered,
        outcome: m.outcome.as_deref().and_then(Outcome::parse),
        stage: m.stage.as_deref().and_then(Stage::parse),
        comment: m.comment,
        phone: m.phone,
        at: m.at,
    }
}

fn to_deal(m: co_deals::Model, contact_name: String) -> DealRecord {
    DealRecord {
        id: m.id,
        contact_id: m.contact_id.into(),
        contact_name,
        partner_percent: m.partner_percent.clamp(0, 100) as u8,
        status: DealStatus::parse(&m.status).unwrap_or(DealStatus::Proposed),
        note: m.note,
        proposed_by: m.proposed_by.into(),
        proposed_at: m.proposed_at,
        decided_by: m.decided_by.map(Into::into),
        decided_at: m.decided_at,
    }
}

fn refused(e: calls::CallError) -> StoreError {
    match e.field() {
        Some(field) => StoreError::invalid(field, e.code(), e.to_string()),
        None => StoreError::Refused {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

/// The head of sales of an office is its office manager; administrators may act for them.
pub fn head_of_sales(user: &User) -> bool {
    user.role == Role::OfficeManager || user.permissions.admin
}

/// Whether the user decides co-brokerage deals on clients of `office`: its head of sales (an
/// office manager there), or an administrator.
fn decides_deals_of(user: &User, office: OfficeId) -> bool {
    user.permissions.admin || (user.role == Role::OfficeManager && user.office_id == office)
}

/// A task a call leaves: `kind` for `to` about the contact, due at the end of the day (in the
/// zone given with it), titled in `to`'s language by `task.<kind>` with `title`; its origin
/// names kind, contact and day, so it is made once. Returns the title.
#[allow(clippy::too_many_arguments)]
async fn call_task(
    db: &impl ConnectionTrait,
    company: CompanyId,
    to: &User,
    kind: &str,
    title: serde_json::Value,
    body: Option<&str>,
    contact: ContactId,
    (day, zone): (NaiveDate, chrono_tz::Tz),
) -> Result<String, StoreError> {
    let lang = Locale::parse(&to.locale).unwrap_or(Locale::En);
    let title = lang.render(&format!("task.{kind}"), &title);
    create_task(
        db,
        company,
        NewTask {
            body,
            contact: Some(contact),
            due: Some(end_of_day(day, zone)),
            origin: Some(format!("{kind}:{}:{day}", contact.0)),
            ..NewTask::new(to.id, kind, &title)
        },
    )
    .await?;
    Ok(title)
}

async fn write_card(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contact: ContactId,
    card: &Card,
    until: Option<NaiveDate>,
    by: UserId,
) -> Result<(), StoreError> {
    call_cards::Entity::insert(call_cards::ActiveModel {
        company_id: Set(company.0),
        contact_id: Set(contact.0),
        stage: Set(card.stage.as_str().to_owned()),
        reason: Set(card.reason.map(|r| r.as_str().to_owned())),
        calls: Set(card.calls.min(i32::MAX as u32) as i32),
        unanswered: Set(card.unanswered.min(i32::MAX as u32) as i32),
        rude: Set(card.rude.min(i32::MAX as u32) as i32),
        last_call_on: Set(card.last_call_on),
        until: Set(until),
        updated_at: Set(Utc::now()),
        updated_by: Set(Some(by.0)),
    })
    .on_conflict(
        OnConflict::columns([call_cards::Column::CompanyId, call_cards::Column::ContactId])
            .update_columns([
                call_cards::Column::Stage,
                call_cards::Column::Reason,
                call_cards::Column::Calls,
                call_cards::Column::Unanswered,
                call_cards::Column::Rude,
                call_cards::Column::LastCallOn,
                call_cards::Column::Until,
                call_cards::Column::UpdatedAt,
                call_cards::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn card_row(db: &impl ConnectionTrait, company: CompanyId, contact: ContactId) -> Result<Option<call_cards::Model>, StoreError> {
    Ok(call_cards::Entity::find_by_id((company.0, contact.0)).one(db).await?)
}

/// The event written on the timeline for a change of stage.
fn stage_params(settings: &CallSettings, card: &Card) -> serde_json::Value {
    json!({
        "stage": settings.stage_label(card.stage),
        "reason": card.reason.map(|r| settings.reason_label(r).to_owned()),
    })
}

/// The ISO week `date` falls in, as `2026-W09`.
fn week_of(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

impl Store {
    /// The company's words for stages, reasons and tags, and its default split: as saved, else
    /// the defaults in the company's language.
    pub async fn call_settings(&self, company: CompanyId) -> Result<CallSettings, StoreError> {
        let saved = call_settings::Entity::find_by_id(company.0).one(&self.db).await?;
        if let Some(s) = saved.and_then(|m| serde_json::from_value::<CallSettings>(m.settings).ok()) {
            return Ok(s);
        }
        let c = self.company(company).await?;
        let lang = Locale::parse(&c.locale).unwrap_or(Locale::En);
        Ok(CallSettings::defaults(|k| lang.text(k)))
    }

    /// Saves the company's call settings (administrators; checked by the caller). A tag still on
    /// contacts may not be removed.
    pub async fn save_call_settings(&self, company: CompanyId, settings: CallSettings) -> Result<CallSettings, StoreError> {
        let settings = settings.check().map_err(|e| StoreError::Invalid {
            field: e.field,
            code: "invalid_settings",
            message: e.message,
        })?;
        let kept: BTreeSet<&str> = settings.tags.iter().map(|t| t.code.as_str()).collect();
        let used: Vec<String> = contact_tags::Entity::find()
            .select_only()
            .column(contact_tags::Column::Tag)
            .filter(contact_tags::Column::CompanyId.eq(company.0))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        if let Some(gone) = used.iter().find(|t| !kept.contains(t.as_str())) {
            return Err(StoreError::invalid(
                "tags",
                "tag_in_use",
                format!("the tag {gone} is still on contacts; take it off them first"),
            ));
        }
        let value = serde_json::to_value(&settings).map_err(|e| StoreError::Internal(e.to_string()))?;
        call_settings::Entity::insert(call_settings::ActiveModel {
            company_id: Set(company.0),
            settings: Set(value),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(call_settings::Column::CompanyId)
                .update_columns([call_settings::Column::Settings, call_settings::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(settings)
    }

    /// The company's day now (a lead is called at most once per day of the company).
    async fn company_today(&self, company: CompanyId) -> Result<(NaiveDate, chrono_tz::Tz), StoreError> {
        let c = self.company(company).await?;
        Ok((local_date(Utc::now(), c.time_zone), c.time_zone))
    }

    /// A visible contact's card: stage, counts, tags, deals and the latest calls.
    pub async fn call_card(&self, viewer: &Viewer, contact: ContactId) -> Result<CallCardRecord, StoreError> {
        let c = self.contact(viewer, contact).await?;
        let company = viewer.company_id;
        let (today, _) = self.company_today(company).await?;
        let row = card_row(&self.db, company, contact).await?;
        let card = to_card(row.as_ref());
        let tags = self.contact_tags(company, contact).await?;
        let deals = co_deals::Entity::find()
            .filter(co_deals::Column::CompanyId.eq(company.0))
            .filter(co_deals::Column::ContactId.eq(contact.0))
            .order_by_desc(co_deals::Column::ProposedAt)
            .limit(MAX_DEALS)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| to_deal(d, c.data.display_name()))
            .collect();
        let history = call_rows::Entity::find()
            .filter(call_rows::Column::CompanyId.eq(company.0))
            .filter(call_rows::Column::ContactId.eq(contact.0))
            .order_by_desc(call_rows::Column::At)
            .limit(HISTORY)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_call)
            .collect();
        Ok(CallCardRecord {
            contact_id: contact,
            may_call_today: card.may_call(today),
            stage: card.stage,
            reason: card.reason,
            calls: card.calls,
            unanswered: card.unanswered,
            rude: card.rude,
            last_call_on: card.last_call_on,
            until: row.and_then(|r| r.until),
            tags,
            deals,
            history,
        })
    }

    async fn contact_tags(&self, company: CompanyId, contact: ContactId) -> Result<Vec<String>, StoreError> {
        Ok(contact_tags::Entity::find()
            .select_only()
            .column(contact_tags::Column::Tag)
            .filter(contact_tags::Column::CompanyId.eq(company.0))
            .filter(contact_tags::Column::ContactId.eq(contact.0))
            .order_by_asc(contact_tags::Column::Tag)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Records a call made to a visible contact and what came of it: the card moves by the
    /// pipeline's rules, the call and the change are on the contact's timeline, and the tasks
    /// and deal the outcome asks for are made, all in one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %input.contact))]
    pub async fn record_call(&self, viewer: &Viewer, input: &CallInput) -> Result<CallCardRecord, StoreError> {
        let company = viewer.company_id;
        let (today, zone) = self.company_today(company).await?;
        let settings = self.call_settings(company).await?;
        let me = self.user(company, viewer.user_id).await?;
        let colleague = match input.colleague {
            Some(u) if input.outcome == Outcome::Colleague => {
                let u = self.colleague(company, u, "colleague_id").await?;
                if u.id == me.id {
                    return Err(StoreError::invalid("colleague_id", "same_user", "name a colleague, not yourself"));
                }
                Some(u)
            }
            _ => None,
        };
        let comment = input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(list) = input.list {
            self.call_list(viewer, list)
                .await
                .map_err(|_| StoreError::invalid("list_id", "unknown_list", "no such call list"))?;
        }
        let heads: Vec<User> = if input.outcome == Outcome::RealtorSplit {
            // The heads of sales of the client's office decide the split.
            let office = self.contact(viewer, input.contact).await?.office_id;
            let org = self.org_snapshot(company).await?;
            org.users
                .iter()
                .filter(|u| u.active && u.role == Role::OfficeManager && u.office_id == office)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let txn = self.write().await?;
        let c = lock_contact(&txn, viewer, input.contact).await?;
        if let Some(list) = input.list {
            let open = crate::entities::call_list_entries::Entity::find_by_id((company.0, list, c.id.0))
                .one(&txn)
                .await?
                .is_some_and(|e| e.done_at.is_none());
            if !open {
                return Err(StoreError::invalid(
                    "list_id",
                    "not_on_list",
                    "the contact is not open on this call list",
                ));
            }
        }
        let before_row = card_row(&txn, company, c.id).await?;
        let before = to_card(before_row.as_ref());
        let details = CallDetails {
            comment: comment.is_some(),
            until: input.until,
            mandatory_filled: c.data.first_name.is_some() || c.data.last_name.is_some() || c.data.agency_name.is_some(),
            colleague: colleague.is_some(),
        };
        let (card, effects) = calls::call(&before, input.outcome, &details, today).map_err(refused)?;
        let until = match input.outcome {
            Outcome::Postponed => input.until,
            _ if card.stage == Stage::Postponed => before_row.as_ref().and_then(|r| r.until),
            _ => None,
        };
        write_card(&txn, company, c.id, &card, until, me.id).await?;
        let now = Utc::now();
        call_rows::Entity::insert(call_rows::ActiveModel {
            company_id: Set(company.0),
            id: Set(Uuid::now_v7()),
            contact_id: Set(Some(c.id.0)),
            user_id: Set(me.id.0),
            direction: Set("out".into()),
            answered: Set(input.outcome.answered()),
            outcome: Set(Some(input.outcome.as_str().to_owned())),
            stage: Set(Some(card.stage.as_str().to_owned())),
            comment: Set(comment.map(str::to_owned)),
            phone: Set(None),
            at: Set(now),
            list_id: Set(input.list),
        })
        .exec_without_returning(&txn)
        .await?;
        if let Some(list) = input.list {
            let on_list =
                crate::call_lists::settle(&txn, company, list, c.id, input.outcome.answered(), card.stage == Stage::NonTarget).await?;
            if !on_list {
                return Err(StoreError::Internal("a call list entry checked open was settled meanwhile".into()));
            }
        }
        let mut params = stage_params(&settings, &card);
        params["outcome"] = json!(input.outcome.as_str());
        params["calls"] = json!(card.calls);
        params["changed"] = json!(card.stage != before.stage);
        if let Some(text) = comment {
            params["comment"] = json!(text);
        }
        if let Some(d) = input.until.filter(|_| input.outcome == Outcome::Postponed) {
            params["until"] = json!(d.to_string());
        }
        add_timeline(&txn, company, c.id, TimelineEvent::new("call", params), Some(me.id)).await?;
        let name = c.data.display_name();
        let tomorrow = today.succ_opt().unwrap_or(today);
        for effect in effects {
            match effect {
                Effect::ContactOn(date) => {
                    let title = json!({"contact": name, "date": date.to_string()});
                    call_task(&txn, company, &me, "contact_on", title, comment, c.id, (date, zone)).await?;
                }
                Effect::CallTomorrow => {
                    let title = json!({"contact": name});
                    call_task(&txn, company, &me, "call_again", title, None, c.id, (tomorrow, zone)).await?;
                }
                Effect::ColleagueTries => {
                    let Some(to) = &colleague else { continue };
                    let title = json!({"from": me.name, "contact": name});
                    let title = call_task(&txn, company, to, "colleague_try", title, comment, c.id, (tomorrow, zone)).await?;
                    crate::notices::notify(
                        &txn,
                        company,
                        to.id,
                        crate::notices::Notice {
                            kind: "callback",
                            title: &title,
                            body: comment,
                            link: Some(format!("/contacts/{}", c.id.0)),
                            email: Some((title.clone(), format!("{title}\n\n{}", comment.unwrap_or_default()))),
                            email_override: None,
                        },
                    )
                    .await?;
                }
                Effect::ProposeDeal => {
                    let deal = co_deals::ActiveModel {
                        company_id: Set(company.0),
                        id: Set(Uuid::now_v7()),
                        contact_id: Set(c.id.0),
                        partner_percent: Set(i16::from(settings.partner_percent)),
                        status: Set(DealStatus::Proposed.as_str().to_owned()),
                        note: Set(comment.map(str::to_owned)),
                        proposed_by: Set(me.id.0),
                        proposed_at: Set(now),
                        decided_by: Set(None),
                        decided_at: Set(None),
                    };
                    co_deals::Entity::insert(deal).exec_without_returning(&txn).await?;
                    let split = calls::Split::new(settings.partner_percent).unwrap_or(calls::Split {
                        partner_percent: calls::DEFAULT_PARTNER_PERCENT,
                    });
                    add_timeline(
                        &txn,
                        company,
                        c.id,
                        TimelineEvent::new(
                            "deal",
                            json!({"status": "proposed", "partner": split.partner_percent, "ours": split.our_percent()}),
                        ),
                        Some(me.id),
                    )
                    .await?;
                    for head in &heads {
                        let lang = Locale::parse(&head.locale).unwrap_or(Locale::En);
                        let title = lang.render("notice.deal", &json!({"contact": name}));
                        crate::notices::notify(
                            &txn,
                            company,
                            head.id,
                            crate::notices::Notice {
                                kind: "deal",
                                title: &title,
                                body: comment,
                                link: Some("/deals".to_owned()),
                                email: Some((title.clone(), title.clone())),
                                email_override: None,
                            },
                        )
                        .await?;
                    }
                }
            }
        }
        txn.commit().await?;
        self.call_card(viewer, c.id).await
    }

    /// Opens a non-target card again: the head of sales' or an administrator's decision.
    pub async fn reopen_call_card(&self, viewer: &Viewer, contact: ContactId) -> Result<CallCardRecord, StoreError> {
        let company = viewer.company_id;
        let me = self.user(company, viewer.user_id).await?;
        if !head_of_sales(&me) {
            return Err(StoreError::Forbidden("only the head of sales or an administrator reopens a card"));
        }
        let settings = self.call_settings(company).await?;
        let txn = self.write().await?;
        let c = lock_contact(&txn, viewer, contact).await?;
        let before = to_card(card_row(&txn, company, c.id).await?.as_ref());
        let card = calls::reopen(&before).map_err(refused)?;
        write_card(&txn, company, c.id, &card, None, me.id).await?;
        add_timeline(
            &txn,
            company,
            c.id,
            TimelineEvent::new("card_reopened", stage_params(&settings, &card)),
            Some(me.id),
        )
        .await?;
        txn.commit().await?;
        self.call_card(viewer, contact).await
    }

    /// Sets a visible contact's tags (codes from the company's settings). Tags only the head of
    /// sales may set are refused to others, whether added or removed.
    pub async fn set_contact_tags(&self, viewer: &Viewer, contact: ContactId, tags: &[String]) -> Result<Vec<String>, StoreError> {
        let company = viewer.company_id;
        if tags.len() > calls::MAX_CONTACT_TAGS {
            return Err(StoreError::invalid("tags", "too_many", "at most 20 tags on a contact"));
        }
        let settings = self.call_settings(company).await?;
        let me = self.user(company, viewer.user_id).await?;
        let wanted: BTreeSet<String> = tags.iter().cloned().collect();
        if let Some(unknown) = wanted.iter().find(|t| settings.tag(t).is_none()) {
            return Err(StoreError::invalid(
                "tags",
                "unknown_tag",
                format!("the company has no tag {unknown}"),
            ));
        }
        let txn = self.write().await?;
        let c = lock_contact(&txn, viewer, contact).await?;
        let current: BTreeSet<String> = contact_tags::Entity::find()
            .select_only()
            .column(contact_tags::Column::Tag)
            .filter(contact_tags::Column::CompanyId.eq(company.0))
            .filter(contact_tags::Column::ContactId.eq(c.id.0))
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let added: Vec<&String> = wanted.difference(&current).collect();
        let removed: Vec<&String> = current.difference(&wanted).collect();
        for code in added.iter().chain(removed.iter()) {
            if settings.tag(code).is_some_and(|t| t.manager_only) && !head_of_sales(&me) {
                return Err(StoreError::Forbidden(
                    "only the head of sales or an administrator sets or removes this tag",
                ));
            }
        }
        let now = Utc::now();
        for code in &added {
            contact_tags::Entity::insert(contact_tags::ActiveModel {
                company_id: Set(company.0),
                contact_id: Set(c.id.0),
                tag: Set((*code).clone()),
                added_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await?;
            let label = settings.tag(code).map(|t| t.label.clone()).unwrap_or_else(|| (*code).clone());
            add_timeline(
                &txn,
                company,
                c.id,
                TimelineEvent::new("tagged", json!({"tag": label})),
                Some(me.id),
            )
            .await?;
        }
        if !removed.is_empty() {
            contact_tags::Entity::delete_many()
                .filter(contact_tags::Column::CompanyId.eq(company.0))
                .filter(contact_tags::Column::ContactId.eq(c.id.0))
                .filter(contact_tags::Column::Tag.is_in(removed.iter().map(|s| s.as_str())))
                .exec(&txn)
                .await?;
            for code in &removed {
                let label = settings.tag(code).map(|t| t.label.clone()).unwrap_or_else(|| (*code).clone());
                add_timeline(
                    &txn,
                    company,
                    c.id,
                    TimelineEvent::new("untagged", json!({"tag": label})),
                    Some(me.id),
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(wanted.into_iter().collect())
    }

    /// Whether a tag that keeps the client with its broker is on the contact (then only the head
    /// of sales or an administrator hands it over).
    pub(crate) async fn owner_kept(&self, company: CompanyId, contact: ContactId) -> Result<bool, StoreError> {
        let settings = self.call_settings(company).await?;
        let keeping: Vec<&str> = settings.tags.iter().filter(|t| t.keeps_owner).map(|t| t.code.as_str()).collect();
        if keeping.is_empty() {
            return Ok(false);
        }
        Ok(contact_tags::Entity::find()
            .filter(contact_tags::Column::CompanyId.eq(company.0))
            .filter(contact_tags::Column::ContactId.eq(contact.0))
            .filter(contact_tags::Column::Tag.is_in(keeping))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Co-brokerage deals of contacts the viewer may see, newest first, optionally of one status.
    pub async fn co_deals(&self, viewer: &Viewer, status: Option<DealStatus>) -> Result<Vec<DealRecord>, StoreError> {
        let company = viewer.company_id;
        let mut q = co_deals::Entity::find().filter(co_deals::Column::CompanyId.eq(company.0));
        if let Some(s) = status {
            q = q.filter(co_deals::Column::Status.eq(s.as_str()));
        }
        let rows = q.order_by_desc(co_deals::Column::ProposedAt).limit(MAX_DEALS).all(&self.db).await?;
        let names = self.visible_names(viewer, rows.iter().map(|d| d.contact_id).collect()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|d| names.get(&d.contact_id).cloned().map(|n| to_deal(d, n)))
            .collect())
    }

    /// The head of sales approves or rejects a proposed deal (only then does its split count).
    pub async fn decide_co_deal(&self, viewer: &Viewer, id: Uuid, approve: bool, note: Option<&str>) -> Result<DealRecord, StoreError> {
        let company = viewer.company_id;
        let me = self.user(company, viewer.user_id).await?;
        let settings = self.call_settings(company).await?;
        let deal = co_deals::Entity::find_by_id((company.0, id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("deal"))?;
        let txn = self.write().await?;
        let c = lock_contact(&txn, viewer, ContactId(deal.contact_id)).await?;
        let deal = co_deals::Entity::find_by_id((company.0, id))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("deal"))?;
        let before = to_card(card_row(&txn, company, c.id).await?.as_ref());
        let status = DealStatus::parse(&deal.status).unwrap_or(DealStatus::Proposed);
        let (decided, card) = calls::decide_deal(status, &before, approve, decides_deals_of(&me, c.office_id)).map_err(|e| match e {
            calls::DealError::NotHeadOfSales => {
                StoreError::Forbidden("only the head of sales of the client's office or an administrator decides co-brokerage deals")
            }
            calls::DealError::Decided => StoreError::Refused {
                code: e.code(),
                message: e.to_string(),
            },
        })?;
        let now = Utc::now();
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        co_deals::Entity::update_many()
            .col_expr(co_deals::Column::Status, Expr::value(decided.as_str()))
            .col_expr(co_deals::Column::DecidedBy, Expr::value(Some(me.id.0)))
            .col_expr(co_deals::Column::DecidedAt, Expr::value(Some(now)))
            .col_expr(co_deals::Column::Note, Expr::value(note.map(str::to_owned).or(deal.note.clone())))
            .filter(co_deals::Column::CompanyId.eq(company.0))
            .filter(co_deals::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if card != before {
            let row = card_row(&txn, company, c.id).await?;
            write_card(&txn, company, c.id, &card, row.and_then(|r| r.until), me.id).await?;
        }
        let split = calls::Split::new(deal.partner_percent.clamp(0, 100) as u8).unwrap_or(calls::Split {
            partner_percent: calls::DEFAULT_PARTNER_PERCENT,
        });
        let mut params = json!({"status": decided.as_str(), "partner": split.partner_percent, "ours": split.our_percent()});
        if card != before {
            params["stage"] = json!(settings.stage_label(card.stage));
        }
        add_timeline(&txn, company, c.id, TimelineEvent::new("deal", params), Some(me.id)).await?;
        txn.commit().await?;
        let row = co_deals::Entity::find_by_id((company.0, id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("deal"))?;
        Ok(to_deal(row, c.data.display_name()))
    }

    /// Weekly nurture: every client postponed until a later day, or carrying a tag that asks for
    /// it, gets one task for its broker per ISO week (the task's origin names the week, so no
    /// run, on any instance, makes it twice). Returns how many tasks were made.
    pub async fn nurture_due(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let companies = companies::Entity::find().all(&self.db).await?;
        let mut made = 0;
        for company in companies {
            let id = CompanyId(company.id);
            let c = crate::org::to_company(company)?;
            let today = local_date(now, c.time_zone);
            let week = week_of(today);
            let settings = self.call_settings(id).await?;
            let mut wanted: BTreeSet<Uuid> = call_cards::Entity::find()
                .select_only()
                .column(call_cards::Column::ContactId)
                .filter(call_cards::Column::CompanyId.eq(id.0))
                .filter(call_cards::Column::Stage.eq(Stage::Postponed.as_str()))
                .filter(call_cards::Column::Until.gt(today))
                .limit(NURTURE_BATCH)
                .into_tuple::<Uuid>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
            let weekly: Vec<&str> = settings.tags.iter().filter(|t| t.weekly_nurture).map(|t| t.code.as_str()).collect();
            if !weekly.is_empty() {
                wanted.extend(
                    contact_tags::Entity::find()
                        .select_only()
                        .column(contact_tags::Column::ContactId)
                        .filter(contact_tags::Column::CompanyId.eq(id.0))
                        .filter(contact_tags::Column::Tag.is_in(weekly))
                        .limit(NURTURE_BATCH)
                        .into_tuple::<Uuid>()
                        .all(&self.db)
                        .await?,
                );
            }
            if wanted.is_empty() {
                continue;
            }
            let org = self.org_snapshot(id).await?;
            let users: HashMap<UserId, &User> = org.users.iter().map(|u| (u.id, u)).collect();
            let ids: Vec<Uuid> = wanted.into_iter().collect();
            for chunk in ids.chunks(500) {
                let origins: Vec<String> = chunk.iter().map(|c| format!("nurture:{c}:{week}")).collect();
                let done: BTreeSet<String> = tasks::Entity::find()
                    .select_only()
                    .column(tasks::Column::Origin)
                    .filter(tasks::Column::CompanyId.eq(id.0))
                    .filter(tasks::Column::Origin.is_in(origins))
                    .into_tuple::<Option<String>>()
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect();
                let todo: Vec<Uuid> = chunk
                    .iter()
                    .copied()
                    .filter(|c| !done.contains(&format!("nurture:{c}:{week}")))
                    .collect();
                if todo.is_empty() {
                    continue;
                }
                let people = contacts::Entity::find()
                    .filter(contacts::Column::CompanyId.eq(id.0))
                    .filter(contacts::Column::Id.is_in(todo))
                    .all(&self.db)
                    .await?;
                let txn = self.write().await?;
                for p in people {
                    let Some(owner) = users.get(&UserId(p.owner_id)).filter(|u| u.active) else {
                        continue;
                    };
                    let record = crate::contacts::to_record(p);
                    let lang = Locale::parse(&owner.locale).unwrap_or(Locale::En);
                    let title = lang.render("task.nurture", &json!({"contact": record.data.display_name()}));
                    let made_one = create_task(
                        &txn,
                        id,
                        NewTask {
                            contact: Some(record.id),
                            due: Some(end_of_day(today, owner.zone(&c))),
                            origin: Some(format!("nurture:{}:{week}", record.id.0)),
                            ..NewTask::new(owner.id, "nurture", &title)
                        },
                    )
                    .await?;
                    made += u64::from(made_one.is_some());
                }
                txn.commit().await?;
            }
        }
        Ok(made)
    }
}

/// An incoming call as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingCallRecord {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub phone: String,
    pub contact_ids: Vec<ContactId>,
    pub at: DateTime<Utc>,
}

/// Contacts an incoming call is written on at most.
const MAX_CALL_MATCHES: u64 = 5;
/// Incoming calls handed out per poll.
const MAX_POLL: u64 = 500;

/// Whether `value` can be an extension: 1–20 letters, digits or `_ . * # + -`.
pub fn valid_extension(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 20
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'*' | b'#' | b'+' | b'-'))
}

impl Store {
    /// Sets or clears the extension a telephone system knows a user by (unique in the company).
    pub async fn set_extension(&self, company: CompanyId, user: UserId, extension: Option<&str>) -> Result<User, StoreError> {
        use crate::entities::users;
        let extension = extension.map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = extension
            && !valid_extension(e)
        {
            return Err(StoreError::invalid(
                "extension",
                "invalid_extension",
                "1 to 20 letters, digits or _ . * # + -",
            ));
        }
        self.user(company, user).await?;
        let updated = users::Entity::update_many()
            .col_expr(users::Column::Extension, Expr::value(extension.map(str::to_owned)))
            .filter(users::Column::CompanyId.eq(company.0))
            .filter(users::Column::Id.eq(user.0))
            .exec(&self.db)
            .await;
        match updated.map_err(StoreError::from) {
            Ok(_) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(StoreError::Conflict {
                    field: Some("extension"),
                    message: "another user has this extension".into(),
                });
            }
            Err(e) => return Err(e),
        }
        crate::snapshot::org_changed(&self.db, company).await?;
        self.user(company, user).await
    }

    /// The active user a telephone system names by extension or email.
    pub async fn user_by_extension_or_email(
        &self,
        company: CompanyId,
        extension: Option<&str>,
        email: Option<&str>,
    ) -> Result<User, StoreError> {
        use crate::entities::users;
        let mut q = users::Entity::find().filter(users::Column::CompanyId.eq(company.0));
        q = match (extension, email) {
            (Some(e), _) => q.filter(users::Column::Extension.eq(e.trim())),
            (None, Some(m)) => q.filter(users::Column::Email.eq(m.trim().to_lowercase())),
            (None, None) => return Err(StoreError::NotFound("user")),
        };
        q.one(&self.db)
            .await?
            .map(crate::org::to_user)
            .filter(|u| u.active)
            .ok_or(StoreError::NotFound("user"))
    }

    /// Logs a call coming in to `called` from `phone`: the contacts the number belongs to (as
    /// the called user sees them) get it on their timelines.
    pub async fn log_incoming_call(
        &self,
        called: &User,
        query: &crm_domain::contacts::LookupQuery,
        phone: &str,
    ) -> Result<IncomingCallRecord, StoreError> {
        let company = called.company_id;
        let viewer = called.viewer();
        let exact: Vec<String> = match query {
            crm_domain::contacts::LookupQuery::Phone { normalized, .. } => normalized.clone(),
            _ => {
                return Err(StoreError::invalid(
                    "from",
                    "invalid_phone",
                    "the caller's number is not a phone number",
                ));
            }
        };
        let hits = self.lookup(&viewer, query, MAX_CALL_MATCHES).await?;
        let matched: Vec<ContactId> = hits
            .iter()
            .filter(|h| h.visible)
            .filter(|h| exact.is_empty() || h.contact.data.phones.iter().any(|p| exact.iter().any(|e| e == p.as_str())))
            .map(|h| h.contact.id)
            .collect();
        let shown = exact.first().cloned().unwrap_or_else(|| phone.trim().to_owned());
        let id = Uuid::now_v7();
        let at = Utc::now();
        let txn = self.write().await?;
        call_rows::Entity::insert(call_rows::ActiveModel {
            company_id: Set(company.0),
            id: Set(id),
            contact_id: Set(matched.first().map(|c| c.0)),
            user_id: Set(called.id.0),
            direction: Set("in".into()),
            answered: Set(true),
            outcome: Set(None),
            stage: Set(None),
            comment: Set(None),
            phone: Set(Some(shown.clone())),
            at: Set(at),
            list_id: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        for c in &matched {
            add_timeline(
                &txn,
                company,
                *c,
                TimelineEvent::new("call_in", json!({"phone": shown, "user": called.name})),
                None,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(IncomingCallRecord {
            id,
            company_id: company,
            user_id: called.id,
            phone: shown,
            contact_ids: matched,
            at,
        })
    }

    /// Incoming calls of these companies logged after `since`, oldest first: how every instance
    /// learns of calls another instance took in, for the users whose app it serves.
    pub async fn incoming_calls_since(&self, companies: &[CompanyId], since: DateTime<Utc>) -> Result<Vec<IncomingCallRecord>, StoreError> {
        let mut out = Vec::new();
        for company in companies {
            let rows = call_rows::Entity::find()
                .filter(call_rows::Column::CompanyId.eq(company.0))
                .filter(call_rows::Column::Direction.eq("in"))
                .filter(call_rows::Column::At.gt(since))
                .order_by_asc(call_rows::Column::At)
                .limit(MAX_POLL)
                .all(&self.db)
                .await?;
            out.extend(rows.into_iter().map(|r| IncomingCallRecord {
                id: r.id,
                company_id: *company,
                user_id: r.user_id.into(),
                phone: r.phone.unwrap_or_default(),
                contact_ids: r.contact_id.map(ContactId).into_iter().collect(),
                at: r.at,
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_iso_weeks() {
        assert_eq!(week_of(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()), "2026-W01");
        assert_eq!(week_of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()), "2026-W53");
        assert_eq!(week_of(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()), "2026-W48");
    }
}
