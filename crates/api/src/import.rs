//! `crm import contacts FILE`: the web app's import, from a terminal. The file becomes an
//! import like an upload does; this process then runs its check and its import itself (with
//! the job runner's code), printing the progress and the report.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use crm_domain::contacts::ContactKind;
use crm_domain::import::{Field, suggest_mapping, summarize};
use crm_store::Store;
use crm_store::imports::{ImportRecord, ImportSettings, ImportStatus};
use uuid::Uuid;

pub struct Request {
    pub file: PathBuf,
    pub user: String,
    pub owner: Option<String>,
    pub kind: String,
    pub map: Vec<String>,
    pub check_only: bool,
    pub keep_duplicates: bool,
}

pub async fn run(store: &Store, req: Request, lease: Duration) -> anyhow::Result<()> {
    let user = store
        .user_by_email(&req.user)
        .await?
        .with_context(|| format!("nobody signs in as {}", req.user))?;
    let viewer = user.viewer();
    let bytes = std::fs::read(&req.file).with_context(|| format!("reading {}", req.file.display()))?;
    let summary = summarize(&bytes, 5).map_err(|e| anyhow::anyhow!("{}: {e}", req.file.display()))?;
    let mut mapping = suggest_mapping(&summary.headers);
    for m in &req.map {
        let (header, field) = m.split_once('=').with_context(|| format!("--map {m}: write Header=field"))?;
        let Some(i) = summary.headers.iter().position(|h| h.eq_ignore_ascii_case(header.trim())) else {
            bail!(
                "--map {m}: the file has no column '{header}' (it has: {})",
                summary.headers.join(", ")
            );
        };
        mapping[i] = match field.trim() {
            "" => None,
            f => Some(Field::parse(f).with_context(|| format!("--map {m}: '{f}' is not a contact field"))?),
        };
    }
    for (h, f) in summary.headers.iter().zip(&mapping) {
        println!("  {h:<30} → {}", f.map(Field::as_str).unwrap_or("(skipped)"));
    }
    let owner = match &req.owner {
        None => None,
        Some(email) => Some(
            store
                .user_by_email(email)
                .await?
                .filter(|u| u.company_id == user.company_id)
                .with_context(|| format!("{email} is not a colleague of {}", user.email))?
                .id,
        ),
    };
    let settings = ImportSettings {
        mapping,
        default_kind: ContactKind::parse(&req.kind).with_context(|| format!("--kind {}: not a kind of contact", req.kind))?,
        owner,
        skip_duplicates: !req.keep_duplicates,
    };
    let name = req
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "contacts.csv".to_owned());
    let import = store.create_import(&viewer, &name, bytes, &summary).await?;
    println!("{} rows in {name}; checking…", import.rows);
    store.check_import(&viewer, import.id, &settings).await?;
    let checked = follow(store, &viewer, import.id, lease).await?;
    report(&checked);
    if checked.status != ImportStatus::Checked {
        bail!("the check did not finish: {}", checked.error.unwrap_or_default());
    }
    if req.check_only {
        println!("Checked only; nothing imported.");
        return Ok(());
    }
    store.start_import(&viewer, import.id).await?;
    let done = follow(store, &viewer, import.id, lease).await?;
    if done.status != ImportStatus::Done {
        bail!("the import did not finish: {}", done.error.unwrap_or_default());
    }
    println!("Imported {} contacts.", done.created);
    Ok(())
}

/// Runs the import's current step here (or, if a job runner took it, waits for it).
async fn follow(store: &Store, viewer: &crm_domain::permissions::Viewer, id: Uuid, lease: Duration) -> anyhow::Result<ImportRecord> {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    loop {
        if let Some(claim) = store.claim_import_by_id(viewer.company_id, id, lease).await? {
            crm_jobs::imports::process(store, claim, lease).await?;
        }
        let r = store.import(viewer, id).await?;
        if !matches!(r.status, ImportStatus::Checking | ImportStatus::Importing) {
            return Ok(r);
        }
        eprintln!("  {} of {} rows…", r.processed, r.rows);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn report(r: &ImportRecord) {
    println!(
        "{} rows: {} good, {} with problems, {} duplicates{}",
        r.rows,
        r.valid,
        r.invalid,
        r.duplicates,
        if r.settings.as_ref().is_some_and(|s| s.skip_duplicates) {
            " (skipped)"
        } else {
            ""
        }
    );
    for p in r.problems.iter().take(20) {
        println!("  row {}: {}: {}", p.row, p.field, p.message);
    }
    if r.problems.len() > 20 {
        println!("  … and {} more", r.problems.len() - 20);
    }
}
