//! Focus areas of offices and users, and the company's coverage built from them (which areas
//! hold a point) for suggesting a broker and routing leads.

use chrono::{DateTime, Utc};
use crm_domain::focus::{Coverage, Covered, Shape};
use crm_domain::org::parse_name;
use crm_domain::routing::{OfficeArea, UserArea};
use crm_domain::{CompanyId, OfficeId, UserId};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use std::sync::Arc;

use crate::entities::focus_areas;
use crate::org::User;
use crate::snapshot::org_changed;
use crate::{Store, StoreError};

/// Focus areas one company may have (each up to `focus::MAX_POSITIONS` positions).
pub const MAX_AREAS: u64 = 2_000;

/// Whose a focus area is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaOwner {
    Office(OfficeId),
    User(UserId),
}

/// A focus area to save.
#[derive(Debug, Clone)]
pub struct FocusAreaInput {
    pub owner: AreaOwner,
    pub name: String,
    /// Only a user's area may carry it.
    pub distributor: bool,
    pub shape: Shape,
}

/// A stored focus area.
#[derive(Debug, Clone)]
pub struct FocusArea {
    pub id: Uuid,
    pub owner: AreaOwner,
    pub name: String,
    pub distributor: bool,
    pub shape: Shape,
    pub updated_at: DateTime<Utc>,
}

/// A company's focus areas indexed for point lookups.
#[derive(Debug)]
pub struct CompanyCoverage {
    pub offices: Coverage<OfficeArea>,
    pub users: Coverage<UserArea>,
}

fn to_area(m: focus_areas::Model) -> Result<FocusArea, StoreError> {
    let owner = match (m.office_id, m.user_id) {
        (_, Some(user)) => AreaOwner::User(UserId(user)),
        (Some(office), None) => AreaOwner::Office(OfficeId(office)),
        (None, None) => return Err(StoreError::Internal(format!("focus area {} has no owner", m.id))),
    };
    // Stored shapes were checked when saved; one that no longer reads is a defect, not input.
    let shape = Shape::from_json(&m.shape).map_err(|e| StoreError::Internal(format!("focus area {}: {e}", m.id)))?;
    Ok(FocusArea {
        id: m.id,
        owner,
        name: m.name,
        distributor: m.distributor,
        shape,
        updated_at: m.updated_at,
    })
}

impl Store {
    /// Every focus area of the company, by name.
    pub async fn focus_areas(&self, company: CompanyId) -> Result<Vec<FocusArea>, StoreError> {
        focus_areas::Entity::find()
            .filter(focus_areas::Column::CompanyId.eq(company.0))
            .order_by_asc(focus_areas::Column::Name)
            .order_by_asc(focus_areas::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_area)
            .collect()
    }

    pub async fn focus_area(&self, company: CompanyId, id: Uuid) -> Result<FocusArea, StoreError> {
        focus_areas::Entity::find_by_id((company.0, id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("focus area"))
            .and_then(to_area)
    }

    /// Creates (`id == None`) or replaces a focus area. The owner must be an office or an
    /// active user of the company; only a user's area may be a distributor's.
    pub async fn save_focus_area(&self, company: CompanyId, id: Option<Uuid>, input: FocusAreaInput) -> Result<FocusArea, StoreError> {
        let name = parse_name(&input.name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        let dir = self.directory(company).await?;
        let (office_id, user_id) = match input.owner {
            AreaOwner::Office(o) if dir.offices.contains_key(&o) => (Some(o.0), None),
            AreaOwner::User(u) if dir.users.contains_key(&u) => (Some(dir.users[&u].1.0), Some(u.0)),
            AreaOwner::Office(_) => return Err(StoreError::invalid("office_id", "unknown_office", "no such office in this company")),
            AreaOwner::User(_) => return Err(StoreError::invalid("user_id", "unknown_user", "no such user in this company")),
        };
        if input.distributor && user_id.is_none() {
            return Err(StoreError::invalid(
                "distributor",
                "distributor_needs_user",
                "only a user's focus area can carry the distributor flag",
            ));
        }
        let bbox = input.shape.bounds();
        let now = Utc::now();
        let txn = self.write().await?;
        let model = focus_areas::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.unwrap_or_else(Uuid::now_v7)),
            office_id: Set(office_id),
            user_id: Set(user_id),
            name: Set(name),
            distributor: Set(input.distributor),
            shape: Set(input.shape.to_geojson()),
            min_lon: Set(bbox[0]),
            min_lat: Set(bbox[1]),
            max_lon: Set(bbox[2]),
            max_lat: Set(bbox[3]),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let saved = match id {
            Some(id) => {
                let existing = focus_areas::Entity::find_by_id((company.0, id))
                    .one(&txn)
                    .await?
                    .ok_or(StoreError::NotFound("focus area"))?;
                let mut model = model;
                model.created_at = Set(existing.created_at);
                focus_areas::Entity::update(model).exec(&txn).await?
            }
            None => {
                let count = focus_areas::Entity::find()
                    .filter(focus_areas::Column::CompanyId.eq(company.0))
                    .count(&txn)
                    .await?;
                if count >= MAX_AREAS {
                    return Err(StoreError::invalid(
                        "",
                        "too_many",
                        format!("a company has at most {MAX_AREAS} focus areas"),
                    ));
                }
                focus_areas::Entity::insert(model).exec_with_returning(&txn).await?
            }
        };
        org_changed(&txn, company).await?;
        txn.commit().await?;
        to_area(saved)
    }

    pub async fn delete_focus_area(&self, company: CompanyId, id: Uuid) -> Result<(), StoreError> {
        let txn = self.write().await?;
        let res = focus_areas::Entity::delete_many()
            .filter(focus_areas::Column::CompanyId.eq(company.0))
            .filter(focus_areas::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound("focus area"));
        }
        org_changed(&txn, company).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The company's focus areas indexed for "who covers this point". Areas of users who are
    /// no longer active are left out.
    pub async fn coverage(&self, company: CompanyId) -> Result<Arc<CompanyCoverage>, StoreError> {
        Ok(self.org_snapshot(company).await?.coverage.clone())
    }

    pub(crate) async fn build_coverage(&self, company: CompanyId, users: &[User]) -> Result<CompanyCoverage, StoreError> {
        let areas = self.focus_areas(company).await?;
        let (mut offices, mut people) = (Vec::new(), Vec::new());
        for a in areas {
            match a.owner {
                AreaOwner::Office(office) => offices.push(Covered {
                    key: OfficeArea { office, name: a.name },
                    distributor: false,
                    shape: a.shape,
                }),
                AreaOwner::User(user) => {
                    if let Some(u) = users.iter().find(|u| u.id == user && u.active) {
                        people.push(Covered {
                            key: UserArea {
                                user,
                                office: u.office_id,
                                name: a.name,
                            },
                            distributor: a.distributor,
                            shape: a.shape,
                        });
                    }
                }
            }
        }
        Ok(CompanyCoverage {
            offices: Coverage::new(offices),
            users: Coverage::new(people),
        })
    }
}
