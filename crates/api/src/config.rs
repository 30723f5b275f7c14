//! Configuration: environment variables, optionally preceded by a `KEY=VALUE` file.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` (default: `./data/crm.db`) or `postgres://…`.
    pub database_url: String,
    /// Where the built SPA is (`index.html` and its assets).
    pub static_dir: PathBuf,
    /// The HS256 key signing access tokens. Every instance behind one database must share it.
    pub jwt_secret: Vec<u8>,
    /// The token issuer and audience (`iss`, `aud`).
    pub jwt_issuer: String,
    /// Lifetime of access tokens in seconds.
    pub access_token_seconds: i64,
    /// Where email goes (`smtp://…`); without it, messages wait in the outbox.
    pub smtp_url: Option<String>,
    /// The sender of emails.
    pub mail_from: String,
    /// Where users reach the app, for links in emails.
    pub public_url: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/crm.db?mode=rwc";

impl Config {
    /// Reads `file` (if given) into the environment without overriding what is already set,
    /// then the environment: `DATABASE_URL`, `CRM_STATIC_DIR`, `CRM_JWT_SECRET`,
    /// `CRM_JWT_ISSUER`, `CRM_ACCESS_TOKEN_SECONDS`, `CRM_SMTP_URL`, `CRM_MAIL_FROM`, `CRM_PUBLIC_URL`.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut from_file = std::collections::HashMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line
                    .split_once('=')
                    .with_context(|| format!("{}:{}: expected KEY=VALUE", path.display(), n + 1))?;
                from_file.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
            }
        }
        let get = |k: &str| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| from_file.get(k).cloned())
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let jwt_secret = match get("CRM_JWT_SECRET") {
            Some(s) if s.len() >= 32 => s.into_bytes(),
            Some(_) => anyhow::bail!("CRM_JWT_SECRET must have at least 32 characters"),
            None => local_secret()?,
        };
        Ok(Self {
            database_url,
            static_dir: get("CRM_STATIC_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("frontend/dist")),
            jwt_secret,
            jwt_issuer: get("CRM_JWT_ISSUER").unwrap_or_else(|| "open-crm".to_owned()),
            smtp_url: get("CRM_SMTP_URL"),
            public_url: get("CRM_PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned()),
            mail_from: get("CRM_MAIL_FROM").unwrap_or_else(|| "CRM <crm@localhost>".to_owned()),
            access_token_seconds: get("CRM_ACCESS_TOKEN_SECONDS")
                .map(|s| s.parse())
                .transpose()
                .context("CRM_ACCESS_TOKEN_SECONDS")?
                .unwrap_or(900),
        })
    }
}

/// A single-machine installation keeps a generated signing key in `./data/jwt.secret`.
fn local_secret() -> anyhow::Result<Vec<u8>> {
    use rand::RngCore;
    let path = Path::new("data/jwt.secret");
    if let Ok(existing) = std::fs::read(path)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    std::fs::create_dir_all("data")?;
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(path, &secret).context("writing data/jwt.secret")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(secret.into_bytes())
}
