//! Listings, their parties, and buyers' demands. Changing parties or demands updates the
//! contact's offer/demand flags that the visibility policy reads, in the same transaction.

use chrono::{DateTime, Utc};
use crm_domain::contacts::Country;
use crm_domain::permissions::Viewer;
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus, change_status};
use crm_domain::{CompanyId, ContactId, DemandId, OfficeId, PropertyId, UserId};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::contacts::{ContactRecord, add_timeline};
use crate::entities::{demands, properties, property_parties};
use crate::{Store, StoreError};

/// A listing's fields, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyData {
    pub kind: PropertyKind,
    pub status: PropertyStatus,
    pub street: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub country: Country,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub price: Option<i64>,
    pub living_area: Option<f64>,
    pub rooms: Option<f64>,
    pub bedrooms: Option<i32>,
    pub parking_spaces: Option<i32>,
    pub neighbourhood: Option<String>,
    pub condominium: Option<String>,
    pub advertised: bool,
    pub broker_id: Option<UserId>,
}

/// A stored listing.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRecord {
    pub id: PropertyId,
    pub data: PropertyData,
    pub broker_id: UserId,
    pub office_id: OfficeId,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// Parties visible to the viewer.
    pub parties: Vec<(ContactRecord, PartyRole)>,
}

impl PropertyRecord {
    pub fn title(&self) -> String {
        format!("{}, {}", self.data.street, self.data.city)
    }
}

/// A buyer's request.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandRecord {
    pub id: DemandId,
    pub contact_id: ContactId,
    pub broker_id: UserId,
    pub kind: Option<PropertyKind>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_rooms: Option<f64>,
    pub area: Option<String>,
    pub note: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A demand's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandData {
    pub contact_id: ContactId,
    pub kind: Option<PropertyKind>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_rooms: Option<f64>,
    pub area: Option<String>,
    pub note: Option<String>,
}

fn to_demand(m: demands::Model) -> DemandRecord {
    DemandRecord {
        id: m.id.into(),
        contact_id: m.contact_id.into(),
        broker_id: m.broker_id.into(),
        kind: m.kind.as_deref().and_then(PropertyKind::parse),
        min_price: m.min_price,
        max_price: m.max_price,
        min_rooms: m.min_rooms,
        area: m.area,
        note: m.note,
        active: m.active,
        created_at: m.created_at,
    }
}

fn property_data(m: &properties::Model) -> PropertyData {
    // Stored codes were validated on the way in; an unknown one reads as the company default.
    let country = Country::parse(&m.country).ok();
    PropertyData {
        kind: PropertyKind::parse(&m.kind).unwrap_or(PropertyKind::Apartment),
        status: PropertyStatus::parse(&m.status).unwrap_or(PropertyStatus::CustomerProcessing),
        street: m.street.clone(),
        city: m.city.clone(),
        postal_code: m.postal_code.clone(),
        country: country.unwrap_or(Country::SWEDEN),
        lat: m.lat,
        lon: m.lon,
        price: m.price,
        living_area: m.living_area,
        rooms: m.rooms,
        bedrooms: m.bedrooms,
        parking_spaces: m.parking_spaces,
        neighbourhood: m.neighbourhood.clone(),
        condominium: m.condominium.clone(),
        advertised: m.advertised,
        broker_id: Some(m.broker_id.into()),
    }
}

fn data_columns(am: &mut properties::ActiveModel, d: &PropertyData) {
    am.kind = Set(d.kind.as_str().to_owned());
    am.status = Set(d.status.as_str().to_owned());
    am.street = Set(d.street.clone());
    am.city = Set(d.city.clone());
    am.postal_code = Set(d.postal_code.clone());
    am.country = Set(d.country.code());
    am.lat = Set(d.lat);
    am.lon = Set(d.lon);
    am.price = Set(d.price);
    am.living_area = Set(d.living_area);
    am.rooms = Set(d.rooms);
    am.bedrooms = Set(d.bedrooms);
    am.parking_spaces = Set(d.parking_spaces);
    am.neighbourhood = Set(d.neighbourhood.clone());
    am.condominium = Set(d.condominium.clone());
    am.advertised = Set(d.advertised);
}

impl Store {
    /// Creates a listing; its broker defaults to the viewer.
    pub async fn create_property(&self, viewer: &Viewer, data: &PropertyData, currency: &str) -> Result<PropertyRecord, StoreError> {
        let broker = self
            .user(viewer.company_id, data.broker_id.unwrap_or(viewer.user_id))
            .await
            .map_err(|_| StoreError::invalid("broker_id", "unknown_user", "no such broker in this company"))?;
        let now = Utc::now();
        let id = PropertyId::new();
        let mut am = properties::ActiveModel {
            company_id: Set(viewer.company_id.0),
            id: Set(id.0),
            currency: Set(currency.to_owned()),
            broker_id: Set(broker.id.0),
            office_id: Set(broker.office_id.0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        data_columns(&mut am, data);
        properties::Entity::insert(am).exec(&self.db).await?;
        self.property(viewer, id).await
    }

    /// Replaces a listing's fields; the status change must be allowed.
    pub async fn update_property(&self, viewer: &Viewer, id: PropertyId, data: &PropertyData) -> Result<PropertyRecord, StoreError> {
        let current = self.property(viewer, id).await?;
        change_status(current.data.status, data.status)
            .map_err(|e| StoreError::invalid("status", "invalid_status_change", e.to_string()))?;
        let broker = match data.broker_id {
            Some(b) => self
                .user(viewer.company_id, b)
                .await
                .map_err(|_| StoreError::invalid("broker_id", "unknown_user", "no such broker in this company"))?,
            None => self.user(viewer.company_id, current.broker_id).await?,
        };
        let mut am = properties::ActiveModel {
            company_id: Set(viewer.company_id.0),
            id: Set(id.0),
            broker_id: Set(broker.id.0),
            office_id: Set(broker.office_id.0),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        data_columns(&mut am, data);
        properties::Entity::update(am).exec(&self.db).await?;
        self.property(viewer, id).await
    }

    /// A listing of the viewer's company, with the parties the viewer may see.
    pub async fn property(&self, viewer: &Viewer, id: PropertyId) -> Result<PropertyRecord, StoreError> {
        let m = properties::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("property"))?;
        let mut records = self.with_parties(viewer, vec![m]).await?;
        records.pop().ok_or(StoreError::NotFound("property"))
    }

    /// A page of the company's listings, newest first, optionally of one status.
    pub async fn list_properties(
        &self,
        viewer: &Viewer,
        status: Option<PropertyStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<PropertyRecord>, u64), StoreError> {
        let mut q = properties::Entity::find().filter(properties::Column::CompanyId.eq(viewer.company_id.0));
        if let Some(s) = status {
            q = q.filter(properties::Column::Status.eq(s.as_str()));
        }
        let total = q.clone().count(&self.db).await?;
        let rows = q
            .order_by_desc(properties::Column::CreatedAt)
            .order_by_asc(properties::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.db)
            .await?;
        Ok((self.with_parties(viewer, rows).await?, total))
    }

    async fn with_parties(&self, viewer: &Viewer, rows: Vec<properties::Model>) -> Result<Vec<PropertyRecord>, StoreError> {
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let parties = if ids.is_empty() {
            Vec::new()
        } else {
            property_parties::Entity::find()
                .filter(property_parties::Column::CompanyId.eq(viewer.company_id.0))
                .filter(property_parties::Column::PropertyId.is_in(ids))
                .order_by_asc(property_parties::Column::CreatedAt)
                .all(&self.db)
                .await?
        };
        let contact_ids = parties.iter().map(|p| p.contact_id).collect();
        let visibility = crm_domain::permissions::Visibility::for_viewer(viewer);
        let contacts: Vec<ContactRecord> = self
            .contacts_by_id(viewer.company_id, contact_ids)
            .await?
            .into_iter()
            .filter(|c| visibility.admits(&c.facts()))
            .collect();
        Ok(rows
            .into_iter()
            .map(|m| PropertyRecord {
                id: m.id.into(),
                data: property_data(&m),
                broker_id: m.broker_id.into(),
                office_id: m.office_id.into(),
                currency: m.currency.clone(),
                created_at: m.created_at,
                parties: parties
                    .iter()
                    .filter(|p| p.property_id == m.id)
                    .filter_map(|p| {
                        Some((
                            contacts.iter().find(|c| c.id.0 == p.contact_id)?.clone(),
                            PartyRole::parse(&p.role)?,
                        ))
                    })
                    .collect(),
            })
            .collect())
    }

    /// Makes a visible contact a seller or buyer of a listing.
    pub async fn add_party(
        &self,
        viewer: &Viewer,
        property: PropertyId,
        contact: ContactId,
        role: PartyRole,
    ) -> Result<PropertyRecord, StoreError> {
        let listing = self.property(viewer, property).await?;
        self.contact(viewer, contact)
            .await
            .map_err(|_| StoreError::invalid("contact_id", "unknown_contact", "no such contact"))?;
        let company = viewer.company_id;
        let exists = property_parties::Entity::find_by_id((company.0, property.0, contact.0, role.as_str().to_owned()))
            .count(&self.db)
            .await?
            > 0;
        if exists {
            return Err(StoreError::Conflict {
                field: "contact_id",
                message: format!("the contact is already {} of this listing", role.as_str()),
            });
        }
        let txn = self.write().await?;
        property_parties::Entity::insert(property_parties::ActiveModel {
            company_id: Set(company.0),
            property_id: Set(property.0),
            contact_id: Set(contact.0),
            role: Set(role.as_str().to_owned()),
            created_at: Set(Utc::now()),
        })
        .exec(&txn)
        .await?;
        Self::refresh_sides(&txn, company, contact).await?;
        add_timeline(
            &txn,
            company,
            contact,
            "party_added",
            format!("Became {} of {}", role.as_str(), listing.title()),
            Some(viewer.user_id),
            (Some(property), None),
        )
        .await?;
        txn.commit().await?;
        self.property(viewer, property).await
    }

    /// Removes a party from a listing.
    pub async fn remove_party(&self, viewer: &Viewer, property: PropertyId, contact: ContactId, role: PartyRole) -> Result<(), StoreError> {
        let listing = self.property(viewer, property).await?;
        self.contact(viewer, contact).await?;
        let company = viewer.company_id;
        let txn = self.write().await?;
        let res = property_parties::Entity::delete_by_id((company.0, property.0, contact.0, role.as_str().to_owned()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound("party"));
        }
        Self::refresh_sides(&txn, company, contact).await?;
        add_timeline(
            &txn,
            company,
            contact,
            "party_removed",
            format!("No longer {} of {}", role.as_str(), listing.title()),
            Some(viewer.user_id),
            (Some(property), None),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Listings a visible contact is a party of: (listing id, title, status, role).
    pub async fn contact_properties(
        &self,
        viewer: &Viewer,
        contact: ContactId,
    ) -> Result<Vec<(PropertyId, String, PropertyStatus, PartyRole)>, StoreError> {
        let company = viewer.company_id;
        let parties = property_parties::Entity::find()
            .filter(property_parties::Column::CompanyId.eq(company.0))
            .filter(property_parties::Column::ContactId.eq(contact.0))
            .all(&self.db)
            .await?;
        let ids: Vec<_> = parties.iter().map(|p| p.property_id).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let listings = properties::Entity::find()
            .filter(properties::Column::CompanyId.eq(company.0))
            .filter(properties::Column::Id.is_in(ids))
            .all(&self.db)
            .await?;
        Ok(parties
            .iter()
            .filter_map(|p| {
                let l = listings.iter().find(|l| l.id == p.property_id)?;
                let d = property_data(l);
                Some((
                    PropertyId(l.id),
                    format!("{}, {}", d.street, d.city),
                    d.status,
                    PartyRole::parse(&p.role)?,
                ))
            })
            .collect())
    }

    pub(crate) async fn is_party(&self, company: CompanyId, property: PropertyId, contact: ContactId) -> Result<bool, StoreError> {
        Ok(property_parties::Entity::find()
            .filter(property_parties::Column::CompanyId.eq(company.0))
            .filter(property_parties::Column::PropertyId.eq(property.0))
            .filter(property_parties::Column::ContactId.eq(contact.0))
            .count(&self.db)
            .await?
            > 0)
    }

    pub(crate) async fn demand_belongs_to(&self, company: CompanyId, demand: DemandId, contact: ContactId) -> Result<bool, StoreError> {
        Ok(demands::Entity::find_by_id((company.0, demand.0))
            .one(&self.db)
            .await?
            .is_some_and(|d| d.contact_id == contact.0))
    }

    /// Records a buyer's request for a visible contact, handled by the viewer.
    pub async fn create_demand(&self, viewer: &Viewer, data: &DemandData) -> Result<DemandRecord, StoreError> {
        self.contact(viewer, data.contact_id)
            .await
            .map_err(|_| StoreError::invalid("contact_id", "unknown_contact", "no such contact"))?;
        if let (Some(lo), Some(hi)) = (data.min_price, data.max_price)
            && lo > hi
        {
            return Err(StoreError::invalid(
                "max_price",
                "invalid_range",
                "the maximum price is below the minimum",
            ));
        }
        let company = viewer.company_id;
        let id = DemandId::new();
        let txn = self.write().await?;
        let m = demands::Entity::insert(demands::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            contact_id: Set(data.contact_id.0),
            broker_id: Set(viewer.user_id.0),
            office_id: Set(viewer.office_id.0),
            kind: Set(data.kind.map(|k| k.as_str().to_owned())),
            min_price: Set(data.min_price),
            max_price: Set(data.max_price),
            min_rooms: Set(data.min_rooms),
            area: Set(data.area.clone()),
            note: Set(data.note.clone()),
            active: Set(true),
            created_at: Set(Utc::now()),
        })
        .exec_with_returning(&txn)
        .await?;
        Self::refresh_sides(&txn, company, data.contact_id).await?;
        let what = data
            .area
            .clone()
            .map(|a| format!("Demand registered: {a}"))
            .unwrap_or_else(|| "Demand registered".to_owned());
        add_timeline(
            &txn,
            company,
            data.contact_id,
            "demand_created",
            what,
            Some(viewer.user_id),
            (None, Some(id)),
        )
        .await?;
        txn.commit().await?;
        Ok(to_demand(m))
    }

    /// A visible contact's demands, newest first.
    pub async fn contact_demands(&self, viewer: &Viewer, contact: ContactId) -> Result<Vec<DemandRecord>, StoreError> {
        Ok(demands::Entity::find()
            .filter(demands::Column::CompanyId.eq(viewer.company_id.0))
            .filter(demands::Column::ContactId.eq(contact.0))
            .order_by_desc(demands::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_demand)
            .collect())
    }
}
