//! Data Center mode: `/rest/api/2` only, the `startAt`/`total` search,
//! Data Center users and text, PATs, and 404 for everything Cloud-only.

use jira_sim::{Faults, JiraSim, OAuthConfig, SimConfig, SimDeployment};
use serde_json::{Value, json};

use crate::support::{Api, Auth, PAT, data_center, start};

const SEARCH: &str = "/rest/api/2/search";

fn keys(issues: &Value) -> Vec<String> {
    issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

/// The simulator's keys of `project`, in key order.
fn project_keys(sim: &JiraSim, project: &str) -> Vec<String> {
    let mut keys: Vec<(u32, String)> = sim
        .issues_snapshot()
        .into_iter()
        .filter_map(|i| {
            let (p, n) = i.key.split_once('-')?;
            (p == project).then(|| (n.parse().unwrap(), i.key.clone()))
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[tokio::test]
async fn search_pages_by_start_at_with_an_exact_total() {
    let sim = start(data_center(230, 40)).await;
    let api = Api::new(sim.base_url());
    let want = project_keys(&sim, "ENG");
    let jql = "project = ENG ORDER BY key ASC";

    // GET without maxResults: Jira's default page of 50, capped by the site to 40.
    let r = api
        .get_as(
            SEARCH,
            &[("jql", jql), ("fields", "key")],
            Auth::Bearer(PAT),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["startAt"], 0);
    assert_eq!(r.body["maxResults"], 40);
    assert_eq!(r.body["total"], want.len());
    assert_eq!(keys(&r.body["issues"]), want[..40]);

    // POST pages by offset; an oversized maxResults is capped and says so.
    let mut got = Vec::new();
    let mut start_at = 0;
    loop {
        let r = api
            .post_as(
                SEARCH,
                &json!({"jql": jql, "startAt": start_at, "maxResults": 500, "fields": ["summary"]}),
                Auth::Bearer(PAT),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["startAt"], start_at);
        assert_eq!(r.body["maxResults"], 40);
        assert_eq!(r.body["total"], want.len());
        let page = keys(&r.body["issues"]);
        assert!(page.len() <= 40);
        let fields = r.body["issues"][0]["fields"].as_object().unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["summary"]);
        start_at += page.len();
        got.extend(page);
        if start_at >= want.len() {
            break;
        }
    }
    assert_eq!(got, want);

    // Past the end: no issues, the same total. maxResults=0: the total only.
    for (start_at, max) in [(want.len() + 5, 10), (0, 0)] {
        let r = api
            .post_as(
                SEARCH,
                &json!({"jql": jql, "startAt": start_at, "maxResults": max}),
                Auth::Bearer(PAT),
            )
            .await;
        assert_eq!(r.body["issues"], json!([]), "{start_at} {max}");
        assert_eq!(r.body["total"], want.len());
    }
    // Default fields are every navigable one (no comments).
    let r = api
        .post_as(
            SEARCH,
            &json!({"jql": jql, "maxResults": 1}),
            Auth::Bearer(PAT),
        )
        .await;
    let fields = &r.body["issues"][0]["fields"];
    assert!(fields["summary"].is_string() && fields["customfield_10020"].is_array());
    assert!(fields.get("comment").is_none());
    // Unlike Cloud, an unbounded query is allowed.
    let r = api
        .get_as(SEARCH, &[("maxResults", "0")], Auth::Bearer(PAT))
        .await;
    assert_eq!(r.body["total"], 230);
}

#[tokio::test]
async fn search_rejects_bad_jql_and_cloud_parameters() {
    let sim = start(data_center(20, 1000)).await;
    let api = Api::new(sim.base_url());
    let r = api
        .get_as(SEARCH, &[("jql", "project = NOPE")], Auth::Bearer(PAT))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("NOPE")
    );
    // The request bean knows no `nextPageToken`, and lists must be arrays.
    for body in [
        json!({"jql": "project = ENG", "nextPageToken": "x"}),
        json!({"jql": "project = ENG", "fields": "summary"}),
        json!({"jql": "project = ENG", "startAt": -1}),
    ] {
        let r = api.post_as(SEARCH, &body, Auth::Bearer(PAT)).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.body["errorMessages"].is_array(), "{body}");
    }
}

#[tokio::test]
async fn expand_changelog_and_comments_embed_every_entry() {
    let sim = start(data_center(400, 1000)).await;
    let api = Api::new(sim.base_url());
    // An issue with more comments and histories than Cloud would embed.
    let facts = sim
        .issues_snapshot()
        .iter()
        .map(|i| sim.issue_facts(&i.key).unwrap())
        .find(|f| f.comment_total > 20 && f.changelog_total > 0)
        .expect("the dataset has an issue with many comments");
    let r = api
        .get_as(
            SEARCH,
            &[
                ("jql", &format!("key = {}", facts.key)),
                ("fields", "comment,description,reporter"),
                ("expand", "changelog"),
            ],
            Auth::Bearer(PAT),
        )
        .await;
    let issue = &r.body["issues"][0];
    let changelog = &issue["changelog"];
    assert_eq!(changelog["total"], facts.changelog_total);
    assert_eq!(changelog["maxResults"], facts.changelog_total);
    assert_eq!(
        changelog["histories"].as_array().unwrap().len(),
        facts.changelog_total
    );
    let comment = &issue["fields"]["comment"];
    assert_eq!(comment["total"], facts.comment_total);
    assert_eq!(
        comment["comments"].as_array().unwrap().len(),
        facts.comment_total
    );
    // Rich text is wiki markup and users are Data Center users.
    assert!(comment["comments"][0]["body"].is_string());
    assert!(comment["comments"][0].get("jsdPublic").is_none());
    let reporter = &issue["fields"]["reporter"];
    assert!(reporter["name"].is_string() && reporter["key"].is_string());
    assert!(reporter.get("accountId").is_none(), "{reporter}");

    // Without the expand there is no changelog.
    let r = api
        .post_as(
            SEARCH,
            &json!({"jql": format!("key = {}", facts.key), "fields": ["summary"]}),
            Auth::Bearer(PAT),
        )
        .await;
    assert!(r.body["issues"][0].get("changelog").is_none());
    // The comment endpoint pages the same list.
    let r = api
        .get_as(
            &format!("/rest/api/2/issue/{}/comment", facts.key),
            &[("startAt", "20"), ("maxResults", "100")],
            Auth::Bearer(PAT),
        )
        .await;
    assert_eq!(r.body["total"], facts.comment_total);
    assert_eq!(
        r.body["comments"].as_array().unwrap().len(),
        facts.comment_total - 20
    );
}

#[tokio::test]
async fn text_users_sprints_and_fields_have_data_center_shapes() {
    let sim = start(data_center(60, 1000)).await;
    let api = Api::new(sim.base_url());
    let r = api
        .post_as(
            SEARCH,
            &json!({"jql": "", "fields": ["*navigable"], "maxResults": 60}),
            Auth::Bearer(PAT),
        )
        .await;
    let issues = r.body["issues"].as_array().unwrap();
    let text = |f: &str| -> Vec<&str> {
        issues
            .iter()
            .filter_map(|i| i["fields"][f].as_str())
            .collect()
    };
    let descriptions = text("description");
    assert!(descriptions.len() > 40);
    for d in &descriptions {
        assert!(d.starts_with("h2. "), "{d}");
        assert!(
            !d.contains("accountid:") && !d.contains("smart-link"),
            "{d}"
        );
    }
    assert!(descriptions.iter().any(|d| d.contains("\r\n")));
    assert!(descriptions.iter().any(|d| d.contains("[~")));
    assert!(
        !text("customfield_10050").is_empty(),
        "textareas are wiki too"
    );
    for i in issues {
        let sprint = i["fields"]["customfield_10020"][0].as_str().unwrap();
        assert!(
            sprint.starts_with("com.atlassian.greenhopper.service.sprint.Sprint@"),
            "{sprint}"
        );
        assert!(i["self"].as_str().unwrap().contains("/rest/api/2/issue/"));
    }

    let r = api
        .get_as("/rest/api/2/field", &[], Auth::Bearer(PAT))
        .await;
    let fields = r.body.as_array().unwrap();
    assert!(fields.iter().all(|f| f.get("key").is_none()), "{}", r.body);
    let sprint = fields
        .iter()
        .find(|f| f["id"] == "customfield_10020")
        .unwrap();
    assert_eq!(sprint["schema"]["items"], "string");

    let r = api
        .get_as("/rest/api/2/serverInfo", &[], Auth::Bearer(PAT))
        .await;
    assert_eq!(r.body["deploymentType"], "Server");
    assert!(r.body["versionNumbers"][0].as_u64().unwrap() >= 9);
}

#[tokio::test]
async fn pat_and_basic_sign_in_and_wrong_credentials_are_refused() {
    let sim = start(data_center(20, 1000)).await;
    let api = Api::new(sim.base_url());
    for auth in [Auth::Bearer(PAT), Auth::Basic] {
        let me = api.get_as("/rest/api/2/myself", &[], auth).await;
        assert_eq!(me.status, 200, "{auth:?}");
        for f in ["name", "key", "displayName", "timeZone"] {
            assert!(me.body[f].is_string(), "{f}: {}", me.body);
        }
        assert!(me.body.get("accountId").is_none());
    }
    // Wrong credentials are refused outright, with Seraph's reason.
    for auth in [
        Auth::Bearer("nope"),
        Auth::BasicWith("bot@example.com", "x"),
    ] {
        for path in ["/rest/api/2/myself", SEARCH] {
            let r = api.get_as(path, &[("jql", "project = ENG")], auth).await;
            assert_eq!(r.status, 401, "{auth:?} {path}");
            assert_eq!(
                r.header("x-seraph-loginreason"),
                Some("AUTHENTICATED_FAILED")
            );
        }
    }
    // No credentials: anonymous, who may not see themselves or any issue.
    assert_eq!(
        api.get_as("/rest/api/2/myself", &[], Auth::None)
            .await
            .status,
        401
    );
    let r = api
        .get_as(SEARCH, &[("jql", "project = ENG")], Auth::None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.body["total"].as_u64(), r.body["issues"].clone()),
        (Some(0), json!([]))
    );
}

#[tokio::test]
async fn cloud_only_endpoints_answer_404() {
    let sim = start(data_center(20, 1000)).await;
    let api = Api::new(sim.base_url());
    let key = &sim.issues_snapshot()[0].key;
    let gets = [
        "/rest/api/3/myself".to_owned(),
        "/rest/api/3/search/jql".to_owned(),
        "/rest/api/2/search/jql".to_owned(),
        format!("/rest/api/2/issue/{key}/changelog"),
        "/rest/api/2/project/search".to_owned(),
        "/oauth/token/accessible-resources".to_owned(),
        format!("/ex/jira/{}/rest/api/2/myself", sim.cloud_id()),
    ];
    for path in &gets {
        let r = api
            .get_as(path, &[("jql", "project = ENG")], Auth::Bearer(PAT))
            .await;
        assert_eq!(r.status, 404, "GET {path}: {}", r.body);
        assert_eq!(r.body["status-code"], 404, "{path}");
    }
    let body = json!({"jql": "project = ENG", "issueIdsOrKeys": [key]});
    for path in [
        "/rest/api/2/search/jql",
        "/rest/api/2/search/approximate-count",
        "/rest/api/2/issue/bulkfetch",
        "/rest/api/2/changelog/bulkfetch",
        "/rest/api/3/search",
        "/oauth/token",
    ] {
        let r = api.post_as(path, &body, Auth::Bearer(PAT)).await;
        assert_eq!(r.status, 404, "POST {path}: {}", r.body);
    }
    // What Data Center does serve under v2 still works.
    let r = api
        .get_as(&format!("/rest/api/2/issue/{key}"), &[], Auth::Bearer(PAT))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body["key"], key.as_str());
}

#[tokio::test]
async fn rate_limit_is_one_bucket_per_user_with_data_center_headers() {
    let sim = start(data_center(20, 1000)).await;
    let api = Api::new(sim.base_url());
    sim.set_faults(Faults {
        burst_limit: Some(2),
        ..Faults::default()
    });
    let ok = api
        .get_as("/rest/api/2/myself", &[], Auth::Bearer(PAT))
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-ratelimit-fillrate"), Some("2"));
    assert_eq!(ok.header("x-ratelimit-interval-seconds"), Some("1"));
    // A different endpoint draws on the same bucket.
    api.get_as("/rest/api/2/field", &[], Auth::Bearer(PAT))
        .await;
    let limited = api
        .get_as(SEARCH, &[("jql", "project = ENG")], Auth::Bearer(PAT))
        .await;
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert!(limited.header("ratelimit-reason").is_none());
}

#[tokio::test]
async fn oauth_and_an_empty_page_cap_are_refused() {
    let oauth = SimConfig {
        oauth: Some(OAuthConfig::default()),
        ..data_center(5, 1000)
    };
    let zero = SimConfig {
        deployment: SimDeployment::DataCenter {
            search_max_results: 0,
        },
        ..data_center(5, 1000)
    };
    for config in [oauth, zero] {
        let err = JiraSim::start(config).await.unwrap_err();
        assert!(
            matches!(err, jira_sim::Error::InvalidConfig { .. }),
            "{err}"
        );
    }
}
