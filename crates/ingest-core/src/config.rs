//! What a run is told: site-wide settings and per-run options.

use std::time::Duration;

use time::OffsetDateTime;

/// Settings that stay the same from run to run (the CLI's flags, the
/// Lambda's environment).
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The site URL, used for browse links and recorded in raw objects.
    pub site_url: String,
    /// Extra JQL ANDed into every query, e.g. `project in (ENG, OPS)`.
    pub jql_scope: Option<String>,
    /// Window length when no cursor exists yet.
    pub backfill_days: u32,
    /// How far before the cursor each run starts reading again.
    pub overlap: Duration,
    /// The window ends this long before the run started, so edits that are
    /// not searchable yet (Jira's index is eventually consistent) are read
    /// by the next run instead of being skipped for good.
    pub index_lag: Duration,
    /// Bulk-fetch batches in flight at once.
    pub concurrency: usize,
    /// Object writes in flight at once.
    pub write_concurrency: usize,
    /// Keep comments restricted by role or group.
    pub include_restricted_comments: bool,
    /// Reconcile refuses to delete more than this share of the indexed
    /// issues in one run unless forced.
    pub max_delete_share: f64,
    /// How long the run lease lasts without renewal.
    pub lease_ttl: Duration,
    /// Progress (index, manifest, checkpoint) is persisted at most this often.
    pub checkpoint_interval: Duration,
    /// Time kept in reserve before a deadline for the final writes.
    pub finish_margin: Duration,
}

impl SyncConfig {
    /// Defaults for a site.
    pub fn new(site_url: impl Into<String>) -> Self {
        SyncConfig {
            site_url: site_url.into(),
            jql_scope: None,
            backfill_days: 30,
            overlap: Duration::from_secs(10 * 60),
            index_lag: Duration::from_secs(2 * 60),
            concurrency: 4,
            write_concurrency: 16,
            include_restricted_comments: false,
            max_delete_share: 0.05,
            lease_ttl: Duration::from_secs(20 * 60),
            checkpoint_interval: Duration::from_secs(30),
            finish_margin: Duration::from_secs(20),
        }
    }
}

/// Options of one run (the CLI's per-invocation flags, the Lambda event).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Read everything in scope, ignoring the cursor and any checkpoint.
    pub full_resync: bool,
    /// Start the window here instead of at the cursor.
    pub since: Option<OffsetDateTime>,
    /// JQL for this run only, replacing the configured scope.
    pub jql: Option<String>,
    /// Stop cleanly, checkpointed, before this moment.
    pub deadline: Option<tokio::time::Instant>,
    /// Reconcile: delete even when the mass-delete guard trips.
    pub force: bool,
}
