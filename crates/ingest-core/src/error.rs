//! The engine's error type.

use std::time::Duration;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a run failed. A failed run has still persisted what it wrote (its
/// manifest, the index and a checkpoint) whenever storage allowed it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Jira refused or failed a request (after the client's retries).
    #[error("jira: {0}")]
    Jira(#[from] jira_client::Error),

    /// Reading or writing state failed.
    #[error("storage: {0}")]
    Storage(Box<state_store::Error>),

    /// Another run holds the lease.
    #[error("another sync is running: {0}")]
    Busy(Box<state_store::Error>),

    /// The engine's own state is unreadable.
    #[error("{what} at {location} is unreadable: {reason}")]
    CorruptState {
        /// Which piece of state.
        what: &'static str,
        /// Where it lives.
        location: String,
        /// What is wrong and what to do.
        reason: String,
    },

    /// Reconcile would delete more than the configured share.
    #[error(
        "reconcile refused to delete {would_delete} of {indexed} issues ({share:.1}% > {limit:.1}%): \
         {reason}; this usually means lost permissions, not deletions; check the account's access \
         or re-run with --force"
    )]
    MassDeleteRefused {
        /// Issues that looked deleted.
        would_delete: usize,
        /// Issues in the index.
        indexed: usize,
        /// `would_delete / indexed`, in percent.
        share: f64,
        /// The configured limit, in percent.
        limit: f64,
        /// Extra detail (e.g. whole projects invisible).
        reason: String,
    },

    /// Jira listed issues of the run in a bulk fetch's `issueErrors` (a
    /// retriable failure, not "does not exist") even after the client's
    /// retries. The cursor stays before them, so the next run asks again.
    #[error(
        "jira could not return {count} issue(s) (ids {}{}): {message}; nothing past them was \
         recorded and the next run asks for them again",
        ids.join(", "),
        if *count > ids.len() { ", ..." } else { "" }
    )]
    IssuesUnavailable {
        /// How many issues Jira did not return.
        count: usize,
        /// The first (up to 10) of their ids.
        ids: Vec<String>,
        /// Jira's message for the first of them.
        message: String,
    },

    /// `renormalize` needs state a sync writes first.
    #[error("{0}")]
    Precondition(String),

    /// A bug: something the engine itself produced was invalid.
    #[error("internal error: {0}; please report it")]
    Internal(String),
}

impl From<state_store::Error> for Error {
    fn from(e: state_store::Error) -> Self {
        // Boxed: the storage error is large and errors travel through
        // every `?` of the engine.
        Error::Storage(Box::new(e))
    }
}

impl Error {
    /// Whether running again later can succeed without anyone changing
    /// anything (rate limits, outages, a busy lease).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Jira(e) => e.is_retryable(),
            Error::Storage(e) => e.is_retryable(),
            Error::Busy(_) | Error::IssuesUnavailable { .. } => true,
            _ => false,
        }
    }

    /// How long to wait before retrying, when Jira said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Jira(e) => e.retry_after(),
            _ => None,
        }
    }

    /// The Jira error kind, when Jira was the cause.
    pub fn jira_kind(&self) -> Option<jira_client::ErrorKind> {
        match self {
            Error::Jira(e) => Some(e.kind()),
            _ => None,
        }
    }
}
