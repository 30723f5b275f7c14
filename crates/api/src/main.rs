//! The `crm` command: serve the API and SPA (with the job runner), run the job runner alone,
//! migrate, load the demo company, create a company.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use crm_api::Config;
use crm_domain::contacts::Country;
use crm_store::Store;

mod import;

/// mimalloc serves every allocation of the process, SQLite's included (its `override` feature
/// replaces `malloc` and `free`): rows cross from the database's thread to the request's, and
/// the C library's allocator made each such free wait on the other thread's arena lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "crm", about = "Open CRM for real-estate brokerages", version)]
struct Cli {
    /// A file of KEY=VALUE lines read before the environment (DATABASE_URL, CRM_JWT_SECRET, …).
    #[arg(long, global = true, env = "CRM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the web app, and the job runner beside them.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "CRM_LISTEN")]
        listen: String,
        /// Do not bring the schema up to date on start (when migrations are run separately).
        #[arg(long)]
        no_migrate: bool,
        /// Do not run the job runner in this process (when `crm worker` runs elsewhere).
        #[arg(long, env = "CRM_NO_JOBS")]
        no_jobs: bool,
    },
    /// Run only the job runner: email delivery and the periodic jobs, until stopped.
    Worker,
    /// Bring the database schema up to date.
    Migrate,
    /// Load the demo company (once) and print its sign-ins.
    Demo,
    /// Import contacts from a file, with the checks the web app's import makes.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Create a company with its first office and administrator.
    CreateCompany {
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2, e.g. SE, CZ, RU, BR.
        #[arg(long)]
        country: String,
        #[arg(long, default_value = "Head office")]
        office: String,
        #[arg(long)]
        admin_name: String,
        #[arg(long)]
        admin_email: String,
        /// At least 10 characters.
        #[arg(long, env = "CRM_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// A CSV file (UTF-8; comma, semicolon or tab separated; the first row names the columns).
    /// Columns are understood from their headers (in English, Swedish, Czech, Russian or
    /// Portuguese); `--map` says what the others hold. Rows are checked first: problems and
    /// duplicates of existing contacts are reported, duplicates skipped.
    Contacts {
        file: PathBuf,
        /// The importing user (by email): their rights decide who may own the contacts.
        #[arg(long = "as")]
        user: String,
        /// The owner of rows without an owner column (by email; default: the importing user).
        #[arg(long)]
        owner: Option<String>,
        /// The kind of rows without a kind column.
        #[arg(long, default_value = "standard")]
        kind: String,
        /// `Header=field` for a column whose header is not understood (or `Header=` to skip it).
        /// Fields: kind, first_name, last_name, full_name, agency_name, phone, email, street,
        /// postal_code, city, country, owner.
        #[arg(long)]
        map: Vec<String>,
        /// Only check the file and report; import nothing.
        #[arg(long)]
        check_only: bool,
        /// Import rows that match existing contacts too.
        #[arg(long)]
        keep_duplicates: bool,
    },
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    // A SQLite file's folder is created on first use.
    if let Some(path) = config.database_url.strip_prefix("sqlite://")
        && let Some(dir) = path.split('?').next().and_then(|p| std::path::Path::new(p).parent())
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Store::connect(&config.database_url)
        .await
        .with_context(|| format!("connecting to the {} database", crm_store::backend_name(&config.database_url)))
}

/// Log lines as text or JSON, filtered by `RUST_LOG`.
fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}

/// How long stopping waits for the job runner to finish the item it is on.
const STOP_GRACE: Duration = Duration::from_secs(30);

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_logging(config.log_json);
    tracing::debug!(?config, "configuration");
    match cli.command {
        Command::Serve {
            listen,
            no_migrate,
            no_jobs,
        } => {
            let store = open(&config).await?;
            if !no_migrate {
                store.migrate().await.context("migrating")?;
            }
            let listener = std::net::TcpListener::bind(&listen).with_context(|| format!("binding {listen}"))?;
            if !config.static_dir.join("index.html").exists() {
                tracing::warn!(dir = %config.static_dir.display(), "the web app is not built; only the API is served");
            }
            let jobs = if no_jobs {
                None
            } else {
                Some(crm_jobs::Runner::start(store.clone(), config.jobs.clone())?)
            };
            tracing::info!(
                address = %listener.local_addr()?,
                database = crm_store::backend_name(&config.database_url),
                jobs = !no_jobs,
                "serving"
            );
            // Stops on SIGINT or SIGTERM (actix handles both), then lets the jobs finish.
            let served = crm_api::serve(listener, store, config).await;
            if let Some(jobs) = jobs {
                jobs.shutdown(STOP_GRACE).await;
            }
            served?;
        }
        Command::Worker => {
            let store = open(&config).await?;
            store.migrate().await.context("migrating")?;
            let jobs = crm_jobs::Runner::start(store, config.jobs.clone())?;
            tracing::info!(database = crm_store::backend_name(&config.database_url), "job runner started");
            wait_for_stop().await;
            tracing::info!("stopping");
            jobs.shutdown(STOP_GRACE).await;
        }
        Command::Migrate => {
            open(&config).await?.migrate().await?;
            println!("The database schema is up to date.");
        }
        Command::Demo => {
            let store = open(&config).await?;
            store.migrate().await?;
            let created = crm_api::demo::load(&store).await?;
            store.optimize().await?;
            println!(
                "{}",
                if created {
                    "Demo company loaded."
                } else {
                    "Demo company already present."
                }
            );
            println!("{}", crm_api::demo::logins_text());
        }
        Command::Import {
            what:
                ImportWhat::Contacts {
                    file,
                    user,
                    owner,
                    kind,
                    map,
                    check_only,
                    keep_duplicates,
                },
        } => {
            let store = open(&config).await?;
            store.migrate().await?;
            let settings = import::Request {
                file,
                user,
                owner,
                kind,
                map,
                check_only,
                keep_duplicates,
            };
            import::run(&store, settings, config.jobs.lease).await?;
        }
        Command::CreateCompany {
            name,
            country,
            office,
            admin_name,
            admin_email,
            admin_password,
        } => {
            let store = open(&config).await?;
            store.migrate().await?;
            let country = Country::parse(&country)?;
            let (company, admin) = store
                .create_company(&name, country, &office, &admin_name, &admin_email, &admin_password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Created company {} ({}) with administrator {} <{}>",
                company.name, company.id, admin.name, admin.email
            );
        }
    }
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
