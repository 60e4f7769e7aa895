//! From command-line options to backends: storage (local directory or S3),
//! cursor (file, S3 object or SSM), credentials (API token, PAT, OAuth
//! secret file or Secrets Manager) and the engine.

use std::{sync::Arc, time::Duration};

use ingest_core::{Engine, SyncConfig};
use jira_client::{Auth, JiraClient, Secret};
use state_store::{
    CursorStore, FileSecretStore, LocalFileSystem, ObjectCursorStore, ObjectStore, SecretStore,
    SecretStoreSink,
    aws::{S3Store, SdkConfig, SecretsManagerStore, SsmCursorStore},
};

use crate::{
    UsageError,
    args::{AuthMode, JiraArgs, StorageArgs, TuningArgs},
};

/// The AWS SDK configuration, loaded once per process and only when an AWS
/// backend is chosen, so local runs never touch the credential chain.
#[derive(Default)]
pub(crate) struct Aws(Option<SdkConfig>);

impl Aws {
    pub(crate) async fn config(&mut self) -> &SdkConfig {
        let config = match self.0.take() {
            Some(c) => c,
            None => state_store::aws::load_sdk_config().await,
        };
        self.0.insert(config)
    }
}

/// Where objects and the cursor live.
pub(crate) struct Storage {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) cursor: Arc<dyn CursorStore>,
    /// For messages: a directory or an `s3://` URL.
    pub(crate) location: String,
}

pub(crate) async fn storage(args: &StorageArgs, aws: &mut Aws) -> anyhow::Result<Storage> {
    let (store, location): (Arc<dyn ObjectStore>, String) = match &args.s3_bucket {
        Some(bucket) => {
            let s3 = S3Store::new(aws.config().await, bucket.clone())
                .with_kms_key_id(args.kms_key_id.clone());
            match args.s3_prefix.as_deref().filter(|p| !p.is_empty()) {
                Some(prefix) => (
                    Arc::new(s3.prefixed(prefix).map_err(|e| {
                        UsageError::new(format!("invalid --s3-prefix `{prefix}`: {e}"))
                    })?),
                    format!("s3://{bucket}/{}", prefix.trim_end_matches('/')),
                ),
                None => (Arc::new(s3), format!("s3://{bucket}")),
            }
        }
        None => {
            let local = LocalFileSystem::new(&args.out).map_err(|e| {
                UsageError::new(format!(
                    "cannot use {} as the output directory: {e}; choose another with --out",
                    args.out.display()
                ))
            })?;
            let root = local.root().display().to_string();
            (Arc::new(local), root)
        }
    };
    let cursor: Arc<dyn CursorStore> = match &args.ssm_parameter {
        Some(name) if !name.is_empty() => {
            Arc::new(SsmCursorStore::new(aws.config().await, name.clone()))
        }
        _ => Arc::new(ObjectCursorStore::new(store.clone())),
    };
    Ok(Storage {
        store,
        cursor,
        location,
    })
}

/// A Jira client and the site it talks to.
pub(crate) struct Jira {
    pub(crate) client: JiraClient,
    pub(crate) site: String,
    pub(crate) auth: AuthMode,
    /// Where the OAuth secret lives, for messages.
    pub(crate) secret_location: Option<String>,
}

fn choose_auth(args: &JiraArgs) -> anyhow::Result<AuthMode> {
    if let Some(mode) = args.auth {
        return Ok(mode);
    }
    let mut given = Vec::new();
    if args.api_token.is_some() {
        given.push((AuthMode::Basic, "an API token (JIRA_API_TOKEN)"));
    }
    if args.oauth_secret_file.is_some() || args.oauth_secret_id.is_some() {
        given.push((AuthMode::Oauth, "an OAuth secret"));
    }
    if args.pat.is_some() {
        given.push((AuthMode::Bearer, "a personal access token (JIRA_PAT)"));
    }
    match given.as_slice() {
        [] => Err(UsageError::new(
            "no Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud API token), \
             JIRA_OAUTH_SECRET_FILE or JIRA_OAUTH_SECRET_ID (OAuth 3LO), or JIRA_PAT \
             (Data Center); see `jira-ingest --help`",
        )
        .into()),
        [(mode, _)] => Ok(*mode),
        several => Err(UsageError::new(format!(
            "several kinds of Jira credentials are set ({}); choose one with --auth \
             basic|oauth|bearer|scoped-token (or JIRA_AUTH)",
            several
                .iter()
                .map(|(_, what)| *what)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

fn required<'a>(value: &'a Option<String>, what: &str) -> anyhow::Result<&'a str> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| UsageError::new(what.to_owned()).into())
}

/// Builds the Jira client. Nothing is sent to Jira here: the OAuth refresh
/// (and its write-back) happens on the first call.
pub(crate) async fn jira(
    args: &JiraArgs,
    concurrency: usize,
    aws: &mut Aws,
) -> anyhow::Result<Jira> {
    let mode = choose_auth(args)?;
    let mut secret_location = None;
    let (auth, site) = match mode {
        AuthMode::Basic | AuthMode::ScopedToken => {
            let site = required(
                &args.site,
                "--site (JIRA_SITE) is required, e.g. https://tenant.atlassian.net",
            )?;
            let email = required(
                &args.email,
                "--email (JIRA_EMAIL) is required with an API token: the email of the Atlassian account",
            )?;
            let token = required(
                &args.api_token,
                "--api-token (JIRA_API_TOKEN) is required for basic auth; create one at https://id.atlassian.com/manage-profile/security/api-tokens",
            )?;
            let (email, api_token) = (email.to_owned(), Secret::new(token));
            let auth = if mode == AuthMode::Basic {
                Auth::Basic { email, api_token }
            } else {
                Auth::ScopedToken { email, api_token }
            };
            (auth, site.to_owned())
        }
        AuthMode::Bearer => {
            let site = required(
                &args.site,
                "--site (JIRA_SITE) is required, e.g. https://jira.example.com",
            )?;
            let pat = required(
                &args.pat,
                "--pat (JIRA_PAT) is required for bearer auth: a Data Center personal access token",
            )?;
            (
                Auth::Bearer {
                    pat: Secret::new(pat),
                },
                site.to_owned(),
            )
        }
        AuthMode::Oauth => {
            let store: Arc<dyn SecretStore> = match (&args.oauth_secret_file, &args.oauth_secret_id)
            {
                (Some(_), Some(_)) => {
                    return Err(UsageError::new(
                        "give either --oauth-secret-file or --oauth-secret-id, not both",
                    )
                    .into());
                }
                (Some(path), None) => Arc::new(FileSecretStore::new(path)),
                (None, Some(id)) => {
                    Arc::new(SecretsManagerStore::new(aws.config().await, id.clone()))
                }
                (None, None) => {
                    return Err(UsageError::new(
                        "--auth oauth needs --oauth-secret-file (JIRA_OAUTH_SECRET_FILE) or \
                             --oauth-secret-id (JIRA_OAUTH_SECRET_ID): a JSON object \
                             {client_id, client_secret, refresh_token, base_url}",
                    )
                    .into());
                }
            };
            let location = store.location();
            let bundle = store.load().await.map_err(|e| {
                let text = format!("could not read the OAuth secret at {location}: {e}");
                if e.is_retryable() {
                    anyhow::anyhow!(text)
                } else {
                    UsageError::new(text).into()
                }
            })?;
            let site = args
                .site
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| bundle.base_url.clone());
            secret_location = Some(location);
            let auth = Auth::OAuth {
                client_id: bundle.client_id,
                client_secret: bundle.client_secret,
                refresh_token: bundle.refresh_token,
                sink: Arc::new(SecretStoreSink::new(store)),
            };
            (auth, site)
        }
    };
    let client = JiraClient::builder(&site)
        .auth(auth)
        .token_url(&args.oauth_token_url)
        .api_gateway(&args.api_gateway)
        .concurrency(concurrency)
        .user_agent(concat!("jira-ingest/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| UsageError::new(format!("invalid Jira configuration: {e}")))?;
    Ok(Jira {
        client,
        site,
        auth: mode,
        secret_location,
    })
}

/// A client for operations that never call Jira (`status`, `renormalize`):
/// the engine owns a client, but these paths do not use it, so it carries no
/// credentials and any call it made would be refused.
pub(crate) fn offline_client(site: &str) -> anyhow::Result<JiraClient> {
    JiraClient::builder(site)
        .auth(Auth::Bearer {
            pat: Secret::new(""),
        })
        .build()
        .map_err(|e| UsageError::new(format!("invalid site url: {e}")).into())
}

/// The engine's settings from the tuning options.
pub(crate) fn sync_config(site: &str, tuning: Option<&TuningArgs>) -> SyncConfig {
    let mut config = SyncConfig::new(site);
    if let Some(t) = tuning {
        config.jql_scope = t.jql.clone().filter(|j| !j.trim().is_empty());
        config.backfill_days = t.backfill_days;
        config.overlap = t.overlap;
        config.index_lag = t.index_lag;
        config.concurrency = usize::from(t.concurrency);
        config.include_restricted_comments = t.include_restricted_comments;
        if let Some(max) = t.max_runtime {
            // The reserve for the final writes must not eat a short budget;
            // a fifth of it is plenty for local files and a few S3 puts.
            config.finish_margin = config.finish_margin.min(max / 5);
            // A lease that outlives a killed run blocks the next ones; tie it
            // to the run's own budget (plus the margin for the final writes).
            config.lease_ttl = config
                .lease_ttl
                .min(max + config.finish_margin + Duration::from_secs(60));
        }
    }
    config
}

pub(crate) fn engine(client: JiraClient, storage: &Storage, config: SyncConfig) -> Engine {
    Engine::new(
        client,
        storage.store.clone(),
        storage.cursor.clone(),
        config,
    )
}

/// The deadline of a run that may take at most `max`.
pub(crate) fn deadline(max: Option<Duration>) -> Option<tokio::time::Instant> {
    max.map(|d| tokio::time::Instant::now() + d)
}
