//! Data Center: the sync reads full issues (changelog expanded) through the
//! `startAt` search and never calls the Cloud-only endpoints.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::Duration,
};

use ingest_core::{Engine, RunOptions, RunStatus, SyncConfig};
use jira_client::{Auth, JiraClient, Secret};
use jira_sim::{IssueEdit, SimDeployment};
use serde_json::{Value, json};
use state_store::{InMemory, ObjectCursorStore, ObjectStore, ObjectStoreExt};

use crate::support::{ANCHOR, Harness, fast_retries};

const PAT: &str = "dc-pat";

fn pat_client(site: &str) -> JiraClient {
    JiraClient::builder(site)
        .auth(Auth::Bearer {
            pat: Secret::new(PAT),
        })
        .retry(fast_retries())
        .build()
        .unwrap()
}

#[tokio::test]
async fn data_center_sync_pages_by_start_at_and_matches_the_ground_truth() {
    // A page cap of 30 makes every window query several `startAt` pages.
    let h = Harness::with(120, |c| {
        c.deployment = SimDeployment::DataCenter {
            search_max_results: 30,
        };
        c.pat = Some(PAT.into());
    })
    .await;
    let engine = || {
        let cursor = Arc::new(ObjectCursorStore::new(h.store.clone()));
        let sim = h.sim.clone();
        Engine::new(
            pat_client(h.sim.base_url()),
            h.store.clone(),
            cursor,
            h.config(),
        )
        .with_clock(move || sim.now())
    };
    let summary = engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    assert_eq!(summary.written, 120, "{summary:?}");
    h.assert_matches_ground_truth().await;

    let stats = h.sim.stats();
    assert!(stats.total("POST /rest/api/2/search") >= 4, "{stats:?}");
    for (route, statuses) in &stats.requests {
        assert!(
            route.contains(" /rest/api/2/"),
            "only data center endpoints: {route}"
        );
        assert!(statuses.keys().all(|s| *s == 200), "{route}: {statuses:?}");
    }
    // The search embedded every history and comment: nothing was paged.
    for issue in h.sim.issues_snapshot() {
        let keys = h
            .store
            .list_keys(&format!("raw/jira/{}/", issue.key))
            .await
            .unwrap();
        let raw: Value =
            serde_json::from_slice(&h.store.get(&keys[0]).await.unwrap().body).unwrap();
        let facts = h.sim.issue_facts(&issue.key).unwrap();
        let histories = raw["issue"]["changelog"]["histories"].as_array().unwrap();
        assert_eq!(histories.len(), facts.changelog_total, "{}", issue.key);
        assert_eq!(raw["changelog_pages"], json!([]));
        assert_eq!(raw["comment_pages"], json!([]));
    }

    // An edit is picked up by the next (incremental) run.
    let key = h.sim.issues_snapshot()[7].key.clone();
    h.advance(Duration::from_secs(3600));
    h.sim
        .update_issue(
            &key,
            IssueEdit {
                summary: Some("Renamed on the data center".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    // The engine's window ends `index_lag` before "now": let that pass.
    h.advance(Duration::from_secs(5 * 60));
    let again = engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(again.written, 1, "{again:?}");
    assert_eq!(
        h.documents().await[&key]["summary"],
        "Renamed on the data center"
    );
    h.assert_matches_ground_truth().await;
}

// Real Data Center embeds the whole changelog, so the simulator never
// truncates one; a scripted server plays a site that does, to show the
// sync keeps what the search returned instead of calling Cloud's endpoints.

/// Requests seen: method, path, JSON body (`Null` when empty).
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// Serves each connection one scripted response, then closes it.
fn serve(listener: TcpListener, seen: Seen, issue: Value) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let Some((method, path, body)) = read_request(&mut stream) else {
            continue;
        };
        seen.lock()
            .unwrap()
            .push((method.clone(), path.clone(), body.clone()));
        let (status, reply) = match (method.as_str(), path.as_str()) {
            ("GET", "/rest/api/2/myself") => (
                200,
                json!({"name": "sync", "displayName": "Sync Bot", "timeZone": "UTC", "active": true}),
            ),
            ("GET", "/rest/api/2/field") => (200, json!([])),
            ("POST", "/rest/api/2/search") => (
                200,
                json!({"startAt": 0, "maxResults": 50, "total": 1, "issues": [issue.clone()]}),
            ),
            _ => (
                404,
                json!({"errorMessages": ["not a data center endpoint"]}),
            ),
        };
        let text = reply.to_string();
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            text.len()
        );
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(String, String, Value)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next()?.to_owned();
    let target = words.next()?;
    let path = target.split('?').next()?.to_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..head_end + length]).unwrap_or(Value::Null);
    Some((method, path, body))
}

#[tokio::test]
async fn a_truncated_changelog_is_kept_and_no_cloud_api_is_called() {
    let updated = "2026-11-28T10:00:00.000+0000";
    // The embedded changelog says it is truncated (1 of 50): Data Center has
    // no endpoint to complete it, so what the search returned is kept.
    let issue = json!({
        "expand": "changelog", "id": "20001", "key": "DC-1",
        "fields": {
            "summary": "On the data center", "updated": updated, "created": updated,
            "project": {"id": "1", "key": "DC", "name": "Data Center"},
            "issuetype": {"name": "Task"},
            "status": {"name": "Open", "statusCategory": {"key": "new"}},
            "comment": {"comments": [], "maxResults": 0, "total": 0, "startAt": 0}
        },
        "changelog": {"startAt": 0, "maxResults": 1, "total": 50,
            "histories": [{"id": "1", "created": updated, "items": []}]}
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    {
        let seen = seen.clone();
        std::thread::spawn(move || serve(listener, seen, issue));
    }

    let client = pat_client(&site);
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let cursor = Arc::new(ObjectCursorStore::new(store.clone()));
    let summary = Engine::new(client, store.clone(), cursor, SyncConfig::new(&site))
        .with_clock(|| ANCHOR)
        .sync(RunOptions::default())
        .await
        .unwrap();
    assert_eq!(summary.status, RunStatus::Complete, "{summary:?}");
    assert_eq!(summary.written, 1, "{summary:?}");

    let seen = seen.lock().unwrap().clone();
    let searches: Vec<&Value> = seen
        .iter()
        .filter(|(m, p, _)| m == "POST" && p == "/rest/api/2/search")
        .map(|(_, _, b)| b)
        .collect();
    assert!(!searches.is_empty(), "{seen:?}");
    for body in searches {
        assert_eq!(body["expand"], json!(["changelog"]), "{body}");
    }
    assert!(
        seen.iter().all(|(_, p, _)| p.starts_with("/rest/api/2/")),
        "only data center endpoints: {seen:?}"
    );

    let keys = store.list_keys("raw/jira/DC-1/").await.unwrap();
    let raw: Value = serde_json::from_slice(&store.get(&keys[0]).await.unwrap().body).unwrap();
    assert_eq!(raw["changelog_pages"], json!([]));
    assert_eq!(raw["issue"]["changelog"]["total"], 50);
}

/// Data Center has no bulk read: an apparent deletion is confirmed with a
/// read of that issue (a 404) before its document is deleted.
#[tokio::test]
async fn data_center_reconcile_reads_each_apparent_deletion_first() {
    let h = Harness::with(80, |c| {
        c.deployment = SimDeployment::DataCenter {
            search_max_results: 25,
        };
        c.pat = Some(PAT.into());
    })
    .await;
    let engine = || {
        let cursor = Arc::new(ObjectCursorStore::new(h.store.clone()));
        let sim = h.sim.clone();
        Engine::new(
            pat_client(h.sim.base_url()),
            h.store.clone(),
            cursor,
            h.config(),
        )
        .with_clock(move || sim.now())
    };
    engine().sync(RunOptions::default()).await.unwrap();
    let truth = h.sim.issues_snapshot();
    h.sim.delete_issue(&truth[3].key).unwrap();
    let summary = engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(summary.deleted, 1, "{summary:?}");
    h.assert_matches_ground_truth().await;
    let stats = h.sim.stats();
    let reads = &stats.requests["GET /rest/api/2/issue/{issueIdOrKey}"];
    assert_eq!(reads.get(&404), Some(&1), "the deleted issue: {stats:?}");
}

/// Data Center 10 refuses a `startAt` beyond its search result window
/// (10,000 by default; 50 here): the census pages by `created` instead.
#[tokio::test]
async fn data_center_census_never_pages_past_the_result_window() {
    let h = Harness::with(140, |c| {
        c.deployment = SimDeployment::DataCenter {
            search_max_results: 25,
        };
        c.pat = Some(PAT.into());
        c.faults.search_result_window = Some(50);
    })
    .await;
    let engine = || {
        let cursor = Arc::new(ObjectCursorStore::new(h.store.clone()));
        let sim = h.sim.clone();
        Engine::new(
            pat_client(h.sim.base_url()),
            h.store.clone(),
            cursor,
            h.config(),
        )
        .with_clock(move || sim.now())
    };
    let summary = engine().sync(RunOptions::default()).await.unwrap();
    assert_eq!(summary.written, 140, "{summary:?}");
    let truth = h.sim.issues_snapshot();
    h.sim.delete_issue(&truth[100].key).unwrap();
    let summary = engine().reconcile(RunOptions::default()).await.unwrap();
    assert_eq!(
        (summary.issues_seen, summary.deleted),
        (139, 1),
        "{summary:?}"
    );
    h.assert_matches_ground_truth().await;
    let searches = &h.sim.stats().requests["POST /rest/api/2/search"];
    assert_eq!(searches.keys().copied().collect::<Vec<_>>(), [200]);
}
