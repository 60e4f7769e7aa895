//! Trouble: rate limits, quota exhaustion, flaky Jira, runs killed at every
//! kind of write.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use ingest_core::{RunOptions, RunStatus};
use jira_sim::Faults;
use state_store::{FaultTiming, FaultyStore, InMemory, ObjectStore};

use crate::support::Harness;

#[tokio::test]
async fn burst_limits_slow_the_run_but_lose_nothing() {
    let h = Harness::with(250, |c| {
        c.faults = Faults {
            burst_limit: Some(3),
            ..Faults::default()
        };
    })
    .await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    h.assert_matches_ground_truth().await;
}

#[tokio::test]
async fn an_exhausted_quota_checkpoints_and_the_next_run_resumes() {
    let h = Harness::with(400, |c| {
        c.faults = Faults {
            quota_points_per_hour: Some(250),
            quota_applies_to_all: true,
            ..Faults::default()
        };
    })
    .await;
    let partial = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(partial.status, RunStatus::Partial, "{partial:?}");
    assert!(
        partial.reason.as_deref().unwrap().contains("quota"),
        "{partial:?}"
    );
    assert!(partial.retry_after_seconds.is_some());
    assert!(
        partial.cursor.is_none(),
        "the cursor must not move on a partial run"
    );
    let first_written = partial.written;

    h.sim.reset_quota();
    h.sim.set_faults(Faults::default());
    let done = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    // The resumed run did not rewrite what the first one finished.
    assert_eq!(
        first_written + done.written,
        400,
        "{partial:?} then {done:?}"
    );
    h.assert_matches_ground_truth().await;
}

#[tokio::test]
async fn random_server_errors_and_dropped_connections_end_in_exact_data() {
    let h = Harness::with(300, |c| {
        c.faults = Faults {
            error_rate_5xx: 0.08,
            drop_rate: 0.04,
            ..Faults::default()
        };
    })
    .await;
    let mut complete = false;
    for _ in 0..8 {
        match h.engine().sync(RunOptions::default()).await {
            Ok(s) if s.status == RunStatus::Complete => {
                complete = true;
                break;
            }
            Ok(_) | Err(_) => {}
        }
    }
    assert!(complete, "no run completed in 8 tries");
    h.assert_matches_ground_truth().await;
}

/// Kill a run at its n-th storage write (before or after the write lands),
/// then run again: the result is exactly Jira's data, and every document
/// appears in some manifest, so downstream stages missed nothing.
#[tokio::test]
async fn a_run_killed_at_any_write_is_repaired_by_the_next() {
    let h = Harness::new(20).await;
    // Count the writes of a healthy run, then kill runs at the first few,
    // some in the middle and every one of the final bookkeeping writes
    // (manifest, index, checkpoint, cursor, lease).
    let probe = Arc::new(FaultyStore::new(InMemory::new()));
    h.engine_on(probe.clone(), h.config())
        .sync(RunOptions::default())
        .await
        .unwrap();
    let total = probe.writes();
    assert!(total > 20, "a run of 20 issues writes more than 20 objects");
    let mut points: BTreeSet<u64> = (1..=4).collect();
    points.extend([total / 3, total / 2, 2 * total / 3]);
    points.extend(total.saturating_sub(8)..=total);
    for n in points {
        for timing in [FaultTiming::Before, FaultTiming::After] {
            let faulty = Arc::new(FaultyStore::new(InMemory::new()));
            faulty.fail_nth_write(n, timing);
            let store: Arc<dyn ObjectStore> = faulty.clone();
            let engine = h.engine_on(store.clone(), h.config());
            let first = engine.sync(RunOptions::default()).await;
            faulty.heal();
            // A run killed while writing its lease leaves it behind; the
            // next run can start once it expires.
            h.advance(h.config().lease_ttl + Duration::from_secs(1));
            let second = h
                .engine_on(store.clone(), h.config())
                .sync(RunOptions::default())
                .await
                .unwrap_or_else(|e| {
                    panic!("rerun after a fault at write {n} ({timing:?}) failed: {e}")
                });
            assert_eq!(second.status, RunStatus::Complete);

            let check = Harness {
                sim: h.sim.clone(),
                store: store.clone(),
            };
            check.assert_matches_ground_truth().await;
            let upserted: BTreeSet<String> = check
                .manifest_lines()
                .await
                .iter()
                .filter(|l| l["op"] == "upsert")
                .map(|l| l["key"].as_str().unwrap().to_owned())
                .collect();
            let docs: BTreeSet<String> = check.documents().await.into_keys().collect();
            assert_eq!(
                upserted, docs,
                "after a fault at write {n} ({timing:?}, first run: {first:?}) some documents \
                 never reached a manifest"
            );
        }
    }
}

#[tokio::test]
async fn a_cursor_never_moves_backwards() {
    let h = Harness::new(20).await;
    let first = h.engine().sync(RunOptions::default()).await.unwrap();
    h.advance(Duration::from_secs(3600));
    // A run with an explicit `since` in the past reads an older window…
    let since = crate::support::ANCHOR - time::Duration::days(2);
    let old = h
        .engine()
        .sync(RunOptions {
            since: Some(since),
            ..RunOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(old.status, RunStatus::Complete);
    // …and its cursor is still at least the first run's.
    assert!(old.cursor >= first.cursor, "{old:?} vs {first:?}");
}

/// Jira lists some issues of a bulk fetch in `issueErrors` with a
/// retriable reason: the client asks again and nothing is lost.
#[tokio::test]
async fn issues_a_bulk_fetch_lists_as_retriable_errors_are_fetched_again() {
    let h = Harness::with(300, |c| {
        c.faults = Faults {
            bulk_issue_error_rate: 0.1,
            ..Faults::default()
        };
    })
    .await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    h.assert_matches_ground_truth().await;
}

/// Every bulk fetch listing every issue as a retriable error (as a
/// payload constraint would, for good): the issues are read one by one.
#[tokio::test]
async fn issues_bulk_fetch_never_returns_are_read_one_by_one() {
    let h = Harness::with(40, |c| {
        c.faults = Faults {
            bulk_issue_error_rate: 1.0,
            ..Faults::default()
        };
    })
    .await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    h.assert_matches_ground_truth().await;
    assert_eq!(
        h.sim.stats().total("GET /rest/api/3/issue/{issueIdOrKey}"),
        40
    );
}

/// An issue a payload constraint keeps out of every bulk response is read
/// on its own, with the same fields and changelog as the others.
#[tokio::test]
async fn an_issue_too_large_for_bulk_fetch_is_read_on_its_own() {
    let h = Harness::new(60).await;
    let truth = h.sim.issues_snapshot();
    let big: BTreeSet<String> = [truth[3].key.clone(), truth[41].key.clone()].into();
    h.sim.set_faults(Faults {
        bulk_oversized_issues: big,
        ..Faults::default()
    });
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    h.assert_matches_ground_truth().await;
    assert_eq!(
        h.sim.stats().total("GET /rest/api/3/issue/{issueIdOrKey}"),
        2
    );
}

/// Issues Jira keeps failing to return, in bulk and on their own, stop the
/// run before the cursor passes them; the next healthy run writes them.
#[tokio::test]
async fn issues_jira_keeps_failing_to_return_hold_the_cursor() {
    let h = Harness::new(50).await;
    let truth = h.sim.issues_snapshot();
    let broken: BTreeSet<String> = truth.iter().take(3).map(|i| i.key.clone()).collect();
    h.sim.set_faults(Faults {
        unavailable_issues: broken,
        ..Faults::default()
    });
    let err = h.engine().sync(RunOptions::default()).await.unwrap_err();
    assert!(
        matches!(err, ingest_core::Error::IssuesUnavailable { count: 3, .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(err.to_string().contains("request it again"), "{err}");
    assert!(
        err.to_string().contains("a single read failed too"),
        "{err}"
    );
    let cursor = h.engine().status().await.unwrap();
    assert!(cursor.cursor.is_none(), "{cursor:?}");

    h.sim.set_faults(Faults::default());
    let done = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(done.status, RunStatus::Complete, "{done:?}");
    assert_eq!(done.written, 50);
    h.assert_matches_ground_truth().await;
}
