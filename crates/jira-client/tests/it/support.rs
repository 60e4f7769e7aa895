//! Shared helpers: clients pointed at a mock server, a deterministic
//! random source, a recording refresh-token sink and Jira-shaped fixtures.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};
use std::time::Duration;

use jira_client::{
    Auth, ClientBuilder, JiraClient, RandomSource, RefreshTokenSink, RetryPolicy, Secret, SinkError,
};
use serde_json::{Value, json};
use wiremock::MockServer;

/// Always the middle of the range: with jitter 0.7..1.3 that is factor 1.0.
#[derive(Debug)]
pub(crate) struct Middle;

impl RandomSource for Middle {
    fn next_unit(&self) -> f64 {
        0.5
    }
}

pub(crate) fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_random(Arc::new(Middle))
        .with_backoff(Duration::from_secs(1), Duration::from_secs(30))
}

/// A builder for the mock server without HTTP timers: a paused clock
/// jumps to the next timer whenever the runtime waits on a socket, which
/// would fire timeouts and idle-pool timers in the middle of a request.
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    builder_for(&server.uri())
}

pub(crate) fn builder_for(site: &str) -> ClientBuilder {
    JiraClient::builder(site)
        .retry(policy())
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
}

pub(crate) fn basic(server: &MockServer) -> JiraClient {
    builder(server)
        .auth(Auth::Basic {
            email: "bot@example.com".into(),
            api_token: Secret::new("ATATT-basic-token-secret"),
        })
        .build()
        .expect("client builds")
}

/// A refresh-token store that records what it was given.
#[derive(Debug, Default)]
pub(crate) struct RecordingSink {
    pub(crate) stored: Mutex<Vec<String>>,
    pub(crate) current: Mutex<Option<String>>,
    pub(crate) fail: bool,
    pub(crate) loads: AtomicUsize,
    pub(crate) stored_flag: Arc<AtomicBool>,
}

impl RecordingSink {
    pub(crate) fn failing() -> Self {
        RecordingSink {
            fail: true,
            ..Self::default()
        }
    }

    pub(crate) fn stored(&self) -> Vec<String> {
        self.stored.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl RefreshTokenSink for RecordingSink {
    async fn store_refresh_token(&self, refresh_token: &Secret) -> Result<(), SinkError> {
        if self.fail {
            return Err(SinkError::new(
                "secrets manager refused the write; check the iam policy",
            ));
        }
        self.stored
            .lock()
            .unwrap()
            .push(refresh_token.expose().to_owned());
        *self.current.lock().unwrap() = Some(refresh_token.expose().to_owned());
        self.stored_flag.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn load_refresh_token(&self) -> Result<Secret, SinkError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.current
            .lock()
            .unwrap()
            .clone()
            .map(Secret::new)
            .ok_or_else(|| SinkError::new("no refresh token stored"))
    }
}

/// An issue as the enhanced search and bulk fetch return it.
pub(crate) fn issue(id: u32, key: &str) -> Value {
    json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": id.to_string(),
        "self": format!("https://tenant.atlassian.net/rest/api/3/issue/{id}"),
        "key": key,
        "fields": {
            "summary": format!("Issue {key} with unicode \u{00e9}\u{4e2d}"),
            "updated": "2026-11-29T01:45:02.123+0000",
            "comment": {"comments": [], "maxResults": 0, "total": 0, "startAt": 0}
        }
    })
}

/// An id-only issue as `fields=["id"]` returns it.
pub(crate) fn id_only(id: u32, key: &str) -> Value {
    json!({"id": id.to_string(), "key": key})
}

pub(crate) fn myself_body() -> Value {
    json!({
        "self": "https://tenant.atlassian.net/rest/api/3/user?accountId=5b10a2844c20165700ede21g",
        "accountId": "5b10a2844c20165700ede21g",
        "accountType": "atlassian",
        "emailAddress": "bot@example.com",
        "displayName": "Sync Bot",
        "active": true,
        "timeZone": "Europe/Berlin",
        "locale": "en_US"
    })
}
