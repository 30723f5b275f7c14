//! What receiving and routing a lead needs to know about a company — the company itself, its
//! lead sources, its users and offices (also the directory that labels lists), the focus areas
//! indexed by an R-tree, the default office, each office's redistribution — kept in memory per
//! company between changes.
//!
//! Every change to these (the company's settings, lead sources, users, offices, focus areas,
//! redistribution settings) counts up the company's `org` counter in the same transaction. A
//! reader reads the counter first and the rows after, so a snapshot is never older than the
//! counter it is kept under; any instance sees another's change at its next lead, for the price
//! of one key lookup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crm_domain::{CompanyId, OfficeId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::office_routing;
use crate::focus::CompanyCoverage;
use crate::leads::LeadSource;
use crate::leads::{OfficeRouting, to_routing};
use crate::org::{Company, User};
use crate::properties::next_number;
use crate::sql::Sql;
use crate::{Store, StoreError};

const ORG: &str = "org";
/// Companies whose snapshot one process keeps (all are dropped when more come).
const MAX_COMPANIES: usize = 1_000;

#[derive(Debug)]
pub(crate) struct OrgSnapshot {
    version: i64,
    pub company: Company,
    /// The company's lead sources by id, archived ones included.
    pub sources: HashMap<uuid::Uuid, LeadSource>,
    pub users: Vec<User>,
    /// The company's offices and their names.
    pub offices: HashMap<OfficeId, String>,
    pub coverage: Arc<CompanyCoverage>,
    /// The office that takes what no focus area takes: the company's first.
    pub default_office: Option<OfficeId>,
    pub routing: HashMap<OfficeId, OfficeRouting>,
}

/// The snapshots of one process, by company.
#[derive(Debug, Default)]
pub(crate) struct Snapshots(Mutex<HashMap<CompanyId, Arc<OrgSnapshot>>>);

/// Records, in the caller's transaction, that the company's organisation changed.
pub(crate) async fn org_changed(db: &impl ConnectionTrait, company: CompanyId) -> Result<(), StoreError> {
    next_number(db, company, ORG).await.map(|_| ())
}

impl Store {
    async fn org_version(&self, company: CompanyId) -> Result<i64, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT value FROM company_counters WHERE company_id = ")
            .bind(company.0)
            .push(" AND name = ")
            .bind(ORG);
        Ok(match self.db.query_one_raw(sql.statement()).await? {
            Some(row) => row.try_get::<i64>("", "value")?,
            None => 0,
        })
    }

    /// The company's organisation as routing needs it, current as of this call.
    pub(crate) async fn org_snapshot(&self, company: CompanyId) -> Result<Arc<OrgSnapshot>, StoreError> {
        let version = self.org_version(company).await?;
        let cached = self.snapshots.0.lock().unwrap_or_else(|e| e.into_inner()).get(&company).cloned();
        if let Some(s) = cached
            && s.version == version
        {
            return Ok(s);
        }
        // First, so a company that does not exist costs one more read, not a snapshot.
        let record = self.company(company).await?;
        let sources = self.lead_sources(company).await?.into_iter().map(|s| (s.id, s)).collect();
        let users = self.users(company).await?;
        let offices = crate::entities::offices::Entity::find()
            .filter(crate::entities::offices::Column::CompanyId.eq(company.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (OfficeId(o.id), o.name))
            .collect();
        let coverage = Arc::new(self.build_coverage(company, &users).await?);
        let default_office = self.first_office(company).await?;
        // Offices without settings do not redistribute: they are simply absent.
        let routing = office_routing::Entity::find()
            .filter(office_routing::Column::CompanyId.eq(company.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (OfficeId(m.office_id), to_routing(m)))
            .collect();
        let snapshot = Arc::new(OrgSnapshot {
            version,
            company: record,
            sources,
            users,
            offices,
            coverage,
            default_office,
            routing,
        });
        let mut all = self.snapshots.0.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() >= MAX_COMPANIES {
            all.clear();
        }
        all.insert(company, snapshot.clone());
        Ok(snapshot)
    }
}
