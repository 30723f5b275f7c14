//! Companies, offices, users and groups.

use std::collections::HashMap;

use chrono::Utc;
use crm_domain::contacts::{Country, Email};
use crm_domain::org::{Role, Scope, check_password, parse_name};
use crm_domain::permissions::{Permissions, Viewer};
use crm_domain::{CompanyId, GroupId, OfficeId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::auth::PasswordHash;
use crate::entities::{companies, group_members, groups, logins, offices, users};
use crate::{Store, StoreError};

/// A company (tenant).
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub country: Country,
    pub locale: String,
    pub currency: String,
    /// The zone the company works in: set by an administrator, else its country's.
    pub time_zone: chrono_tz::Tz,
}

/// An office with its head count.
#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub id: OfficeId,
    pub name: String,
    pub user_count: u64,
}

/// A user, without credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub company_id: CompanyId,
    pub office_id: OfficeId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub permissions: Permissions,
    pub active: bool,
    pub notify_email: bool,
    pub locale: String,
    /// Access tokens issued before this are refused (the password changed, or the user was
    /// deactivated and perhaps reactivated).
    pub tokens_valid_after: Option<chrono::DateTime<Utc>>,
    /// The user's own time zone; none means the company's.
    pub time_zone: Option<chrono_tz::Tz>,
    /// How the user's last booking confirmed the meeting to the client, offered for the next.
    pub booking_confirmation: Option<crm_domain::calendar::Confirmation>,
    /// The extension a telephone system knows the user by.
    pub extension: Option<String>,
}

impl User {
    /// The zone the user's times are shown and typed in.
    pub fn zone(&self, company: &Company) -> chrono_tz::Tz {
        self.time_zone.unwrap_or(company.time_zone)
    }
}

impl User {
    pub fn viewer(&self) -> Viewer {
        Viewer {
            company_id: self.company_id,
            user_id: self.id,
            office_id: self.office_id,
            permissions: self.permissions,
        }
    }
}

/// A user to create or update.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub name: String,
    pub email: String,
    /// Required on creation; on update, `Some` changes the password.
    pub password: Option<PasswordHash>,
    pub role: Role,
    pub office_id: OfficeId,
    pub permissions: Permissions,
    pub active: bool,
    pub notify_email: bool,
    pub locale: Option<String>,
}

/// A group and its members.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub member_ids: Vec<UserId>,
}

/// Names of a company's users and offices, for labelling records without joins.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub users: HashMap<UserId, (String, OfficeId)>,
    pub offices: HashMap<OfficeId, String>,
}

impl Directory {
    pub fn user_name(&self, id: UserId) -> String {
        self.users.get(&id).map(|(n, _)| n.clone()).unwrap_or_default()
    }

    pub fn office_name(&self, id: OfficeId) -> String {
        self.offices.get(&id).cloned().unwrap_or_default()
    }
}

pub(crate) fn to_user(m: users::Model) -> User {
    let scope = |s: &str| Scope::parse(s).unwrap_or(Scope::Own);
    User {
        id: m.id.into(),
        company_id: m.company_id.into(),
        office_id: m.office_id.into(),
        email: m.email,
        name: m.name,
        role: Role::parse(&m.role).unwrap_or(Role::Broker),
        permissions: Permissions {
            work_with_clients: m.work_with_clients,
            offer_scope: scope(&m.offer_scope),
            demand_scope: scope(&m.demand_scope),
            export: m.can_export,
            admin: m.is_admin,
        },
        active: m.active,
        notify_email: m.notify_email,
        locale: m.locale,
        tokens_valid_after: m.tokens_valid_after,
        time_zone: m.time_zone.as_deref().and_then(crm_domain::calendar::parse_time_zone),
        booking_confirmation: m
            .booking_confirmation
            .as_deref()
            .and_then(crm_domain::calendar::Confirmation::parse),
        extension: m.extension,
    }
}

pub(crate) fn to_company(m: companies::Model) -> Result<Company, StoreError> {
    let country = Country::parse(&m.country).map_err(|e| StoreError::invalid("country", "invalid_country", e.to_string()))?;
    Ok(Company {
        id: m.id.into(),
        name: m.name,
        country,
        locale: m.locale,
        currency: m.currency,
        time_zone: m
            .time_zone
            .as_deref()
            .and_then(crm_domain::calendar::parse_time_zone)
            .unwrap_or_else(|| crm_domain::calendar::default_time_zone(country)),
    })
}

/// The usual locale and currency of a country we sell in.
pub fn defaults_for_country(country: &Country) -> (&'static str, &'static str) {
    match country.code().as_str() {
        "SE" => ("sv-SE", "SEK"),
        "CZ" => ("cs-CZ", "CZK"),
        "RU" => ("ru-RU", "RUB"),
        "BR" => ("pt-BR", "BRL"),
        "NO" => ("nb-NO", "NOK"),
        "DK" => ("da-DK", "DKK"),
        "FI" => ("fi-FI", "EUR"),
        "SK" => ("sk-SK", "EUR"),
        "PT" => ("pt-PT", "EUR"),
        "US" => ("en-US", "USD"),
        "GB" => ("en-GB", "GBP"),
        _ => ("en-GB", "EUR"),
    }
}

impl Store {
    /// Creates a company with its first office and its administrator (all rights, company scope).
    pub async fn create_company(
        &self,
        name: &str,
        country: Country,
        office_name: &str,
        admin_name: &str,
        admin_email: &str,
        admin_password: &str,
    ) -> Result<(Company, User), StoreError> {
        let name = parse_name(name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        check_password(admin_password).map_err(|e| StoreError::invalid("password", "weak_password", e.to_string()))?;
        let (locale, currency) = defaults_for_country(&country);
        let company_id = CompanyId::new();
        let txn = self.write().await?;
        companies::Entity::insert(companies::ActiveModel {
            id: Set(company_id.0),
            name: Set(name),
            country: Set(country.code()),
            locale: Set(locale.to_owned()),
            currency: Set(currency.to_owned()),
            created_at: Set(Utc::now()),
            time_zone: Set(None),
        })
        .exec(&txn)
        .await?;
        let office = insert_office(&txn, company_id, office_name).await?;
        let admin = insert_user(
            &txn,
            company_id,
            UserInput {
                name: admin_name.to_owned(),
                email: admin_email.to_owned(),
                password: Some(PasswordHash::new(admin_password).await?),
                role: Role::Administrator,
                office_id: office,
                permissions: Permissions {
                    work_with_clients: true,
                    offer_scope: Scope::Company,
                    demand_scope: Scope::Company,
                    export: true,
                    admin: true,
                },
                active: true,
                notify_email: true,
                locale: None,
            },
            locale,
        )
        .await?;
        txn.commit().await?;
        let company = self.company(company_id).await?;
        Ok((company, admin))
    }

    pub async fn company(&self, id: CompanyId) -> Result<Company, StoreError> {
        let m = companies::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("company"))?;
        to_company(m)
    }

    pub async fn offices(&self, company: CompanyId) -> Result<Vec<Office>, StoreError> {
        let rows = offices::Entity::find()
            .filter(offices::Column::CompanyId.eq(company.0))
            .order_by_asc(offices::Column::Name)
            .all(&self.db)
            .await?;
        let people = users::Entity::find()
            .filter(users::Column::CompanyId.eq(company.0))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|o| Office {
                id: o.id.into(),
                user_count: people.iter().filter(|u| u.office_id == o.id).count() as u64,
                name: o.name,
            })
            .collect())
    }

    pub async fn create_office(&self, company: CompanyId, name: &str) -> Result<OfficeId, StoreError> {
        insert_office(&self.db, company, name).await
    }

    pub async fn rename_office(&self, company: CompanyId, id: OfficeId, name: &str) -> Result<(), StoreError> {
        let name = parse_name(name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        let txn = self.write().await?;
        let res = offices::Entity::update_many()
            .col_expr(offices::Column::Name, Expr::value(name))
            .filter(offices::Column::CompanyId.eq(company.0))
            .filter(offices::Column::Id.eq(id.0))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound("office"));
        }
        crate::snapshot::org_changed(&txn, company).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn users(&self, company: CompanyId) -> Result<Vec<User>, StoreError> {
        let rows = users::Entity::find()
            .filter(users::Column::CompanyId.eq(company.0))
            .order_by_asc(users::Column::Name)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_user).collect())
    }

    pub async fn user(&self, company: CompanyId, id: UserId) -> Result<User, StoreError> {
        users::Entity::find_by_id((company.0, id.0))
            .one(&self.db)
            .await?
            .map(to_user)
            .ok_or(StoreError::NotFound("user"))
    }

    pub async fn create_user(&self, company: CompanyId, input: UserInput) -> Result<User, StoreError> {
        let company_row = self.company(company).await?;
        let txn = self.write().await?;
        let user = insert_user(&txn, company, input, &company_row.locale).await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Changes a user. A new password or a deactivation ends the user's sign-ins; a move to
    /// another office takes the user's contacts, listings and demands along (a contact's office
    /// is its owner's office).
    pub async fn update_user(&self, company: CompanyId, id: UserId, input: UserInput) -> Result<User, StoreError> {
        let email = Email::parse(&input.email).map_err(|e| StoreError::invalid("email", "invalid_email", e.to_string()))?;
        let name = parse_name(&input.name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        let txn = self.write().await?;
        let current = users::Entity::find_by_id((company.0, id.0))
            .one(&txn)
            .await?
            .map(to_user)
            .ok_or(StoreError::NotFound("user"))?;
        ensure_office(&txn, company, input.office_id).await?;
        if email.as_str() != current.email {
            claim_login(&txn, company, id, &email).await?;
            logins::Entity::delete_by_id(current.email.clone()).exec(&txn).await?;
        }
        let locale = input.locale.clone().unwrap_or(current.locale);
        let ends_sessions = input.password.is_some() || (current.active && !input.active);
        let mut am = user_columns(company, id, &input, &email, name, locale);
        if let Some(hash) = input.password {
            am.password_hash = Set(hash.0);
        }
        users::Entity::update(am).exec(&txn).await?;
        if ends_sessions {
            crate::auth::end_sessions(&txn, company, id).await?;
        }
        if current.office_id != input.office_id {
            crate::contacts::follow_owner_office(&txn, company, id, input.office_id).await?;
        }
        crate::snapshot::org_changed(&txn, company).await?;
        txn.commit().await?;
        self.user(company, id).await
    }

    /// Sets a user's own password after checking the current one; ends every other sign-in.
    pub async fn change_password(&self, company: CompanyId, id: UserId, current: &str, new: PasswordHash) -> Result<(), StoreError> {
        let row = users::Entity::find_by_id((company.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        if !PasswordHash::verify(row.password_hash, current).await {
            return Err(StoreError::invalid(
                "current_password",
                "wrong_password",
                "the current password is not right",
            ));
        }
        let txn = self.write().await?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(new.0))
            .filter(users::Column::CompanyId.eq(company.0))
            .filter(users::Column::Id.eq(id.0))
            .exec(&txn)
            .await?;
        crate::auth::end_sessions(&txn, company, id).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets a user's own language.
    pub async fn set_locale(&self, company: CompanyId, id: UserId, locale: &str) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::Locale, Expr::value(locale))
            .filter(users::Column::CompanyId.eq(company.0))
            .filter(users::Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets a user's own time zone (none: the company's).
    pub async fn set_user_time_zone(&self, company: CompanyId, id: UserId, zone: Option<chrono_tz::Tz>) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::TimeZone, Expr::value(zone.map(|z| z.name().to_owned())))
            .filter(users::Column::CompanyId.eq(company.0))
            .filter(users::Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets the company's time zone (none: its country's).
    pub async fn set_company_time_zone(&self, company: CompanyId, zone: Option<chrono_tz::Tz>) -> Result<(), StoreError> {
        let txn = self.write().await?;
        companies::Entity::update_many()
            .col_expr(companies::Column::TimeZone, Expr::value(zone.map(|z| z.name().to_owned())))
            .filter(companies::Column::Id.eq(company.0))
            .exec(&txn)
            .await?;
        crate::snapshot::org_changed(&txn, company).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Users' and offices' names, for labelling: from the company's organisation snapshot (one
    /// key lookup while nothing changed).
    pub async fn directory(&self, company: CompanyId) -> Result<Directory, StoreError> {
        let org = self.org_snapshot(company).await?;
        Ok(Directory {
            users: org.users.iter().map(|u| (u.id, (u.name.clone(), u.office_id))).collect(),
            offices: org.offices.clone(),
        })
    }

    pub async fn groups(&self, company: CompanyId) -> Result<Vec<Group>, StoreError> {
        let rows = groups::Entity::find()
            .filter(groups::Column::CompanyId.eq(company.0))
            .order_by_asc(groups::Column::Name)
            .all(&self.db)
            .await?;
        let members = group_members::Entity::find()
            .filter(group_members::Column::CompanyId.eq(company.0))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|g| Group {
                id: g.id.into(),
                member_ids: members.iter().filter(|m| m.group_id == g.id).map(|m| UserId(m.user_id)).collect(),
                name: g.name,
            })
            .collect())
    }

    /// Creates (`id == None`) or replaces a group.
    pub async fn save_group(&self, company: CompanyId, id: Option<GroupId>, name: &str, members: &[UserId]) -> Result<Group, StoreError> {
        let name = parse_name(name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        let known = self.directory(company).await?;
        if let Some((i, _)) = members.iter().enumerate().find(|(_, m)| !known.users.contains_key(m)) {
            return Err(StoreError::invalid(
                format!("member_ids[{i}]"),
                "unknown_user",
                "no such user in this company",
            ));
        }
        let txn = self.write().await?;
        let id = match id {
            Some(id) => {
                let res = groups::Entity::update_many()
                    .col_expr(groups::Column::Name, Expr::value(name.clone()))
                    .filter(groups::Column::CompanyId.eq(company.0))
                    .filter(groups::Column::Id.eq(id.0))
                    .exec(&txn)
                    .await?;
                if res.rows_affected == 0 {
                    return Err(StoreError::NotFound("group"));
                }
                group_members::Entity::delete_many()
                    .filter(group_members::Column::CompanyId.eq(company.0))
                    .filter(group_members::Column::GroupId.eq(id.0))
                    .exec(&txn)
                    .await?;
                id
            }
            None => {
                let id = GroupId::new();
                groups::Entity::insert(groups::ActiveModel {
                    company_id: Set(company.0),
                    id: Set(id.0),
                    name: Set(name.clone()),
                    created_at: Set(Utc::now()),
                })
                .exec(&txn)
                .await?;
                id
            }
        };
        let mut unique: Vec<UserId> = members.to_vec();
        unique.sort();
        unique.dedup();
        if !unique.is_empty() {
            group_members::Entity::insert_many(unique.iter().map(|m| group_members::ActiveModel {
                company_id: Set(company.0),
                group_id: Set(id.0),
                user_id: Set(m.0),
            }))
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(Group {
            id,
            name,
            member_ids: unique,
        })
    }
}

async fn ensure_office(db: &impl ConnectionTrait, company: CompanyId, office: OfficeId) -> Result<(), StoreError> {
    let found = offices::Entity::find_by_id((company.0, office.0)).count(db).await?;
    if found == 0 {
        Err(StoreError::invalid("office_id", "unknown_office", "no such office in this company"))
    } else {
        Ok(())
    }
}

async fn insert_office(db: &impl ConnectionTrait, company: CompanyId, name: &str) -> Result<OfficeId, StoreError> {
    let name = parse_name(name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
    let id = OfficeId::new();
    offices::Entity::insert(offices::ActiveModel {
        company_id: Set(company.0),
        id: Set(id.0),
        name: Set(name),
        created_at: Set(Utc::now()),
    })
    .exec(db)
    .await?;
    crate::snapshot::org_changed(db, company).await?;
    Ok(id)
}

/// Reserves an email address in the global sign-in directory.
/// Two requests claiming one address at once: the database's key decides, the loser gets 409.
async fn claim_login(db: &impl ConnectionTrait, company: CompanyId, user: UserId, email: &Email) -> Result<(), StoreError> {
    let inserted = logins::Entity::insert(logins::ActiveModel {
        email: Set(email.as_str().to_owned()),
        company_id: Set(company.0),
        user_id: Set(user.0),
    })
    .exec(db)
    .await;
    match inserted.map_err(StoreError::from) {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict { .. }) => Err(StoreError::Conflict {
            field: Some("email"),
            message: format!("{email} is already used by another user"),
        }),
        Err(e) => Err(e),
    }
}

/// The columns a user's input sets, shared by creation and update.
fn user_columns(company: CompanyId, id: UserId, input: &UserInput, email: &Email, name: String, locale: String) -> users::ActiveModel {
    let p = input.permissions;
    users::ActiveModel {
        company_id: Set(company.0),
        id: Set(id.0),
        office_id: Set(input.office_id.0),
        email: Set(email.as_str().to_owned()),
        name: Set(name),
        role: Set(input.role.as_str().to_owned()),
        work_with_clients: Set(p.work_with_clients),
        offer_scope: Set(p.offer_scope.as_str().to_owned()),
        demand_scope: Set(p.demand_scope.as_str().to_owned()),
        can_export: Set(p.export),
        is_admin: Set(p.admin),
        active: Set(input.active),
        notify_email: Set(input.notify_email),
        locale: Set(locale),
        ..Default::default()
    }
}

async fn insert_user(db: &impl ConnectionTrait, company: CompanyId, input: UserInput, default_locale: &str) -> Result<User, StoreError> {
    let email = Email::parse(&input.email).map_err(|e| StoreError::invalid("email", "invalid_email", e.to_string()))?;
    let name = parse_name(&input.name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
    let hash = input
        .password
        .clone()
        .ok_or_else(|| StoreError::invalid("password", "required", "a new user needs a password"))?;
    ensure_office(db, company, input.office_id).await?;
    let id = UserId::new();
    claim_login(db, company, id, &email).await?;
    let locale = input.locale.clone().unwrap_or_else(|| default_locale.to_owned());
    let mut model = user_columns(company, id, &input, &email, name, locale);
    model.password_hash = Set(hash.0);
    model.created_at = Set(Utc::now());
    let m = users::Entity::insert(model).exec_with_returning(db).await?;
    crate::snapshot::org_changed(db, company).await?;
    Ok(to_user(m))
}
