//! The time window of a run and the JQL that reads it.
//!
//! Bounds are epoch milliseconds, written as unquoted numbers in JQL: a
//! quoted date literal would be read in the calling user's profile time
//! zone at minute granularity, which silently shifts or truncates windows.

use serde::{Deserialize, Serialize};

/// `lower <= updated <= upper`, in epoch milliseconds; no lower bound for a
/// full resync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Inclusive lower bound, `None` for "from the beginning".
    pub lower_ms: Option<i64>,
    /// Inclusive upper bound.
    pub upper_ms: i64,
}

impl Window {
    /// The search JQL: scope, window, and a total order so pages are stable
    /// and a checkpoint on `updated` never skips an issue.
    pub fn jql(&self, scope: Option<&str>) -> String {
        let mut clauses = Vec::with_capacity(3);
        if let Some(scope) = scope.map(str::trim).filter(|s| !s.is_empty()) {
            clauses.push(format!("({scope})"));
        }
        if let Some(lower) = self.lower_ms {
            clauses.push(format!("updated >= {lower}"));
        }
        clauses.push(format!("updated <= {}", self.upper_ms));
        format!("{} ORDER BY updated ASC, key ASC", clauses.join(" AND "))
    }
}

/// The JQL of an id census: everything in scope, bounded so Jira accepts it.
pub(crate) fn census_jql(scope: Option<&str>, now_ms: i64) -> String {
    format!("{} ORDER BY key ASC", scope_clause(scope, now_ms))
}

/// A Data Center census page query: everything in scope created at or
/// after `from_ms`, oldest first (keyset paging on `created`, which never
/// changes, so no issue can shift between queries).
pub(crate) fn census_from_jql(scope: Option<&str>, now_ms: i64, from_ms: Option<i64>) -> String {
    let bound = from_ms
        .map(|ms| format!(" AND created >= {ms}"))
        .unwrap_or_default();
    format!(
        "{}{bound} ORDER BY created ASC, key ASC",
        scope_clause(scope, now_ms)
    )
}

/// The census's issues among `ids` (which must exist: Jira rejects an
/// unknown id in JQL).
pub(crate) fn in_scope_jql(scope: Option<&str>, now_ms: i64, ids: &[&str]) -> String {
    format!(
        "{} AND id in ({}) ORDER BY key ASC",
        scope_clause(scope, now_ms),
        ids.join(", ")
    )
}

fn scope_clause(scope: Option<&str>, now_ms: i64) -> String {
    match scope.map(str::trim).filter(|s| !s.is_empty()) {
        Some(scope) => format!("({scope})"),
        // Jira refuses unbounded queries; every issue was created before now.
        None => format!("created <= {now_ms}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_jql_uses_epoch_milliseconds_and_a_total_order() {
        let w = Window {
            lower_ms: Some(1_000),
            upper_ms: 2_000,
        };
        assert_eq!(
            w.jql(Some("project in (ENG, OPS)")),
            "(project in (ENG, OPS)) AND updated >= 1000 AND updated <= 2000 \
             ORDER BY updated ASC, key ASC"
        );
        assert_eq!(
            w.jql(None),
            "updated >= 1000 AND updated <= 2000 ORDER BY updated ASC, key ASC"
        );
        let full = Window {
            lower_ms: None,
            upper_ms: 5,
        };
        assert_eq!(
            full.jql(Some("  ")),
            "updated <= 5 ORDER BY updated ASC, key ASC"
        );
    }

    #[test]
    fn census_is_always_bounded() {
        assert_eq!(census_jql(None, 9), "created <= 9 ORDER BY key ASC");
        assert_eq!(
            census_jql(Some("project = X"), 9),
            "(project = X) ORDER BY key ASC"
        );
    }
}
