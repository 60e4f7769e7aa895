//! Authentication: basic and bearer headers, OAuth 3LO with rotating
//! refresh tokens stored before use, single-flight refresh, `invalid_grant`,
//! cloud id discovery among several sites, gateway routing, scoped tokens.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use jira_client::{Auth, ErrorKind, JiraClient, Secret};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{body_json, header, method, path},
};

use crate::support::{RecordingSink, basic, builder, myself_body};

const CLOUD_ID: &str = "11223344-a1b2-3b33-c444-def123456789";

#[tokio::test]
async fn basic_auth_goes_to_the_site_with_english_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/myself"))
        // base64("bot@example.com:ATATT-basic-token-secret")
        .and(header(
            "authorization",
            "Basic Ym90QGV4YW1wbGUuY29tOkFUQVRULWJhc2ljLXRva2VuLXNlY3JldA==",
        ))
        .and(header("accept-language", "en"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .expect(1)
        .mount(&server)
        .await;
    let me = basic(&server).myself().await.unwrap();
    assert_eq!(me.time_zone.as_deref(), Some("Europe/Berlin"));
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    let auth = || Auth::Bearer {
        pat: Secret::new("x"),
    };
    let err = JiraClient::builder("http://jira.example.com")
        .auth(auth())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    for ok in [
        "https://jira.example.com",
        "http://127.0.0.1:9",
        "http://localhost:9",
    ] {
        JiraClient::builder(ok).auth(auth()).build().unwrap();
    }
    let err = JiraClient::builder("https://t.atlassian.net")
        .auth(auth())
        .token_url("http://auth.example.com/oauth/token")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        JiraClient::builder("https://t.atlassian.net")
            .build()
            .is_err()
    );
}

/// Serves the API only once the rotated refresh token has been stored.
struct RequireStored {
    stored: Arc<AtomicBool>,
    response: ResponseTemplate,
}

impl Respond for RequireStored {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.stored.load(Ordering::SeqCst) {
            self.response.clone()
        } else {
            ResponseTemplate::new(418).set_body_json(
                json!({"errorMessages": ["api called before the refresh token was stored"]}),
            )
        }
    }
}

fn resources(site: &str) -> serde_json::Value {
    // Several sites, in no particular order; ours is neither first nor last,
    // and its URL differs in case and trailing slash.
    json!([
        {"id": "aaaaaaaa-0000-0000-0000-000000000001", "name": "other", "url": "https://other.atlassian.net", "scopes": ["read:jira-work"], "avatarUrl": "x"},
        {"id": CLOUD_ID, "name": "ours", "url": format!("{}/", site.to_uppercase().replace("HTTP://", "http://")), "scopes": ["read:jira-work"], "avatarUrl": "x"},
        {"id": "aaaaaaaa-0000-0000-0000-000000000003", "name": "third", "url": "https://third.atlassian.net", "scopes": ["read:jira-work"], "avatarUrl": "x"}
    ])
}

struct OAuthSetup {
    site: MockServer,
    gateway: MockServer,
    sink: Arc<RecordingSink>,
}

async fn oauth_setup(sink: RecordingSink, token_response: ResponseTemplate) -> OAuthSetup {
    let site = MockServer::start().await;
    let gateway = MockServer::start().await;
    let sink = Arc::new(sink);
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_json(json!({
            "grant_type": "refresh_token",
            "client_id": "client-id-1",
            "client_secret": "client-secret-value",
            "refresh_token": "refresh-token-original"
        })))
        .respond_with(token_response)
        .mount(&gateway)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth/token/accessible-resources"))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(RequireStored {
            stored: sink.stored_flag.clone(),
            response: ResponseTemplate::new(200).set_body_json(resources(&site.uri())),
        })
        .mount(&gateway)
        .await;
    OAuthSetup {
        site,
        gateway,
        sink,
    }
}

fn token_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "access-token-1",
        "expires_in": 3600,
        "token_type": "Bearer",
        "refresh_token": "refresh-token-rotated",
        "scope": "read:jira-work read:jira-user offline_access"
    }))
}

fn oauth_client(s: &OAuthSetup) -> JiraClient {
    builder(&s.site)
        .token_url(format!("{}/oauth/token", s.gateway.uri()))
        .api_gateway(s.gateway.uri())
        .auth(Auth::OAuth {
            client_id: "client-id-1".into(),
            client_secret: Secret::new("client-secret-value"),
            refresh_token: Secret::new("refresh-token-original"),
            sink: s.sink.clone(),
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn oauth_stores_the_rotated_token_before_the_first_api_call_and_routes_through_the_gateway() {
    let s = oauth_setup(RecordingSink::default(), token_ok()).await;
    Mock::given(method("GET"))
        .and(path(format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself")))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(RequireStored {
            stored: s.sink.stored_flag.clone(),
            response: ResponseTemplate::new(200).set_body_json(myself_body()),
        })
        .expect(2)
        .mount(&s.gateway)
        .await;
    let client = oauth_client(&s);
    client.myself().await.unwrap();
    client.myself().await.unwrap();
    assert_eq!(s.sink.stored(), ["refresh-token-rotated"]);
    assert_eq!(client.cloud_id().await.unwrap().as_deref(), Some(CLOUD_ID));
    // The site itself is never called with a 3LO token.
    assert!(s.site.received_requests().await.unwrap().is_empty());
    let stats = client.stats();
    assert_eq!(stats.token_refreshes, 1);
    assert_eq!(stats.requests_to("POST /oauth/token"), 1);
    assert_eq!(
        stats.requests_to("GET /oauth/token/accessible-resources"),
        1
    );
}

#[tokio::test]
async fn a_failing_sink_aborts_before_any_api_call() {
    let s = oauth_setup(RecordingSink::failing(), token_ok()).await;
    let client = oauth_client(&s);
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Sink);
    assert!(
        err.to_string()
            .contains("secrets manager refused the write"),
        "{err}"
    );
    let paths: Vec<String> = s
        .gateway
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/oauth/token"]);
}

#[tokio::test]
async fn invalid_grant_is_its_own_error_and_never_retried() {
    let s = oauth_setup(
        RecordingSink::default(),
        ResponseTemplate::new(403).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "Unknown or invalid refresh token."
        })),
    )
    .await;
    let client = oauth_client(&s);
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("Unknown or invalid refresh token"));
    assert!(!err.to_string().contains("refresh-token-original"));
    assert_eq!(s.gateway.received_requests().await.unwrap().len(), 1);
    assert!(s.sink.stored().is_empty());
}

#[tokio::test]
async fn an_unknown_site_is_a_config_error_naming_the_granted_sites() {
    let s = oauth_setup(RecordingSink::default(), token_ok()).await;
    let client = builder(&s.gateway)
        .token_url(format!("{}/oauth/token", s.gateway.uri()))
        .api_gateway(s.gateway.uri())
        .auth(Auth::OAuth {
            client_id: "client-id-1".into(),
            client_secret: Secret::new("client-secret-value"),
            refresh_token: Secret::new("refresh-token-original"),
            sink: s.sink.clone(),
        })
        .build()
        .unwrap();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.to_string().contains("https://other.atlassian.net"),
        "{err}"
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    let s = oauth_setup(RecordingSink::default(), token_ok()).await;
    Mock::given(method("GET"))
        .and(path(format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself")))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .expect(6)
        .mount(&s.gateway)
        .await;
    let client = oauth_client(&s);
    let calls = (0..6).map(|_| client.myself());
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(client.stats().requests_to("POST /oauth/token"), 1);
    assert_eq!(s.sink.stored().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn access_tokens_are_refreshed_shortly_before_expiry() {
    let site = MockServer::start().await;
    let gateway = MockServer::start().await;
    let sink = Arc::new(RecordingSink::default());
    for (old, new, access) in [
        ("refresh-token-original", "refresh-2", "access-1"),
        ("refresh-2", "refresh-3", "access-2"),
    ] {
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(wiremock::matchers::body_partial_json(
                json!({"refresh_token": old}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": access, "expires_in": 300, "refresh_token": new
            })))
            .expect(1)
            .mount(&gateway)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself")))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .mount(&gateway)
        .await;
    let client = builder(&site)
        .token_url(format!("{}/oauth/token", gateway.uri()))
        .api_gateway(gateway.uri())
        .cloud_id(CLOUD_ID)
        .auth(Auth::OAuth {
            client_id: "client-id-1".into(),
            client_secret: Secret::new("client-secret-value"),
            refresh_token: Secret::new("refresh-token-original"),
            sink: sink.clone(),
        })
        .build()
        .unwrap();
    client.myself().await.unwrap();
    client.myself().await.unwrap();
    assert_eq!(client.stats().token_refreshes, 1);
    // 300 s lifetime minus the 60 s leeway.
    tokio::time::advance(Duration::from_secs(241)).await;
    client.myself().await.unwrap();
    assert_eq!(client.stats().token_refreshes, 2);
    assert_eq!(sink.stored(), ["refresh-2", "refresh-3"]);
    let auths: Vec<String> = gateway
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/myself"))
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        auths,
        ["Bearer access-1", "Bearer access-1", "Bearer access-2"]
    );
}

#[tokio::test]
async fn a_401_refreshes_once_then_gives_up() {
    let site = MockServer::start().await;
    let gateway = MockServer::start().await;
    let sink = Arc::new(RecordingSink::default());
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "access", "expires_in": 3600, "refresh_token": "rotated"
        })))
        .expect(2)
        .mount(&gateway)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"errorMessages": ["token revoked"]})),
        )
        .expect(2)
        .mount(&gateway)
        .await;
    let client = builder(&site)
        .token_url(format!("{}/oauth/token", gateway.uri()))
        .api_gateway(gateway.uri())
        .cloud_id(CLOUD_ID)
        .auth(Auth::OAuth {
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            refresh_token: Secret::new("r"),
            sink,
        })
        .build()
        .unwrap();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.messages(), ["token revoked"]);
}

#[tokio::test(start_paused = true)]
async fn an_ambiguous_token_failure_rereads_the_stored_token_before_retrying() {
    let site = MockServer::start().await;
    let gateway = MockServer::start().await;
    let sink = Arc::new(RecordingSink::default());
    // Another copy already rotated and stored a newer token.
    *sink.current.lock().unwrap() = Some("refresh-from-store".into());
    // The token in memory was read before the run lease: never sent.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(wiremock::matchers::body_partial_json(
            json!({"refresh_token": "refresh-in-memory"}),
        ))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&gateway)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(wiremock::matchers::body_partial_json(
            json!({"refresh_token": "refresh-from-store"}),
        ))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&gateway)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(wiremock::matchers::body_partial_json(
            json!({"refresh_token": "refresh-from-store"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "access", "expires_in": 3600, "refresh_token": "refresh-next"
        })))
        .expect(1)
        .mount(&gateway)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself")))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .expect(1)
        .mount(&gateway)
        .await;
    let client = builder(&site)
        .token_url(format!("{}/oauth/token", gateway.uri()))
        .api_gateway(gateway.uri())
        .cloud_id(CLOUD_ID)
        .auth(Auth::OAuth {
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            refresh_token: Secret::new("refresh-in-memory"),
            sink: sink.clone(),
        })
        .build()
        .unwrap();
    client.myself().await.unwrap();
    // Once before the first attempt, once after the ambiguous 503.
    assert_eq!(sink.loads.load(Ordering::SeqCst), 2);
    assert_eq!(sink.stored(), ["refresh-next"]);
}

#[tokio::test]
async fn scoped_tokens_go_through_the_gateway_with_the_tenant_cloud_id() {
    let site = MockServer::start().await;
    let gateway = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/_edge/tenant_info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"cloudId": CLOUD_ID})))
        .expect(1)
        .mount(&site)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/ex/jira/{CLOUD_ID}/rest/api/3/myself")))
        .and(header(
            "authorization",
            "Basic c3ZjQGV4YW1wbGUuY29tOnNjb3BlZA==",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(myself_body()))
        .expect(1)
        .mount(&gateway)
        .await;
    let client = builder(&site)
        .api_gateway(gateway.uri())
        .auth(Auth::ScopedToken {
            email: "svc@example.com".into(),
            api_token: Secret::new("scoped"),
        })
        .build()
        .unwrap();
    client.myself().await.unwrap();
    let tenant = &site.received_requests().await.unwrap()[0];
    assert!(tenant.headers.get("authorization").is_none());
}

#[tokio::test]
async fn data_center_keeps_the_context_path_and_uses_api_2() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jira/rest/api/2/myself"))
        .and(header("authorization", "Bearer dc-pat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "self": "https://jira.example.com/jira/rest/api/2/user?username=bot",
            "key": "JIRAUSER10100", "name": "bot", "displayName": "Sync Bot",
            "active": true, "timeZone": "UTC"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = crate::support::builder_for(&format!("{}/jira", server.uri()))
        .auth(Auth::Bearer {
            pat: Secret::new("dc-pat"),
        })
        .build()
        .unwrap();
    assert_eq!(client.deployment(), jira_client::Deployment::DataCenter);
    let me = client.myself().await.unwrap();
    assert_eq!(me.name.as_deref(), Some("bot"));
    assert_eq!(me.account_id, None);
    assert_eq!(
        client.browse_url("OPS-1"),
        format!("{}/jira/browse/OPS-1", server.uri())
    );
}
