//! The crate's one error type.

use std::{error::Error as StdError, io, path::PathBuf};

use time::OffsetDateTime;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Boxed underlying cause; backend error types are never part of the API.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong while persisting state.
///
/// Context lives in fields; [`Error::is_retryable`] says whether trying the
/// same call again later can succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An object key or list prefix broke the key grammar.
    #[error(
        "invalid object key {key:?}: {reason}; use relative `/`-separated keys without `.`/`..` segments"
    )]
    InvalidKey {
        /// The rejected key (never a secret).
        key: String,
        /// Which rule it broke.
        reason: &'static str,
    },

    /// Put options the backends cannot all store.
    #[error("invalid object metadata {name:?}: {reason}")]
    InvalidMetadata {
        /// The offending metadata name.
        name: String,
        /// Which rule it broke.
        reason: &'static str,
    },

    /// The object does not exist.
    #[error("object {key} not found")]
    NotFound {
        /// The missing key.
        key: String,
    },

    /// A create-only put found the object already there.
    #[error("object {key} already exists; another writer created it first")]
    AlreadyExists {
        /// The key that exists.
        key: String,
    },

    /// A conditional put found a different version than expected.
    #[error("object {key} changed since it was read (precondition failed); re-read it and retry")]
    PreconditionFailed {
        /// The key whose version differed.
        key: String,
    },

    /// A cursor compare-and-swap lost against another writer.
    #[error(
        "cursor at {location} was changed by another run (expected version {expected:?}, found {found:?}); \
         reload the cursor and recompute the window"
    )]
    CursorConflict {
        /// Where the cursor lives.
        location: String,
        /// The version the caller expected.
        expected: Option<String>,
        /// The version actually stored.
        found: Option<String>,
    },

    /// A cursor write would have moved the cursor backwards.
    #[error(
        "refusing to move the cursor at {location} backwards from {stored_ms} to {attempted_ms} (epoch ms); \
         a newer run already advanced it"
    )]
    CursorBackwards {
        /// Where the cursor lives.
        location: String,
        /// The stored upper bound.
        stored_ms: i64,
        /// The rejected upper bound.
        attempted_ms: i64,
    },

    /// Persisted state could not be parsed; it is never silently reset.
    #[error("stored state at {location} is corrupt: {reason}; fix or delete it by hand")]
    Corrupt {
        /// Where the state lives.
        location: String,
        /// What is wrong with it (never contains secret values).
        reason: String,
    },

    /// Persisted state was written by a newer, unknown format version.
    #[error(
        "stored state at {location} has format version {found}, this build reads up to {supported}; upgrade jira-ingest"
    )]
    UnsupportedVersion {
        /// Where the state lives.
        location: String,
        /// The version found.
        found: u64,
        /// The newest version this build understands.
        supported: u64,
    },

    /// Another run holds the lease.
    #[error(
        "another run ({owner}) holds the lease at {location} until {expires_at}; wait for it to finish or for the lease to expire"
    )]
    LeaseHeld {
        /// Where the lease lives.
        location: String,
        /// Who holds it.
        owner: String,
        /// When it expires unless renewed.
        expires_at: OffsetDateTime,
    },

    /// The caller's lease was taken over or changed by someone else.
    #[error(
        "the lease at {location} is no longer ours (now held by {holder:?}); stop writing and let the other run finish"
    )]
    LeaseLost {
        /// Where the lease lives.
        location: String,
        /// The current holder, when known.
        holder: Option<String>,
    },

    /// The store cannot be written (for example secrets from the environment).
    #[error("{what} is read-only: {hint}")]
    ReadOnly {
        /// What refused the write.
        what: &'static str,
        /// What to use instead.
        hint: &'static str,
    },

    /// Required configuration is missing or malformed.
    #[error("{what} is not configured correctly: {reason}")]
    Config {
        /// What is misconfigured.
        what: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A local filesystem operation failed.
    #[error("could not {op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A remote backend (S3, SSM, Secrets Manager) call failed.
    #[error("{service} {op} on {target} failed ({code}): {message}")]
    Backend {
        /// The service called.
        service: &'static str,
        /// The operation.
        op: &'static str,
        /// The bucket/key, parameter or secret id.
        target: String,
        /// The service's error code or the transport failure kind.
        code: String,
        /// What happened and what to do.
        message: String,
        /// Whether trying again later can help.
        retryable: bool,
        /// The SDK error, boxed so its type stays private.
        #[source]
        source: Option<BoxError>,
    },

    /// A failure injected by [`crate::FaultyStore`] for tests.
    #[error("injected fault on {op} of {key} (simulated crash or outage)")]
    Injected {
        /// The operation that failed.
        op: &'static str,
        /// The key it failed on.
        key: String,
    },
}

impl Error {
    /// Whether the same call may succeed when tried again later.
    ///
    /// Conflicts are not retryable as such: the caller must re-read first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Backend { retryable, .. } => *retryable,
            Error::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::Interrupted
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::WouldBlock
                    | io::ErrorKind::ResourceBusy
            ),
            Error::Injected { .. } => true,
            _ => false,
        }
    }

    /// Whether this is [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_and_say_what_to_do() {
        let e = Error::LeaseHeld {
            location: "state/jira/lease.json".into(),
            owner: "cli@host".into(),
            expires_at: OffsetDateTime::UNIX_EPOCH,
        };
        let text = e.to_string();
        assert!(text.starts_with("another run (cli@host)"), "{text}");
        assert!(text.contains("wait for it"), "{text}");
        assert!(!text.ends_with('.'));
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryability_is_data() {
        let b = Error::Backend {
            service: "s3",
            op: "PutObject",
            target: "b/k".into(),
            code: "SlowDown".into(),
            message: "throttled".into(),
            retryable: true,
            source: None,
        };
        assert!(b.is_retryable());
        assert!(!Error::NotFound { key: "k".into() }.is_retryable());
        assert!(Error::NotFound { key: "k".into() }.is_not_found());
    }
}
