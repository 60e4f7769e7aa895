//! No secret appears in `Debug` or error text.

use std::sync::Arc;

use jira_client::{Auth, JiraClient, Secret};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::{RecordingSink, basic, builder};

const SECRETS: &[&str] = &[
    "ATATT-basic-token-secret",
    "client-secret-value",
    "refresh-token-original",
    "hunter2",
];

fn assert_clean(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s} leaked into: {text}");
    }
}

#[tokio::test]
async fn builders_clients_auth_and_errors_never_show_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/myself"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errorMessages": ["nope"]})))
        .mount(&server)
        .await;
    let client = basic(&server);
    assert_clean(&format!("{client:?}"));
    let err = client.myself().await.unwrap_err();
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));

    let oauth = Auth::OAuth {
        client_id: "client-id-1".into(),
        client_secret: Secret::new("client-secret-value"),
        refresh_token: Secret::new("refresh-token-original"),
        sink: Arc::new(RecordingSink::default()),
    };
    assert_clean(&format!("{oauth:?}"));
    let b = builder(&server).auth(oauth);
    assert_clean(&format!("{b:?}"));

    let err = JiraClient::builder("https://bot:hunter2@tenant.atlassian.net")
        .auth(Auth::Basic {
            email: "bot".into(),
            api_token: Secret::new("ATATT-basic-token-secret"),
        })
        .build()
        .unwrap_err();
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
    let b = JiraClient::builder("https://bot:hunter2@tenant.atlassian.net");
    assert_clean(&format!("{b:?}"));
}

#[tokio::test]
async fn token_endpoint_errors_never_echo_the_request_secrets() {
    let gateway = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "access_denied", "error_description": "Unauthorized"
        })))
        .mount(&gateway)
        .await;
    let client = builder(&gateway)
        .token_url(format!("{}/oauth/token", gateway.uri()))
        .api_gateway(gateway.uri())
        .auth(Auth::OAuth {
            client_id: "client-id-1".into(),
            client_secret: Secret::new("client-secret-value"),
            refresh_token: Secret::new("refresh-token-original"),
            sink: Arc::new(RecordingSink::default()),
        })
        .build()
        .unwrap();
    let err = client.myself().await.unwrap_err();
    assert_eq!(err.kind(), jira_client::ErrorKind::Unauthorized);
    assert!(err.to_string().contains("access_denied"));
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
}
