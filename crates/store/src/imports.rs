//! Contact imports: the uploaded file, its settings, and its progress through a dry run and
//! the import proper. The job runner claims an import under a lease and commits each chunk of
//! rows together with the progress it makes, fenced by the claim's attempt number, so an import
//! that stops (a crash, a restart) resumes exactly where its last chunk ended.

use chrono::{DateTime, Duration, Utc};
use crm_domain::contacts::ContactKind;
use crm_domain::import::{Field, Mapping, SheetSummary};
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::contacts::ImportRow;
use crate::entities::{import_files, imports};
use crate::{Store, StoreError};

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// The file is read; choose the columns' meaning.
    Uploaded,
    /// The dry run is under way.
    Checking,
    /// The dry run is done; its report can be read, and the import started.
    Checked,
    Importing,
    Done,
    Failed,
    Cancelled,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Checking => "checking",
            Self::Checked => "checked",
            Self::Importing => "importing",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "checking" => Self::Checking,
            "checked" => Self::Checked,
            "importing" => Self::Importing,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => Self::Uploaded,
        }
    }
}

/// How a file is read into contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSettings {
    /// The field of each column (`None`: ignored).
    pub mapping: Mapping,
    /// The kind of rows that do not say.
    pub default_kind: ContactKind,
    /// The owner of rows that do not name one (default: the importer).
    pub owner: Option<UserId>,
    /// Rows matching an existing contact by phone or email are skipped (reported as duplicates).
    pub skip_duplicates: bool,
}

/// A problem with one row, or a row that duplicates existing contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportProblem {
    /// The row's number among the file's rows (the header row not counted; 1 is the first).
    pub row: u64,
    pub field: String,
    pub code: String,
    pub message: String,
    /// The existing contacts a duplicate row matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactId>,
}

/// An import as shown to its user.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub created_by: UserId,
    pub file_name: String,
    pub headers: Vec<String>,
    pub sample: Vec<Vec<String>>,
    pub rows: u64,
    pub settings: Option<ImportSettings>,
    pub status: ImportStatus,
    pub processed: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
    pub created: u64,
    /// The first problems found (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<ImportProblem>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Problems kept per import; the counts cover them all.
pub const MAX_PROBLEMS: usize = 500;

/// Unfinished imports a company may have at once.
const MAX_OPEN: u64 = 20;

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

fn to_record(m: imports::Model) -> ImportRecord {
    let settings = m.mapping.as_ref().map(|mapping| ImportSettings {
        mapping: mapping
            .as_array()
            .map(|a| a.iter().map(|f| f.as_str().and_then(Field::parse)).collect())
            .unwrap_or_default(),
        default_kind: m
            .default_kind
            .as_deref()
            .and_then(ContactKind::parse)
            .unwrap_or(ContactKind::Standard),
        owner: m.owner_id.map(UserId),
        skip_duplicates: m.skip_duplicates,
    });
    ImportRecord {
        id: m.id,
        company_id: m.company_id.into(),
        created_by: m.created_by.into(),
        file_name: m.file_name,
        headers: strings(&m.headers),
        sample: m
            .sample
            .as_array()
            .map(|rows| rows.iter().map(strings).collect())
            .unwrap_or_default(),
        rows: m.rows.max(0) as u64,
        settings,
        status: ImportStatus::parse(&m.status),
        processed: m.processed.max(0) as u64,
        valid: m.valid.max(0) as u64,
        invalid: m.invalid.max(0) as u64,
        duplicates: m.duplicates.max(0) as u64,
        created: m.created.max(0) as u64,
        problems: serde_json::from_value(m.problems).unwrap_or_default(),
        error: m.error,
        created_at: m.created_at,
        finished_at: m.finished_at,
    }
}

/// An import claimed by the job runner, with its file.
#[derive(Debug, Clone)]
pub struct ClaimedImport {
    pub record: ImportRecord,
    /// The fencing number of this claim.
    pub attempt: i32,
    pub content: Vec<u8>,
}

/// What one chunk of rows did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChunkReport {
    /// Rows of the file handled so far, this chunk included.
    pub processed: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicates: u64,
    pub problems: Vec<ImportProblem>,
}

fn may_see(viewer: &Viewer, m: &imports::Model) -> bool {
    viewer.permissions.work_with_clients && (m.created_by == viewer.user_id.0 || viewer.permissions.admin)
}

impl Store {
    /// Keeps an uploaded file as a new import; `summary` is what reading it found.
    #[tracing::instrument(level = "debug", skip_all, fields(rows = summary.rows))]
    pub async fn create_import(
        &self,
        viewer: &Viewer,
        file_name: &str,
        content: Vec<u8>,
        summary: &SheetSummary,
    ) -> Result<ImportRecord, StoreError> {
        if !viewer.permissions.work_with_clients {
            return Err(StoreError::Forbidden("the right to work with clients is required"));
        }
        let company = viewer.company_id;
        let open = imports::Entity::find()
            .filter(imports::Column::CompanyId.eq(company.0))
            .filter(imports::Column::Status.is_in(["uploaded", "checking", "checked", "importing"]))
            .select_only()
            .column(imports::Column::Id)
            .limit(MAX_OPEN)
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await?;
        if open.len() as u64 >= MAX_OPEN {
            return Err(StoreError::invalid(
                "file",
                "too_many_imports",
                format!("the company has {MAX_OPEN} unfinished imports; finish or cancel some first"),
            ));
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        let txn = self.write().await?;
        let m = imports::Entity::insert(imports::ActiveModel {
            company_id: Set(company.0),
            id: Set(id),
            created_by: Set(viewer.user_id.0),
            file_name: Set(file_name.to_owned()),
            headers: Set(json!(summary.headers)),
            sample: Set(json!(summary.sample)),
            rows: Set(summary.rows as i64),
            mapping: Set(None),
            default_kind: Set(None),
            owner_id: Set(None),
            skip_duplicates: Set(true),
            status: Set(ImportStatus::Uploaded.as_str().to_owned()),
            processed: Set(0),
            valid: Set(0),
            invalid: Set(0),
            duplicates: Set(0),
            created: Set(0),
            problems: Set(json!([])),
            error: Set(None),
            attempts: Set(0),
            lease_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            finished_at: Set(None),
        })
        .exec_with_returning(&txn)
        .await?;
        import_files::Entity::insert(import_files::ActiveModel {
            company_id: Set(company.0),
            import_id: Set(id),
            content: Set(content),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(to_record(m))
    }

    /// An import of the viewer (administrators: of anyone in the company).
    pub async fn import(&self, viewer: &Viewer, id: Uuid) -> Result<ImportRecord, StoreError> {
        imports::Entity::find_by_id((viewer.company_id.0, id))
            .one(&self.db)
            .await?
            .filter(|m| may_see(viewer, m))
            .map(to_record)
            .ok_or(StoreError::NotFound("import"))
    }

    /// The latest imports of the viewer (administrators: of the company), newest first.
    pub async fn imports(&self, viewer: &Viewer) -> Result<Vec<ImportRecord>, StoreError> {
        if !viewer.permissions.work_with_clients {
            return Ok(Vec::new());
        }
        let mut q = imports::Entity::find().filter(imports::Column::CompanyId.eq(viewer.company_id.0));
        if !viewer.permissions.admin {
            q = q.filter(imports::Column::CreatedBy.eq(viewer.user_id.0));
        }
        Ok(q.order_by_desc(imports::Column::CreatedAt)
            .limit(50)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_record)
            .collect())
    }

    /// Sets how the file is read and asks for the dry run (from any state but running or done).
    pub async fn check_import(&self, viewer: &Viewer, id: Uuid, settings: &ImportSettings) -> Result<ImportRecord, StoreError> {
        let current = self.import(viewer, id).await?;
        if settings.mapping.len() != current.headers.len() {
            return Err(StoreError::invalid(
                "mapping",
                "wrong_columns",
                format!("the file has {} columns; give a field (or nothing) for each", current.headers.len()),
            ));
        }
        if !settings.mapping.iter().any(Option::is_some) {
            return Err(StoreError::invalid(
                "mapping",
                "nothing_mapped",
                "choose at least one column to import",
            ));
        }
        if let Some(owner) = settings.owner {
            let user = self
                .user(viewer.company_id, owner)
                .await
                .map_err(|_| StoreError::invalid("owner_id", "unknown_user", "no such user in this company"))?;
            if !crm_domain::permissions::can_assign_owner(viewer, owner, user.office_id) {
                return Err(StoreError::invalid(
                    "owner_id",
                    "owner_not_allowed",
                    "your rights do not let you give contacts to that colleague",
                ));
            }
        }
        let mapping: Vec<Option<&str>> = settings.mapping.iter().map(|f| f.map(Field::as_str)).collect();
        let res = imports::Entity::update_many()
            .col_expr(imports::Column::Mapping, Expr::value(Some(json!(mapping))))
            .col_expr(imports::Column::DefaultKind, Expr::value(Some(settings.default_kind.as_str())))
            .col_expr(imports::Column::OwnerId, Expr::value(settings.owner.map(|o| o.0)))
            .col_expr(imports::Column::SkipDuplicates, Expr::value(settings.skip_duplicates))
            .col_expr(imports::Column::Status, Expr::value(ImportStatus::Checking.as_str()))
            .col_expr(imports::Column::Processed, Expr::value(0i64))
            .col_expr(imports::Column::Valid, Expr::value(0i64))
            .col_expr(imports::Column::Invalid, Expr::value(0i64))
            .col_expr(imports::Column::Duplicates, Expr::value(0i64))
            .col_expr(imports::Column::Problems, Expr::value(json!([])))
            .col_expr(imports::Column::Error, Expr::value(Option::<String>::None))
            .col_expr(imports::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(imports::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(imports::Column::CompanyId.eq(viewer.company_id.0))
            .filter(imports::Column::Id.eq(id))
            .filter(imports::Column::Status.is_in(["uploaded", "checked", "failed"]))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict {
                field: Some("status"),
                message: format!("the import is {}; it cannot be checked again now", current.status.as_str()),
            });
        }
        self.import(viewer, id).await
    }

    /// Starts importing a checked file with the settings it was checked with.
    pub async fn start_import(&self, viewer: &Viewer, id: Uuid) -> Result<ImportRecord, StoreError> {
        let current = self.import(viewer, id).await?;
        let res = imports::Entity::update_many()
            .col_expr(imports::Column::Status, Expr::value(ImportStatus::Importing.as_str()))
            .col_expr(imports::Column::Processed, Expr::value(0i64))
            .col_expr(imports::Column::Valid, Expr::value(0i64))
            .col_expr(imports::Column::Invalid, Expr::value(0i64))
            .col_expr(imports::Column::Duplicates, Expr::value(0i64))
            .col_expr(imports::Column::Problems, Expr::value(json!([])))
            .col_expr(imports::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(imports::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(imports::Column::CompanyId.eq(viewer.company_id.0))
            .filter(imports::Column::Id.eq(id))
            .filter(imports::Column::Status.eq("checked"))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict {
                field: Some("status"),
                message: format!("the import is {}; check it first", current.status.as_str()),
            });
        }
        self.import(viewer, id).await
    }

    /// Stops an import that is not finished; what it imported stays.
    pub async fn cancel_import(&self, viewer: &Viewer, id: Uuid) -> Result<ImportRecord, StoreError> {
        let current = self.import(viewer, id).await?;
        let res = imports::Entity::update_many()
            .col_expr(imports::Column::Status, Expr::value(ImportStatus::Cancelled.as_str()))
            .col_expr(imports::Column::FinishedAt, Expr::value(Some(Utc::now())))
            .col_expr(imports::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(imports::Column::CompanyId.eq(viewer.company_id.0))
            .filter(imports::Column::Id.eq(id))
            .filter(imports::Column::Status.is_in(["uploaded", "checking", "checked", "importing", "failed"]))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict {
                field: Some("status"),
                message: format!("the import is {} already", current.status.as_str()),
            });
        }
        self.import(viewer, id).await
    }

    /// Claims an import with work to do (a dry run or an import, new or left by an instance
    /// whose lease ran out), with its file. Like the outbox's claim: one statement, locked rows
    /// skipped on PostgreSQL, the attempt number raised as the fence.
    pub async fn claim_import(&self, lease: Duration) -> Result<Option<ClaimedImport>, StoreError> {
        let now = Utc::now();
        let backend = self.db.get_database_backend();
        let (lock, p) = match backend {
            DatabaseBackend::Postgres => ("FOR UPDATE SKIP LOCKED", ["$1", "$2"]),
            _ => ("", ["?1", "?2"]),
        };
        let due = "status IN ('checking', 'importing') AND (lease_until IS NULL OR lease_until < {now})";
        let sql = format!(
            "UPDATE imports SET attempts = attempts + 1, lease_until = {lease} WHERE {due} AND (company_id, id) IN (\
                SELECT company_id, id FROM imports WHERE {due} ORDER BY updated_at LIMIT 1 {lock}) RETURNING *",
            lease = p[0],
            due = due.replace("{now}", p[1]),
        );
        let stmt = Statement::from_sql_and_values(backend, sql, [(now + lease).into(), now.into()]);
        let Some(m) = imports::Model::find_by_statement(stmt).one(&self.db).await? else {
            return Ok(None);
        };
        let attempt = m.attempts;
        let content = import_files::Entity::find_by_id((m.company_id, m.id))
            .one(&self.db)
            .await?
            .map(|f| f.content)
            .unwrap_or_default();
        Ok(Some(ClaimedImport {
            record: to_record(m),
            attempt,
            content,
        }))
    }

    /// Claims one import with work to do, for a process that runs it itself (`crm import`).
    pub async fn claim_import_by_id(&self, company: CompanyId, id: Uuid, lease: Duration) -> Result<Option<ClaimedImport>, StoreError> {
        let now = Utc::now();
        let res = imports::Entity::update_many()
            .col_expr(
                imports::Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(Expr::col(imports::Column::Attempts), 1),
            )
            .col_expr(imports::Column::LeaseUntil, Expr::value(Some(now + lease)))
            .filter(imports::Column::CompanyId.eq(company.0))
            .filter(imports::Column::Id.eq(id))
            .filter(imports::Column::Status.is_in(["checking", "importing"]))
            .filter(
                sea_orm::Condition::any()
                    .add(imports::Column::LeaseUntil.is_null())
                    .add(imports::Column::LeaseUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Ok(None);
        }
        let Some(m) = imports::Entity::find_by_id((company.0, id)).one(&self.db).await? else {
            return Ok(None);
        };
        let attempt = m.attempts;
        let content = import_files::Entity::find_by_id((company.0, id))
            .one(&self.db)
            .await?
            .map(|f| f.content)
            .unwrap_or_default();
        Ok(Some(ClaimedImport {
            record: to_record(m),
            attempt,
            content,
        }))
    }

    /// Records a chunk of a claimed import: the progress, and (importing) its contacts, in one
    /// transaction that also extends the lease. `false` when the claim was lost meanwhile (the
    /// chunk is then not written: whoever holds the import does it).
    pub async fn import_chunk(
        &self,
        claim: &ClaimedImport,
        report: &ChunkReport,
        rows: &[ImportRow],
        importer: &Viewer,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let r = &claim.record;
        let txn = self.write().await?;
        let current = imports::Entity::find_by_id((r.company_id.0, r.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("import"))?;
        if current.attempts != claim.attempt || !matches!(current.status.as_str(), "checking" | "importing") {
            return Ok(false);
        }
        let created = if rows.is_empty() {
            0
        } else {
            self.import_contacts_in(&txn, importer, rows).await?.created.len() as i64
        };
        let mut problems: Vec<ImportProblem> = serde_json::from_value(current.problems).unwrap_or_default();
        problems.extend(report.problems.iter().take(MAX_PROBLEMS.saturating_sub(problems.len())).cloned());
        let res = imports::Entity::update_many()
            .col_expr(imports::Column::Processed, Expr::value(report.processed as i64))
            .col_expr(
                imports::Column::Valid,
                sea_orm::sea_query::ExprTrait::add(Expr::col(imports::Column::Valid), report.valid as i64),
            )
            .col_expr(
                imports::Column::Invalid,
                sea_orm::sea_query::ExprTrait::add(Expr::col(imports::Column::Invalid), report.invalid as i64),
            )
            .col_expr(
                imports::Column::Duplicates,
                sea_orm::sea_query::ExprTrait::add(Expr::col(imports::Column::Duplicates), report.duplicates as i64),
            )
            .col_expr(
                imports::Column::Created,
                sea_orm::sea_query::ExprTrait::add(Expr::col(imports::Column::Created), created),
            )
            .col_expr(imports::Column::Problems, Expr::value(json!(problems)))
            .col_expr(imports::Column::LeaseUntil, Expr::value(Some(Utc::now() + lease)))
            .col_expr(imports::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(imports::Column::CompanyId.eq(r.company_id.0))
            .filter(imports::Column::Id.eq(r.id))
            .filter(imports::Column::Attempts.eq(claim.attempt))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Ok(false);
        }
        txn.commit().await?;
        Ok(true)
    }

    /// Ends a claimed import: checked (after a dry run), done, or failed with the reason.
    pub async fn finish_import(&self, claim: &ClaimedImport, outcome: Result<(), &str>) -> Result<bool, StoreError> {
        let r = &claim.record;
        let now = Utc::now();
        let (status, error) = match outcome {
            Ok(()) if r.status == ImportStatus::Checking => (ImportStatus::Checked, None),
            Ok(()) => (ImportStatus::Done, None),
            Err(e) => (ImportStatus::Failed, Some(e.chars().take(1000).collect::<String>())),
        };
        let txn = self.write().await?;
        let res = imports::Entity::update_many()
            .col_expr(imports::Column::Status, Expr::value(status.as_str()))
            .col_expr(imports::Column::Error, Expr::value(error))
            .col_expr(imports::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(
                imports::Column::FinishedAt,
                Expr::value((status != ImportStatus::Checked).then_some(now)),
            )
            .col_expr(imports::Column::UpdatedAt, Expr::value(now))
            .filter(imports::Column::CompanyId.eq(r.company_id.0))
            .filter(imports::Column::Id.eq(r.id))
            .filter(imports::Column::Attempts.eq(claim.attempt))
            .filter(imports::Column::Status.is_in(["checking", "importing"]))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Ok(false);
        }
        if status == ImportStatus::Done {
            // The importer learns of it in their tasks, in their language.
            let created = imports::Entity::find_by_id((r.company_id.0, r.id))
                .one(&txn)
                .await?
                .map(|m| m.created)
                .unwrap_or(0);
            let importer = self.user(r.company_id, r.created_by).await?;
            let lang = crm_domain::i18n::Locale::parse(&importer.locale).unwrap_or(crm_domain::i18n::Locale::En);
            let title = lang.render("task.import_done", &json!({"count": created, "file": r.file_name}));
            crate::tasks::create_task(&txn, r.company_id, crate::tasks::NewTask::new(r.created_by, "import", &title)).await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    /// Removes the files of imports finished (or cancelled) before `before`; their reports stay.
    pub(crate) async fn purge_import_files(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let finished: Vec<(Uuid, Uuid)> = imports::Entity::find()
            .select_only()
            .column(imports::Column::CompanyId)
            .column(imports::Column::Id)
            .filter(imports::Column::FinishedAt.lt(before))
            .limit(1000)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut removed = 0;
        for (company, id) in finished {
            removed += import_files::Entity::delete_by_id((company, id))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        Ok(removed)
    }
}
