//! The client, its builder, authentication and the request loop with
//! retries, pacing and rate-limit handling.

use std::{fmt, sync::Arc, time::Duration};

use reqwest::{
    Method,
    header::{ACCEPT, ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE, HeaderValue},
};
use serde::{Deserialize, de::DeserializeOwned};
use tokio::{
    sync::{Mutex as AsyncMutex, OnceCell, Semaphore},
    time::Instant,
};
use url::Url;

use crate::{
    Error, ErrorKind, RefreshTokenSink, Result, Secret,
    model::ErrorCollection,
    retry::{Pacer, RetryPolicy, parse_rate_limit},
    stats::{Stats, StatsCollector},
};

/// Atlassian's OAuth 2.0 token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://auth.atlassian.com/oauth/token";
/// Atlassian's API gateway (accessible resources and `/ex/jira/{cloudId}`).
pub const DEFAULT_API_GATEWAY: &str = "https://api.atlassian.com";
/// Default number of requests in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// An access token is refreshed this long before Jira says it expires, so
/// a request never leaves with a token that dies on the way.
const EXPIRY_LEEWAY: Duration = Duration::from_secs(60);

/// How the client authenticates.
#[non_exhaustive]
pub enum Auth {
    /// Jira Cloud API token with the account's email, sent as HTTP Basic
    /// against the site URL. Also Data Center user name and password.
    Basic {
        /// Account email (Cloud) or user name (Data Center).
        email: String,
        /// API token or password.
        api_token: Secret,
    },
    /// Data Center personal access token, sent as `Authorization: Bearer`.
    Bearer {
        /// The personal access token.
        pat: Secret,
    },
    /// OAuth 2.0 (3LO) with the refresh-token grant. Every rotated refresh
    /// token is handed to `sink` and stored before the new access token is used.
    OAuth {
        /// The app's client id.
        client_id: String,
        /// The app's client secret.
        client_secret: Secret,
        /// The current refresh token.
        refresh_token: Secret,
        /// Durable storage for rotated refresh tokens.
        sink: Arc<dyn RefreshTokenSink>,
    },
    /// Scoped API token or service-account token: HTTP Basic through the
    /// API gateway (`/ex/jira/{cloudId}`). The cloud id is read from the
    /// site's public `/_edge/tenant_info` unless given to the builder.
    ScopedToken {
        /// Account email.
        email: String,
        /// The scoped API token.
        api_token: Secret,
    },
}

impl Auth {
    fn name(&self) -> &'static str {
        match self {
            Auth::Basic { .. } => "basic",
            Auth::Bearer { .. } => "bearer",
            Auth::OAuth { .. } => "oauth",
            Auth::ScopedToken { .. } => "scoped-token",
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Basic { email, api_token } => f
                .debug_struct("Basic")
                .field("email", email)
                .field("api_token", api_token)
                .finish(),
            Auth::Bearer { pat } => f.debug_struct("Bearer").field("pat", pat).finish(),
            Auth::OAuth {
                client_id,
                client_secret,
                refresh_token,
                ..
            } => f
                .debug_struct("OAuth")
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .field("refresh_token", refresh_token)
                .finish_non_exhaustive(),
            Auth::ScopedToken { email, api_token } => f
                .debug_struct("ScopedToken")
                .field("email", email)
                .field("api_token", api_token)
                .finish(),
        }
    }
}

/// Which Jira product the site runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deployment {
    /// Jira Cloud: `/rest/api/3`, enhanced search with `nextPageToken`, bulk fetch.
    Cloud,
    /// Jira Data Center: `/rest/api/2`, `startAt` search paging, wiki markup.
    DataCenter,
}

/// Configures a [`JiraClient`].
pub struct ClientBuilder {
    site: String,
    auth: Option<Auth>,
    deployment: Option<Deployment>,
    token_url: String,
    api_gateway: String,
    cloud_id: Option<String>,
    concurrency: usize,
    requests_per_second: Option<f64>,
    retry: RetryPolicy,
    user_agent: String,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("site", &redact_url_text(&self.site))
            .field("auth", &self.auth)
            .field("deployment", &self.deployment)
            .field("token_url", &redact_url_text(&self.token_url))
            .field("api_gateway", &redact_url_text(&self.api_gateway))
            .field("cloud_id", &self.cloud_id)
            .field("concurrency", &self.concurrency)
            .field("requests_per_second", &self.requests_per_second)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(site: String) -> Self {
        ClientBuilder {
            site,
            auth: None,
            deployment: None,
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            api_gateway: DEFAULT_API_GATEWAY.to_owned(),
            cloud_id: None,
            concurrency: DEFAULT_CONCURRENCY,
            requests_per_second: None,
            retry: RetryPolicy::default(),
            user_agent: concat!("jira-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Some(Duration::from_secs(10)),
            pool_idle_timeout: Some(Duration::from_secs(90)),
        }
    }

    /// Sets the credentials (required).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Overrides the product; the default is Data Center for [`Auth::Bearer`] and Cloud otherwise.
    pub fn deployment(mut self, deployment: Deployment) -> Self {
        self.deployment = Some(deployment);
        self
    }

    /// The OAuth token endpoint (default [`DEFAULT_TOKEN_URL`]).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// The API gateway (default [`DEFAULT_API_GATEWAY`]).
    pub fn api_gateway(mut self, url: impl Into<String>) -> Self {
        self.api_gateway = url.into();
        self
    }

    /// The site's cloud id, when known, so it need not be looked up.
    pub fn cloud_id(mut self, cloud_id: impl Into<String>) -> Self {
        self.cloud_id = Some(cloud_id.into());
        self
    }

    /// Requests in flight at once (default [`DEFAULT_CONCURRENCY`], at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Paces request starts to at most this many per second (default: unpaced).
    pub fn requests_per_second(mut self, rate: f64) -> Self {
        self.requests_per_second = Some(rate);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Timeout of one HTTP attempt (default 60 s); `None` disables it.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default 10 s); `None` disables it.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s); `None`
    /// keeps it until the server closes it. Short-lived processes such as a
    /// Lambda may want less.
    pub fn pool_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// Builds the client. Nothing is sent yet: OAuth tokens and the cloud
    /// id are resolved on the first call, and the rotated refresh token is
    /// stored before that call is made.
    pub fn build(self) -> Result<JiraClient> {
        let auth = self
            .auth
            .ok_or_else(|| Error::config("no credentials given; call .auth(..) on the builder"))?;
        let site = parse_endpoint_url(&self.site, "site url")?;
        let gateway = parse_endpoint_url(&self.api_gateway, "api gateway url")?;
        let token_url = parse_endpoint_url(&self.token_url, "oauth token url")?;
        if let Some(id) = &self.cloud_id {
            validate_cloud_id(id)?;
        }
        let deployment = self.deployment.unwrap_or(match auth {
            Auth::Bearer { .. } => Deployment::DataCenter,
            _ => Deployment::Cloud,
        });
        let auth_name = auth.name();
        let credentials = match auth {
            Auth::Basic { email, api_token } => Credentials::Static {
                header: basic_header(&email, &api_token),
                routing: Routing::Site,
            },
            Auth::Bearer { pat } => Credentials::Static {
                header: Secret::new(format!("Bearer {}", pat.expose())),
                routing: Routing::Site,
            },
            Auth::ScopedToken { email, api_token } => Credentials::Static {
                header: basic_header(&email, &api_token),
                routing: Routing::GatewayTenantInfo,
            },
            Auth::OAuth {
                client_id,
                client_secret,
                refresh_token,
                sink,
            } => Credentials::OAuth(Box::new(OAuth {
                client_id,
                client_secret,
                token_url,
                sink,
                cache: AsyncMutex::new(TokenCache {
                    refresh_token,
                    access: None,
                    generation: 0,
                }),
            })),
        };
        if deployment == Deployment::DataCenter && !matches!(credentials.routing(), Routing::Site) {
            return Err(Error::config(
                "data center is reached at its site url; use basic or bearer auth with it",
            ));
        }
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .pool_idle_timeout(self.pool_idle_timeout)
            // Redirects could carry the Authorization header to another host.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(t) = self.timeout {
            http = http.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            http = http.connect_timeout(t);
        }
        let http = http.build().map_err(|e| {
            Error::config(format!(
                "could not set up the http client: {}",
                error_chain(&e)
            ))
        })?;
        Ok(JiraClient {
            inner: Arc::new(Inner {
                http,
                site,
                deployment,
                auth_name,
                credentials,
                gateway,
                preset_cloud_id: self.cloud_id,
                api_base: OnceCell::new(),
                retry: self.retry,
                pacer: Pacer::new(self.requests_per_second),
                permits: Semaphore::new(self.concurrency),
                concurrency: self.concurrency,
                stats: StatsCollector::default(),
            }),
        })
    }
}

fn basic_header(email: &str, token: &Secret) -> Secret {
    use base64::Engine as _;
    let raw = format!("{email}:{}", token.expose());
    Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
}

/// A Jira client. Cheap to clone; clones share tokens, limits and stats.
#[derive(Clone)]
pub struct JiraClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for JiraClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JiraClient")
            .field("site", &redact_url(&self.inner.site))
            .field("deployment", &self.inner.deployment)
            .field("auth", &self.inner.auth_name)
            .finish_non_exhaustive()
    }
}

impl JiraClient {
    /// Starts configuring a client for a site such as `https://tenant.atlassian.net`.
    ///
    /// `http://` is refused unless the host is loopback.
    pub fn builder(site_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(site_url.into())
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> Stats {
        self.inner.stats.snapshot()
    }

    /// The product this client talks to.
    pub fn deployment(&self) -> Deployment {
        self.inner.deployment
    }

    /// The site URL, without a trailing slash.
    pub fn site_url(&self) -> String {
        self.inner.site.as_str().trim_end_matches('/').to_owned()
    }

    /// The browse URL of an issue (`https://tenant.atlassian.net/browse/ENG-42`).
    pub fn browse_url(&self, key: &str) -> String {
        format!("{}/browse/{key}", self.site_url())
    }

    /// The site's cloud id, resolving it if the client routes through the
    /// gateway; `None` for clients that call the site URL directly.
    pub async fn cloud_id(&self) -> Result<Option<String>> {
        if matches!(self.inner.credentials.routing(), Routing::Site) {
            return Ok(None);
        }
        self.inner.api_base().await?;
        Ok(self.inner.resolved_cloud_id())
    }
}

#[derive(Debug, Clone, Copy)]
enum Routing {
    Site,
    GatewayTenantInfo,
    GatewayAccessibleResources,
}

enum Credentials {
    Static { header: Secret, routing: Routing },
    OAuth(Box<OAuth>),
}

impl Credentials {
    fn routing(&self) -> Routing {
        match self {
            Credentials::Static { routing, .. } => *routing,
            Credentials::OAuth(_) => Routing::GatewayAccessibleResources,
        }
    }
}

struct OAuth {
    client_id: String,
    client_secret: Secret,
    token_url: Url,
    sink: Arc<dyn RefreshTokenSink>,
    cache: AsyncMutex<TokenCache>,
}

struct TokenCache {
    refresh_token: Secret,
    access: Option<AccessToken>,
    /// Bumped on every new access token, so a 401 invalidates only the
    /// token it was answered to and concurrent 401s cause one refresh.
    generation: u64,
}

struct AccessToken {
    token: Secret,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(flatten)]
    collection: ErrorCollection,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn error_body(body: &[u8]) -> ErrorBody {
    serde_json::from_slice(body).unwrap_or_default()
}

/// Jira's messages from an error body: `errorMessages`, `errors`, and
/// the `message` / OAuth `error` forms some endpoints use instead.
fn jira_messages(body: &[u8]) -> Vec<String> {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        // A proxy's HTML page says nothing useful; short plain text might.
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() || text.starts_with('<') {
            Vec::new()
        } else {
            vec![text.chars().take(300).collect()]
        };
    };
    let mut all = parsed.collection.messages();
    all.extend(parsed.message);
    match (parsed.error, parsed.error_description) {
        (Some(e), Some(d)) => all.push(format!("{e}: {d}")),
        (Some(e), None) => all.push(e),
        (None, Some(d)) => all.push(d),
        (None, None) => {}
    }
    all
}

/// Where a request goes.
pub(crate) enum Target {
    /// A path under the REST base (site URL or gateway), without a leading slash.
    Api(String),
    /// A fixed URL (gateway discovery, tenant info).
    Absolute(Url),
}

/// One logical request, possibly sent several times.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) target: Target,
    /// The endpoint template used in stats, logs and errors.
    pub(crate) label: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) idempotent: bool,
    pub(crate) authenticate: bool,
}

impl Request {
    pub(crate) fn get(path: String, label: String) -> Self {
        Request {
            method: Method::GET,
            target: Target::Api(path),
            label: format!("GET {label}"),
            query: Vec::new(),
            body: None,
            idempotent: true,
            authenticate: true,
        }
    }

    /// A POST that only reads (search, bulk fetch, counts) and so may be retried.
    pub(crate) fn read_post(path: String, label: String, body: &serde_json::Value) -> Self {
        Request {
            method: Method::POST,
            target: Target::Api(path),
            label: format!("POST {label}"),
            query: Vec::new(),
            body: Some(body.to_string().into_bytes()),
            idempotent: true,
            authenticate: true,
        }
    }

    pub(crate) fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    site: Url,
    pub(crate) deployment: Deployment,
    auth_name: &'static str,
    credentials: Credentials,
    gateway: Url,
    preset_cloud_id: Option<String>,
    api_base: OnceCell<(Url, Option<String>)>,
    pub(crate) retry: RetryPolicy,
    pacer: Pacer,
    permits: Semaphore,
    pub(crate) concurrency: usize,
    stats: StatsCollector,
}

/// What one attempt ended with, before the retry decision.
struct Failure {
    error: Error,
    retryable: bool,
    rate_limited: bool,
    retry_after: Option<Duration>,
}

impl Inner {
    pub(crate) fn api_version(&self) -> &'static str {
        match self.deployment {
            Deployment::Cloud => "3",
            Deployment::DataCenter => "2",
        }
    }

    fn resolved_cloud_id(&self) -> Option<String> {
        self.api_base.get().and_then(|(_, id)| id.clone())
    }

    /// The REST base URL, resolving the cloud id on first use.
    async fn api_base(&self) -> Result<Url> {
        let routing = self.credentials.routing();
        if let Routing::Site = routing {
            return Ok(with_trailing_slash(&self.site));
        }
        let (base, _) = self
            .api_base
            .get_or_try_init(|| async {
                let id = match &self.preset_cloud_id {
                    Some(id) => id.clone(),
                    None => match routing {
                        Routing::GatewayAccessibleResources => {
                            self.cloud_id_from_resources().await?
                        }
                        _ => self.cloud_id_from_tenant_info().await?,
                    },
                };
                validate_cloud_id(&id)?;
                let base = with_trailing_slash(&self.gateway)
                    .join(&format!("ex/jira/{id}/"))
                    .map_err(|e| Error::config(format!("could not build the gateway url: {e}")))?;
                Ok::<_, Error>((base, Some(id)))
            })
            .await?;
        Ok(base.clone())
    }

    /// Finds the site among the OAuth grant's sites by URL, never by position.
    async fn cloud_id_from_resources(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct Resource {
            id: String,
            #[serde(default)]
            url: String,
        }
        let url = with_trailing_slash(&self.gateway)
            .join("oauth/token/accessible-resources")
            .map_err(|e| Error::config(format!("could not build the gateway url: {e}")))?;
        let req = Request {
            target: Target::Absolute(url),
            ..Request::get(String::new(), "/oauth/token/accessible-resources".into())
        };
        let label = req.label.clone();
        let body = self.send_to(&req).await?;
        let resources: Vec<Resource> = decode(&label, &body)?;
        let wanted = normalize_site(self.site.as_str());
        if let Some(r) = resources.iter().find(|r| normalize_site(&r.url) == wanted) {
            return Ok(r.id.clone());
        }
        let mut seen: Vec<&str> = resources.iter().map(|r| r.url.as_str()).collect();
        seen.sort_unstable();
        Err(Error::config(format!(
            "the oauth grant does not include the site {wanted}; it covers [{}]. Check the site url or authorize the app for this site",
            seen.join(", ")
        )))
    }

    /// Reads the cloud id from the site's public tenant info.
    async fn cloud_id_from_tenant_info(&self) -> Result<String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct TenantInfo {
            cloud_id: String,
        }
        let url = with_trailing_slash(&self.site)
            .join("_edge/tenant_info")
            .map_err(|e| Error::config(format!("could not build the tenant info url: {e}")))?;
        let req = Request {
            target: Target::Absolute(url),
            authenticate: false,
            ..Request::get(String::new(), "/_edge/tenant_info".into())
        };
        let label = req.label.clone();
        let body = self.send_to(&req).await?;
        Ok(decode::<TenantInfo>(&label, &body)?.cloud_id)
    }

    /// Sends a request, retrying as the policy allows, and returns the body of a 2xx.
    pub(crate) async fn send(&self, req: &Request) -> Result<Vec<u8>> {
        if let Target::Api(_) = req.target {
            // Resolve the base (and so authenticate) before the first API call.
            self.api_base().await?;
        }
        self.send_to(req).await
    }

    async fn url_for(&self, req: &Request) -> Result<Url> {
        match &req.target {
            Target::Absolute(u) => Ok(u.clone()),
            Target::Api(path) => {
                let base = match self.credentials.routing() {
                    Routing::Site => with_trailing_slash(&self.site),
                    _ => self
                        .api_base
                        .get()
                        .map(|(b, _)| b.clone())
                        .ok_or_else(|| Error::config("the api base url is not resolved yet"))?,
                };
                base.join(path)
                    .map_err(|e| Error::config(format!("could not build the url for {path}: {e}")))
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(endpoint = %req.label))]
    async fn send_to(&self, req: &Request) -> Result<Vec<u8>> {
        let url = self.url_for(req).await?;
        let started = Instant::now();
        let mut retries = 0u32;
        let mut refreshed_after_401 = false;
        loop {
            let failure = match self.attempt(req, &url).await {
                Ok(body) => return Ok(body),
                Err(Attempt::Unauthorized { generation, error }) => {
                    if let (Credentials::OAuth(oauth), false, Some(generation)) =
                        (&self.credentials, refreshed_after_401, generation)
                    {
                        // One refresh for a 401 under OAuth: the token may
                        // have been revoked early. A second 401 is final.
                        refreshed_after_401 = true;
                        oauth.invalidate(generation).await;
                        tracing::debug!("401 with an oauth token; refreshing once");
                        continue;
                    }
                    return Err(error);
                }
                Err(Attempt::Failed(f)) => f,
            };
            if !failure.retryable || !req.idempotent || retries >= self.retry.max_retries {
                return Err(failure.error);
            }
            let delay = self.retry.delay(retries, failure.retry_after);
            if started.elapsed() + delay > self.retry.max_elapsed {
                tracing::debug!(?delay, "retry budget exhausted");
                return Err(failure.error);
            }
            if failure.rate_limited {
                // A burst 429 applies to the whole client, not just this request.
                self.pacer.block_until(Instant::now() + delay);
            }
            tracing::debug!(?delay, retry = retries + 1, error = %failure.error, "retrying");
            tokio::time::sleep(delay).await;
            self.stats.update(|s| {
                s.retries += 1;
                if failure.rate_limited {
                    s.rate_limit_wait += delay;
                } else {
                    s.backoff_wait += delay;
                }
            });
            retries += 1;
        }
    }

    async fn attempt(&self, req: &Request, url: &Url) -> std::result::Result<Vec<u8>, Attempt> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Attempt::Failed(fatal(Error::config("the client was shut down"))))?;
        let waited = self.pacer.wait().await;
        self.stats.update(|s| {
            s.pacing_wait += waited.pacing;
            s.rate_limit_wait += waited.rate_limit;
        });
        let (authorization, generation) = if req.authenticate {
            let (h, g) = self
                .authorization()
                .await
                .map_err(|e| Attempt::Failed(fatal(e)))?;
            (Some(h), g)
        } else {
            (None, None)
        };
        let mut builder = self
            .http
            .request(req.method.clone(), url.clone())
            .header(ACCEPT, "application/json")
            // Jira localises error text; English keeps messages matchable.
            .header(ACCEPT_LANGUAGE, "en");
        if let Some(h) = authorization {
            let mut value = HeaderValue::from_str(h.expose()).map_err(|_| {
                Attempt::Failed(fatal(Error::config(
                    "the credentials contain characters that cannot be sent in a header",
                )))
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                self.stats.record(&req.label, None);
                return Err(Attempt::Failed(transport(&req.label, &e)));
            }
        };
        let status = response.status().as_u16();
        let limits = parse_rate_limit(response.headers());
        self.stats.record(&req.label, Some(status));
        if limits.near_limit {
            tracing::debug!("jira reports the rate limit is near; slowing down");
            self.pacer.near_limit();
        }
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Err(Attempt::Failed(transport(&req.label, &e))),
        };
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let error = Error::new(Error::kind_for_status(status))
            .with_status(status)
            .with_endpoint(req.label.clone())
            .with_messages(jira_messages(&body))
            .with_retry_after(limits.retry_after);
        match status {
            401 => Err(Attempt::Unauthorized { generation, error }),
            429 if limits.is_quota() => {
                // The hourly pool is empty: Retry-After can exceed half an
                // hour, so the caller must checkpoint rather than sleep.
                self.stats.update(|s| s.throttled += 1);
                let e = error
                    .with_kind(ErrorKind::QuotaExhausted)
                    .with_detail(limits.reason.clone().unwrap_or_default());
                Err(Attempt::Failed(fatal(e)))
            }
            429 => {
                self.stats.update(|s| s.throttled += 1);
                let error = match &limits.reason {
                    Some(r) => error.with_detail(r.clone()),
                    None => error,
                };
                Err(Attempt::Failed(Failure {
                    error,
                    retryable: true,
                    rate_limited: true,
                    retry_after: limits.retry_after,
                }))
            }
            500..=599 => Err(Attempt::Failed(Failure {
                error,
                retryable: true,
                rate_limited: false,
                retry_after: limits.retry_after,
            })),
            _ => Err(Attempt::Failed(fatal(error))),
        }
    }

    /// The Authorization header and, for OAuth, the token generation it belongs to.
    async fn authorization(&self) -> Result<(Secret, Option<u64>)> {
        match &self.credentials {
            Credentials::Static { header, .. } => Ok((header.clone(), None)),
            Credentials::OAuth(oauth) => {
                let (token, generation) = oauth.access_token(self).await?;
                Ok((
                    Secret::new(format!("Bearer {}", token.expose())),
                    Some(generation),
                ))
            }
        }
    }
}

enum Attempt {
    Unauthorized {
        generation: Option<u64>,
        error: Error,
    },
    Failed(Failure),
}

fn fatal(error: Error) -> Failure {
    Failure {
        error,
        retryable: false,
        rate_limited: false,
        retry_after: None,
    }
}

fn transport(label: &str, err: &reqwest::Error) -> Failure {
    let what = if err.is_timeout() { "timed out: " } else { "" };
    Failure {
        error: Error::new(ErrorKind::Transport)
            .with_endpoint(label.to_owned())
            .with_detail(format!("{what}{}", error_chain(err))),
        retryable: true,
        rate_limited: false,
        retry_after: None,
    }
}

/// The error and its causes on one line, without the request URL.
fn error_chain(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = err.source();
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    if parts.is_empty() {
        // reqwest's own Display names the URL; our endpoint label replaces it.
        parts.push(if err.is_connect() {
            "connection failed".to_owned()
        } else if err.is_body() || err.is_decode() {
            "the response body could not be read".to_owned()
        } else {
            "request failed".to_owned()
        });
    }
    parts.dedup();
    redact_text(&parts.join(": "))
}

impl OAuth {
    /// A valid access token, refreshing it once for all concurrent callers.
    #[tracing::instrument(level = "debug", skip_all)]
    async fn access_token(&self, inner: &Inner) -> Result<(Secret, u64)> {
        let mut cache = self.cache.lock().await;
        if let Some(access) = &cache.access
            && Instant::now() < access.refresh_at
        {
            return Ok((access.token.clone(), cache.generation));
        }
        self.refresh(inner, &mut cache).await?;
        let access = cache
            .access
            .as_ref()
            .ok_or_else(|| Error::config("the token refresh left no access token"))?;
        Ok((access.token.clone(), cache.generation))
    }

    async fn invalidate(&self, generation: u64) {
        let mut cache = self.cache.lock().await;
        if cache.generation == generation {
            cache.access = None;
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn refresh(&self, inner: &Inner, cache: &mut TokenCache) -> Result<()> {
        const LABEL: &str = "POST /oauth/token";
        let started = Instant::now();
        let mut retries = 0u32;
        // The token given to the builder may be stale: it was read before
        // the caller took its run lease, and another run may have rotated
        // it since. Reusing a rotated-out token after Atlassian's leeway
        // revokes the whole token family, so start from the stored one.
        match self.sink.load_refresh_token().await {
            Ok(stored) => cache.refresh_token = stored,
            Err(e) => {
                tracing::warn!(error = %e, "could not re-read the stored refresh token; using the one in memory")
            }
        }
        loop {
            let body = serde_json::json!({
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret.expose(),
                "refresh_token": cache.refresh_token.expose(),
            });
            let sent = inner
                .http
                .post(self.token_url.clone())
                .header(ACCEPT, "application/json")
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await;
            let ambiguous = match sent {
                Err(e) => {
                    inner.stats.record(LABEL, None);
                    transport(LABEL, &e).error
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    inner.stats.record(LABEL, Some(status));
                    let limits = parse_rate_limit(response.headers());
                    match response.bytes().await {
                        Err(e) => transport(LABEL, &e).error,
                        Ok(bytes) if (200..300).contains(&status) => {
                            return self.accept(inner, cache, &bytes).await;
                        }
                        Ok(bytes) => {
                            let parsed = error_body(&bytes);
                            let messages = jira_messages(&bytes);
                            if parsed.error.as_deref() == Some("invalid_grant") {
                                return Err(Error::new(ErrorKind::InvalidGrant)
                                    .with_status(status)
                                    .with_endpoint(LABEL)
                                    .with_messages(messages));
                            }
                            let error = Error::new(Error::kind_for_status(status))
                                .with_status(status)
                                .with_endpoint(LABEL)
                                .with_messages(messages)
                                .with_retry_after(limits.retry_after);
                            if status != 429 && status < 500 {
                                return Err(error);
                            }
                            error
                        }
                    }
                }
            };
            if retries >= inner.retry.max_retries {
                return Err(ambiguous);
            }
            let delay = inner.retry.delay(retries, ambiguous.retry_after());
            if started.elapsed() + delay > inner.retry.max_elapsed {
                return Err(ambiguous);
            }
            // The token endpoint may have rotated the token without us
            // seeing the answer, and another copy may have stored a newer
            // one: re-read the stored token before trying again.
            match self.sink.load_refresh_token().await {
                Ok(stored) => cache.refresh_token = stored,
                Err(e) => {
                    tracing::warn!(error = %e, "could not re-read the stored refresh token; retrying with the one in memory")
                }
            }
            tokio::time::sleep(delay).await;
            inner.stats.update(|s| {
                s.retries += 1;
                s.backoff_wait += delay;
            });
            retries += 1;
        }
    }

    /// Takes a token response: stores a rotated refresh token first, and
    /// only then makes the access token usable.
    async fn accept(&self, inner: &Inner, cache: &mut TokenCache, bytes: &[u8]) -> Result<()> {
        let response: TokenResponse = serde_json::from_slice(bytes).map_err(|e| {
            Error::decode(format!(
                "the token response is not the documented json (line {}, column {})",
                e.line(),
                e.column()
            ))
            .with_endpoint("POST /oauth/token")
        })?;
        if let Some(new) = response.refresh_token.map(Secret::new)
            && new != cache.refresh_token
        {
            // The old token dies after a short leeway, so the new one is
            // the only one worth keeping in memory even if storing fails.
            cache.refresh_token = new.clone();
            self.sink
                .store_refresh_token(&new)
                .await
                .map_err(Error::sink)?;
        }
        let lifetime = Duration::from_secs(response.expires_in.unwrap_or(3600));
        cache.access = Some(AccessToken {
            token: Secret::new(response.access_token),
            refresh_at: Instant::now() + lifetime.saturating_sub(EXPIRY_LEEWAY),
        });
        cache.generation += 1;
        inner.stats.update(|s| s.token_refreshes += 1);
        Ok(())
    }
}

pub(crate) fn decode<T: DeserializeOwned>(label: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::decode(format!(
            "{} at line {}, column {}",
            match e.classify() {
                serde_json::error::Category::Data => "unexpected shape",
                serde_json::error::Category::Eof => "truncated json",
                _ => "invalid json",
            },
            e.line(),
            e.column()
        ))
        .with_endpoint(label.to_owned())
    })
}

fn with_trailing_slash(url: &Url) -> Url {
    let mut u = url.clone();
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u
}

fn normalize_site(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

fn validate_cloud_id(id: &str) -> Result<()> {
    if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(())
    } else {
        Err(Error::config(format!(
            "cloud id {id:?} is not a valid id; it should look like a uuid"
        )))
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses a configured URL: https, or http on loopback only, no credentials.
fn parse_endpoint_url(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::config(format!(
            "the {what} {} is not a url: {e}",
            redact_url_text(text)
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!(
            "the {what} {} contains credentials; pass them with .auth(..) instead",
            redact_url(&url)
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::config(format!(
                "the {what} {} uses plain http; use https (http is allowed only for loopback hosts)",
                redact_url(&url)
            )));
        }
        other => {
            return Err(Error::config(format!(
                "the {what} uses the unsupported scheme {other:?}; use https"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::config(format!("the {what} has no host")));
    }
    Ok(url)
}

/// Query parameter names whose values are masked when a URL is shown.
const SENSITIVE_PARAMS: &[&str] = &[
    "token",
    "secret",
    "password",
    "key",
    "code",
    "signature",
    "auth",
];

/// A URL for display: user info and sensitive query values masked.
pub(crate) fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    if !u.username().is_empty() {
        let _ = u.set_username("****");
    }
    if u.password().is_some() {
        let _ = u.set_password(Some("****"));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let masked = SENSITIVE_PARAMS.iter().any(|s| lower.contains(s));
                (
                    k.into_owned(),
                    if masked {
                        "****".to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

fn redact_url_text(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(u) => redact_url(&u),
        Err(_) => redact_text(text),
    }
}

/// Masks anything that looks like `user:password@` in free text.
fn redact_text(text: &str) -> String {
    text.split(' ')
        .map(|word| match (word.find("://"), word.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}****@{}", &word[..s + 3], &word[at + 1..]),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        let u = Url::parse("https://me:hunter2@x.atlassian.net/p?access_token=abc&jql=a").unwrap();
        let shown = redact_url(&u);
        assert!(!shown.contains("hunter2") && !shown.contains("abc") && !shown.contains("me:"));
        assert!(shown.contains("jql=a"));
        assert_eq!(
            redact_text("failed for https://u:p@host/x now"),
            "failed for https://****@host/x now"
        );
    }

    #[test]
    fn endpoint_urls_need_https_unless_loopback() {
        assert!(parse_endpoint_url("https://x.atlassian.net", "site url").is_ok());
        assert!(parse_endpoint_url("http://127.0.0.1:8080", "site url").is_ok());
        assert!(parse_endpoint_url("http://localhost:1", "site url").is_ok());
        assert!(parse_endpoint_url("http://[::1]:1", "site url").is_ok());
        let e = parse_endpoint_url("http://x.atlassian.net", "site url").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("plain http"));
        let e = parse_endpoint_url("https://a:sekrit@x.atlassian.net", "site url").unwrap_err();
        assert!(!e.to_string().contains("sekrit"), "{e}");
        assert!(!format!("{e:?}").contains("sekrit"));
        assert!(parse_endpoint_url("ftp://x", "site url").is_err());
    }

    #[test]
    fn sites_match_case_and_slash_insensitively() {
        assert_eq!(
            normalize_site("https://Tenant.Atlassian.net/"),
            normalize_site("https://tenant.atlassian.net")
        );
        assert!(validate_cloud_id("11223344-a1b2-3b33-c444-def123456789").is_ok());
        assert!(validate_cloud_id("../../admin").is_err());
    }

    #[test]
    fn jira_messages_cover_every_error_shape() {
        assert_eq!(
            jira_messages(br#"{"errorMessages":["bad jql"],"errors":{"jql":"x"}}"#),
            vec!["bad jql", "jql: x"]
        );
        assert_eq!(
            jira_messages(br#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#),
            vec!["invalid_grant: Unknown or invalid refresh token."]
        );
        assert_eq!(jira_messages(b"<html>busy</html>"), Vec::<String>::new());
        assert_eq!(
            jira_messages(b"Service Unavailable"),
            vec!["Service Unavailable"]
        );
    }

    #[test]
    fn auth_debug_masks_secrets() {
        let a = Auth::Basic {
            email: "me@example.com".into(),
            api_token: Secret::new("ATATT-secret"),
        };
        assert!(!format!("{a:?}").contains("ATATT"));
        assert!(
            !basic_header("me", &Secret::new("tok"))
                .to_string()
                .contains("Basic")
        );
    }
}
