//! The OAuth bundle and where it is kept.
//!
//! The bundle is one JSON object, the same in a local file and in Secrets
//! Manager: `{"client_id", "client_secret", "refresh_token", "base_url"}`,
//! plus any further fields, which are kept unchanged on write-back.

use std::{
    fmt,
    fs::{self, OpenOptions},
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use async_trait::async_trait;
use jira_client::{RefreshTokenSink, Secret, SinkError};
use serde_json::{Map, Value};

use crate::{Error, Result};

/// OAuth 2.0 (3LO) client credentials and the current refresh token.
#[derive(Clone, PartialEq)]
pub struct OAuthBundle {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: Secret,
    /// The current (rotating) refresh token.
    pub refresh_token: Secret,
    /// The Jira site, e.g. `https://tenant.atlassian.net`.
    pub base_url: String,
    /// Every other field of the stored JSON, written back unchanged.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for OAuthBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Extra fields may hold secrets too: only their names are shown.
        f.debug_struct("OAuthBundle")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("refresh_token", &self.refresh_token)
            .field("base_url", &self.base_url)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

const FIELDS: [&str; 4] = ["client_id", "client_secret", "refresh_token", "base_url"];

impl OAuthBundle {
    /// A bundle without extra fields.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Secret,
        refresh_token: Secret,
        base_url: impl Into<String>,
    ) -> Self {
        OAuthBundle {
            client_id: client_id.into(),
            client_secret,
            refresh_token,
            base_url: base_url.into(),
            extra: Map::new(),
        }
    }

    /// Parses the stored JSON. Errors name the missing field, never a value.
    pub fn from_json(text: &str, location: &str) -> Result<Self> {
        let corrupt = |reason: String| Error::Corrupt {
            location: location.to_owned(),
            reason,
        };
        // serde_json's messages can quote the input; the input is a secret.
        let value: Value = serde_json::from_str(text).map_err(|e| {
            corrupt(format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(mut map) = value else {
            return Err(corrupt("expected a JSON object".into()));
        };
        let mut take = |name: &str| -> Result<String> {
            match map.remove(name) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s),
                Some(Value::String(_)) => Err(corrupt(format!("field `{name}` is empty"))),
                Some(_) => Err(corrupt(format!("field `{name}` must be a string"))),
                None => Err(corrupt(format!(
                    "field `{name}` is missing (expected {})",
                    FIELDS.join(", ")
                ))),
            }
        };
        let client_id = take("client_id")?;
        let client_secret = Secret::new(take("client_secret")?);
        let refresh_token = Secret::new(take("refresh_token")?);
        let base_url = take("base_url")?;
        Ok(OAuthBundle {
            client_id,
            client_secret,
            refresh_token,
            base_url,
            extra: map,
        })
    }

    /// The stored JSON: the four known fields first, then the extra fields
    /// in name order. Contains the secrets: only for writing to the store.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n");
        let mut first = true;
        let mut field = |name: &str, value: &Value| {
            if !first {
                out.push_str(",\n");
            }
            first = false;
            out.push_str("  ");
            out.push_str(&Value::String(name.to_owned()).to_string());
            out.push_str(": ");
            out.push_str(&value.to_string());
        };
        field("client_id", &Value::String(self.client_id.clone()));
        field(
            "client_secret",
            &Value::String(self.client_secret.expose().to_owned()),
        );
        field(
            "refresh_token",
            &Value::String(self.refresh_token.expose().to_owned()),
        );
        field("base_url", &Value::String(self.base_url.clone()));
        for (k, v) in &self.extra {
            if !FIELDS.contains(&k.as_str()) {
                field(k, v);
            }
        }
        out.push_str("\n}\n");
        out
    }
}

/// Where the OAuth bundle is read from and the rotated token written back.
#[async_trait]
pub trait SecretStore: fmt::Debug + Send + Sync + 'static {
    /// Reads the bundle.
    async fn load(&self) -> Result<OAuthBundle>;

    /// Replaces the stored bundle durably.
    async fn store(&self, bundle: &OAuthBundle) -> Result<()>;

    /// Where the secret lives, for messages (a path, a secret id).
    fn location(&self) -> String;
}

/// The bundle in a local JSON file, replaced atomically (temp file in the
/// same directory with mode 0600, fsync, rename, directory fsync).
#[derive(Debug, Clone)]
pub struct FileSecretStore {
    path: PathBuf,
}

static SECRET_TEMP: AtomicU64 = AtomicU64::new(0);

impl FileSecretStore {
    /// A store for the file at `path` (which need not exist until `store`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSecretStore { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl SecretStore for FileSecretStore {
    async fn load(&self) -> Result<OAuthBundle> {
        let path = self.path.clone();
        let location = self.location();
        run_blocking(move || {
            let text = fs::read_to_string(&path).map_err(|e| Error::io("read the OAuth secret file", &path, e))?;
            if let Ok(m) = fs::metadata(&path)
                && m.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(path = %path.display(), "the OAuth secret file is readable by other users; run `chmod 600` on it");
            }
            OAuthBundle::from_json(&text, &location)
        })
        .await
    }

    async fn store(&self, bundle: &OAuthBundle) -> Result<()> {
        let path = self.path.clone();
        let json = bundle.to_json();
        run_blocking(move || write_private_file(&path, json.as_bytes())).await
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

/// Writes `bytes` to `path` atomically with mode 0600.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = SECRET_TEMP.fetch_add(1, Ordering::Relaxed);
    // Same directory as the target so the rename is atomic; hidden so a
    // crash leaves nothing that looks like a second secret file.
    let temp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&temp, path)
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&temp);
        return Err(Error::io("write the OAuth secret file", path, e));
    }
    crate::local::sync_dir(&dir)
}

/// The bundle from environment variables; read-only, so it suits only
/// flows without refresh-token rotation write-back (a rotated token cannot
/// be saved and the next run would fail).
///
/// Variables: `JIRA_OAUTH_CLIENT_ID`, `JIRA_OAUTH_CLIENT_SECRET`,
/// `JIRA_OAUTH_REFRESH_TOKEN`, and `JIRA_OAUTH_BASE_URL` (falling back to
/// `JIRA_SITE`).
#[derive(Clone)]
pub struct EnvSecretStore {
    lookup: Arc<Lookup>,
}

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl fmt::Debug for EnvSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvSecretStore")
    }
}

impl Default for EnvSecretStore {
    fn default() -> Self {
        EnvSecretStore::new()
    }
}

impl EnvSecretStore {
    /// Reads the process environment.
    pub fn new() -> Self {
        EnvSecretStore::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests, or a config layer).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvSecretStore {
            lookup: Arc::new(lookup),
        }
    }

    fn var(&self, name: &str) -> Result<String> {
        match (self.lookup)(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::Config {
                what: "OAuth from the environment".into(),
                reason: format!("`{name}` is not set"),
            }),
        }
    }
}

#[async_trait]
impl SecretStore for EnvSecretStore {
    async fn load(&self) -> Result<OAuthBundle> {
        let client_id = self.var("JIRA_OAUTH_CLIENT_ID")?;
        let client_secret = Secret::new(self.var("JIRA_OAUTH_CLIENT_SECRET")?);
        let refresh_token = Secret::new(self.var("JIRA_OAUTH_REFRESH_TOKEN")?);
        let base_url = self
            .var("JIRA_OAUTH_BASE_URL")
            .or_else(|_| self.var("JIRA_SITE"))
            .map_err(|_| Error::Config {
                what: "OAuth from the environment".into(),
                reason: "neither `JIRA_OAUTH_BASE_URL` nor `JIRA_SITE` is set".into(),
            })?;
        Ok(OAuthBundle::new(
            client_id,
            client_secret,
            refresh_token,
            base_url,
        ))
    }

    async fn store(&self, _bundle: &OAuthBundle) -> Result<()> {
        Err(Error::ReadOnly {
            what: "the OAuth secret in environment variables",
            hint: "a rotated refresh token cannot be saved there; use --oauth-secret-file or --oauth-secret-id",
        })
    }

    fn location(&self) -> String {
        "environment".into()
    }
}

/// Connects a [`SecretStore`] to the Jira client: every rotated refresh
/// token is written back into the stored bundle, keeping all other fields.
#[derive(Debug, Clone)]
pub struct SecretStoreSink {
    store: Arc<dyn SecretStore>,
    /// Serialises read-modify-write cycles within this process.
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl SecretStoreSink {
    /// A sink writing into `store`.
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        SecretStoreSink {
            store,
            lock: Arc::default(),
        }
    }
}

#[async_trait]
impl RefreshTokenSink for SecretStoreSink {
    async fn store_refresh_token(&self, refresh_token: &Secret) -> Result<(), SinkError> {
        let _guard = self.lock.lock().await;
        let mut bundle = self.store.load().await.map_err(|e| {
            SinkError::with_source(
                format!("could not re-read the OAuth secret at {} before saving the rotated refresh token", self.store.location()),
                e,
            )
        })?;
        bundle.refresh_token = refresh_token.clone();
        self.store.store(&bundle).await.map_err(|e| {
            SinkError::with_source(
                format!("could not save the rotated refresh token to {}; the old one stops working in 10 minutes", self.store.location()),
                e,
            )
        })
    }

    async fn load_refresh_token(&self) -> Result<Secret, SinkError> {
        let bundle = self.store.load().await.map_err(|e| {
            SinkError::with_source(
                format!(
                    "could not re-read the OAuth secret at {}",
                    self.store.location()
                ),
                e,
            )
        })?;
        Ok(bundle.refresh_token)
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::io("run a blocking file task", "", std::io::Error::other(e)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"client_id":"cid","client_secret":"cs-SECRET","refresh_token":"rt-SECRET","base_url":"https://t.atlassian.net","cloud_id":"abc","rotated_at":3}"#;

    #[test]
    fn bundle_round_trips_and_keeps_extra_fields() {
        let b = OAuthBundle::from_json(SAMPLE, "t").unwrap();
        assert_eq!(b.client_id, "cid");
        assert_eq!(b.refresh_token.expose(), "rt-SECRET");
        assert_eq!(b.extra["cloud_id"], "abc");
        let again = OAuthBundle::from_json(&b.to_json(), "t").unwrap();
        assert_eq!(again, b);
        assert!(
            b.to_json()
                .starts_with("{\n  \"client_id\": \"cid\",\n  \"client_secret\"")
        );
    }

    #[test]
    fn secrets_never_print() {
        let b = OAuthBundle::from_json(SAMPLE, "t").unwrap();
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("cloud_id"));
        // Parse errors must not quote the (secret) input either.
        let err = OAuthBundle::from_json(r#"{"refresh_token":"rt-SECRET" "#, "f").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
        let err = OAuthBundle::from_json(r#"{"refresh_token":"rt-SECRET"}"#, "f").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert!(err.to_string().contains("client_id"), "{err}");
    }

    #[tokio::test]
    async fn environment_store_reads_and_refuses_writes() {
        let env = |name: &str| -> Option<String> {
            match name {
                "JIRA_OAUTH_CLIENT_ID" => Some("cid".into()),
                "JIRA_OAUTH_CLIENT_SECRET" => Some("cs".into()),
                "JIRA_OAUTH_REFRESH_TOKEN" => Some("rt".into()),
                "JIRA_SITE" => Some("https://t.atlassian.net".into()),
                _ => None,
            }
        };
        let store = EnvSecretStore::from_lookup(env);
        let b = store.load().await.unwrap();
        assert_eq!(b.base_url, "https://t.atlassian.net");
        assert_eq!(b.refresh_token.expose(), "rt");
        let err = store.store(&b).await.unwrap_err();
        assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
        let missing = EnvSecretStore::from_lookup(|_| None)
            .load()
            .await
            .unwrap_err();
        assert!(missing.to_string().contains("JIRA_OAUTH_"), "{missing}");
    }
}
