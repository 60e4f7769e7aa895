//! Retries and rate limits, with the clock paused: `Retry-After` as a
//! floor, quota exhaustion returned at once, bounded retries, statuses that
//! are never retried, transport failures, pacing and near-limit slow-down.

use std::time::Duration;

use jira_client::{ErrorKind, RetryPolicy};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    time::Instant,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::{basic, builder, myself_body};

const MYSELF: &str = "/rest/api/3/myself";

async fn answer_once(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(response)
        .up_to_n_times(1)
        .expect(1)
        .mount(server)
        .await;
}

async fn then_ok(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn burst_429_waits_at_least_retry_after_before_the_next_request() {
    let server = MockServer::start().await;
    answer_once(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "7")
            .insert_header("RateLimit-Reason", "jira-burst-based"),
    )
    .await;
    then_ok(&server).await;
    let client = basic(&server);
    let start = Instant::now();
    let me = client.myself().await.unwrap();
    assert_eq!(me.display_name, "Sync Bot");
    // The backoff alone would be 1 s; Retry-After is the floor.
    assert!(
        start.elapsed() >= Duration::from_secs(7),
        "{:?}",
        start.elapsed()
    );
    let stats = client.stats();
    assert_eq!((stats.retries, stats.throttled), (1, 1));
    assert!(stats.rate_limit_wait >= Duration::from_secs(7));
    assert_eq!(
        stats.requests[&("GET /rest/api/3/myself".to_owned(), Some(429))],
        1
    );
    assert_eq!(
        stats.requests[&("GET /rest/api/3/myself".to_owned(), Some(200))],
        1
    );
}

#[tokio::test(start_paused = true)]
async fn quota_429_returns_at_once_without_sleeping() {
    let server = MockServer::start().await;
    answer_once(
        &server,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "1800")
            .insert_header("RateLimit-Reason", "jira-quota-global-based")
            .set_body_json(json!({"errorMessages": ["Rate limit exceeded."]})),
    )
    .await;
    let client = basic(&server);
    let start = Instant::now();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExhausted);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1800)));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("resume after 1800s"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(1800));
    let stats = client.stats();
    assert_eq!(stats.retries, 0);
    assert_eq!(stats.rate_limit_wait, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_time_budget_is_returned_not_slept() {
    let server = MockServer::start().await;
    answer_once(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "600"),
    )
    .await;
    let client = builder(&server)
        .retry(crate::support::policy().with_max_elapsed(Duration::from_secs(120)))
        .auth(jira_client::Auth::Basic {
            email: "a@b.c".into(),
            api_token: "t".into(),
        })
        .build()
        .unwrap();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(600)));
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test(start_paused = true)]
async fn service_unavailable_honours_retry_after() {
    let server = MockServer::start().await;
    answer_once(
        &server,
        ResponseTemplate::new(503).insert_header("Retry-After", "5"),
    )
    .await;
    then_ok(&server).await;
    let client = basic(&server);
    let start = Instant::now();
    client.myself().await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(5));
    assert!(client.stats().backoff_wait >= Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .expect(5)
        .mount(&server)
        .await;
    let client = basic(&server);
    let start = Instant::now();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable());
    // Exponential: 1 + 2 + 4 + 8 seconds with jitter factor 1.
    assert!(start.elapsed() >= Duration::from_secs(15));
    assert_eq!(client.stats().retries, 4);
    assert_eq!(client.stats().backoff_wait, Duration::from_secs(15));
}

#[tokio::test(start_paused = true)]
async fn jitter_comes_from_the_injected_source() {
    #[derive(Debug)]
    struct Low;
    impl jira_client::RandomSource for Low {
        fn next_unit(&self) -> f64 {
            0.0
        }
    }
    let server = MockServer::start().await;
    answer_once(&server, ResponseTemplate::new(500)).await;
    then_ok(&server).await;
    let client = builder(&server)
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_secs(10), Duration::from_secs(30))
                .with_random(std::sync::Arc::new(Low)),
        )
        .auth(jira_client::Auth::Basic {
            email: "a@b.c".into(),
            api_token: "t".into(),
        })
        .build()
        .unwrap();
    client.myself().await.unwrap();
    // 10 s initial backoff at the low end of the 0.7..1.3 jitter range.
    assert_eq!(client.stats().backoff_wait, Duration::from_secs(7));
}

async fn never_retried(status: u16, kind: ErrorKind) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({
            "errorMessages": [format!("status {status} says no")], "errors": {}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = basic(&server).myself().await.unwrap_err();
    assert_eq!(err.kind(), kind, "{status}");
    assert_eq!(err.status(), Some(status));
    assert!(!err.is_retryable());
    assert_eq!(err.messages(), [format!("status {status} says no")]);
    assert!(
        err.to_string()
            .contains(&format!("status {status} says no"))
    );
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_never_retried_and_carry_jiras_messages() {
    never_retried(400, ErrorKind::BadRequest).await;
    never_retried(401, ErrorKind::Unauthorized).await;
    never_retried(403, ErrorKind::Forbidden).await;
    never_retried(404, ErrorKind::NotFound).await;
}

#[tokio::test(start_paused = true)]
async fn gone_410_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(ResponseTemplate::new(410).set_body_json(json!({
            "errorMessages": ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = basic(&server).myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Gone);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("has been removed"));
}

/// A server whose first connection is dropped mid-request and whose second answers.
async fn reset_then_answer(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut first, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let _ = first.read(&mut buf).await;
        first.set_zero_linger().unwrap();
        drop(first);
        let (mut second, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = second.read(&mut buf).await.unwrap();
            if n == 0 {
                return;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        second.write_all(response.as_bytes()).await.unwrap();
        second.shutdown().await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(start_paused = true)]
async fn a_connection_reset_is_retried() {
    let site = reset_then_answer(myself_body().to_string()).await;
    let client = crate::support::builder_for(&site)
        .auth(jira_client::Auth::Basic {
            email: "a@b.c".into(),
            api_token: "t".into(),
        })
        .build()
        .unwrap();
    let me = client.myself().await.unwrap();
    assert_eq!(me.account_id.as_deref(), Some("5b10a2844c20165700ede21g"));
    let stats = client.stats();
    assert_eq!(stats.retries, 1);
    assert_eq!(
        stats.requests[&("GET /rest/api/3/myself".to_owned(), None)],
        1
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_site_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = crate::support::builder_for(&format!("http://{addr}"))
        .retry(crate::support::policy().with_max_retries(2))
        .auth(jira_client::Auth::Basic {
            email: "a@b.c".into(),
            api_token: "t".into(),
        })
        .build()
        .unwrap();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
    assert_eq!(err.status(), None);
    assert_eq!(client.stats().total_requests(), 3);
    assert!(err.to_string().contains("GET /rest/api/3/myself"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn near_limit_slows_the_client_down() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(myself_body())
                .insert_header("X-RateLimit-NearLimit", "true"),
        )
        .mount(&server)
        .await;
    let client = basic(&server);
    for _ in 0..4 {
        client.myself().await.unwrap();
    }
    assert!(client.stats().rate_limit_wait >= Duration::from_millis(200));

    let calm = MockServer::start().await;
    then_ok(&calm).await;
    let client = basic(&calm);
    client.myself().await.unwrap();
    assert_eq!(client.stats().rate_limit_wait, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn requests_per_second_paces_request_starts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MYSELF))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .expect(5)
        .mount(&server)
        .await;
    let client = builder(&server)
        .requests_per_second(2.0)
        .auth(jira_client::Auth::Basic {
            email: "a@b.c".into(),
            api_token: "t".into(),
        })
        .build()
        .unwrap();
    let start = Instant::now();
    let calls = (0..5).map(|_| client.myself());
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(client.stats().pacing_wait >= Duration::from_secs(2));
}
