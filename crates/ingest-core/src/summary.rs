//! The run summary (contracts §3): what the CLI prints with `--json` and the
//! Lambda returns.

use serde::{Deserialize, Serialize};

/// Whether the run finished its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Everything in the window is written and the cursor moved.
    Complete,
    /// Stopped early (deadline, quota); progress is checkpointed and the
    /// next run continues.
    Partial,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Complete or partial.
    pub status: RunStatus,
    /// Why a run is partial (`null` when complete).
    pub reason: Option<String>,
    /// Issues read from Jira.
    pub issues_seen: u64,
    /// Normalized documents written.
    pub written: u64,
    /// Issues whose stored version was already current.
    pub unchanged: u64,
    /// Normalized documents deleted (issues deleted or moved away).
    pub deleted: u64,
    /// The cursor after the run, RFC 3339 (`null` when none exists yet).
    pub cursor: Option<String>,
    /// HTTP requests made to Jira.
    pub requests: u64,
    /// Wall time.
    pub duration_ms: u64,
    /// The run's id (also the manifest's name).
    pub run_id: String,
    /// Issues that moved to a new key during this run.
    pub moved: u64,
    /// Issues that could not be normalized or had an invalid key; their raw
    /// JSON is kept when it could be, and `renormalize` retries them.
    pub rejected: u64,
    /// Raw versions written.
    pub raw_written: u64,
    /// The window read, epoch ms (`lower` is `null` for a full resync).
    pub window_lower_ms: Option<i64>,
    /// The window's upper bound, epoch ms.
    pub window_upper_ms: Option<i64>,
    /// The manifest written, if any change happened.
    pub manifest_key: Option<String>,
    /// When to run again after a quota stop, seconds.
    pub retry_after_seconds: Option<u64>,
    /// Time spent waiting on Jira's rate limits.
    pub rate_limit_wait_ms: u64,
}

impl RunSummary {
    pub(crate) fn new(run_id: &str) -> Self {
        RunSummary {
            status: RunStatus::Complete,
            reason: None,
            issues_seen: 0,
            written: 0,
            unchanged: 0,
            deleted: 0,
            cursor: None,
            requests: 0,
            duration_ms: 0,
            run_id: run_id.to_owned(),
            moved: 0,
            rejected: 0,
            raw_written: 0,
            window_lower_ms: None,
            window_upper_ms: None,
            manifest_key: None,
            retry_after_seconds: None,
            rate_limit_wait_ms: 0,
        }
    }
}
