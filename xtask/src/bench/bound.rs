//! The request lower bound of a sync: the time the requests that complete
//! data needs would take if nothing but Jira's latency and burst limits
//! counted (no CPU, no disk).
//!
//! The requests come from the simulator's own counters (only successful
//! ones: a retried 429 or 5xx is overhead, not need), grouped by what a
//! sync cannot avoid:
//!
//! - setup (`myself`, `field`): one after the other before anything else;
//! - id pages (`search/jql`): sequential, each page continues the last;
//! - hydration (bulk fetch, extra comment pages, changelog calls): any
//!   number in flight, up to the concurrency.
//!
//! With latency `L`, concurrency `C` and Jira's burst limit `B` requests
//! per second per endpoint, at most `min(C, B·L)` hydration requests can be
//! in flight without being throttled, and id pages overlap with hydration,
//! so
//!
//! `bound = setup·L + max(pages·L, hydration·L / min(C, B·L), max_e n_e / B)`.
//!
//! The last term is the burst floor, the only one left at `L = 0`.

use std::collections::BTreeMap;

/// Jira Cloud's documented burst limit, requests per second per endpoint.
pub(crate) const BURST_PER_ENDPOINT: f64 = 100.0;

/// Successful requests per endpoint, as the simulator labels them
/// (`"POST /rest/api/3/issue/bulkfetch"`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Requests {
    pub(crate) by_endpoint: BTreeMap<String, u64>,
    /// Every request, failed ones included.
    pub(crate) total: u64,
}

impl Requests {
    /// The change between two `stats` answers of the simulator.
    pub(crate) fn between(before: &serde_json::Value, after: &serde_json::Value) -> Requests {
        let mut out = Requests::default();
        let Some(endpoints) = after["requests"].as_object() else {
            return out;
        };
        for (endpoint, statuses) in endpoints {
            let Some(statuses) = statuses.as_object() else {
                continue;
            };
            for (status, n) in statuses {
                let n = n.as_u64().unwrap_or(0);
                let was = before["requests"][endpoint][status].as_u64().unwrap_or(0);
                let delta = n.saturating_sub(was);
                out.total += delta;
                if status.starts_with('2') && delta > 0 {
                    *out.by_endpoint.entry(endpoint.clone()).or_default() += delta;
                }
            }
        }
        out
    }

    fn count(&self, kind: Kind) -> u64 {
        self.by_endpoint
            .iter()
            .filter(|(e, _)| kind_of(e) == kind)
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn setup(&self) -> u64 {
        self.count(Kind::Setup)
    }

    pub(crate) fn id_pages(&self) -> u64 {
        self.count(Kind::IdPage)
    }

    pub(crate) fn hydration(&self) -> u64 {
        self.count(Kind::Hydration)
    }

    /// Requests to endpoints whose path contains `needle`.
    pub(crate) fn matching(&self, needle: &str) -> u64 {
        self.by_endpoint
            .iter()
            .filter(|(e, _)| e.contains(needle))
            .map(|(_, n)| n)
            .sum()
    }

    /// The lower bound in seconds at `latency_s` and `concurrency`.
    pub(crate) fn lower_bound(&self, latency_s: f64, concurrency: u32) -> f64 {
        let in_flight =
            f64::from(concurrency.max(1)).min((BURST_PER_ENDPOINT * latency_s).max(1.0));
        let burst_floor = self
            .by_endpoint
            .values()
            .map(|&n| n as f64 / BURST_PER_ENDPOINT)
            .fold(0.0, f64::max);
        let setup = self.setup() as f64 * latency_s;
        let pages = self.id_pages() as f64 * latency_s;
        let hydration = self.hydration() as f64 * latency_s / in_flight;
        setup + pages.max(hydration).max(burst_floor)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Setup,
    IdPage,
    Hydration,
}

fn kind_of(endpoint: &str) -> Kind {
    if endpoint.contains("/search") {
        Kind::IdPage
    } else if endpoint.contains("/myself")
        || endpoint.ends_with("/field")
        || endpoint.contains("/serverInfo")
    {
        Kind::Setup
    } else {
        Kind::Hydration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pairs: &[(&str, &str, u64)]) -> serde_json::Value {
        let mut v = serde_json::json!({ "requests": {} });
        for (endpoint, status, n) in pairs {
            v["requests"][*endpoint][*status] = (*n).into();
        }
        v
    }

    #[test]
    fn deltas_count_successes_per_endpoint_and_everything_in_total() {
        let before = stats(&[("POST /rest/api/3/issue/bulkfetch", "200", 10)]);
        let after = stats(&[
            ("POST /rest/api/3/issue/bulkfetch", "200", 110),
            ("POST /rest/api/3/issue/bulkfetch", "429", 3),
            ("POST /rest/api/3/search/jql", "200", 2),
            ("GET /rest/api/3/myself", "200", 1),
        ]);
        let r = Requests::between(&before, &after);
        assert_eq!(r.total, 106);
        assert_eq!(r.hydration(), 100);
        assert_eq!(r.id_pages(), 2);
        assert_eq!(r.setup(), 1);
        assert_eq!(r.matching("bulkfetch"), 100);
    }

    #[test]
    fn the_bound_follows_latency_concurrency_and_burst_limits() {
        let r = Requests::between(
            &serde_json::Value::Null,
            &stats(&[
                ("GET /rest/api/3/myself", "200", 1),
                ("GET /rest/api/3/field", "200", 1),
                ("POST /rest/api/3/search/jql", "200", 2),
                ("POST /rest/api/3/issue/bulkfetch", "200", 100),
                ("GET /rest/api/3/issue/{issueIdOrKey}/comment", "200", 300),
            ]),
        );
        // 50 ms, 4 in flight: 2 setup calls, then 400 hydration calls 4 at a time.
        let b = r.lower_bound(0.05, 4);
        assert!((b - (0.1 + 400.0 * 0.05 / 4.0)).abs() < 1e-9, "{b}");
        // More concurrency than the burst limit allows (100/s at 50 ms = 5) does not help.
        assert!((r.lower_bound(0.05, 64) - (0.1 + 400.0 * 0.05 / 5.0)).abs() < 1e-9);
        // No latency: only the burst floor of the busiest endpoint remains.
        assert!((r.lower_bound(0.0, 4) - 3.0).abs() < 1e-9);
        // Sequential id pages dominate when there is little to hydrate.
        let pages = Requests {
            by_endpoint: [("POST /rest/api/3/search/jql".to_owned(), 20)].into(),
            total: 20,
        };
        assert!((pages.lower_bound(0.05, 8) - 1.0).abs() < 1e-9);
    }
}
