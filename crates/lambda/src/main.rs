//! `bootstrap`: the AWS Lambda (provided.al2023) front end. It builds the AWS
//! clients once at init and runs one incremental sync (or a reconcile) per
//! invocation, within the invocation's time budget.
//!
//! The OAuth secret is re-read from Secrets Manager at the start of every
//! invocation rather than cached across warm invocations: another instance
//! (a manual invoke, a redeploy) may have rotated the refresh token since,
//! and refreshing with a stale token after Atlassian's reuse leeway revokes
//! the whole token family.

mod config;
mod error;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use ingest_core::{Engine, RunOptions, RunSummary};
use jira_client::{Auth, JiraClient};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use state_store::{
    CursorStore, ObjectStore, SecretStore, SecretStoreSink,
    aws::{S3Store, SecretsManagerStore, SsmCursorStore},
};

use crate::{config::Config, error::HandlerError};

/// The handler input (contracts §4); every field is optional, and other
/// fields (EventBridge's scheduled-event envelope) are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Input {
    full_resync: bool,
    since: Option<String>,
    jql: Option<String>,
    max_runtime_seconds: Option<u64>,
    reconcile: bool,
}

/// What lives for the whole life of the execution environment.
struct App {
    config: Config,
    store: Arc<dyn ObjectStore>,
    cursor: Arc<dyn CursorStore>,
    secrets: Arc<dyn SecretStore>,
}

/// Time kept back from the invocation deadline for returning the response
/// and releasing the lease, at most this much.
const SAFETY_MARGIN: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    install_panic_hook();
    let config = match Config::from_lookup(|name| std::env::var(name).ok()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "invalid function configuration");
            return Err(e.into());
        }
    };
    let sdk = state_store::aws::load_sdk_config().await;
    let s3 = S3Store::new(&sdk, config.bucket.clone()).with_kms_key_id(config.kms_key_id.clone());
    let store: Arc<dyn ObjectStore> = match config.prefix.as_deref() {
        Some(prefix) => Arc::new(s3.prefixed(prefix).map_err(|e| {
            tracing::error!(error = %e, "invalid JIRA_INGEST_S3_PREFIX");
            e
        })?),
        None => Arc::new(s3),
    };
    let cursor: Arc<dyn CursorStore> =
        Arc::new(SsmCursorStore::new(&sdk, config.ssm_parameter.clone()));
    let secrets: Arc<dyn SecretStore> =
        Arc::new(SecretsManagerStore::new(&sdk, config.secret_id.clone()));
    tracing::info!(
        bucket = %config.bucket,
        prefix = ?config.prefix,
        cursor = %cursor.location(),
        secret = %config.secret_id,
        "initialised"
    );
    let app = Arc::new(App {
        config,
        store,
        cursor,
        secrets,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let app = Arc::clone(&app);
        // Boxed: the engine's futures are deep, and an unboxed handler makes
        // the runtime's future too deep for the compiler's layout queries.
        Box::pin(async move { app.handle(event).await })
            as std::pin::Pin<Box<dyn Future<Output = Result<RunSummary, HandlerError>> + Send>>
    }))
    .await
}

/// A panic message printed as plain text would break JSON log parsing in
/// CloudWatch; log it through tracing instead. The runtime still turns the
/// unwinding panic into an error response.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        tracing::error!(panic = %message, %location, "the handler panicked");
    }));
}

impl App {
    async fn handle(
        &self,
        event: LambdaEvent<serde_json::Value>,
    ) -> Result<RunSummary, HandlerError> {
        let (payload, context) = event.into_parts();
        let input: Input = serde_json::from_value(payload).map_err(|e| {
            HandlerError::invalid_input(format!(
                "the event is not the handler input {{full_resync, since, jql, \
                 max_runtime_seconds, reconcile}}: {e}"
            ))
        })?;
        let since = input
            .since
            .as_deref()
            .map(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| {
                        HandlerError::invalid_input(format!(
                            "`since` must be RFC 3339 (e.g. 2026-11-01T00:00:00Z): {e}"
                        ))
                    })
            })
            .transpose()?;

        let remaining = context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let mut budget = remaining.saturating_sub(SAFETY_MARGIN.min(remaining / 10));
        if let Some(max) = input.max_runtime_seconds {
            budget = budget.min(Duration::from_secs(max));
        }
        tracing::info!(
            request_id = %context.request_id,
            budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
            reconcile = input.reconcile,
            full_resync = input.full_resync,
            "invocation"
        );

        let engine = self.engine(budget).await?;
        let opts = RunOptions {
            full_resync: input.full_resync,
            since,
            jql: input.jql.filter(|j| !j.trim().is_empty()),
            deadline: Some(tokio::time::Instant::now() + budget),
            force: false,
        };
        let result = if input.reconcile {
            engine.reconcile(opts).await
        } else {
            engine.sync(opts).await
        };
        match result {
            Ok(summary) => {
                // The stack's "no completed run" alarm matches this line's
                // `status` field ("complete" or "partial").
                let status = match summary.status {
                    ingest_core::RunStatus::Complete => "complete",
                    ingest_core::RunStatus::Partial => "partial",
                };
                tracing::info!(
                    status,
                    issues_seen = summary.issues_seen,
                    written = summary.written,
                    deleted = summary.deleted,
                    requests = summary.requests,
                    duration_ms = summary.duration_ms,
                    "run finished"
                );
                Ok(summary)
            }
            Err(e) => {
                let err = HandlerError::from_engine(&e, &self.config.secret_id);
                tracing::error!(error_type = err.error_type, error = %err.message, "run failed");
                Err(err)
            }
        }
    }

    /// A fresh engine over the shared AWS clients, with the OAuth bundle
    /// read now: the site comes from its `base_url`, and every rotated
    /// refresh token goes back into the same secret before it is used.
    async fn engine(&self, budget: Duration) -> Result<Engine, HandlerError> {
        let bundle = self.secrets.load().await.map_err(|e| {
            HandlerError::from_storage(
                &e,
                format!(
                    "could not read the OAuth secret {}: {e}",
                    self.config.secret_id
                ),
            )
        })?;
        let site = bundle.base_url.clone();
        let client = JiraClient::builder(&site)
            .auth(Auth::OAuth {
                client_id: bundle.client_id,
                client_secret: bundle.client_secret,
                refresh_token: bundle.refresh_token,
                sink: Arc::new(SecretStoreSink::new(Arc::clone(&self.secrets))),
            })
            .token_url(&self.config.token_url)
            .api_gateway(&self.config.api_gateway)
            .concurrency(self.config.concurrency)
            .user_agent(concat!("jira-ingest-lambda/", env!("CARGO_PKG_VERSION")))
            // The process is frozen between invocations; pooled connections
            // would be stale by the next one.
            .pool_idle_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| HandlerError::configuration(format!("invalid Jira configuration: {e}")))?;
        let mut config = self.config.sync_config(&site);
        // Keep a short budget usable; the reserve covers the final writes.
        config.finish_margin = config.finish_margin.min(budget / 5);
        // A lease must not outlive a function killed at its timeout by much.
        config.lease_ttl = config
            .lease_ttl
            .min(budget + config.finish_margin + Duration::from_secs(60));
        Ok(Engine::new(
            client,
            Arc::clone(&self.store),
            Arc::clone(&self.cursor),
            config,
        ))
    }
}
