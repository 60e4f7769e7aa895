//! Enhanced JQL search: paging by token, both end signals, server-chosen
//! page sizes, resumption, and the legacy Data Center search.

use futures::TryStreamExt;
use jira_client::{Auth, ErrorKind, JiraClient, SearchRequest, Secret};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, body_partial_json, method, path},
};

use crate::support::{basic, builder, id_only, issue};

const SEARCH: &str = "/rest/api/3/search/jql";
const JQL: &str = "project = ENG ORDER BY updated ASC, key ASC";

async fn page(server: &MockServer, token: Option<&str>, body: serde_json::Value) {
    let mut expected = json!({"jql": JQL, "fields": ["summary", "updated"]});
    if let Some(t) = token {
        expected["nextPageToken"] = json!(t);
    }
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(body_json(expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn pages_follow_tokens_and_end_on_a_missing_token() {
    let server = MockServer::start().await;
    // Page sizes are the server's choice: 3, then 1, then 2.
    page(&server, None, json!({"issues": [issue(1, "ENG-1"), issue(2, "ENG-2"), issue(3, "ENG-3")], "nextPageToken": "t1", "isLast": false})).await;
    page(
        &server,
        Some("t1"),
        json!({"issues": [issue(4, "ENG-4")], "nextPageToken": "t2"}),
    )
    .await;
    // The last page: no token at all and no isLast either.
    page(
        &server,
        Some("t2"),
        json!({"issues": [issue(5, "ENG-5"), issue(6, "ENG-6")]}),
    )
    .await;

    let client = basic(&server);
    let pages: Vec<_> = client
        .search(SearchRequest::new(JQL, ["summary", "updated"]))
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.issues.len()).collect();
    assert_eq!(sizes, vec![3, 1, 2]);
    let tokens: Vec<_> = pages.iter().map(|p| p.next_page_token.clone()).collect();
    assert_eq!(tokens, vec![Some("t1".into()), Some("t2".into()), None]);
    let keys: Vec<_> = pages
        .iter()
        .flat_map(|p| p.issues.iter().map(|i| i.key.clone()))
        .collect();
    assert_eq!(keys, ["ENG-1", "ENG-2", "ENG-3", "ENG-4", "ENG-5", "ENG-6"]);
    // The raw bytes are exactly what the server sent for that issue.
    let sent = serde_json::to_string(&issue(4, "ENG-4")).unwrap();
    assert_eq!(pages[1].issues[0].raw_json(), sent);
    assert_eq!(client.stats().requests_to("POST /rest/api/3/search/jql"), 3);
}

#[tokio::test]
async fn is_last_ends_the_stream_even_with_a_token() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({"issues": [issue(1, "ENG-1")], "nextPageToken": "t1"}),
    )
    .await;
    page(
        &server,
        Some("t1"),
        json!({"issues": [issue(2, "ENG-2")], "nextPageToken": "stale", "isLast": true}),
    )
    .await;
    let pages: Vec<_> = basic(&server)
        .search(SearchRequest::new(JQL, ["summary", "updated"]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].next_page_token, None);
}

#[tokio::test]
async fn a_checkpointed_token_resumes_the_search() {
    let server = MockServer::start().await;
    page(
        &server,
        Some("resume-here"),
        json!({"issues": [issue(9, "ENG-9")], "isLast": true}),
    )
    .await;
    let pages: Vec<_> = basic(&server)
        .search(SearchRequest::new(JQL, ["summary", "updated"]).resume_from("resume-here"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].issues[0].id, "9");
}

#[tokio::test]
async fn a_repeated_token_is_an_error_not_an_endless_loop() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({"issues": [], "nextPageToken": "same"}),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(body_partial_json(json!({"nextPageToken": "same"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"issues": [], "nextPageToken": "same"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let result: Result<Vec<_>, _> = basic(&server)
        .search(SearchRequest::new(JQL, ["summary", "updated"]))
        .try_collect()
        .await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn id_enumeration_sends_fields_and_a_large_page_size() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(body_json(
            json!({"jql": JQL, "fields": ["id", "key"], "maxResults": 5000}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issues": (1..=5000).map(|i| id_only(i, &format!("ENG-{i}"))).collect::<Vec<_>>(),
            "nextPageToken": "p2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(body_json(
            json!({"jql": JQL, "fields": ["id", "key"], "maxResults": 5000, "nextPageToken": "p2"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issues": [id_only(5001, "OPS-1")], "isLast": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let pages: Vec<_> = match basic(&server).search_ids(JQL).try_collect().await {
        Ok(p) => p,
        Err(e) => {
            for r in server.received_requests().await.unwrap() {
                eprintln!("{} {}", r.url, String::from_utf8_lossy(&r.body));
            }
            panic!("{e}");
        }
    };
    assert_eq!(pages[0].issues.len(), 5000);
    assert_eq!(pages[0].next_page_token.as_deref(), Some("p2"));
    assert_eq!(pages[1].issues[0].key, "OPS-1");
    assert_eq!(pages[1].issues[0].id, "5001");
}

#[tokio::test]
async fn an_empty_query_or_no_fields_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let client = basic(&server);
    let err = client
        .search(SearchRequest::new("  ", ["id"]))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = client
        .search(SearchRequest::new(JQL, Vec::<String>::new()))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_jql_is_an_error_with_jiras_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": ["Error in the JQL Query: Expecting operator but got 'ENG'."],
            "errors": {}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = basic(&server)
        .search(SearchRequest::new("project ENG", ["id"]))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("Expecting operator"), "{err}");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"issues": [{"id": "1", "key": "ENG-1""#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = basic(&server)
        .search(SearchRequest::new(JQL, ["id"]))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(
        err.to_string().contains("POST /rest/api/3/search/jql"),
        "{err}"
    );
    assert!(err.to_string().contains("truncated json"), "{err}");
}

#[tokio::test]
async fn data_center_uses_the_legacy_search_with_start_at() {
    let server = MockServer::start().await;
    let jql = "project = OPS ORDER BY key ASC";
    for (start, ids) in [(0u64, vec![1u32, 2]), (2, vec![3])] {
        Mock::given(method("POST"))
            .and(path("/rest/api/2/search"))
            .and(body_json(
                json!({"jql": jql, "fields": ["summary"], "startAt": start}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "startAt": start, "maxResults": 2, "total": 3,
                "issues": ids.iter().map(|i| id_only(*i, &format!("OPS-{i}"))).collect::<Vec<_>>()
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client: JiraClient = builder(&server)
        .auth(Auth::Bearer {
            pat: Secret::new("dc-pat-secret"),
        })
        .build()
        .unwrap();
    let pages: Vec<_> = client
        .search(SearchRequest::new(jql, ["summary"]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].next_page_token.as_deref(), Some("2"));
    assert_eq!(pages[1].next_page_token, None);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].headers["authorization"], "Bearer dc-pat-secret");
    // It never touches the Cloud-only endpoints.
    assert!(
        requests
            .iter()
            .all(|r| !r.url.path().contains("/rest/api/3/"))
    );
}

#[tokio::test(start_paused = true)]
async fn the_search_post_is_retried_as_an_idempotent_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    page(
        &server,
        None,
        json!({"issues": [issue(1, "ENG-1")], "isLast": true}),
    )
    .await;
    let client = basic(&server);
    let pages: Vec<_> = client
        .search(SearchRequest::new(JQL, ["summary", "updated"]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages[0].issues[0].key, "ENG-1");
    assert_eq!(client.stats().retries, 1);
    assert!(client.stats().backoff_wait >= std::time::Duration::from_secs(3));
}
