//! A Jira simulator on loopback that behaves as Jira Cloud's REST API (or,
//! with [`SimDeployment::DataCenter`], Jira Data Center's) does for the
//! endpoints the sync uses, over a deterministic seeded dataset. Used by
//! integration tests, `cargo xtask demo` and the benchmarks.
//!
//! The behaviour follows `shared/docs/jira-cloud.md`: enhanced JQL search
//! with `nextPageToken` and no `total`, the removed search answering 410,
//! bulk fetch with the 100/1000 rule, truncated embedded comments and
//! changelogs, user time zones, basic/bearer/OAuth 3LO auth, and switchable
//! trouble (burst limits, an hourly points quota, index lag, 5xx, dropped
//! connections, latency).
//!
//! ```no_run
//! # async fn demo() -> Result<(), jira_sim::Error> {
//! let sim = jira_sim::JiraSim::start(jira_sim::SimConfig { issues: 500, ..Default::default() }).await?;
//! let key = sim.create_issue("ENG")?;
//! sim.update_issue(&key, jira_sim::IssueEdit { summary: Some("renamed".into()), ..Default::default() })?;
//! println!("{} has {} issues", sim.base_url(), sim.issues_snapshot().len());
//! # Ok(()) }
//! ```

mod adf;
mod data;
mod jql;
mod oauth;
mod render;
mod rng;
mod server;
mod tz;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

pub use tz::UserTimeZone;

/// Everything that can go wrong starting or controlling the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "unknown time zone {name:?}: use UTC, a fixed offset like +14:00, or one of the documented IANA names"
    )]
    InvalidTimeZone { name: String },
    #[error("no visible issue {key_or_id:?} in the simulator")]
    UnknownIssue { key_or_id: String },
    #[error("no project {key:?} in the simulator")]
    UnknownProject { key: String },
    #[error("invalid simulator configuration: {reason}")]
    InvalidConfig { reason: String },
}

/// OAuth 2.0 (3LO) emulation settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The refresh token the "user" consented with.
    pub initial_refresh_token: String,
    /// How long a rotated-out refresh token stays usable (Atlassian: 10 minutes).
    pub reuse_leeway: Duration,
    /// Access token lifetime (Atlassian: 3600 s).
    pub access_token_ttl: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            client_id: "sim-client".into(),
            client_secret: "sim-secret".into(),
            initial_refresh_token: "sim-refresh-0".into(),
            reuse_leeway: Duration::from_secs(600),
            access_token_ttl: Duration::from_secs(3600),
        }
    }
}

/// Switchable trouble. Everything is off by default.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Requests per second allowed per endpoint and method (token bucket
    /// with this capacity); over it gives 429 `jira-burst-based`. Data
    /// Center has one bucket per user instead, and no reason header.
    pub burst_limit: Option<u32>,
    /// Per-endpoint overrides, keyed like [`Stats::requests`] (`"POST /rest/api/3/search/jql"`).
    pub burst_limits: BTreeMap<String, u32>,
    /// Hourly points pool: 1 per call plus 1 per issue returned. Charged to
    /// OAuth traffic only (API tokens are exempt, as on Jira) unless
    /// `quota_applies_to_all` is set.
    pub quota_points_per_hour: Option<u64>,
    pub quota_applies_to_all: bool,
    /// Probability that a REST call fails with 500 or 503.
    pub error_rate_5xx: f64,
    /// Probability that a REST call's connection drops mid-response.
    pub drop_rate: f64,
    /// Probability that a bulk fetch lists an issue it could return in
    /// `issueErrors` with a retriable message instead (Jira documents these
    /// as transient errors or payload constraints).
    pub bulk_issue_error_rate: f64,
    /// Keys of issues a payload constraint keeps out of every bulk fetch
    /// (listed in `issueErrors` as too large for a bulk response); a
    /// single-issue GET returns them.
    pub bulk_oversized_issues: std::collections::BTreeSet<String>,
    /// Keys of issues no read can return for now: bulk fetch lists them as
    /// a retriable error and a single-issue GET answers 503.
    pub unavailable_issues: std::collections::BTreeSet<String>,
    /// Play a site (or a proxy in front of one) without
    /// `POST /rest/api/3/changelog/bulkfetch`: it answers 404, so clients
    /// must page each issue's changelog instead.
    pub no_changelog_bulkfetch: bool,
    /// Probability that a search page after the first leaves out one of
    /// its issues, as a positional page does when the result shifts under
    /// it (an issue deleted or moved while a client enumerates).
    pub search_omit_rate: f64,
    /// A smaller Cloud search page than Jira's usual 5000 ids / 100 issues
    /// (the server chooses page sizes; clients must not assume one).
    pub search_page_cap: Option<usize>,
    /// Data Center's search platform result window
    /// (`jira.search.platform.max.result.window`, 10,000 on Data Center 10
    /// with OpenSearch): a `startAt + maxResults` beyond it is a 500.
    pub search_result_window: Option<usize>,
    /// How long (on the simulator clock) an edit takes to become searchable.
    pub index_lag: Duration,
}

/// Which Jira product the simulator plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SimDeployment {
    /// Jira Cloud: `/rest/api/3` (ADF) and `/rest/api/2` (wiki markup),
    /// enhanced search, bulk fetch, OAuth 3LO and the API gateway.
    #[default]
    Cloud,
    /// Jira Data Center 9.x/10.x: `/rest/api/2` only, wiki markup, the
    /// `startAt`/`total` search, Data Center user objects and sprint
    /// strings; every Cloud-only endpoint is 404.
    DataCenter {
        /// The site's `jira.search.views.default.max`: the most issues one
        /// search page returns, whatever `maxResults` asks (Jira's default 1000).
        search_max_results: usize,
    },
}

/// Jira Data Center's default `jira.search.views.default.max`.
pub const DC_SEARCH_MAX_RESULTS: usize = 1000;

/// Simulator settings; `Default` gives a small, trouble-free site.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; the default is 127.0.0.1 on a free port.
    pub addr: SocketAddr,
    /// Cloud (default) or Data Center.
    pub deployment: SimDeployment,
    pub issues: usize,
    pub seed: u64,
    /// Project keys; issues are spread over them.
    pub projects: Vec<String>,
    pub email: String,
    pub api_token: String,
    /// Data Center style personal access token accepted as `Bearer`.
    pub pat: Option<String>,
    pub oauth: Option<OAuthConfig>,
    /// See [`UserTimeZone::parse`].
    pub user_time_zone: String,
    /// Added to every REST call before it is answered.
    pub latency: Duration,
    pub faults: Faults,
    /// The dataset's "now": generated issues were created in the year
    /// before it and updated up to it. Default: the start time, so a 30-day
    /// backfill finds recent issues; fix it for byte-identical datasets.
    pub anchor: Option<OffsetDateTime>,
    /// Decoy sites listed by `accessible-resources` besides the real one.
    pub decoy_sites: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            deployment: SimDeployment::Cloud,
            issues: 1000,
            seed: 1,
            projects: vec!["ENG".into(), "OPS".into(), "SUP".into()],
            email: "sim@example.com".into(),
            api_token: "sim-token".into(),
            pat: None,
            oauth: None,
            user_time_zone: "UTC".into(),
            latency: Duration::ZERO,
            faults: Faults::default(),
            anchor: None,
            decoy_sites: 3,
        }
    }
}

/// Request statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// `"METHOD /rest/api/3/route/{param}"` to HTTP status to count. Status
    /// 0 counts dropped connections. Gateway calls count under the same route.
    pub requests: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Points charged in the current quota window.
    pub points_used: u64,
}

impl Stats {
    /// Calls to one endpoint with one status.
    pub fn count(&self, endpoint: &str, status: u16) -> u64 {
        self.requests
            .get(endpoint)
            .and_then(|m| m.get(&status))
            .copied()
            .unwrap_or(0)
    }

    /// Calls to one endpoint, any status.
    pub fn total(&self, endpoint: &str) -> u64 {
        self.requests.get(endpoint).map_or(0, |m| m.values().sum())
    }
}

/// One visible issue, as ground truth for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRef {
    pub id: String,
    pub key: String,
    pub updated: OffsetDateTime,
}

/// Facts about one issue that tests assert against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueFacts {
    pub id: String,
    pub key: String,
    pub updated: OffsetDateTime,
    pub comment_total: usize,
    pub changelog_total: usize,
}

/// An edit through the control API; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct IssueEdit {
    pub summary: Option<String>,
    /// Plain text, stored as a one-paragraph ADF document.
    pub description: Option<String>,
}

/// A comment added through the control API.
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub text: String,
    /// `("role", "Administrators")` or `("group", "jira-developers")`.
    pub visibility: Option<(String, String)>,
    /// `false` makes it a Jira Service Management internal note.
    pub internal: bool,
}

impl From<&str> for NewComment {
    fn from(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            ..Self::default()
        }
    }
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct JiraSim {
    shared: Arc<server::Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl JiraSim {
    /// Generates the dataset, binds and starts serving.
    pub async fn start(config: SimConfig) -> Result<Self, Error> {
        if config.projects.is_empty() || config.projects.iter().any(|p| !valid_project_key(p)) {
            return Err(Error::InvalidConfig {
                reason: "project keys must be non-empty and match [A-Z][A-Z0-9_]*".into(),
            });
        }
        if !(0.0..=1.0).contains(&config.faults.error_rate_5xx)
            || !(0.0..=1.0).contains(&config.faults.drop_rate)
            || !(0.0..=1.0).contains(&config.faults.bulk_issue_error_rate)
            || !(0.0..=1.0).contains(&config.faults.search_omit_rate)
        {
            return Err(Error::InvalidConfig {
                reason: "fault rates must be between 0 and 1".into(),
            });
        }
        if let SimDeployment::DataCenter { search_max_results } = config.deployment {
            if config.oauth.is_some() {
                return Err(Error::InvalidConfig {
                    reason: "OAuth 3LO is a Jira Cloud feature; use a PAT or basic auth with Data Center".into(),
                });
            }
            if search_max_results == 0 {
                return Err(Error::InvalidConfig {
                    reason: "the Data Center search page cap must be at least 1".into(),
                });
            }
        }
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
        let shared = Arc::new(server::Shared::new(config, format!("http://{addr}"))?);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = server::router(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            shared,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The site URL, e.g. `http://127.0.0.1:43121`.
    pub fn base_url(&self) -> &str {
        &self.shared.base
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn cloud_id(&self) -> &str {
        &self.shared.cloud_id
    }

    /// The OAuth token endpoint (served by the same server).
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.shared.base)
    }

    /// The API gateway root: `accessible-resources` and `/ex/jira/{cloudId}` live under it.
    pub fn api_gateway(&self) -> String {
        self.shared.base.clone()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Creates an issue in `project` at the simulator's now; returns its key.
    pub fn create_issue(&self, project: &str) -> Result<String, Error> {
        self.shared.create_issue(project)
    }

    /// Edits an issue and bumps `updated` to the simulator's now.
    pub fn update_issue(&self, key_or_id: &str, edit: IssueEdit) -> Result<(), Error> {
        self.shared.update_issue(key_or_id, edit)
    }

    /// Adds a comment (bumps `updated`); returns the comment id.
    pub fn add_comment(
        &self,
        key_or_id: &str,
        comment: impl Into<NewComment>,
    ) -> Result<String, Error> {
        self.shared.add_comment(key_or_id, comment.into())
    }

    /// Deletes an issue: it disappears from search and `issue/{key}` gives 404.
    pub fn delete_issue(&self, key_or_id: &str) -> Result<(), Error> {
        self.shared.delete_issue(key_or_id)
    }

    /// Moves an issue to another project: same id, new key (returned), the
    /// old key still resolves, and the changelog records a `Key` change.
    pub fn move_issue(&self, key_or_id: &str, new_project: &str) -> Result<String, Error> {
        self.shared.move_issue(key_or_id, new_project)
    }

    /// Freezes the simulator clock at `now`.
    pub fn set_now(&self, now: OffsetDateTime) {
        self.shared.clock.set(Some(ms_of(now)));
    }

    /// Moves the simulator clock forward (freezing it if it was following the wall clock).
    pub fn advance(&self, by: Duration) {
        let now = self.shared.clock.now_ms();
        self.shared.clock.set(Some(
            now + i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 2),
        ));
    }

    /// Makes the clock follow the wall clock again.
    pub fn use_wall_clock(&self) {
        self.shared.clock.set(None);
    }

    pub fn now(&self) -> OffsetDateTime {
        odt_of(self.shared.clock.now_ms())
    }

    /// Empties the hourly points pool's usage and restarts its window.
    pub fn reset_quota(&self) {
        self.shared.reset_quota();
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Every visible issue (what a complete, lag-free sync must end with), by id.
    pub fn issues_snapshot(&self) -> Vec<IssueRef> {
        self.shared.snapshot()
    }

    /// Totals and current key of one issue (old keys resolve).
    pub fn issue_facts(&self, key_or_id: &str) -> Result<IssueFacts, Error> {
        self.shared.facts(key_or_id)
    }

    /// Whether a refresh token was reused after its leeway, revoking its family.
    pub fn oauth_family_revoked(&self) -> bool {
        self.shared.oauth.as_ref().is_some_and(|o| {
            o.lock()
                .unwrap_or_else(|e| e.into_inner())
                .any_family_revoked()
        })
    }

    /// Invalidates every issued access token, as if they had expired.
    pub fn expire_access_tokens(&self) {
        if let Some(o) = &self.shared.oauth {
            o.lock()
                .unwrap_or_else(|e| e.into_inner())
                .expire_access_tokens();
        }
    }
}

impl Drop for JiraSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn valid_project_key(k: &str) -> bool {
    let mut b = k.bytes();
    b.next().is_some_and(|c| c.is_ascii_uppercase())
        && b.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

pub(crate) fn ms_of(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

pub(crate) fn odt_of(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
