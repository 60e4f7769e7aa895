//! Shared helpers: a started simulator and a small JSON client.

use jira_sim::{JiraSim, SimConfig, SimDeployment};
use reqwest::header::HeaderMap;
use serde_json::Value;
use time::macros::datetime;

pub(crate) const EMAIL: &str = "bot@example.com";
pub(crate) const TOKEN: &str = "secret-token";
pub(crate) const PAT: &str = "dc-pat-1";

/// A config with a fixed anchor so datasets are identical across runs.
pub(crate) fn config(issues: usize) -> SimConfig {
    SimConfig {
        issues,
        seed: 42,
        email: EMAIL.into(),
        api_token: TOKEN.into(),
        anchor: Some(datetime!(2026-11-29 00:00 UTC)),
        ..SimConfig::default()
    }
}

/// [`config`] playing Data Center, with [`PAT`] accepted and `max` as the
/// site's search page cap.
pub(crate) fn data_center(issues: usize, max: usize) -> SimConfig {
    SimConfig {
        deployment: SimDeployment::DataCenter {
            search_max_results: max,
        },
        pat: Some(PAT.into()),
        ..config(issues)
    }
}

pub(crate) async fn start(cfg: SimConfig) -> JiraSim {
    JiraSim::start(cfg).await.expect("simulator starts")
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Auth<'a> {
    Basic,
    BasicWith(&'a str, &'a str),
    Bearer(&'a str),
    None,
}

#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) base: String,
    client: reqwest::Client,
}

impl Api {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    fn auth(&self, rb: reqwest::RequestBuilder, auth: Auth<'_>) -> reqwest::RequestBuilder {
        match auth {
            Auth::Basic => rb.basic_auth(EMAIL, Some(TOKEN)),
            Auth::BasicWith(e, t) => rb.basic_auth(e, Some(t)),
            Auth::Bearer(t) => rb.bearer_auth(t),
            Auth::None => rb,
        }
    }

    async fn send(rb: reqwest::RequestBuilder) -> Resp {
        let r = rb.send().await.expect("request is answered");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("body is read");
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        let body = if bytes.is_empty() {
            Value::Null
        } else if json {
            serde_json::from_slice(&bytes).expect("body is JSON")
        } else {
            // Data Center's login failures are HTML pages.
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get_as(&self, path: &str, query: &[(&str, &str)], auth: Auth<'_>) -> Resp {
        Self::send(self.auth(
            self.client.get(format!("{}{path}", self.base)).query(query),
            auth,
        ))
        .await
    }

    pub(crate) async fn get(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        self.get_as(path, query, Auth::Basic).await
    }

    pub(crate) async fn post_as(&self, path: &str, body: &Value, auth: Auth<'_>) -> Resp {
        Self::send(self.auth(
            self.client.post(format!("{}{path}", self.base)).json(body),
            auth,
        ))
        .await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Resp {
        self.post_as(path, body, Auth::Basic).await
    }

    /// Pages `search/jql` (POST) to the end; returns all issues and the page sizes.
    pub(crate) async fn search_all(
        &self,
        jql: &str,
        fields: &[&str],
        max: Option<u64>,
    ) -> (Vec<Value>, Vec<usize>) {
        let mut token: Option<String> = None;
        let mut all = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let mut body = serde_json::json!({"jql": jql, "fields": fields});
            if let Some(m) = max {
                body["maxResults"] = m.into();
            }
            if let Some(t) = &token {
                body["nextPageToken"] = t.clone().into();
            }
            let r = self.post("/rest/api/3/search/jql", &body).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(
                r.body.get("total").is_none(),
                "enhanced search has no total"
            );
            let issues = r.body["issues"].as_array().unwrap().clone();
            sizes.push(issues.len());
            all.extend(issues);
            match r.body.get("nextPageToken").and_then(Value::as_str) {
                Some(t) => {
                    assert_eq!(r.body["isLast"], false);
                    token = Some(t.to_owned());
                }
                None => {
                    assert_eq!(r.body["isLast"], true);
                    return (all, sizes);
                }
            }
        }
    }
}
