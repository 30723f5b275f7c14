//! Contact imports, run by the job runner (or by `crm import` itself): the dry run reads every
//! row, reports its problems and its duplicates among existing contacts and earlier rows; the
//! import writes the good rows. Both go a chunk at a time, each chunk committed with its
//! progress, so an import stopped half way resumes where it stopped, and nothing is written
//! twice.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use crm_domain::contacts::{ContactData, ContactErrors};
use crm_domain::import::{RowInput, SheetReader, row_input};
use crm_domain::permissions::can_assign_owner;
use crm_domain::{UserId, text};
use crm_store::Store;
use crm_store::contacts::ImportRow;
use crm_store::imports::{ChunkReport, ClaimedImport, ImportProblem, ImportStatus};
use crm_store::org::User;

/// Rows per chunk (one transaction each when importing).
const CHUNK: usize = 1_000;

/// The owner a row's owner cell names: a user's email, or their name, any case and accents.
struct Owners {
    by_email: HashMap<String, UserId>,
    by_name: HashMap<String, UserId>,
    users: HashMap<UserId, User>,
}

impl Owners {
    fn new(users: Vec<User>) -> Self {
        Self {
            by_email: users.iter().map(|u| (u.email.to_lowercase(), u.id)).collect(),
            by_name: users.iter().map(|u| (text::fold(&u.name), u.id)).collect(),
            users: users.into_iter().map(|u| (u.id, u)).collect(),
        }
    }

    fn find(&self, cell: &str) -> Option<&User> {
        let id = self
            .by_email
            .get(&cell.trim().to_lowercase())
            .or_else(|| self.by_name.get(&text::fold(cell.trim())))?;
        self.users.get(id)
    }
}

/// What became of one row.
enum Row {
    Problem(Vec<ImportProblem>),
    Duplicate(ImportProblem, ImportRow),
    Good(ImportRow),
}

fn problem(row: u64, field: &str, code: &str, message: String) -> ImportProblem {
    ImportProblem {
        row,
        field: field.to_owned(),
        code: code.to_owned(),
        message,
        contacts: Vec::new(),
    }
}

/// Runs a claimed import to its end (or until its claim is lost).
pub async fn process(store: &Store, claim: ClaimedImport, lease: chrono::Duration) -> anyhow::Result<()> {
    let r = &claim.record;
    let outcome = run(store, &claim, lease).await;
    match outcome {
        Ok(true) => {
            store.finish_import(&claim, Ok(())).await?;
            tracing::info!(import = %r.id, "import step finished");
            if r.status == ImportStatus::Importing && r.rows > 10_000 {
                // Many new rows: the planner's statistics are refreshed now, not at the next period.
                store.optimize().await?;
            }
        }
        Ok(false) => tracing::warn!(import = %r.id, "the import was taken over by another instance"),
        Err(e) => {
            tracing::error!(import = %r.id, error = ?e, "import failed");
            store.finish_import(&claim, Err(&format!("{e:#}"))).await?;
        }
    }
    Ok(())
}

/// `Ok(false)` when the claim was lost.
async fn run(store: &Store, claim: &ClaimedImport, lease: chrono::Duration) -> anyhow::Result<bool> {
    let r = &claim.record;
    let settings = r.settings.clone().context("the import has no settings")?;
    let importer = store.user(r.company_id, r.created_by).await?;
    anyhow::ensure!(
        importer.active && importer.permissions.work_with_clients,
        "{} cannot work with clients any more",
        importer.name
    );
    let viewer = importer.viewer();
    let company = store.company(r.company_id).await?;
    let owners = Owners::new(store.users(r.company_id).await?);
    let default_owner = settings.owner.unwrap_or(importer.id);
    let importing = r.status == ImportStatus::Importing;
    let mut reader = SheetReader::open(&claim.content).map_err(|e| anyhow::anyhow!("{e}"))?;
    let headers = reader.headers.clone();
    // Phones and emails of earlier rows, to find duplicates within the file.
    let mut seen: HashSet<String> = HashSet::new();
    let mut number: u64 = 0;
    // Rows already handled (by an earlier claim) are read again only to know what they held.
    while number < r.processed {
        let Some(row) = reader.next_row() else { break };
        number += 1;
        let input = row_input(
            &headers,
            &settings.mapping,
            &row.map_err(|e| anyhow::anyhow!("{e}"))?,
            settings.default_kind.as_str(),
        );
        if let Ok(data) = ContactData::parse(&input.contact, company.country) {
            seen.extend(keys(&data));
        }
    }
    loop {
        let mut chunk: Vec<(u64, RowInput)> = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let Some(row) = reader.next_row() else { break };
            number += 1;
            let row = row.map_err(|e| anyhow::anyhow!("{e}"))?;
            chunk.push((number, row_input(&headers, &settings.mapping, &row, settings.default_kind.as_str())));
        }
        if chunk.is_empty() {
            return Ok(true);
        }
        // Each row: valid, its owner allowed, not seen before.
        let mut rows: Vec<Row> = Vec::with_capacity(chunk.len());
        let mut parsed: Vec<(usize, ContactData)> = Vec::new();
        for (n, input) in &chunk {
            if !input.bad_cells.is_empty() {
                rows.push(Row::Problem(vec![problem(
                    *n,
                    &input.bad_cells.join(", "),
                    "invalid_characters",
                    format!("control characters in {}", input.bad_cells.join(", ")),
                )]));
                continue;
            }
            let owner = match &input.owner {
                None => owners.users.get(&default_owner),
                Some(cell) => match owners.find(cell) {
                    Some(u) => Some(u),
                    None => {
                        rows.push(Row::Problem(vec![problem(
                            *n,
                            "owner",
                            "unknown_user",
                            format!("no colleague is called '{cell}'"),
                        )]));
                        continue;
                    }
                },
            };
            let Some(owner) = owner else {
                rows.push(Row::Problem(vec![problem(
                    *n,
                    "owner",
                    "unknown_user",
                    "the owner is not in the company".to_owned(),
                )]));
                continue;
            };
            if !can_assign_owner(&viewer, owner.id, owner.office_id) || !owner.active || !owner.permissions.work_with_clients {
                rows.push(Row::Problem(vec![problem(
                    *n,
                    "owner",
                    "owner_not_allowed",
                    format!("contacts cannot be given to {}", owner.name),
                )]));
                continue;
            }
            match ContactData::parse(&input.contact, company.country) {
                Ok(data) => {
                    parsed.push((rows.len(), data.clone()));
                    rows.push(Row::Good(ImportRow { data, owner: owner.id }));
                }
                Err(ContactErrors(errors)) => rows.push(Row::Problem(
                    errors.into_iter().map(|e| problem(*n, &e.field, e.code, e.message)).collect(),
                )),
            }
        }
        let existing = store
            .find_duplicates(r.company_id, &parsed.iter().map(|(_, d)| d).collect::<Vec<_>>())
            .await?;
        for ((at, data), matches) in parsed.iter().zip(existing) {
            let n = chunk[*at].0;
            let twice = keys(data).iter().any(|k| seen.contains(k));
            seen.extend(keys(data));
            if matches.is_empty() && !twice {
                continue;
            }
            let Row::Good(row) = std::mem::replace(&mut rows[*at], Row::Problem(Vec::new())) else {
                continue;
            };
            let message = if matches.is_empty() {
                "an earlier row has the same phone or email".to_owned()
            } else {
                format!("{} existing contact(s) have the same phone or email", matches.len())
            };
            let mut p = problem(n, "phones", "duplicate", message);
            p.contacts = matches;
            rows[*at] = Row::Duplicate(p, row);
        }
        let mut report = ChunkReport {
            processed: number,
            ..ChunkReport::default()
        };
        let mut write = Vec::new();
        for row in rows {
            match row {
                Row::Problem(ps) => {
                    report.invalid += 1;
                    report.problems.extend(ps);
                }
                Row::Duplicate(p, row) => {
                    report.duplicates += 1;
                    report.problems.push(p);
                    if !settings.skip_duplicates {
                        report.valid += 1;
                        write.push(row);
                    }
                }
                Row::Good(row) => {
                    report.valid += 1;
                    write.push(row);
                }
            }
        }
        if !importing {
            write.clear();
        }
        if !store.import_chunk(claim, &report, &write, &viewer, lease).await? {
            return Ok(false);
        }
    }
}

/// The phone digits and emails that make two contacts the same person.
fn keys(data: &ContactData) -> Vec<String> {
    data.phones
        .iter()
        .map(|p| p.digits().to_owned())
        .chain(data.emails.iter().map(|e| e.as_str().to_owned()))
        .collect()
}
