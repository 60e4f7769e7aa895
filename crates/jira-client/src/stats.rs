//! Request counters, readable as a snapshot.

use std::{collections::BTreeMap, sync::Mutex, time::Duration};

/// A snapshot of what a client has done so far.
///
/// Endpoints are templates (`GET /rest/api/3/issue/{id}/comment`), so the
/// map stays small and carries no issue keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Responses per endpoint and status; status `None` counts transport failures.
    pub requests: BTreeMap<(String, Option<u16>), u64>,
    /// Requests sent again after a failure.
    pub retries: u64,
    /// 429 responses received.
    pub throttled: u64,
    /// Time spent waiting because Jira rate-limited us (Retry-After, burst pauses, near-limit slow-down).
    pub rate_limit_wait: Duration,
    /// Time spent in backoff after server or transport failures.
    pub backoff_wait: Duration,
    /// Time spent in client-side pacing (requests per second).
    pub pacing_wait: Duration,
    /// OAuth access-token refreshes performed.
    pub token_refreshes: u64,
}

impl Stats {
    /// All responses and transport failures together.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Requests to one endpoint template, any status.
    pub fn requests_to(&self, endpoint: &str) -> u64 {
        self.requests
            .iter()
            .filter(|((e, _), _)| e == endpoint)
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Debug, Default)]
pub(crate) struct StatsCollector(Mutex<Stats>);

impl StatsCollector {
    pub(crate) fn update(&self, f: impl FnOnce(&mut Stats)) {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
    }

    pub(crate) fn record(&self, endpoint: &str, status: Option<u16>) {
        self.update(|s| *s.requests.entry((endpoint.to_owned(), status)).or_default() += 1);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
