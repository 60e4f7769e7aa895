//! `myself`, the field catalogue, counts, bulk fetch batching and the
//! complete comment and changelog lists.

use jira_client::{ChangelogPage, CommentPage, ErrorKind};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{body_json, method, path, query_param},
};

use crate::support::{basic, issue};

#[tokio::test]
async fn a_failing_myself_stops_the_sync_before_an_anonymous_empty_search() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/myself"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errorMessages": ["Client must be authenticated to access this resource."]
        })))
        .expect(1)
        .mount(&server)
        .await;
    // What Jira does for an anonymous caller: a successful, empty search.
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/jql"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"issues": [], "isLast": true})),
        )
        .expect(0)
        .mount(&server)
        .await;
    let err = basic(&server).myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.to_string().contains("must be authenticated"));
}

#[tokio::test]
async fn an_anonymous_looking_myself_200_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/myself"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"displayName": "Anonymous"})))
        .mount(&server)
        .await;
    let err = basic(&server).myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
}

#[tokio::test]
async fn the_field_catalogue_comes_parsed_and_raw() {
    let server = MockServer::start().await;
    let body = r#"[{"id":"summary","key":"summary","name":"Summary","custom":false,"orderable":true,"navigable":true,"searchable":true,"clauseNames":["summary"],"schema":{"type":"string","system":"summary"}},
{"id":"customfield_10016","key":"customfield_10016","name":"Story point estimate","untranslatedName":"Story point estimate","custom":true,"schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:float","customId":10016}},
{"id":"issuekey","key":"issuekey","name":"Key","custom":false}]"#;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/field"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let catalogue = basic(&server).fields().await.unwrap();
    assert_eq!(catalogue.raw.get(), body);
    assert_eq!(catalogue.fields.len(), 3);
    let sp = &catalogue.fields[1];
    assert!(sp.custom);
    let schema = sp.schema.as_ref().unwrap();
    assert_eq!(
        schema.custom.as_deref(),
        Some("com.atlassian.jira.plugin.system.customfieldtypes:float")
    );
    assert_eq!(schema.custom_id, Some(10016));
    assert!(catalogue.fields[2].schema.is_none());
}

#[tokio::test]
async fn approximate_count_posts_the_jql() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/search/approximate-count"))
        .and(body_json(json!({"jql": "project = ENG"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": 1234})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        basic(&server)
            .approximate_count("project = ENG")
            .await
            .unwrap(),
        1234
    );
}

/// Answers bulk fetch with the requested ids, reporting ids above 100000 as unknown.
struct BulkResponder;

impl Respond for BulkResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let ids: Vec<u32> = body["issueIdsOrKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect();
        let (known, unknown): (Vec<u32>, Vec<u32>) = ids.iter().partition(|i| **i < 100_000);
        let mut response = json!({
            "expand": "schema,names",
            "issues": known.iter().map(|i| issue(*i, &format!("ENG-{i}"))).collect::<Vec<_>>(),
        });
        if !unknown.is_empty() {
            response["issueErrors"] = unknown
                .iter()
                .map(|i| json!({
                    "id": i.to_string(),
                    "errorMessage": "Issue does not exist or you do not have permission to see it."
                }))
                .collect();
        }
        ResponseTemplate::new(200).set_body_json(response)
    }
}

/// The number of ids in each bulk fetch request, in arrival order.
async fn batch_sizes(server: &MockServer) -> Vec<usize> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/rest/api/3/issue/bulkfetch")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["issueIdsOrKeys"].as_array().unwrap().len()
        })
        .collect()
}

fn ids(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn bulk_fetch_uses_100_per_call_for_multi_valued_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/bulkfetch"))
        .respond_with(BulkResponder)
        .mount(&server)
        .await;
    let mut wanted = ids(1..250);
    wanted.push("100001".into());
    let result = basic(&server)
        .bulk_fetch(&wanted, &strings(&["summary", "updated", "comment"]), &[])
        .await
        .unwrap();
    let mut sizes = batch_sizes(&server).await;
    sizes.sort_unstable();
    assert_eq!(sizes, [50, 100, 100]);
    assert_eq!(result.issues.len(), 249);
    // Batches come back in input order.
    let got: Vec<String> = result.issues.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, ids(1..250));
    // A "does not exist" error is final: not asked again.
    assert_eq!(result.errors.len(), 1);
    assert_eq!(result.errors[0].id, "100001");
    assert!(result.errors[0].is_not_found());
    assert_eq!(batch_sizes(&server).await.len(), 3);
}

/// Lists every third id of the first request in `issueErrors` with a
/// retriable reason, as Jira documents for payload constraints; answers
/// later requests in full.
struct FlakyBulk(std::sync::atomic::AtomicUsize);

impl Respond for FlakyBulk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let first = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        let (mut issues, mut errors) = (Vec::new(), Vec::new());
        for id in body["issueIdsOrKeys"].as_array().unwrap() {
            let id = id.as_str().unwrap();
            let n: u32 = id.parse().unwrap();
            if first && n.is_multiple_of(3) {
                errors.push(json!({"id": id, "errorMessage": "Retry later: response too large."}));
            } else {
                issues.push(issue(n, &format!("ENG-{n}")));
            }
        }
        ResponseTemplate::new(200).set_body_json(json!({"issues": issues, "issueErrors": errors}))
    }
}

#[tokio::test(start_paused = true)]
async fn bulk_fetch_asks_again_for_issues_listed_with_a_retriable_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/bulkfetch"))
        .respond_with(FlakyBulk(Default::default()))
        .mount(&server)
        .await;
    let result = basic(&server)
        .bulk_fetch(&ids(1..11), &strings(&["summary"]), &[])
        .await
        .unwrap();
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let got: Vec<String> = result.issues.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, ids(1..11), "ascending id order across the retry");
    assert_eq!(batch_sizes(&server).await, [10, 3]);
}

/// Always lists the ids as failing with a retriable reason.
struct BrokenBulk;

impl Respond for BrokenBulk {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let errors: Vec<Value> = body["issueIdsOrKeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| json!({"id": id, "errorMessage": "Internal error, retry."}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"issues": [], "issueErrors": errors}))
    }
}

/// Issues bulk fetch keeps listing (a payload constraint does not go away)
/// are read one by one; one that a single read cannot return either is
/// reported with both reasons, one that is gone as not found.
#[tokio::test(start_paused = true)]
async fn bulk_fetch_reads_issues_it_keeps_listing_one_by_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/bulkfetch"))
        .respond_with(BrokenBulk)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/1"))
        .and(query_param("fields", "summary,updated"))
        .and(query_param("expand", "changelog"))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(1, "ENG-1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/2"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/3"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "errorMessages": ["Issue does not exist or you do not have permission to see it."]
        })))
        .mount(&server)
        .await;
    let result = basic(&server)
        .bulk_fetch(
            &ids(1..4),
            &strings(&["summary", "updated"]),
            &strings(&["changelog"]),
        )
        .await
        .unwrap();
    let got: Vec<&str> = result.issues.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(got, ["1"]);
    let failed: Vec<(&str, bool)> = result
        .errors
        .iter()
        .map(|e| (e.id.as_str(), e.is_not_found()))
        .collect();
    assert_eq!(failed, [("2", false), ("3", true)]);
    assert!(
        result.errors[0]
            .error_message
            .contains("Internal error, retry.")
            && result.errors[0]
                .error_message
                .contains("a single read failed too"),
        "{:?}",
        result.errors[0]
    );
    // The first request and one more in bulk; then single reads.
    assert_eq!(batch_sizes(&server).await.len(), 2);
}

#[tokio::test]
async fn bulk_fetch_uses_1000_per_call_for_plain_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/bulkfetch"))
        .respond_with(BulkResponder)
        .expect(2)
        .mount(&server)
        .await;
    let result = basic(&server)
        .bulk_fetch(&ids(1..1501), &strings(&["summary", "updated"]), &[])
        .await
        .unwrap();
    let mut sizes = batch_sizes(&server).await;
    sizes.sort_unstable();
    assert_eq!(sizes, [500, 1000]);
    assert_eq!(result.issues.len(), 1500);
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["fields"], json!(["summary", "updated"]));
}

/// Refuses batches over 100 with 413, like a site with a lower limit.
struct SmallLimit;

impl Respond for SmallLimit {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        if body["issueIdsOrKeys"].as_array().unwrap().len() > 100 {
            ResponseTemplate::new(413)
                .set_body_json(json!({"errorMessages": ["Request too large"]}))
        } else {
            BulkResponder.respond(request)
        }
    }
}

#[tokio::test]
async fn bulk_fetch_shrinks_a_batch_jira_refuses_as_too_large() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/bulkfetch"))
        .respond_with(SmallLimit)
        .mount(&server)
        .await;
    let result = basic(&server)
        .bulk_fetch(&ids(1..251), &strings(&["summary"]), &[])
        .await
        .unwrap();
    assert_eq!(batch_sizes(&server).await, [250, 100, 100, 50]);
    let got: Vec<String> = result.issues.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, ids(1..251));
}

fn comment(id: u32) -> Value {
    json!({
        "id": id.to_string(),
        "author": {"accountId": "abc", "displayName": "Ann"},
        "body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": format!("comment {id}")}]}]},
        "created": "2026-11-01T10:00:00.000+0000",
        "updated": "2026-11-01T10:00:00.000+0000",
        "jsdPublic": true
    })
}

#[tokio::test]
async fn comments_are_complete_across_server_sized_pages_and_verbatim() {
    let server = MockServer::start().await;
    // The server returns 2 per page although 100 were asked for.
    for (start, ids) in [(0, vec![1, 2]), (2, vec![3, 4]), (4, vec![5])] {
        let body = json!({
            "startAt": start, "maxResults": 2, "total": 5,
            "comments": ids.into_iter().map(comment).collect::<Vec<_>>()
        });
        Mock::given(method("GET"))
            .and(path("/rest/api/3/issue/ENG-7/comment"))
            .and(query_param("startAt", start.to_string()))
            .and(query_param("maxResults", "100"))
            .and(query_param("orderBy", "created"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let pages = basic(&server).comments("ENG-7").await.unwrap();
    assert_eq!(pages.len(), 3);
    let all: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            serde_json::from_str::<CommentPage>(p.get())
                .unwrap()
                .comments
        })
        .map(|c| c.id)
        .collect();
    assert_eq!(all, ["1", "2", "3", "4", "5"]);
    assert_eq!(
        pages[2].get(),
        serde_json::to_string(
            &json!({"startAt": 4, "maxResults": 2, "total": 5, "comments": [comment(5)]})
        )
        .unwrap()
    );
}

#[tokio::test]
async fn the_changelog_pages_until_is_last() {
    let server = MockServer::start().await;
    for (start, last) in [(0, false), (1, true)] {
        Mock::given(method("GET"))
            .and(path("/rest/api/3/issue/10007/changelog"))
            .and(query_param("startAt", start.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "self": "https://tenant.atlassian.net/rest/api/3/issue/10007/changelog",
                "maxResults": 1, "startAt": start, "total": 2, "isLast": last,
                "values": [{"id": (100 + start).to_string(), "created": "2026-11-01T10:00:00.000+0000",
                    "items": [{"field": "Key", "fieldtype": "jira", "fromString": "OLD-1", "toString": "ENG-7"}]}]
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let pages = basic(&server).changelog("10007").await.unwrap();
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            serde_json::from_str::<ChangelogPage>(p.get())
                .unwrap()
                .values
        })
        .map(|h| h.id)
        .collect();
    assert_eq!(ids, ["100", "101"]);
}

#[tokio::test]
async fn issue_ids_with_path_characters_are_refused() {
    let server = MockServer::start().await;
    let err = basic(&server).comments("../../admin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn changelog_bulk_fetch_follows_tokens_and_returns_pages_verbatim() {
    let server = MockServer::start().await;
    let history = |id: &str| {
        json!({"id": id, "created": "2026-11-01T10:00:00.000+0000",
            "items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]})
    };
    Mock::given(method("POST"))
        .and(path("/rest/api/3/changelog/bulkfetch"))
        .and(body_json(
            json!({"issueIdsOrKeys": ["10001", "10002"], "maxResults": 10000}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issueChangeLogs": [{"issueId": "10001", "changeHistories": [history("1")]}],
            "nextPageToken": "next"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/changelog/bulkfetch"))
        .and(body_json(json!({"issueIdsOrKeys": ["10001", "10002"], "maxResults": 10000, "nextPageToken": "next"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issueChangeLogs": [{"issueId": "10002", "changeHistories": [history("2"), history("3")]}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let pages = basic(&server)
        .changelogs_bulk(&strings(&["10001", "10002"]))
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    let per_issue: Vec<(String, usize)> = pages
        .iter()
        .flat_map(|p| {
            serde_json::from_str::<jira_client::BulkChangelogPage>(p.get())
                .unwrap()
                .issue_change_logs
        })
        .map(|c| (c.issue_id, c.change_histories.len()))
        .collect();
    assert_eq!(
        per_issue,
        [("10001".to_owned(), 1), ("10002".to_owned(), 2)]
    );
}

#[tokio::test]
async fn concurrency_bounds_requests_in_flight() {
    use std::time::{Duration, Instant};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/myself"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(crate::support::myself_body())
                .set_delay(Duration::from_millis(150)),
        )
        .expect(4)
        .mount(&server)
        .await;
    let client = crate::support::builder(&server)
        .concurrency(2)
        .auth(jira_client::Auth::Basic {
            email: "a@b.c".into(),
            api_token: "t".into(),
        })
        .build()
        .unwrap();
    let start = Instant::now();
    for r in futures::future::join_all((0..4).map(|_| client.myself())).await {
        r.unwrap();
    }
    // Two rounds of two: at least twice the server delay, not once.
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn changelogs_by_issue_groups_verbatim_entries_across_pages() {
    let server = MockServer::start().await;
    // Issue 10002's histories continue on the second page; the bodies are
    // raw strings so the exact bytes (spacing, number formats) are checked.
    let first = r#"{"issueChangeLogs":[{"issueId":"10001","changeHistories":[{"id":"1","n":1.50}]},
        {"issueId":"10002",  "changeHistories":[{"id":"2"}]}],"nextPageToken":"p2"}"#;
    let second =
        r#"{"issueChangeLogs":[{"issueId":"10002","changeHistories":[{"id":"3"},{"id":"4"}]}]}"#;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/changelog/bulkfetch"))
        .and(body_json(
            json!({"issueIdsOrKeys": ["10001", "10002", "10003"], "maxResults": 10000}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(first, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/changelog/bulkfetch"))
        .and(body_json(json!({"issueIdsOrKeys": ["10001", "10002", "10003"], "maxResults": 10000, "nextPageToken": "p2"})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(second, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = basic(&server);
    let mut all = client
        .changelogs_by_issue(&strings(&["10001", "10002", "10003"]))
        .await
        .unwrap();
    assert_eq!(all.issue_ids().collect::<Vec<_>>(), ["10001", "10002"]);
    assert_eq!(all.history_count("10002"), 3);
    let one: Vec<String> = all
        .remove("10001")
        .iter()
        .map(|e| e.raw_json().to_owned())
        .collect();
    assert_eq!(
        one,
        [r#"{"issueId":"10001","changeHistories":[{"id":"1","n":1.50}]}"#]
    );
    let two: Vec<String> = all
        .remove("10002")
        .iter()
        .map(|e| e.raw_json().to_owned())
        .collect();
    assert_eq!(
        two,
        [
            r#"{"issueId":"10002",  "changeHistories":[{"id":"2"}]}"#,
            r#"{"issueId":"10002","changeHistories":[{"id":"3"},{"id":"4"}]}"#,
        ]
    );
    // No entries for an issue Jira did not return.
    assert!(all.get("10003").is_empty());
    assert_eq!(
        client
            .stats()
            .requests_to("POST /rest/api/3/changelog/bulkfetch"),
        2
    );
}

#[tokio::test]
async fn changelogs_by_issue_reports_a_malformed_page_as_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/changelog/bulkfetch"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"issueChangeLogs": [{"changeHistories": []}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = basic(&server)
        .changelogs_by_issue(&strings(&["10001"]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(
        err.to_string().contains("/rest/api/3/changelog/bulkfetch"),
        "{err}"
    );
}

#[tokio::test]
async fn changelogs_by_issue_is_refused_on_data_center_without_a_request() {
    let server = MockServer::start().await;
    let client = crate::support::builder(&server)
        .auth(jira_client::Auth::Bearer {
            pat: jira_client::Secret::new("dc-pat-secret"),
        })
        .build()
        .unwrap();
    let err = client
        .changelogs_by_issue(&strings(&["10001"]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("expand=changelog"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn issue_ref_reads_the_current_key_and_a_404_is_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/10042"))
        .and(query_param("fields", "key"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "10042", "key": "OPS-7", "fields": {}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/10043"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "errorMessages": ["Issue does not exist or you do not have permission to see it."]
        })))
        .mount(&server)
        .await;
    let client = basic(&server);
    let found = client.issue_ref("10042").await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), found.key.as_str()), ("10042", "OPS-7"));
    assert_eq!(client.issue_ref("10043").await.unwrap(), None);
    assert!(client.issue_ref("../etc").await.is_err());
}
