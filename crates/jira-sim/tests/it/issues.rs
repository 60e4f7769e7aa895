//! Single issues, comments, changelogs, bulk fetch, fields and projects.

use serde_json::{Value, json};

use crate::support::{Api, config, start};

fn find(
    sim: &jira_sim::JiraSim,
    pred: impl Fn(&jira_sim::IssueFacts) -> bool,
) -> jira_sim::IssueFacts {
    sim.issues_snapshot()
        .iter()
        .map(|i| sim.issue_facts(&i.key).unwrap())
        .find(|f| pred(f))
        .expect("dataset has such an issue")
}

#[tokio::test]
async fn embedded_comments_are_truncated_and_the_endpoint_pages_them_all() {
    let sim = start(config(800)).await;
    let api = Api::new(sim.base_url());
    let f = find(&sim, |f| f.comment_total > 20);
    let r = api.get(&format!("/rest/api/3/issue/{}", f.key), &[]).await;
    assert_eq!(r.status, 200);
    let c = &r.body["fields"]["comment"];
    assert_eq!(c["total"], f.comment_total);
    assert_eq!(c["comments"].as_array().unwrap().len(), 20);
    let mut all = Vec::new();
    let mut start_at = 0;
    loop {
        let page = api
            .get(
                &format!("/rest/api/3/issue/{}/comment", f.key),
                &[
                    ("startAt", &start_at.to_string()),
                    ("maxResults", "7"),
                    ("orderBy", "created"),
                ],
            )
            .await;
        assert_eq!(page.body["total"], f.comment_total);
        let items = page.body["comments"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        start_at += items.len();
        all.extend(items);
    }
    assert_eq!(all.len(), f.comment_total);
    assert_eq!(all[..20], c["comments"].as_array().unwrap()[..]);
    let ids: std::collections::BTreeSet<&str> =
        all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len());
    for c in &all {
        assert_eq!(c["body"]["type"], "doc");
        assert!(c["jsdPublic"].is_boolean());
    }
    // Newest first on request.
    let desc = api
        .get(
            &format!("/rest/api/3/issue/{}/comment", f.key),
            &[("orderBy", "-created"), ("maxResults", "1")],
        )
        .await;
    assert_eq!(desc.body["comments"][0], all[all.len() - 1]);
}

#[tokio::test]
async fn restricted_and_internal_comments_exist() {
    let sim = start(config(800)).await;
    let api = Api::new(sim.base_url());
    let (mut role, mut internal) = (false, false);
    for i in sim
        .issues_snapshot()
        .iter()
        .filter(|i| sim.issue_facts(&i.key).unwrap().comment_total > 3)
        .take(120)
    {
        let r = api
            .get(&format!("/rest/api/3/issue/{}/comment", i.key), &[])
            .await;
        for c in r.body["comments"].as_array().unwrap() {
            if let Some(v) = c.get("visibility") {
                assert!(v["type"] == "role" || v["type"] == "group");
                assert!(v["value"].is_string());
                role = true;
            }
            if c["jsdPublic"] == false {
                assert!(i.key.starts_with("SUP-"));
                internal = true;
            }
        }
    }
    assert!(role && internal);
}

#[tokio::test]
async fn changelog_is_truncated_when_embedded_and_pages_fully() {
    let sim = start(config(800)).await;
    let api = Api::new(sim.base_url());
    let f = find(&sim, |f| f.changelog_total > 40);
    let r = api
        .get(
            &format!("/rest/api/3/issue/{}", f.key),
            &[("expand", "changelog"), ("fields", "summary")],
        )
        .await;
    assert_eq!(r.body["changelog"]["total"], f.changelog_total);
    assert_eq!(
        r.body["changelog"]["histories"].as_array().unwrap().len(),
        40
    );
    let mut all = Vec::new();
    let mut start_at = 0usize;
    loop {
        let p = api
            .get(
                &format!("/rest/api/3/issue/{}/changelog", f.key),
                &[("startAt", &start_at.to_string()), ("maxResults", "30")],
            )
            .await;
        assert_eq!(p.body["total"], f.changelog_total);
        let vals = p.body["values"].as_array().unwrap().clone();
        start_at += vals.len();
        all.extend(vals);
        if p.body["isLast"] == true {
            assert!(p.body.get("nextPage").is_none());
            break;
        }
        assert!(p.body["nextPage"].is_string());
    }
    assert_eq!(all.len(), f.changelog_total);

    // changelog/bulkfetch pages across issues with a token.
    let keys: Vec<String> = sim
        .issues_snapshot()
        .iter()
        .take(50)
        .map(|i| i.key.clone())
        .collect();
    let want: usize = keys
        .iter()
        .map(|k| sim.issue_facts(k).unwrap().changelog_total)
        .sum();
    let mut got = 0;
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"issueIdsOrKeys": keys, "maxResults": 25});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let r = api.post("/rest/api/3/changelog/bulkfetch", &body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        pages += 1;
        for l in r.body["issueChangeLogs"].as_array().unwrap() {
            got += l["changeHistories"].as_array().unwrap().len();
        }
        match r.body.get("nextPageToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(got, want);
    assert!(pages > 1);
}

#[tokio::test]
async fn bulkfetch_follows_the_100_1000_rule() {
    let sim = start(config(1200)).await;
    let api = Api::new(sim.base_url());
    let snap = sim.issues_snapshot();
    let ids =
        |n: usize| -> Vec<String> { snap.iter().rev().take(n).map(|i| i.id.clone()).collect() };
    let path = "/rest/api/3/issue/bulkfetch";
    // Up to 100 with anything.
    let r = api
        .post(
            path,
            &json!({"issueIdsOrKeys": ids(100), "fields": ["*all"], "expand": ["changelog"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["issues"].as_array().unwrap().len(), 100);
    // 101 with default or multi-valued fields or changelog is 400.
    for body in [
        json!({"issueIdsOrKeys": ids(101)}),
        json!({"issueIdsOrKeys": ids(101), "fields": ["summary", "comment"]}),
        json!({"issueIdsOrKeys": ids(101), "fields": ["summary"], "expand": ["changelog"]}),
        json!({"issueIdsOrKeys": ids(1001), "fields": ["summary"]}),
    ] {
        assert_eq!(api.post(path, &body).await.status, 400, "{body}");
    }
    // 1000 with explicit single-valued fields is fine, in ascending id order.
    let r = api
        .post(
            path,
            &json!({"issueIdsOrKeys": ids(1000), "fields": ["summary", "updated", "status"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got: Vec<u64> = r.body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(got.len(), 1000);
    assert!(got.windows(2).all(|w| w[0] < w[1]));
    // Unknown ids go to issueErrors; keys work too.
    let r = api
        .post(
            path,
            &json!({"issueIdsOrKeys": [snap[0].key, "999999", "ENG-99999"], "fields": ["summary"]}),
        )
        .await;
    assert_eq!(r.body["issues"].as_array().unwrap().len(), 1);
    let errs: Vec<&str> = r.body["issueErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(errs, ["999999", "ENG-99999"]);
}

#[tokio::test]
async fn issue_json_is_realistic_v3() {
    let sim = start(config(400)).await;
    let api = Api::new(sim.base_url());
    let snap = sim.issues_snapshot();
    let mut saw = std::collections::BTreeSet::new();
    for i in snap.iter().take(150) {
        let r = api.get(&format!("/rest/api/3/issue/{}", i.key), &[]).await;
        assert_eq!(r.status, 200);
        let f = &r.body["fields"];
        assert_eq!(r.body["id"], i.id.as_str());
        assert_eq!(r.body["key"], i.key.as_str());
        assert!(
            ["new", "indeterminate", "done"]
                .contains(&f["status"]["statusCategory"]["key"].as_str().unwrap())
        );
        assert!(
            f["summary"].is_string()
                && f["priority"]["name"].is_string()
                && f["reporter"]["accountId"].is_string()
        );
        let created = f["created"].as_str().unwrap();
        assert_eq!(
            created.len(),
            "2026-11-29T01:45:02.123+0000".len(),
            "{created}"
        );
        for (name, present) in [
            ("parent", !f["parent"].is_null()),
            ("subtasks", !f["subtasks"].as_array().unwrap().is_empty()),
            ("links", !f["issuelinks"].as_array().unwrap().is_empty()),
            (
                "attachments",
                !f["attachment"].as_array().unwrap().is_empty(),
            ),
            ("sprint", f["customfield_10020"][0]["name"].is_string()),
            ("story points", f["customfield_10016"].is_number()),
            ("textarea", f["customfield_10050"]["type"] == "doc"),
            ("select", f["customfield_10051"]["value"].is_string()),
            (
                "multiuser",
                f["customfield_10052"][0]["accountId"].is_string(),
            ),
            ("labels cf", f["customfield_10053"][0].is_string()),
            ("datetime", f["customfield_10054"].is_string()),
            ("description", f["description"]["type"] == "doc"),
            ("labels", !f["labels"].as_array().unwrap().is_empty()),
            ("components", f["components"][0]["name"].is_string()),
        ] {
            if present {
                saw.insert(name);
            }
        }
        if let Some(l) = f["issuelinks"].as_array().unwrap().first() {
            assert!(
                l.get("inwardIssue")
                    .or_else(|| l.get("outwardIssue"))
                    .unwrap()["key"]
                    .is_string()
            );
        }
    }
    assert_eq!(saw.len(), 14, "{saw:?}");
    let r = api.get("/rest/api/3/issue/NOPE-1", &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["errorMessages"][0],
        "Issue does not exist or you do not have permission to see it."
    );
}

#[tokio::test]
async fn fields_and_projects() {
    let sim = start(config(20)).await;
    let api = Api::new(sim.base_url());
    let f = api.get("/rest/api/3/field", &[]).await;
    let fields = f.body.as_array().unwrap();
    let customs: std::collections::BTreeSet<&str> = fields
        .iter()
        .filter_map(|x| x["schema"]["custom"].as_str())
        .collect();
    for t in [
        "com.pyxis.greenhopper.jira:gh-sprint",
        "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
        "com.atlassian.jira.plugin.system.customfieldtypes:select",
        "com.atlassian.jira.plugin.system.customfieldtypes:multiuserpicker",
        "com.atlassian.jira.plugin.system.customfieldtypes:labels",
        "com.atlassian.jira.plugin.system.customfieldtypes:datetime",
    ] {
        assert!(customs.contains(t), "{t}");
    }
    let p = api
        .get("/rest/api/3/project/search", &[("maxResults", "2")])
        .await;
    assert_eq!(p.body["total"], 3);
    assert_eq!(p.body["isLast"], false);
    assert_eq!(p.body["values"].as_array().unwrap().len(), 2);
    let p = api
        .get("/rest/api/3/project/search", &[("startAt", "2")])
        .await;
    assert_eq!(p.body["values"][0]["key"], "SUP");
    assert_eq!(p.body["isLast"], true);
}

#[tokio::test]
async fn v2_returns_wiki_markup_and_transitions_expand() {
    let sim = start(config(50)).await;
    let api = Api::new(sim.base_url());
    let key = sim
        .issues_snapshot()
        .into_iter()
        .map(|i| i.key)
        .find(|k| sim.issue_facts(k).unwrap().comment_total > 0)
        .unwrap();
    let v3 = api
        .get(
            &format!("/rest/api/3/issue/{key}"),
            &[("expand", "transitions")],
        )
        .await;
    let v2 = api
        .get(
            &format!("/rest/api/2/issue/{key}"),
            &[("expand", "transitions")],
        )
        .await;
    assert_eq!(v2.status, 200);
    assert_eq!(
        v3.body["fields"]["comment"]["comments"][0]["body"]["type"],
        "doc"
    );
    let body = v2.body["fields"]["comment"]["comments"][0]["body"]
        .as_str()
        .unwrap();
    assert!(!body.is_empty() && !body.contains("\"type\""), "{body}");
    if !v3.body["fields"]["description"].is_null() {
        assert!(
            v2.body["fields"]["description"]
                .as_str()
                .unwrap()
                .starts_with("h2. Problem")
        );
    }
    let t = v3.body["transitions"].as_array().unwrap();
    assert!(!t.is_empty() && t[0]["to"]["statusCategory"]["key"].is_string());
    // The v2 enhanced search exists too, and so does the removed v2 search's 410.
    let s = api
        .get(
            "/rest/api/2/search/jql",
            &[("jql", "project = ENG"), ("fields", "description")],
        )
        .await;
    assert_eq!(s.status, 200);
    assert_eq!(
        api.get("/rest/api/2/search", &[("jql", "project = ENG")])
            .await
            .status,
        410
    );
    assert_eq!(api.get("/rest/api/3/nonsense", &[]).await.status, 404);
}
