//! The in-process control API: edits, moves, deletes, the clock, index lag.

use std::time::Duration;

use jira_sim::{Faults, IssueEdit, NewComment};
use serde_json::json;
use time::macros::datetime;

use crate::support::{Api, config, start};

const SEARCH: &str = "/rest/api/3/search/jql";

async fn keys(api: &Api, jql: &str) -> Vec<String> {
    let r = api
        .post(
            SEARCH,
            &json!({"jql": jql, "fields": ["key"], "maxResults": 5000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_update_comment_delete_follow_the_clock() {
    let sim = start(config(50)).await;
    let api = Api::new(sim.base_url());
    sim.set_now(datetime!(2026-12-01 10:00 UTC));
    let key = sim.create_issue("OPS").unwrap();
    assert!(key.starts_with("OPS-"));
    let r = api
        .get(
            &format!("/rest/api/3/issue/{key}"),
            &[("fields", "created,updated,summary")],
        )
        .await;
    assert_eq!(r.body["fields"]["updated"], "2026-12-01T10:00:00.000+0000");

    sim.set_now(datetime!(2026-12-01 11:30:15.250 UTC));
    sim.update_issue(
        &key,
        IssueEdit {
            summary: Some("Renamed".into()),
            description: Some("New text".into()),
        },
    )
    .unwrap();
    let r = api
        .get(
            &format!("/rest/api/3/issue/{key}"),
            &[("fields", "updated,summary,description")],
        )
        .await;
    assert_eq!(r.body["fields"]["updated"], "2026-12-01T11:30:15.250+0000");
    assert_eq!(r.body["fields"]["summary"], "Renamed");
    assert_eq!(
        r.body["fields"]["description"]["content"][0]["content"][0]["text"],
        "New text"
    );
    let recent = keys(&api, "updated >= \"2026-12-01 11:30\"").await;
    assert_eq!(recent, vec![key.clone()]);

    sim.advance(Duration::from_secs(60));
    let cid = sim
        .add_comment(
            &key,
            NewComment {
                text: "admins only".into(),
                visibility: Some(("role".into(), "Administrators".into())),
                internal: true,
            },
        )
        .unwrap();
    let c = api
        .get(&format!("/rest/api/3/issue/{key}/comment"), &[])
        .await;
    let last = c.body["comments"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["id"], cid.as_str());
    assert_eq!(last["visibility"]["value"], "Administrators");
    assert_eq!(last["jsdPublic"], false);
    let snap = sim.issues_snapshot();
    let me = snap.iter().find(|i| i.key == key).unwrap();
    assert_eq!(me.updated, datetime!(2026-12-01 11:31:15.250 UTC));

    let before = snap.len();
    sim.delete_issue(&key).unwrap();
    assert_eq!(sim.issues_snapshot().len(), before - 1);
    assert_eq!(
        api.get(&format!("/rest/api/3/issue/{key}"), &[])
            .await
            .status,
        404
    );
    assert!(keys(&api, "project = OPS").await.iter().all(|k| *k != key));
    assert!(sim.delete_issue(&key).is_err());
    assert!(sim.create_issue("NOPE").is_err());
}

#[tokio::test]
async fn moved_issues_keep_their_id_and_the_old_key_resolves() {
    let sim = start(config(60)).await;
    let api = Api::new(sim.base_url());
    sim.set_now(datetime!(2026-12-02 09:00 UTC));
    let old = sim
        .issues_snapshot()
        .into_iter()
        .find(|i| i.key.starts_with("ENG-"))
        .unwrap();
    let new_key = sim.move_issue(&old.key, "SUP").unwrap();
    assert!(new_key.starts_with("SUP-"));
    let r = api
        .get(
            &format!("/rest/api/3/issue/{}", old.key),
            &[("expand", "changelog"), ("fields", "project,updated")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], old.id.as_str());
    assert_eq!(r.body["key"], new_key.as_str());
    assert_eq!(r.body["fields"]["project"]["key"], "SUP");
    let histories = r.body["changelog"]["histories"].as_array().unwrap();
    let total = usize::try_from(r.body["changelog"]["total"].as_u64().unwrap()).unwrap();
    // The move is the newest history; page to it if the embedded list is truncated.
    let all = api
        .get(
            &format!("/rest/api/3/issue/{}/changelog", old.id),
            &[("startAt", &(total - 1).to_string())],
        )
        .await;
    let last = &all.body["values"][0];
    let key_item = last["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["field"] == "Key")
        .unwrap();
    assert_eq!(key_item["fromString"], old.key.as_str());
    assert_eq!(key_item["toString"], new_key.as_str());
    assert!(histories.len() <= 40);
    // Search by project sees the new key; bulkfetch by the old key resolves to it.
    assert!(keys(&api, "project = SUP").await.contains(&new_key));
    assert!(!keys(&api, "project = ENG").await.contains(&old.key));
    let b = api
        .post(
            "/rest/api/3/issue/bulkfetch",
            &json!({"issueIdsOrKeys": [old.key], "fields": ["summary"]}),
        )
        .await;
    assert_eq!(b.body["issues"][0]["key"], new_key.as_str());
    assert_eq!(
        keys(&api, &format!("key = {}", old.key)).await,
        vec![new_key.clone()]
    );
}

#[tokio::test]
async fn index_lag_delays_search_but_not_reads_and_reconcile_bypasses_it() {
    let mut cfg = config(30);
    cfg.faults = Faults {
        index_lag: Duration::from_secs(30),
        ..Faults::default()
    };
    let sim = start(cfg).await;
    let api = Api::new(sim.base_url());
    sim.set_now(datetime!(2026-12-03 08:00 UTC));
    let key = sim.create_issue("ENG").unwrap();
    let window = "project = ENG AND updated >= \"2026-12-03 08:00\"";
    assert!(keys(&api, window).await.is_empty(), "not indexed yet");
    assert_eq!(
        api.get(&format!("/rest/api/3/issue/{key}"), &[])
            .await
            .status,
        200
    );
    let id = sim.issue_facts(&key).unwrap().id;
    let r = api.post(SEARCH, &json!({"jql": window, "fields": ["key"], "reconcileIssues": [id.parse::<u64>().unwrap()]})).await;
    assert_eq!(r.body["issues"].as_array().unwrap().len(), 1);
    sim.advance(Duration::from_secs(31));
    assert_eq!(keys(&api, window).await, vec![key]);
}

#[tokio::test]
async fn datasets_are_deterministic_per_seed() {
    let a = start(config(300)).await;
    let b = start(config(300)).await;
    let mut cfg = config(300);
    cfg.seed = 43;
    let c = start(cfg).await;
    assert_eq!(
        a.issues_snapshot()
            .iter()
            .map(|i| (&i.key, i.updated))
            .collect::<Vec<_>>(),
        b.issues_snapshot()
            .iter()
            .map(|i| (&i.key, i.updated))
            .collect::<Vec<_>>()
    );
    assert_ne!(a.issues_snapshot(), c.issues_snapshot());
    let (aa, bb) = (Api::new(a.base_url()), Api::new(b.base_url()));
    let key = &a.issues_snapshot()[17].key;
    let ra = aa
        .get(
            &format!("/rest/api/3/issue/{key}"),
            &[("expand", "changelog")],
        )
        .await;
    let rb = bb
        .get(
            &format!("/rest/api/3/issue/{key}"),
            &[("expand", "changelog")],
        )
        .await;
    // Only the self links differ (different ports).
    let norm = |v: &serde_json::Value, base: &str| v.to_string().replace(base, "BASE");
    assert_eq!(norm(&ra.body, a.base_url()), norm(&rb.body, b.base_url()));
}

#[tokio::test]
async fn relative_dates_follow_the_simulator_clock() {
    let sim = start(config(200)).await;
    let api = Api::new(sim.base_url());
    // The dataset's anchor is 2026-11-29; some issues were updated in its last day.
    sim.set_now(datetime!(2026-11-29 00:00 UTC));
    let recent = keys(&api, "updated > -1d").await;
    let want = sim
        .issues_snapshot()
        .iter()
        .filter(|i| i.updated > datetime!(2026-11-28 00:00 UTC))
        .count();
    assert_eq!(recent.len(), want);
    sim.advance(Duration::from_secs(3 * 86_400));
    assert!(keys(&api, "updated > -1d").await.is_empty());
    let k = sim.create_issue("ENG").unwrap();
    assert_eq!(keys(&api, "updated > -1d").await, vec![k]);
}
