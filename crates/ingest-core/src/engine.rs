//! The engine: one value holding the Jira client, the storage backends and
//! the configuration, with one method per operation (sync, reconcile,
//! renormalize, status).

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jira_client::JiraClient;
use state_store::{CursorStore, Lease, LeaseGuard, ObjectStore};
use time::OffsetDateTime;

use crate::{
    Error, Result, SyncConfig,
    state::{LEASE_KEY, object_key},
};

/// A source of "now", replaceable in tests.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The sync engine.
pub struct Engine {
    pub(crate) jira: JiraClient,
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) cursor: Arc<dyn CursorStore>,
    pub(crate) config: SyncConfig,
    pub(crate) clock: Clock,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("site", &self.config.site_url)
            .field("store", &self.store)
            .field("cursor", &self.cursor.location())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over these backends.
    pub fn new(
        jira: JiraClient,
        store: Arc<dyn ObjectStore>,
        cursor: Arc<dyn CursorStore>,
        config: SyncConfig,
    ) -> Self {
        Engine {
            jira,
            store,
            cursor,
            config,
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// Replaces the wall clock (tests drive windows with it).
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The Jira client (for request statistics).
    pub fn jira(&self) -> &JiraClient {
        &self.jira
    }

    /// How documents are built, from the configuration.
    pub(crate) fn normalize_options(&self) -> normalize::Options {
        normalize::Options {
            site_url: self.config.site_url.clone(),
            include_restricted_comments: self.config.include_restricted_comments,
        }
    }

    /// The stored cursor as RFC 3339, for summaries and status.
    pub(crate) async fn cursor_text(&self) -> Result<Option<String>> {
        Ok(self.cursor.load().await?.map(|(c, _)| cursor_text(&c)))
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    pub(crate) fn lease(&self) -> Result<Lease> {
        let clock = self.clock.clone();
        // The lease shares the engine's clock, so tests that move time also
        // expire leases left by killed runs.
        Ok(Lease::new(self.store.clone())
            .with_key(object_key(LEASE_KEY)?)
            .with_clock(move || clock()))
    }

    /// Takes the run lease, or says who holds it.
    pub(crate) async fn acquire(&self, run_id: &str) -> Result<(Lease, LeaseGuard)> {
        let lease = self.lease()?;
        let owner = format!("{run_id} (pid {})", std::process::id());
        match lease.acquire(&owner, self.config.lease_ttl).await {
            Ok(guard) => Ok((lease, guard)),
            Err(e @ state_store::Error::LeaseHeld { .. }) => Err(Error::Busy(Box::new(e))),
            Err(e) => Err(e.into()),
        }
    }

    /// Releases the lease; a failure only delays the next run until the
    /// lease expires, so it is logged rather than returned.
    pub(crate) async fn release(&self, lease: Lease, guard: LeaseGuard) {
        if let Err(e) = lease.release(guard).await {
            tracing::warn!(error = %e, "could not release the run lease; it expires by itself");
        }
    }
}

/// A sortable, unique run id: `20261129T040000Z-1a2b3c`.
pub(crate) fn new_run_id(now: OffsetDateTime) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .subsec_nanos();
    let salt = (u64::from(nanos) ^ (u64::from(std::process::id()) << 20)) & 0xff_ffff;
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{salt:06x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// A cursor's position as RFC 3339.
pub(crate) fn cursor_text(cursor: &state_store::Cursor) -> String {
    normalize::format_rfc3339_utc(from_epoch_ms(cursor.last_sync_ms))
}

/// Epoch milliseconds of a timestamp.
pub(crate) fn epoch_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The timestamp of epoch milliseconds.
pub(crate) fn from_epoch_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time() {
        let a = new_run_id(time::macros::datetime!(2026-11-29 04:00:00 UTC));
        let b = new_run_id(time::macros::datetime!(2026-11-29 05:00:00 UTC));
        assert!(a < b, "{a} < {b}");
        assert!(a.starts_with("20261129T040000Z-"));
    }

    #[test]
    fn epoch_ms_round_trips() {
        let t = time::macros::datetime!(2026-11-29 01:45:02.123 UTC);
        assert_eq!(from_epoch_ms(epoch_ms(t)), t);
    }
}
