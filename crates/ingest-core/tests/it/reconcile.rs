//! Deletions via the id census, and the guard against mass deletion.

use ingest_core::{Error, RunOptions};

use crate::support::Harness;

#[tokio::test]
async fn reconcile_deletes_what_jira_deleted() {
    let h = Harness::new(100).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let truth = h.sim.issues_snapshot();
    h.sim.delete_issue(&truth[4].key).unwrap();
    h.sim.delete_issue(&truth[50].key).unwrap();

    let summary = h.engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(summary.deleted, 2, "{summary:?}");
    h.assert_matches_ground_truth().await;
    let lines = h.manifest_lines().await;
    for gone in [&truth[4], &truth[50]] {
        assert!(
            lines.iter().any(|l| l["op"] == "delete"
                && l["key"] == gone.key.as_str()
                && l["id"] == gone.id.as_str()),
            "no delete line for {}",
            gone.key
        );
    }
    // A second reconcile has nothing to do.
    let again = h.engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(again.deleted, 0);
}

#[tokio::test]
async fn mass_deletion_is_refused_unless_forced() {
    let h = Harness::new(100).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let truth = h.sim.issues_snapshot();
    for issue in truth.iter().take(10) {
        h.sim.delete_issue(&issue.key).unwrap();
    }
    let before = h.documents().await;
    let err = h
        .engine()
        .reconcile(RunOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MassDeleteRefused {
                would_delete: 10,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(
        h.documents().await,
        before,
        "nothing may be deleted when refused"
    );

    let forced = h
        .engine()
        .reconcile(RunOptions {
            force: true,
            ..RunOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(forced.deleted, 10);
    h.assert_matches_ground_truth().await;
}

#[tokio::test]
async fn reconcile_moves_documents_of_moved_issues() {
    let h = Harness::new(30).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let victim = h
        .sim
        .issues_snapshot()
        .into_iter()
        .find(|i| i.key.starts_with("SUP-"))
        .unwrap();
    let new_key = h.sim.move_issue(&victim.key, "ENG").unwrap();
    let summary = h.engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(summary.moved, 1, "{summary:?}");
    let docs = h.documents().await;
    assert!(!docs.contains_key(&victim.key));
    assert!(docs.contains_key(&new_key));
}

#[tokio::test]
async fn reconcile_completes_the_changelog_of_a_moved_issue() {
    let h = Harness::new(200).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let victim = h
        .sim
        .issues_snapshot()
        .into_iter()
        .find(|i| h.sim.issue_facts(&i.key).unwrap().changelog_total > 40)
        .expect("the dataset has an issue with more than 40 histories");
    let new_key = h.sim.move_issue(&victim.key, "OPS").unwrap();
    let before = h.sim.stats().total("POST /rest/api/3/changelog/bulkfetch");
    let summary = h.engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(summary.moved, 1, "{summary:?}");
    let facts = h.sim.issue_facts(&new_key).unwrap();
    let raw: serde_json::Value =
        serde_json::from_str(&crate::sync::only_raw(&h, &new_key).await).unwrap();
    crate::sync::assert_history_complete(&raw, facts.changelog_total, &new_key);
    assert_eq!(
        h.sim.stats().total("POST /rest/api/3/changelog/bulkfetch") - before,
        1
    );
}

/// A census page can leave out an issue that exists (positional pages
/// shift when another issue goes away mid-census): every apparent deletion
/// is checked on its own, so only the real ones are deleted.
#[tokio::test]
async fn an_issue_the_census_misses_is_checked_before_it_is_deleted() {
    let h = Harness::new(150).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let truth = h.sim.issues_snapshot();
    h.sim.delete_issue(&truth[7].key).unwrap();
    h.sim.delete_issue(&truth[70].key).unwrap();
    // Pages of 5 ids, most later pages missing an issue: the census
    // misses dozens, and so does a first check of whether they are still in
    // scope (also a paged search).
    h.sim.set_faults(jira_sim::Faults {
        search_omit_rate: 0.6,
        search_page_cap: Some(5),
        ..jira_sim::Faults::default()
    });

    let summary = h.engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(summary.deleted, 2, "{summary:?}");
    assert_eq!(summary.issues_seen, 148, "{summary:?}");
    h.assert_matches_ground_truth().await;
    assert!(
        h.sim.stats().total("POST /rest/api/3/issue/bulkfetch") >= 1,
        "the missed issues were checked"
    );
}

/// An issue that still exists but has left the scope is gone from the
/// corpus, even though fetching it by id works.
#[tokio::test]
async fn an_issue_outside_the_scope_is_deleted_even_though_it_exists() {
    let h = Harness::new(60).await;
    h.engine().sync(RunOptions::default()).await.unwrap();
    let truth = h.sim.issues_snapshot();
    let project = truth[0].key.split('-').next().unwrap().to_owned();
    let outside = truth
        .iter()
        .filter(|i| !i.key.starts_with(&format!("{project}-")))
        .count();
    let summary = h
        .engine()
        .reconcile(RunOptions {
            jql: Some(format!("project = {project}")),
            force: true,
            ..RunOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(summary.deleted, outside as u64, "{summary:?}");
    let left = h.documents().await;
    assert!(left.keys().all(|k| k.starts_with(&format!("{project}-"))));
}
