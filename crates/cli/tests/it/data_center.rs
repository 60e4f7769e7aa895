//! Jira Data Center end to end: `jira-ingest` with a personal access token
//! against the simulator playing Data Center.

use std::{path::Path, time::Duration};

use jira_sim::{IssueEdit, JiraSim};
use serde_json::Value;

use crate::support::{
    PAT, assert_matches_ground_truth, data_center_sim, documents, files, pat_env, read_json, run,
};

/// Asserts every call went to Data Center's `/rest/api/2` and succeeded,
/// except the reconcile's read of a deleted issue, which is a 404.
#[track_caller]
fn assert_only_data_center_calls(sim: &JiraSim) {
    for (route, statuses) in sim.stats().requests {
        let path = route.split_once(' ').map_or("", |(_, p)| p);
        assert!(path.starts_with("/rest/api/2/"), "{route}");
        let issue_read = route == "GET /rest/api/2/issue/{issueIdOrKey}";
        assert!(
            statuses
                .keys()
                .all(|s| *s == 200 || (issue_read && *s == 404)),
            "{route}: {statuses:?}"
        );
    }
}

/// The newest raw record of `key`.
fn latest_raw(data: &Path, key: &str) -> Value {
    let name = files(data, &format!("raw/jira/{key}")).pop().unwrap();
    read_json(&data.join("raw/jira").join(key).join(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pat_sync_matches_the_ground_truth_and_follows_edits_moves_and_deletes() {
    let sim = data_center_sim(90).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("jira-data");
    let mut env = pat_env(&sim);
    // The ground truth counts every comment, restricted ones included.
    env.push(("JIRA_INCLUDE_RESTRICTED_COMMENTS".into(), "true".into()));

    let first = run(dir.path(), &["sync", "--json"], &env, None).await;
    let s = first.assert_code(0).json();
    assert_eq!(s["status"], "complete", "{s}");
    assert_eq!(
        (s["issues_seen"].as_u64(), s["written"].as_u64()),
        (Some(90), Some(90))
    );
    assert!(!first.stderr.contains(PAT) && !first.stdout.contains(PAT));
    assert_matches_ground_truth(&data, &sim);
    assert_only_data_center_calls(&sim);
    // Data Center embeds the whole changelog in the search: nothing to page.
    for issue in sim.issues_snapshot() {
        let raw = latest_raw(&data, &issue.key);
        let histories = raw["issue"]["changelog"]["histories"].as_array().unwrap();
        let facts = sim.issue_facts(&issue.key).unwrap();
        assert_eq!(histories.len(), facts.changelog_total, "{}", issue.key);
        assert_eq!(raw["changelog_pages"], serde_json::json!([]));
    }
    // Sprints arrive as Data Center's strings and are still understood.
    let docs = documents(&data);
    let sprint = &docs.values().next().unwrap()["sprints"][0];
    assert!(
        sprint["name"].as_str().unwrap().contains(" Sprint "),
        "{sprint}"
    );

    // An edit and a comment: the incremental run writes that issue only.
    let key = docs.keys().nth(3).unwrap().clone();
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.update_issue(
        &key,
        IssueEdit {
            summary: Some("Edited on the data center".into()),
            description: Some("New wiki text".into()),
        },
    )
    .unwrap();
    sim.add_comment(&key, "A comment from the data center")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = run(dir.path(), &["sync", "--json"], &env, None).await;
    let s2 = second.assert_code(0).json();
    assert_eq!(s2["written"], 1, "{s2}");
    assert!(s2["issues_seen"].as_u64().unwrap() < 90, "{s2}");
    let doc = &documents(&data)[&key];
    assert_eq!(doc["summary"], "Edited on the data center");
    assert_eq!(doc["description"], "New wiki text");
    let last = doc["comments"].as_array().unwrap().last().unwrap();
    assert_eq!(last["body"], "A comment from the data center");
    assert_matches_ground_truth(&data, &sim);

    // A move keeps the id and changes the key; the old key's document goes.
    let old = docs.keys().nth(5).unwrap().clone();
    let target = if old.starts_with("OPS-") {
        "ENG"
    } else {
        "OPS"
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let new = sim.move_issue(&old, target).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let third = run(dir.path(), &["sync", "--json"], &env, None).await;
    assert_eq!(third.assert_code(0).json()["moved"], 1);
    assert!(documents(&data).contains_key(&new));
    assert_matches_ground_truth(&data, &sim);

    // A deletion is found by the id census, paged by `startAt`.
    sim.delete_issue(&key).unwrap();
    let reconcile = run(dir.path(), &["reconcile", "--json"], &env, None).await;
    assert_eq!(reconcile.assert_code(0).json()["deleted"], 1);
    assert_matches_ground_truth(&data, &sim);
    assert_only_data_center_calls(&sim);
}
