//! Backfill, incremental runs, idempotence, moves, time zones, deadlines.

use std::{sync::Arc, time::Duration};

use ingest_core::{RunOptions, RunStatus, layout};
use jira_sim::{IssueEdit, NewComment};
use state_store::{LocalFileSystem, ObjectKey, ObjectStoreExt};

use crate::support::Harness;

#[tokio::test]
async fn backfill_writes_every_issue_and_moves_the_cursor() {
    let h = Harness::new(150).await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    assert_eq!(summary.issues_seen, 150);
    assert_eq!(summary.written, 150);
    assert_eq!(summary.raw_written, 150);
    assert!(summary.cursor.is_some());
    h.assert_matches_ground_truth().await;

    let lines = h.manifest_lines().await;
    assert_eq!(lines.len(), 150);
    assert!(lines.iter().all(|l| l["op"] == "upsert"));
    // Few requests: ids in one page, 100 issues per bulk fetch.
    let stats = h.sim.stats();
    assert_eq!(
        stats.total("POST /rest/api/3/issue/bulkfetch"),
        2,
        "{stats:?}"
    );
}

#[tokio::test]
async fn a_rerun_writes_nothing() {
    let h = Harness::new(60).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let manifests = h.store.list_keys("manifests/").await.unwrap().len();
    h.advance(Duration::from_secs(60));
    let again = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(again.status, RunStatus::Complete);
    assert_eq!(again.written, 0, "{again:?}");
    assert_eq!(again.raw_written, 0);
    assert_eq!(again.manifest_key, None);
    assert_eq!(
        h.store.list_keys("manifests/").await.unwrap().len(),
        manifests
    );
}

#[tokio::test]
async fn incremental_run_picks_up_edits_and_new_comments() {
    let h = Harness::new(80).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let truth = h.sim.issues_snapshot();
    h.advance(Duration::from_secs(3600));
    h.sim
        .update_issue(
            &truth[3].key,
            IssueEdit {
                summary: Some("Renamed in Jira".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    h.sim
        .add_comment(&truth[9].key, "a brand new comment")
        .unwrap();
    let created = h.sim.create_issue("OPS").unwrap();
    // The engine's window ends `index_lag` before "now": let that pass.
    h.advance(Duration::from_secs(5 * 60));

    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete);
    assert_eq!(summary.written, 3, "{summary:?}");
    h.assert_matches_ground_truth().await;
    let docs = h.documents().await;
    assert_eq!(docs[&truth[3].key]["summary"], "Renamed in Jira");
    assert!(
        docs[&truth[9].key]["content"]
            .as_str()
            .unwrap()
            .contains("a brand new comment")
    );
    assert!(docs.contains_key(&created));
    // The incremental run read only the window since the cursor.
    assert!(summary.issues_seen < 80, "{summary:?}");
}

#[tokio::test]
async fn edits_inside_the_index_lag_wait_for_the_next_run() {
    let h = Harness::new(20).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let key = h.sim.issues_snapshot()[0].key.clone();
    h.advance(Duration::from_secs(600));
    h.sim
        .update_issue(
            &key,
            IssueEdit {
                summary: Some("late".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    // Only 30 s later: the edit is newer than run start minus the 2 min lag.
    h.advance(Duration::from_secs(30));
    let first = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(first.written, 0, "{first:?}");
    h.advance(Duration::from_secs(300));
    let second = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(second.written, 1, "{second:?}");
    assert_eq!(h.documents().await[&key]["summary"], "late");
}

async fn edits_near_window_edges_survive(time_zone: &str) {
    let tz = time_zone.to_owned();
    let h = Harness::with(30, move |c| c.user_time_zone = tz).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let keys: Vec<String> = h
        .sim
        .issues_snapshot()
        .iter()
        .map(|i| i.key.clone())
        .collect();
    // Edits spread across the next windows, including ones a second apart,
    // straddling each run's upper bound.
    for (i, key) in keys.iter().take(8).enumerate() {
        h.advance(Duration::from_secs(if i % 2 == 0 { 1 } else { 170 }));
        h.sim
            .update_issue(
                key,
                IssueEdit {
                    summary: Some(format!("edit {i}")),
                    ..IssueEdit::default()
                },
            )
            .unwrap();
        h.engine().sync(RunOptions::default()).await.unwrap();
    }
    h.advance(Duration::from_secs(600));
    h.engine().sync(RunOptions::default()).await.unwrap();
    h.assert_matches_ground_truth().await;
    let docs = h.documents().await;
    for (i, key) in keys.iter().take(8).enumerate() {
        assert_eq!(
            docs[key]["summary"],
            format!("edit {i}"),
            "{key} in {time_zone}"
        );
    }
}

#[tokio::test]
async fn user_time_zone_plus_14_loses_nothing() {
    edits_near_window_edges_survive("Pacific/Kiritimati").await;
}

#[tokio::test]
async fn user_time_zone_minus_8_loses_nothing() {
    edits_near_window_edges_survive("America/Los_Angeles").await;
}

#[tokio::test]
async fn a_moved_issue_leaves_its_old_key() {
    let h = Harness::new(40).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let victim = h
        .sim
        .issues_snapshot()
        .into_iter()
        .find(|i| i.key.starts_with("ENG-"))
        .unwrap();
    h.advance(Duration::from_secs(60));
    let new_key = h.sim.move_issue(&victim.key, "OPS").unwrap();
    h.advance(Duration::from_secs(300));
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.moved, 1, "{summary:?}");
    let docs = h.documents().await;
    assert!(!docs.contains_key(&victim.key));
    assert_eq!(docs[&new_key]["id"], victim.id.as_str());
    h.assert_matches_ground_truth().await;
    let lines = h.manifest_lines().await;
    assert!(
        lines
            .iter()
            .any(|l| l["op"] == "delete" && l["key"] == victim.key.as_str())
    );
    assert!(
        lines
            .iter()
            .any(|l| l["op"] == "upsert" && l["key"] == new_key.as_str())
    );
}

#[tokio::test]
async fn long_comment_threads_are_complete() {
    let h = Harness::new(120).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let docs = h.documents().await;
    let mut long = 0;
    for issue in h.sim.issues_snapshot() {
        let facts = h.sim.issue_facts(&issue.key).unwrap();
        let doc = &docs[&issue.key];
        let comments = doc["comments"].as_array().unwrap().len();
        // Restricted comments are left out by default, never more than exist.
        assert!(comments <= facts.comment_total, "{}", issue.key);
        if facts.comment_total > 20 {
            long += 1;
            assert!(
                comments > 20,
                "{} kept {comments} of {}",
                issue.key,
                facts.comment_total
            );
        }
    }
    assert!(
        long > 0,
        "the dataset should have issues with more than 20 comments"
    );
}

/// The history ids a raw object holds: the changelog pages (per-issue
/// entries of `changelog/bulkfetch`) when present, which replace the
/// embedded list, else the embedded `changelog.histories`.
fn raw_history_ids(raw: &serde_json::Value) -> Vec<String> {
    let pages = raw["changelog_pages"].as_array().unwrap();
    let histories: Vec<&serde_json::Value> = if pages.is_empty() {
        raw["issue"]["changelog"]["histories"]
            .as_array()
            .unwrap()
            .iter()
            .collect()
    } else {
        // `changelog/bulkfetch` entries, or pages of the per-issue endpoint.
        pages
            .iter()
            .flat_map(|p| match p["changeHistories"].as_array() {
                Some(histories) => {
                    assert_eq!(p["issueId"], raw["issue"]["id"], "a page of another issue");
                    histories
                }
                None => p["values"].as_array().unwrap(),
            })
            .collect()
    };
    histories
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A raw record holds each of the issue's `total` histories exactly once.
pub(crate) fn assert_history_complete(raw: &serde_json::Value, total: usize, key: &str) {
    let ids = raw_history_ids(raw);
    assert_eq!(ids.len(), total, "{key} histories");
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{key} has duplicate histories");
}

/// The one raw object of an issue, as text.
pub(crate) async fn only_raw(h: &Harness, key: &str) -> String {
    let keys = h
        .store
        .list_keys(&format!("raw/jira/{key}/"))
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{key}: {keys:?}");
    String::from_utf8(h.store.get(&keys[0]).await.unwrap().body.to_vec()).unwrap()
}

/// A site (or proxy) without `changelog/bulkfetch`: long changelogs are
/// paged issue by issue instead, and are just as complete.
#[tokio::test]
async fn long_changelogs_are_complete_without_the_bulk_changelog_endpoint() {
    let h = Harness::with(300, |c| c.faults.no_changelog_bulkfetch = true).await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    h.assert_matches_ground_truth().await;
    let mut long = 0;
    for issue in h.sim.issues_snapshot() {
        let facts = h.sim.issue_facts(&issue.key).unwrap();
        let raw: serde_json::Value = serde_json::from_str(&only_raw(&h, &issue.key).await).unwrap();
        assert_history_complete(&raw, facts.changelog_total, &issue.key);
        if !raw["changelog_pages"].as_array().unwrap().is_empty() {
            long += 1;
        }
    }
    assert!(long >= 3, "only {long} issues with long changelogs");
    let stats = h.sim.stats();
    assert!(
        stats.total("GET /rest/api/3/issue/{issueIdOrKey}/changelog") >= long,
        "{stats:?}"
    );
}

#[tokio::test]
async fn long_changelogs_are_complete_in_raw_with_one_bulk_call_per_batch() {
    let h = Harness::new(300).await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");

    let mut long = Vec::new();
    for issue in h.sim.issues_snapshot() {
        let facts = h.sim.issue_facts(&issue.key).unwrap();
        let text = only_raw(&h, &issue.key).await;
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_history_complete(&raw, facts.changelog_total, &issue.key);
        let embedded = raw["issue"]["changelog"]["histories"]
            .as_array()
            .unwrap()
            .len();
        if facts.changelog_total > embedded {
            assert!(
                !raw["changelog_pages"].as_array().unwrap().is_empty(),
                "{} is truncated but has no changelog pages",
                issue.key
            );
            long.push((issue.id, text));
        }
    }
    assert!(
        long.len() >= 3,
        "the dataset should have several issues with more than 40 histories ({})",
        long.len()
    );

    // Raw keeps Jira's bytes: each issue's entries, as the endpoint returns them.
    let ids: Vec<String> = long.iter().map(|(id, _)| id.clone()).collect();
    let mut direct = h.client().changelogs_by_issue(&ids).await.unwrap();
    for (id, text) in &long {
        for entry in direct.remove(id) {
            assert!(
                text.contains(entry.raw_json()),
                "issue {id}: entry not verbatim"
            );
        }
    }

    // One changelog bulk fetch per hydration batch at most (no page of this
    // dataset needs a second response page), never one per issue, and the
    // per-issue changelog endpoint is not used.
    let stats = h.sim.stats();
    let bulk = stats.total("POST /rest/api/3/issue/bulkfetch");
    let changelog_calls = stats.total("POST /rest/api/3/changelog/bulkfetch") - 1; // the direct call above
    assert_eq!(bulk, 3, "{stats:?}");
    assert!(
        (1..=bulk).contains(&changelog_calls),
        "{changelog_calls} changelog bulk calls for {bulk} batches and {} long changelogs",
        long.len()
    );
    assert_eq!(
        stats.total("GET /rest/api/3/issue/{issueIdOrKey}/changelog"),
        0,
        "{stats:?}"
    );
    // The run summary counts every request the run made, changelog calls included.
    let sim_total: u64 = stats
        .requests
        .values()
        .flat_map(|by_status| by_status.values())
        .sum();
    assert_eq!(summary.requests, sim_total - 1, "{summary:?} vs {stats:?}");
}

#[tokio::test]
async fn a_second_run_is_refused_while_one_holds_the_lease() {
    let h = Harness::new(10).await;
    let sim = h.sim.clone();
    let lease = state_store::Lease::new(h.store.clone())
        .with_key(ObjectKey::new(layout::LEASE_KEY).unwrap())
        .with_clock(move || sim.now());
    let _guard = lease
        .acquire("someone else", Duration::from_secs(600))
        .await
        .unwrap();
    let err = h.engine().sync(RunOptions::default()).await.unwrap_err();
    assert!(matches!(err, ingest_core::Error::Busy(_)), "{err}");
    assert!(err.to_string().contains("someone else"), "{err}");
    // Nothing was read or written.
    assert!(h.documents().await.is_empty());
}

#[tokio::test]
async fn a_deadline_gives_a_partial_run_that_the_next_completes() {
    let h = Harness::new(300).await;
    let mut config = h.config();
    config.finish_margin = Duration::ZERO;
    let engine = h.engine_on(h.store.clone(), config);
    let partial = engine
        .sync(RunOptions {
            deadline: Some(tokio::time::Instant::now()),
            ..RunOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(partial.status, RunStatus::Partial, "{partial:?}");
    assert!(partial.reason.unwrap().contains("time budget"));
    assert!(
        h.store
            .exists(&ObjectKey::new(layout::CHECKPOINT_KEY).unwrap())
            .await
            .unwrap()
    );

    let done = h.engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(done.status, RunStatus::Complete);
    h.assert_matches_ground_truth().await;
    assert!(
        !h.store
            .exists(&ObjectKey::new(layout::CHECKPOINT_KEY).unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn renormalize_rebuilds_documents_from_raw_alone() {
    let h = Harness::new(50).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let before = h.documents().await;
    let unchanged = h.engine().renormalize().await.unwrap();
    assert_eq!(unchanged.written, 0, "{unchanged:?}");
    assert_eq!(unchanged.unchanged, 50);

    // A document deleted by hand comes back, without a manifest line.
    let victim = before.keys().next().unwrap().clone();
    h.store
        .delete(&ObjectKey::new(format!("normalized/jira/{victim}.json")).unwrap())
        .await
        .unwrap();
    let restored = h.engine().renormalize().await.unwrap();
    assert_eq!(restored.written, 0, "{restored:?}");
    assert_eq!(h.documents().await, before);

    // Lose the index and every document: raw alone rebuilds them.
    h.store.delete_prefix("normalized/").await.unwrap();
    h.store
        .delete(&ObjectKey::new(layout::INDEX_KEY).unwrap())
        .await
        .unwrap();
    let rebuilt = h.engine().renormalize().await.unwrap();
    assert_eq!(rebuilt.written, 50, "{rebuilt:?}");
    assert_eq!(h.documents().await, before);
}

#[tokio::test]
async fn renormalize_without_a_sync_says_what_to_do() {
    let h = Harness::new(5).await;
    let err = h.engine().renormalize().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("run `jira-ingest sync` once first"),
        "{err}"
    );
}

#[tokio::test]
async fn the_filesystem_backend_gets_the_contract_layout() {
    let h = Harness::new(25).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalFileSystem::new(dir.path()).unwrap());
    let summary = h
        .engine_on(store, h.config())
        .sync(RunOptions::default())
        .await
        .unwrap();
    assert_eq!(summary.written, 25);
    let truth = h.sim.issues_snapshot();
    for issue in &truth {
        let normalized = dir
            .path()
            .join(format!("normalized/jira/{}.json", issue.key));
        assert!(normalized.is_file(), "{}", normalized.display());
        let raw = dir.path().join(format!(
            "raw/jira/{}/{}.json",
            issue.key,
            normalize::updated_key(issue.updated)
        ));
        assert!(raw.is_file(), "{}", raw.display());
    }
    let manifest = dir
        .path()
        .join(format!("manifests/jira/runs/{}.jsonl", summary.run_id));
    assert_eq!(
        std::fs::read_to_string(manifest).unwrap().lines().count(),
        25
    );
}

#[tokio::test]
async fn status_reports_cursor_counts_and_last_run() {
    let h = Harness::new(30).await;
    let summary = h.engine().sync(RunOptions::default()).await.unwrap();
    let status = h.engine().status().await.unwrap();
    assert_eq!(status.issues, 30);
    assert_eq!(status.cursor, summary.cursor);
    assert_eq!(status.last_run.unwrap().run_id, summary.run_id);
    assert!(status.checkpoint.is_none());
    assert!(status.lease_holder.is_none());
}

#[tokio::test]
async fn restricted_comments_stay_out_unless_asked_for() {
    let h = Harness::new(10).await;
    let key = h.sim.issues_snapshot()[0].key.clone();
    h.sim
        .add_comment(
            &key,
            NewComment {
                text: "salary details".into(),
                visibility: Some(("role".into(), "Administrators".into())),
                internal: false,
            },
        )
        .unwrap();
    h.advance(Duration::from_secs(600));
    h.engine().sync(RunOptions::default()).await.unwrap();
    let docs = h.documents().await;
    assert!(
        !docs[&key]["content"]
            .as_str()
            .unwrap()
            .contains("salary details")
    );
    // Raw keeps it.
    let raw = h
        .store
        .list_keys(&format!("raw/jira/{key}/"))
        .await
        .unwrap();
    let body = h.store.get(raw.last().unwrap()).await.unwrap().body;
    assert!(String::from_utf8_lossy(&body).contains("salary details"));

    let mut config = h.config();
    config.include_restricted_comments = true;
    let again = h
        .engine_on(h.store.clone(), config)
        .renormalize()
        .await
        .unwrap();
    assert!(again.written >= 1);
    assert!(
        h.documents().await[&key]["content"]
            .as_str()
            .unwrap()
            .contains("salary details")
    );
}
