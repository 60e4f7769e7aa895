//! The HTTP side: one hand-written dispatcher rather than axum's typed
//! routes, because Jira's error bodies, the `/ex/jira/{cloudId}` gateway
//! prefix, per-route statistics and fault injection all need to see every
//! request the same way, and axum's extractor rejections are not Jira's.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query as AxQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::data::{AddedChange, AddedComment, FIRST_ISSUE_ID, Issue, Store, View, summary_for};
use crate::oauth::OAuthState;
use crate::render::{self, FieldSel};
use crate::rng::Rng;
use crate::tz::{UserTimeZone, format_jira};
use crate::{
    Error, Faults, IssueEdit, IssueFacts, IssueRef, NewComment, SimConfig, SimDeployment, Stats,
    adf, odt_of,
};

const NOT_FOUND_ISSUE: &str = "Issue does not exist or you do not have permission to see it.";
/// What the `bulk_issue_error_rate` fault lists an issue with.
const TRANSIENT_ISSUE_ERROR: &str = "The issue could not be retrieved in time; request it again.";
/// What the `bulk_oversized_issues` fault lists an issue with.
const OVERSIZED_ISSUE_ERROR: &str = "The issue is too large to be returned in a bulk response; request fewer fields or fetch it on its own.";
const REMOVED_SEARCH: &str = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046";
const TOKEN_TTL_MS: i64 = 7 * 86_400_000;
const BAD_PAYLOAD: &str =
    "Invalid request payload. Refer to the REST API documentation and try again.";
/// Data Center's search page size when `maxResults` is not given.
const DC_DEFAULT_MAX_RESULTS: usize = 50;

/// The simulator's clock: the wall clock, or a frozen instant set by tests.
#[derive(Debug, Default)]
pub(crate) struct Clock(Mutex<Option<i64>>);

impl Clock {
    pub(crate) fn now_ms(&self) -> i64 {
        lock(&self.0).unwrap_or_else(wall_ms)
    }

    fn is_frozen(&self) -> bool {
        lock(&self.0).is_some()
    }

    pub(crate) fn set(&self, v: Option<i64>) {
        *lock(&self.0) = v;
    }
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

/// A poisoned lock only means a test panicked mid-request; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
struct Limits {
    faults: Faults,
    buckets: HashMap<String, Bucket>,
    quota_used: u64,
    quota_window_start: Instant,
    fault_rng: Rng,
}

#[derive(Debug)]
struct CachedSearch {
    jql: String,
    version: u64,
    at: Instant,
    result: Arc<Vec<u32>>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) base: String,
    /// Prefix of `self` links (see [`render::Ctx::rest`]).
    rest: String,
    /// Data Center's search page cap; `None` plays Jira Cloud.
    dc_search_max: Option<usize>,
    pub(crate) cloud_id: String,
    pub(crate) clock: Clock,
    pub(crate) oauth: Option<Mutex<OAuthState>>,
    tz: UserTimeZone,
    email: String,
    api_token: String,
    pat: Option<String>,
    latency: std::time::Duration,
    decoys: Vec<(String, String)>,
    users_json: Vec<Value>,
    store: RwLock<Store>,
    limits: Mutex<Limits>,
    stats: Mutex<BTreeMap<String, BTreeMap<u16, u64>>>,
    cache: Mutex<Vec<CachedSearch>>,
    resource_calls: AtomicU64,
    request_ids: AtomicU64,
}

fn uuid_from(r: &mut Rng) -> String {
    let a = r.next_u64();
    let b = r.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

impl Shared {
    pub(crate) fn new(cfg: SimConfig, base: String) -> Result<Self, Error> {
        let tz = UserTimeZone::parse(&cfg.user_time_zone)?;
        let clock = Clock::default();
        let anchor = cfg
            .anchor
            .map_or_else(|| clock.now_ms() / 60_000 * 60_000, crate::ms_of);
        let store = Store::generate(cfg.seed, cfg.issues, &cfg.projects, anchor);
        let mut r = Rng::derive(cfg.seed, 0, 0xc10d);
        let cloud_id = uuid_from(&mut r);
        let mut decoys = Vec::new();
        for n in 0..cfg.decoy_sites {
            // The first decoy's URL has the real one as a prefix, to catch
            // clients that match sites with `starts_with`.
            let url = if n == 0 {
                format!("{base}.example.net")
            } else {
                format!("https://sim-decoy-{n}.atlassian.net")
            };
            decoys.push((uuid_from(&mut r), url));
        }
        let dc_search_max = match cfg.deployment {
            SimDeployment::Cloud => None,
            SimDeployment::DataCenter { search_max_results } => Some(search_max_results),
        };
        let dc = dc_search_max.is_some();
        let rest = format!("{base}/rest/api/{}", if dc { 2 } else { 3 });
        let users_json = {
            let ctx = render::Ctx {
                store: &store,
                base: &base,
                rest: &rest,
                tz: &tz,
                wiki: false,
                dc,
                users: &[],
            };
            (0..u8::try_from(crate::data::USERS.len()).unwrap_or(0))
                .map(|u| ctx.render_user(u))
                .collect()
        };
        Ok(Self {
            cloud_id,
            users_json,
            clock,
            oauth: cfg
                .oauth
                .as_ref()
                .map(|o| Mutex::new(OAuthState::new(o, cfg.seed))),
            tz,
            email: cfg.email,
            api_token: cfg.api_token,
            pat: cfg.pat,
            latency: cfg.latency,
            decoys,
            store: RwLock::new(store),
            limits: Mutex::new(Limits {
                faults: cfg.faults,
                buckets: HashMap::new(),
                quota_used: 0,
                quota_window_start: Instant::now(),
                fault_rng: Rng::derive(cfg.seed, 0, 0xfa17),
            }),
            stats: Mutex::new(BTreeMap::new()),
            cache: Mutex::new(Vec::new()),
            resource_calls: AtomicU64::new(0),
            request_ids: AtomicU64::new(0),
            base,
            rest,
            dc_search_max,
        })
    }

    fn is_dc(&self) -> bool {
        self.dc_search_max.is_some()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lag_ms(&self) -> i64 {
        i64::try_from(lock(&self.limits).faults.index_lag.as_millis()).unwrap_or(i64::MAX / 4)
    }

    // ---- Control API -------------------------------------------------

    pub(crate) fn create_issue(&self, project: &str) -> Result<String, Error> {
        let now = self.clock.now_ms();
        let lag = self.lag_ms();
        let mut s = self.write();
        let p = s
            .project_index(project)
            .ok_or_else(|| Error::UnknownProject {
                key: project.to_owned(),
            })?;
        let idx = u32::try_from(s.issues.len()).map_err(|_| Error::InvalidConfig {
            reason: "too many issues".into(),
        })?;
        let num = s.projects[usize::from(p)].next_num;
        s.projects[usize::from(p)].next_num += 1;
        let id = FIRST_ISSUE_ID + u64::from(idx);
        let mut r = Rng::derive(s.seed, id, 9);
        let issue = Issue {
            id,
            project: p,
            num,
            created: now,
            updated: now,
            gen_updated: now,
            summary: summary_for(&mut r),
            issue_type: 0,
            status: 0,
            priority: 2,
            assignee: None,
            reporter: 0,
            parent: None,
            subtasks: Vec::new(),
            links: Vec::new(),
            gen_comments: 0,
            gen_changes: 0,
            description: None,
            added_comments: Vec::new(),
            deleted_comments: Vec::new(),
            added_changes: Vec::new(),
            deleted: false,
            // Not searchable until indexed.
            indexed: View {
                project: p,
                num,
                created: now,
                updated: now,
                visible: false,
            },
            pending: None,
        };
        let key = crate::data::key_of(&s.projects, p, num);
        s.keys.insert(key.clone(), idx);
        s.issues.push(issue);
        s.reindex(idx, now, lag);
        Ok(key)
    }

    fn with_issue<T>(
        &self,
        key_or_id: &str,
        f: impl FnOnce(&mut Store, u32, i64) -> T,
    ) -> Result<T, Error> {
        let now = self.clock.now_ms();
        let lag = self.lag_ms();
        let mut s = self.write();
        let idx = s.resolve(key_or_id).ok_or_else(|| Error::UnknownIssue {
            key_or_id: key_or_id.to_owned(),
        })?;
        let out = f(&mut s, idx, now);
        s.reindex(idx, now, lag);
        Ok(out)
    }

    pub(crate) fn update_issue(&self, key_or_id: &str, edit: IssueEdit) -> Result<(), Error> {
        self.with_issue(key_or_id, |s, idx, now| {
            let change_id = s.next_change_id;
            s.next_change_id += 1;
            let i = &mut s.issues[idx as usize];
            let mut items = Vec::new();
            if let Some(summary) = edit.summary {
                items.push(json!({"field": "summary", "fieldtype": "jira", "fieldId": "summary", "from": null, "fromString": i.summary, "to": null, "toString": summary}));
                i.summary = summary;
            }
            if let Some(d) = edit.description {
                items.push(json!({"field": "description", "fieldtype": "jira", "fieldId": "description", "from": null, "fromString": null, "to": null, "toString": d}));
                i.description = Some(adf::plain(&d));
            }
            if !items.is_empty() {
                i.added_changes.push(AddedChange { id: change_id, author: 0, created: now, items });
            }
            i.updated = now;
        })
    }

    pub(crate) fn add_comment(&self, key_or_id: &str, c: NewComment) -> Result<String, Error> {
        self.with_issue(key_or_id, |s, idx, now| {
            let id = s.next_comment_id;
            s.next_comment_id += 1;
            let i = &mut s.issues[idx as usize];
            i.added_comments.push(AddedComment {
                id,
                author: 1,
                body: adf::plain(&c.text),
                created: now,
                visibility: c.visibility,
                jsd_public: !c.internal,
            });
            i.updated = now;
            id.to_string()
        })
    }

    pub(crate) fn delete_issue(&self, key_or_id: &str) -> Result<(), Error> {
        self.with_issue(key_or_id, |s, idx, _| s.issues[idx as usize].deleted = true)
    }

    pub(crate) fn move_issue(&self, key_or_id: &str, new_project: &str) -> Result<String, Error> {
        let target =
            self.read()
                .project_index(new_project)
                .ok_or_else(|| Error::UnknownProject {
                    key: new_project.to_owned(),
                })?;
        self.with_issue(key_or_id, |s, idx, now| {
            let num = s.projects[usize::from(target)].next_num;
            s.projects[usize::from(target)].next_num += 1;
            let change_id = s.next_change_id;
            s.next_change_id += 1;
            let i = &s.issues[idx as usize];
            let old_key = s.key(i);
            let old_project = s.projects[usize::from(i.project)].clone();
            let new_key = crate::data::key_of(&s.projects, target, num);
            let new_p = &s.projects[usize::from(target)];
            let items = vec![
                json!({"field": "project", "fieldtype": "jira", "fieldId": "project", "from": old_project.id.to_string(), "fromString": old_project.name, "to": new_p.id.to_string(), "toString": new_p.name}),
                json!({"field": "Key", "fieldtype": "jira", "from": null, "fromString": old_key, "to": null, "toString": new_key}),
            ];
            s.keys.insert(new_key.clone(), idx);
            let i = &mut s.issues[idx as usize];
            i.project = target;
            i.num = num;
            i.updated = now;
            i.added_changes.push(AddedChange { id: change_id, author: 0, created: now, items });
            new_key
        })
    }

    pub(crate) fn reset_quota(&self) {
        let mut l = lock(&self.limits);
        l.quota_used = 0;
        l.quota_window_start = Instant::now();
    }

    pub(crate) fn set_faults(&self, f: Faults) {
        let mut l = lock(&self.limits);
        l.faults = f;
        l.buckets.clear();
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            requests: lock(&self.stats).clone(),
            points_used: lock(&self.limits).quota_used,
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<IssueRef> {
        let s = self.read();
        s.issues
            .iter()
            .filter(|i| !i.deleted)
            .map(|i| IssueRef {
                id: i.id.to_string(),
                key: s.key(i),
                updated: odt_of(i.updated),
            })
            .collect()
    }

    pub(crate) fn facts(&self, key_or_id: &str) -> Result<IssueFacts, Error> {
        let s = self.read();
        let idx = s.resolve(key_or_id).ok_or_else(|| Error::UnknownIssue {
            key_or_id: key_or_id.to_owned(),
        })?;
        let i = &s.issues[idx as usize];
        Ok(IssueFacts {
            id: i.id.to_string(),
            key: s.key(i),
            updated: odt_of(i.updated),
            comment_total: render::Ctx::comment_total(i),
            changelog_total: render::Ctx::history_total(i),
        })
    }
}

// ---- HTTP ---------------------------------------------------------------

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    /// No or wrong credentials: Jira treats the caller as anonymous.
    Anonymous,
    Basic,
    Pat,
    OAuth,
}

/// A handler's answer: status, body, extra headers, and issues returned (for points).
struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
    issues: u64,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
            issues: 0,
        }
    }

    fn issues(body: Value, n: usize) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
            issues: n as u64,
        }
    }

    fn error(status: u16, msg: &str) -> Self {
        Self {
            status,
            body: json!({"errorMessages": [msg], "errors": {}}),
            headers: Vec::new(),
            issues: 0,
        }
    }
}

fn json_response(status: u16, body: &Value, headers: &[(&'static str, String)]) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    resp
}

/// Data Center's answer to wrong credentials: Seraph's HTML page, with the
/// reason in a header.
fn login_failed_response() -> Response {
    let mut resp = Response::new(Body::from(
        "<html><head><title>Unauthorized (401)</title></head><body><h1>Unauthorized (401)</h1>\
         <p>Encountered a &quot;401 - Unauthorized&quot; error while loading this page.</p>\
         <p>Basic Authentication Failure - Reason : AUTHENTICATED_FAILED</p></body></html>",
    ));
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    h.insert(
        "x-seraph-loginreason",
        HeaderValue::from_static("AUTHENTICATED_FAILED"),
    );
    resp
}

/// Data Center's rate-limit headers: a token bucket refilled by `limit`
/// tokens every second; `retry-after` is 0 while tokens are left.
fn dc_rate_headers(limit: u32, remaining: u64, retry_after: u64) -> Vec<(&'static str, String)> {
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-interval-seconds", "1".to_owned()),
        ("x-ratelimit-fillrate", limit.to_string()),
        ("retry-after", retry_after.to_string()),
    ]
}

/// A response whose body fails after the headers, so the client sees the
/// connection cut mid-response.
fn dropped_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("simulated drop"))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    resp
}

type Params = Vec<(String, String)>;

fn param<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn params_all<'a>(p: &'a Params, name: &'a str) -> impl Iterator<Item = &'a str> {
    p.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The route template used for statistics and burst buckets.
fn route_name(method: &Method, segs: &[&str]) -> String {
    // Ids and keys in paths are replaced by placeholders so that statistics
    // and burst buckets are per endpoint, as Jira's limits are.
    let templated = |v: &str, head: &str, param: &str, rest: &[&str]| {
        let mut s = format!("/rest/api/{v}/{head}/{{{param}}}");
        for r in rest {
            s.push('/');
            s.push_str(r);
        }
        s
    };
    let tail = match segs {
        ["rest", "api", v, "issue", k, rest @ ..] if *k != "bulkfetch" => {
            templated(v, "issue", "issueIdOrKey", rest)
        }
        ["rest", "api", v, "project", p, rest @ ..] if !matches!(*p, "search" | "type") => {
            templated(v, "project", "projectIdOrKey", rest)
        }
        _ => format!("/{}", segs.join("/")),
    };
    format!("{method} {tail}")
}

async fn dispatch(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 32 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let params: Params = AxQuery::<Params>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let dc = sh.is_dc();

    // The API gateway prefix (Cloud's; a Data Center server has no such path).
    let mut via_gateway = false;
    if !dc && let ["ex", "jira", cloud, ..] = segs.as_slice() {
        if *cloud != sh.cloud_id {
            return record(
                &sh,
                &format!("{method} /ex/jira/{{cloudId}}"),
                json_response(
                    404,
                    &json!({"errorMessages": ["Site not found for this cloud id."], "errors": {}}),
                    &[],
                ),
                404,
            );
        }
        via_gateway = true;
        segs.drain(..3);
    }
    let route = route_name(&method, &segs);

    // OAuth endpoints are Atlassian's auth service, not Jira: no Jira faults.
    if !via_gateway && !dc {
        match (method.clone(), segs.as_slice()) {
            (Method::POST, ["oauth", "token"]) => {
                let r = sh.token(&parts.headers, &body);
                return record(&sh, &route, json_response(r.status, &r.body, &[]), r.status);
            }
            (Method::GET, ["oauth", "token", "accessible-resources"]) => {
                let r = sh.accessible_resources(&parts.headers);
                return record(&sh, &route, json_response(r.status, &r.body, &[]), r.status);
            }
            _ => {}
        }
    }

    if !sh.latency.is_zero() {
        tokio::time::sleep(sh.latency).await;
    }
    let principal = sh.principal(&parts.headers, via_gateway);
    if via_gateway && principal == Principal::Anonymous {
        // The gateway itself rejects calls without a valid token.
        let r = Reply {
            status: 401,
            body: json!({"code": 401, "message": "Unauthorized"}),
            headers: Vec::new(),
            issues: 0,
        };
        return record(&sh, &route, json_response(r.status, &r.body, &[]), 401);
    }
    if dc && principal == Principal::Anonymous && parts.headers.contains_key(header::AUTHORIZATION)
    {
        // Data Center refuses wrong credentials outright (Seraph's login
        // filter; a bad PAT the same) rather than serving an anonymous caller.
        return record(&sh, &route, login_failed_response(), 401);
    }

    // Trouble, in the order Jira's edge applies it.
    let chargeable;
    let mut rate_headers = Vec::new();
    {
        let mut l = lock(&sh.limits);
        // Cloud limits each endpoint and method; Data Center's rate
        // limiting gives each user one bucket for all of its requests.
        let (bucket, limit) = if dc {
            ("user".to_owned(), l.faults.burst_limit)
        } else {
            let limit = l.faults.burst_limits.get(&route).copied();
            (route.clone(), limit.or(l.faults.burst_limit))
        };
        if let Some(limit) = limit {
            let cap = f64::from(limit.max(1));
            let now = Instant::now();
            let b = l.buckets.entry(bucket).or_insert(Bucket {
                tokens: cap,
                last: now,
            });
            b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * cap).min(cap);
            b.last = now;
            let reset_secs = ((cap - b.tokens) / cap).ceil().max(1.0);
            #[allow(clippy::cast_possible_truncation)]
            let reset_at = format_rfc3339(wall_ms() + (reset_secs as i64) * 1000);
            if b.tokens < 1.0 {
                #[allow(clippy::cast_possible_truncation)]
                let retry = ((1.0 - b.tokens) / cap).ceil().max(1.0) as u64;
                let headers = if dc {
                    dc_rate_headers(limit, 0, retry)
                } else {
                    vec![
                        ("retry-after", retry.to_string()),
                        ("ratelimit-reason", "jira-burst-based".to_owned()),
                        ("x-ratelimit-limit", limit.to_string()),
                        ("x-ratelimit-remaining", "0".to_owned()),
                        ("x-ratelimit-reset", reset_at),
                        ("x-ratelimit-nearlimit", "true".to_owned()),
                    ]
                };
                drop(l);
                let body = json!({"errorMessages": ["Rate limit exceeded."], "errors": {}});
                return record(&sh, &route, json_response(429, &body, &headers), 429);
            }
            b.tokens -= 1.0;
            #[allow(clippy::cast_possible_truncation)]
            let remaining = b.tokens.floor() as u64;
            if dc {
                rate_headers = dc_rate_headers(limit, remaining, 0);
            } else {
                rate_headers.push(("x-ratelimit-limit", limit.to_string()));
                rate_headers.push(("x-ratelimit-remaining", remaining.to_string()));
                rate_headers.push(("x-ratelimit-reset", reset_at));
                if (remaining as f64) < cap * 0.2 {
                    rate_headers.push(("x-ratelimit-nearlimit", "true".to_owned()));
                }
            }
        }
        // The points quota is Cloud's (OAuth apps); Data Center has none.
        chargeable = !dc
            && l.faults.quota_points_per_hour.is_some()
            && (principal == Principal::OAuth || l.faults.quota_applies_to_all)
            && principal != Principal::Anonymous;
        if let Some(quota) = l.faults.quota_points_per_hour.filter(|_| chargeable) {
            let elapsed = l.quota_window_start.elapsed().as_secs();
            if elapsed >= 3600 {
                l.quota_used = 0;
                l.quota_window_start = Instant::now();
            }
            let left = 3600 - l.quota_window_start.elapsed().as_secs().min(3599);
            if l.quota_used >= quota {
                let headers = vec![
                    ("retry-after", left.to_string()),
                    ("ratelimit-reason", "jira-quota-tenant-based".to_owned()),
                    ("x-ratelimit-limit", quota.to_string()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    (
                        "x-ratelimit-reset",
                        format_rfc3339(wall_ms() + i64::try_from(left).unwrap_or(0) * 1000),
                    ),
                ];
                drop(l);
                let body = json!({"errorMessages": ["Rate limit exceeded: the hourly points quota is used up."], "errors": {}});
                return record(&sh, &route, json_response(429, &body, &headers), 429);
            }
        }
        let rate = l.faults.error_rate_5xx;
        if rate > 0.0 && l.fault_rng.chance(rate) {
            let status = if l.fault_rng.chance(0.5) { 500 } else { 503 };
            drop(l);
            let headers = if status == 503 {
                vec![("retry-after", "1".to_owned())]
            } else {
                Vec::new()
            };
            let body = json!({"errorMessages": ["Internal server error"], "errors": {}});
            return record(&sh, &route, json_response(status, &body, &headers), status);
        }
        let rate = l.faults.drop_rate;
        if rate > 0.0 && l.fault_rng.chance(rate) {
            drop(l);
            return record(&sh, &route, dropped_response(), 0);
        }
    }

    let reply = sh.handle(&method, &segs, &params, &body, principal, via_gateway);
    if chargeable {
        lock(&sh.limits).quota_used += 1 + reply.issues;
    }
    let mut headers = reply.headers;
    headers.extend(rate_headers);
    headers.push((
        "x-arequestid",
        format!("sim-{}", sh.request_ids.fetch_add(1, Ordering::Relaxed)),
    ));
    let status = reply.status;
    record(
        &sh,
        &route,
        json_response(status, &reply.body, &headers),
        status,
    )
}

fn record(sh: &Shared, route: &str, resp: Response, status: u16) -> Response {
    *lock(&sh.stats)
        .entry(route.to_owned())
        .or_default()
        .entry(status)
        .or_default() += 1;
    resp
}

fn format_rfc3339(ms: i64) -> String {
    let s = format_jira(ms, 0);
    // 2026-11-29T01:45:02.123+0000 -> 2026-11-29T01:45:02.123Z
    format!("{}Z", &s[..s.len() - 5])
}

fn parse_body(body: &[u8]) -> Result<Value, Reply> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| Reply::error(400, BAD_PAYLOAD))
}

/// A JSON value that may be an array of strings or one comma-separated string.
fn str_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .or_else(|| x.as_u64().map(|n| n.to_string()))
            })
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn encode_token(parts: &[u64]) -> String {
    let s = parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(":");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn decode_token(t: &str, n: usize) -> Option<Vec<u64>> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()?;
    let parts: Vec<u64> = std::str::from_utf8(&raw)
        .ok()?
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    (parts.len() == n).then_some(parts)
}

struct SearchReq {
    jql: String,
    token: Option<String>,
    max: Option<usize>,
    fields: Vec<String>,
    expand: Vec<String>,
    reconcile: Vec<String>,
}

/// Data Center's `/rest/api/2/search`: offset paging with a `total`.
struct DcSearchReq {
    jql: String,
    start_at: usize,
    max: Option<usize>,
    fields: Vec<String>,
    expand: Vec<String>,
}

impl Shared {
    fn principal(&self, headers: &HeaderMap, via_gateway: bool) -> Principal {
        let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Principal::Anonymous;
        };
        if let Some(b64) = auth.strip_prefix("Basic ") {
            let ok = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .is_some_and(|d| {
                    d.split_once(':').is_some_and(|(e, t)| {
                        e.eq_ignore_ascii_case(&self.email) && t == self.api_token
                    })
                });
            return if ok {
                Principal::Basic
            } else {
                Principal::Anonymous
            };
        }
        if let Some(tok) = auth.strip_prefix("Bearer ") {
            let tok = tok.trim();
            if via_gateway {
                if let Some(o) = &self.oauth
                    && lock(o).access_valid(tok, self.clock.now_ms())
                {
                    return Principal::OAuth;
                }
            } else if self.pat.as_deref() == Some(tok) {
                return Principal::Pat;
            }
        }
        Principal::Anonymous
    }

    fn token(&self, headers: &HeaderMap, body: &[u8]) -> Reply {
        let Some(o) = &self.oauth else {
            return Reply {
                status: 400,
                body: json!({"error": "unauthorized_client", "error_description": "OAuth is not enabled on this simulator"}),
                headers: Vec::new(),
                issues: 0,
            };
        };
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let mut p: HashMap<String, String> = HashMap::new();
        if is_form {
            let uri = format!("/?{}", String::from_utf8_lossy(body));
            if let Ok(uri) = uri.parse::<axum::http::Uri>()
                && let Ok(q) = AxQuery::<Vec<(String, String)>>::try_from_uri(&uri)
            {
                p.extend(q.0);
            }
        } else if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
            for (k, v) in m {
                if let Some(s) = v.as_str() {
                    p.insert(k, s.to_owned());
                }
            }
        }
        let (status, body) = lock(o).exchange(&p, self.clock.now_ms());
        Reply {
            status,
            body,
            headers: Vec::new(),
            issues: 0,
        }
    }

    fn accessible_resources(&self, headers: &HeaderMap) -> Reply {
        let tok = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.strip_prefix("Bearer "));
        let valid = match (&self.oauth, tok) {
            (Some(o), Some(t)) => lock(o).access_valid(t.trim(), self.clock.now_ms()),
            _ => false,
        };
        if !valid {
            return Reply {
                status: 401,
                body: json!({"code": 401, "message": "Unauthorized"}),
                headers: Vec::new(),
                issues: 0,
            };
        }
        let scopes = json!(["read:jira-work", "read:jira-user", "offline_access"]);
        let mut sites: Vec<Value> = vec![
            json!({"id": self.cloud_id, "url": self.base, "name": "sim", "scopes": scopes, "avatarUrl": "https://site-admin-avatar-cdn.example/avatars/240/rocket.png"}),
        ];
        for (n, (id, url)) in self.decoys.iter().enumerate() {
            sites.push(json!({"id": id, "url": url, "name": format!("decoy-{n}"), "scopes": scopes, "avatarUrl": "https://site-admin-avatar-cdn.example/avatars/240/star.png"}));
        }
        // "No guaranteed order": rotate on every call.
        let n = sites.len();
        let k =
            usize::try_from(self.resource_calls.fetch_add(1, Ordering::Relaxed)).unwrap_or(0) % n;
        sites.rotate_left((k + 1) % n);
        Reply::ok(Value::Array(sites))
    }

    fn ctx<'a>(&'a self, s: &'a Store, wiki: bool) -> render::Ctx<'a> {
        render::Ctx {
            store: s,
            base: &self.base,
            rest: &self.rest,
            tz: &self.tz,
            wiki,
            dc: self.is_dc(),
            users: &self.users_json,
        }
    }

    /// Jira Data Center's 404 for a path no resource serves.
    fn dc_not_found(&self, segs: &[&str]) -> Reply {
        let mut r = Reply::ok(json!({
            "message": format!("null for uri: {}/{}", self.base, segs.join("/")),
            "status-code": 404,
        }));
        r.status = 404;
        r
    }

    /// What only Data Center answers differently; `None` falls through to
    /// the handlers it shares with Cloud's v2.
    fn handle_dc(
        &self,
        method: &Method,
        segs: &[&str],
        params: &Params,
        body: &[u8],
        anon: bool,
        search_max: usize,
    ) -> Option<Reply> {
        let Some(rest) = segs.strip_prefix(&["rest", "api", "2"]) else {
            // No v3 (and no gateway or OAuth service) on Data Center.
            return Some(self.dc_not_found(segs));
        };
        Some(match (method.clone(), rest) {
            // Cloud-only resources.
            (
                _,
                ["search", "jql" | "approximate-count"]
                | ["issue" | "changelog", "bulkfetch"]
                | ["issue", _, "changelog"]
                | ["project", "search"],
            ) => self.dc_not_found(segs),
            (Method::GET | Method::POST, ["search"]) => {
                let req = if *method == Method::GET {
                    Self::dc_search_get(params)
                } else {
                    Self::dc_search_post(body)
                };
                match req {
                    Ok(r) => self.dc_search(r, anon, search_max),
                    Err(e) => e,
                }
            }
            (Method::GET, ["serverInfo"]) => Reply::ok(json!({
                // A Data Center node reports "Server" too.
                "baseUrl": self.base, "version": "9.12.15", "versionNumbers": [9, 12, 15],
                "deploymentType": "Server", "buildNumber": 9_120_015, "buildDate": "2024-10-24T00:00:00.000+0000",
                "databaseBuildNumber": 9_120_015, "serverTime": self.tz.format_ms(self.clock.now_ms()),
                "scmInfo": "sim", "serverTitle": "Jira"
            })),
            _ => return None,
        })
    }

    fn handle(
        &self,
        method: &Method,
        segs: &[&str],
        params: &Params,
        body: &[u8],
        who: Principal,
        gateway: bool,
    ) -> Reply {
        let anon = who == Principal::Anonymous;
        if let Some(max) = self.dc_search_max
            && let Some(r) = self.handle_dc(method, segs, params, body, anon, max)
        {
            return r;
        }
        // Cloud serves the same resources under v2, with rich text as wiki
        // markup instead of ADF; third-party connectors still use it.
        let (v2, rest) = match segs {
            ["rest", "api", "2", rest @ ..] => (true, rest),
            ["rest", "api", "3", rest @ ..] => (false, rest),
            _ => return Reply::error(404, "No such endpoint in the Jira simulator."),
        };
        match (method.clone(), rest) {
            (_, ["search"]) => Reply::error(410, REMOVED_SEARCH),
            (Method::GET, ["myself"]) => {
                if anon {
                    return Reply::error(
                        401,
                        "Client must be authenticated to access this resource.",
                    );
                }
                self.myself(gateway)
            }
            (Method::GET, ["serverInfo"]) => Reply::ok(json!({
                "baseUrl": self.base, "displayUrl": self.base, "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud", "buildNumber": 100_299, "buildDate": "2026-11-20T00:00:00.000+0000",
                "serverTime": self.tz.format_ms(self.clock.now_ms()), "scmInfo": "sim", "serverTitle": "Jira",
                "defaultLocale": {"locale": "en_US"}, "serverTimeZone": "Etc/UTC"
            })),
            (Method::GET, ["field"]) => Reply::ok(render::fields(self.is_dc())),
            (Method::GET | Method::POST, ["search", "jql"]) => {
                let req = if *method == Method::GET {
                    Self::search_get(params)
                } else {
                    Self::search_post(body)
                };
                match req {
                    Ok(r) => self.search(r, anon, v2),
                    Err(e) => e,
                }
            }
            (Method::POST, ["search", "approximate-count"]) => self.approximate_count(body, anon),
            (Method::POST, ["issue", "bulkfetch"]) => self.bulkfetch(body, anon, v2),
            (Method::POST, ["changelog", "bulkfetch"])
                if lock(&self.limits).faults.no_changelog_bulkfetch =>
            {
                Reply::error(404, "No such endpoint in the Jira simulator.")
            }
            (Method::POST, ["changelog", "bulkfetch"]) => self.changelog_bulk(body, anon),
            (Method::GET, ["project", "search"]) => self.project_search(params, anon),
            (Method::GET, ["project"]) => {
                let s = self.read();
                let ctx = self.ctx(&s, v2);
                let all = if anon {
                    Vec::new()
                } else {
                    (0..s.projects.len())
                        .map(|p| ctx.project(u16::try_from(p).unwrap_or(0)))
                        .collect()
                };
                Reply::ok(Value::Array(all))
            }
            (Method::GET, ["project", p, what @ ("version" | "component")]) => {
                self.project_children(p, what, params, anon)
            }
            (Method::GET, ["project", "type"]) => Reply::ok(json!([
                {"key": "software", "formattedKey": "Software", "descriptionI18nKey": "jira.project.type.software.description", "icon": "", "color": "#FF5630"},
                {"key": "service_desk", "formattedKey": "Service management", "descriptionI18nKey": "jira.project.type.servicedesk.description", "icon": "", "color": "#00B8D9"}
            ])),
            (Method::GET, ["projectCategory"]) => Reply::ok(json!([])),
            (Method::GET, ["resolution"]) => Reply::ok(json!([
                {"self": format!("{}/rest/api/{}/resolution/10000", self.base, if v2 { 2 } else { 3 }), "id": "10000", "description": "Work has been completed on this issue.", "name": "Done"},
                {"self": format!("{}/rest/api/{}/resolution/10001", self.base, if v2 { 2 } else { 3 }), "id": "10001", "description": "This issue won't be actioned.", "name": "Won't Do"}
            ])),
            (Method::GET, ["role"]) => Reply::ok(json!([
                {"self": format!("{}/rest/api/2/role/10002", self.base), "name": "Administrators", "id": 10002, "description": "Project administrators", "actors": []},
                {"self": format!("{}/rest/api/2/role/10003", self.base), "name": "Member", "id": 10003, "description": "Project members", "actors": []}
            ])),
            (Method::GET, ["group", "member"]) => self.group_members(params, anon),
            (Method::GET, ["worklog", "updated"]) => {
                // The dataset has no worklogs (every issue reports total 0).
                let since: i64 = param(params, "since")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                Reply::ok(
                    json!({"values": [], "since": since, "until": self.clock.now_ms(), "lastPage": true}),
                )
            }
            (Method::POST, ["worklog", "list"]) => Reply::ok(json!([])),
            (Method::GET, ["issue", key]) => self.get_issue(key, params, anon, v2),
            (Method::GET, ["issue", key, "comment"]) => self.comments(key, params, anon, v2),
            (Method::GET, ["issue", key, "changelog"]) => self.changelog(key, params, anon),
            _ if self.is_dc() => self.dc_not_found(segs),
            _ => Reply::error(404, "No such endpoint in the Jira simulator."),
        }
    }

    fn project_children(&self, p: &str, what: &str, params: &Params, anon: bool) -> Reply {
        let (start, max) = match Self::paging(params, 50, 100) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let s = self.read();
        let Some(pi) = s.project_index(p).filter(|_| !anon) else {
            return Reply::error(404, &format!("No project could be found with key '{p}'."));
        };
        let proj = &s.projects[usize::from(pi)];
        let all: Vec<Value> = if what == "component" {
            ["API", "Web", "Billing", "Infrastructure"]
                .iter()
                .enumerate()
                .map(|(n, name)| json!({"self": format!("{}/component/{}", self.rest, 10_000 + n), "id": (10_000 + n).to_string(), "name": name, "project": proj.key, "projectId": proj.id, "assigneeType": "PROJECT_DEFAULT", "isAssigneeTypeValid": false}))
                .collect()
        } else {
            (1..=2)
                .map(|n| json!({"self": format!("{}/version/{}{n}", self.rest, proj.id), "id": format!("{}{n}", proj.id), "name": format!("{}.0", n), "archived": false, "released": n == 1, "projectId": proj.id}))
                .collect()
        };
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
        let is_last = start + page.len() >= total;
        Reply::ok(
            json!({"self": format!("{}/project/{}/{what}", self.rest, proj.key), "maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": page}),
        )
    }

    fn group_members(&self, params: &Params, anon: bool) -> Reply {
        let (start, max) = match Self::paging(params, 50, 50) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let group = param(params, "groupname").unwrap_or_default();
        if anon
            || !matches!(
                group,
                "jira-administrators"
                    | "jira-software-users"
                    | "jira-users"
                    | "site-admins"
                    | "jira-developers"
            )
        {
            return Reply::error(404, &format!("Group '{group}' does not exist."));
        }
        let s = self.read();
        let ctx = self.ctx(&s, false);
        let all: Vec<Value> = (0..u8::try_from(crate::data::USERS.len()).unwrap_or(0))
            .map(|u| ctx.user(u))
            .collect();
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
        let is_last = start + page.len() >= total;
        Reply::ok(
            json!({"self": format!("{}/rest/api/2/group/member?groupname={group}", self.base), "maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": page}),
        )
    }

    fn myself(&self, gateway: bool) -> Reply {
        let mut me = json!({
            "emailAddress": self.email,
            "avatarUrls": {"48x48": "https://avatar.example/48", "24x24": "https://avatar.example/24", "16x16": "https://avatar.example/16", "32x32": "https://avatar.example/32"},
            "displayName": "Sync Bot",
            "active": true,
            "timeZone": self.tz.name(),
            "locale": "en_US",
            "groups": {"size": 2, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles"
        });
        if self.is_dc() {
            // Data Center users have a name and a key, and no account id;
            // the configured email doubles as the name basic auth signs in with.
            let name = &self.email;
            me["self"] = json!(format!("{}/user?username={name}", self.rest));
            me["name"] = json!(name);
            me["key"] = json!("JIRAUSER10200");
            me["deleted"] = json!(false);
        } else {
            let id = render::account_id(self.read().seed, 200);
            let base = if gateway {
                format!("{}/ex/jira/{}", self.base, self.cloud_id)
            } else {
                self.base.clone()
            };
            me["self"] = json!(format!("{base}/rest/api/3/user?accountId={id}"));
            me["accountId"] = json!(id);
            me["accountType"] = json!("atlassian");
        }
        Reply::ok(me)
    }

    fn search_get(params: &Params) -> Result<SearchReq, Reply> {
        if param(params, "startAt").is_some() {
            return Err(Reply::error(
                400,
                "The 'startAt' parameter is not supported by this resource. Use 'nextPageToken' to page through results.",
            ));
        }
        let max =
            match param(params, "maxResults") {
                Some(m) => Some(m.parse::<usize>().map_err(|_| {
                    Reply::error(400, "The 'maxResults' parameter must be a number.")
                })?),
                None => None,
            };
        Ok(SearchReq {
            jql: param(params, "jql").unwrap_or_default().to_owned(),
            token: param(params, "nextPageToken").map(str::to_owned),
            max,
            fields: params_all(params, "fields").map(str::to_owned).collect(),
            expand: params_all(params, "expand")
                .flat_map(|e| e.split(',').map(|x| x.trim().to_owned()))
                .collect(),
            reconcile: params_all(params, "reconcileIssues")
                .flat_map(|e| e.split(',').map(|x| x.trim().to_owned()))
                .collect(),
        })
    }

    fn search_post(body: &[u8]) -> Result<SearchReq, Reply> {
        let v = parse_body(body)?;
        let Value::Object(m) = &v else {
            return Err(Reply::error(400, BAD_PAYLOAD));
        };
        const KNOWN: [&str; 8] = [
            "jql",
            "nextPageToken",
            "maxResults",
            "fields",
            "expand",
            "properties",
            "fieldsByKeys",
            "reconcileIssues",
        ];
        if m.keys()
            .any(|k| !KNOWN.contains(&k.as_str()) && k != "failFast")
        {
            // Includes `startAt`, which this API does not accept.
            return Err(Reply::error(400, BAD_PAYLOAD));
        }
        Ok(SearchReq {
            jql: m
                .get("jql")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            token: m
                .get("nextPageToken")
                .and_then(Value::as_str)
                .map(str::to_owned),
            max: m
                .get("maxResults")
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok()),
            fields: m.get("fields").map(str_list).unwrap_or_default(),
            expand: m.get("expand").map(str_list).unwrap_or_default(),
            reconcile: m.get("reconcileIssues").map(str_list).unwrap_or_default(),
        })
    }

    fn dc_search_get(params: &Params) -> Result<DcSearchReq, Reply> {
        let (start_at, max) = Self::paging_params(params)?;
        let list = |name| {
            params_all(params, name)
                .flat_map(|e| e.split(',').map(|x| x.trim().to_owned()))
                .filter(|x| !x.is_empty())
                .collect()
        };
        Ok(DcSearchReq {
            jql: param(params, "jql").unwrap_or_default().to_owned(),
            start_at: start_at.unwrap_or(0),
            max,
            fields: list("fields"),
            expand: list("expand"),
        })
    }

    fn dc_search_post(body: &[u8]) -> Result<DcSearchReq, Reply> {
        let v = parse_body(body)?;
        let Value::Object(m) = &v else {
            return Err(Reply::error(400, BAD_PAYLOAD));
        };
        // Jira binds the body to a bean that rejects unknown properties
        // (Cloud's `nextPageToken` among them) and wants lists as arrays.
        const KNOWN: [&str; 8] = [
            "jql",
            "startAt",
            "maxResults",
            "fields",
            "expand",
            "validateQuery",
            "properties",
            "fieldsByKeys",
        ];
        if let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(Reply::error(
                400,
                &format!(
                    "Unrecognized field \"{k}\" (Class com.atlassian.jira.rest.v2.search.SearchRequestBean), not marked as ignorable"
                ),
            ));
        }
        let strings = |name: &str| -> Result<Vec<String>, Reply> {
            match m.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()),
                Some(_) => Err(Reply::error(
                    400,
                    &format!("'{name}' must be an array of strings."),
                )),
            }
        };
        let number = |name: &str| -> Result<Option<usize>, Reply> {
            match m.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(n) => n
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| {
                        Reply::error(400, &format!("'{name}' must be a non-negative number."))
                    }),
            }
        };
        Ok(DcSearchReq {
            jql: m
                .get("jql")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            start_at: number("startAt")?.unwrap_or(0),
            max: number("maxResults")?,
            fields: strings("fields")?,
            expand: strings("expand")?,
        })
    }

    /// `startAt` and `maxResults` query parameters, when given.
    fn paging_params(params: &Params) -> Result<(Option<usize>, Option<usize>), Reply> {
        let num = |name: &str| match param(params, name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                Reply::error(400, &format!("The '{name}' parameter must be a number."))
            }),
        };
        Ok((num("startAt")?, num("maxResults")?))
    }

    /// Data Center's search: every field a page asks for (all navigable
    /// ones by default), offset paging over the query's stable order, the
    /// exact `total`, and `maxResults` capped by the site (the response
    /// says what was used; 0 gives just the total).
    fn dc_search(&self, r: DcSearchReq, anon: bool, search_max: usize) -> Reply {
        let sel = FieldSel::parse(r.fields.iter().map(String::as_str), "*navigable");
        let expand = render::Expand::parse(r.expand.iter().map(String::as_str));
        let max = r.max.unwrap_or(DC_DEFAULT_MAX_RESULTS).min(search_max);
        let window = lock(&self.limits).faults.search_result_window;
        if let Some(window) = window
            && r.start_at + max > window
        {
            return Reply::error(
                500,
                &format!(
                    "Search limit exceeded. We couldn't complete your search because it requests \
                     {} results which exceeded the search platform limit of {window}. Try \
                     refining your query or contact your Jira administrator.",
                    r.start_at + max
                ),
            );
        }
        let s = self.read();
        let result = match self.run_query(&s, &r.jql, &[]) {
            Ok(r) => r,
            Err(e) => return e,
        };
        // Jira silently shows an anonymous caller nothing.
        let total = if anon { 0 } else { result.len() };
        let ctx = self.ctx(&s, true);
        let issues: Vec<Value> = result
            .get(r.start_at.min(total)..total)
            .unwrap_or_default()
            .iter()
            .take(max)
            .filter(|i| !s.issues[**i as usize].deleted && !self.omit_from_page(r.start_at))
            .map(|i| ctx.issue(*i, &sel, expand))
            .collect();
        let n = issues.len();
        Reply::issues(
            json!({"expand": "schema,names", "startAt": r.start_at, "maxResults": max, "total": total, "issues": issues}),
            n,
        )
    }

    /// Whether the `search_omit_rate` fault drops the next issue of the
    /// page starting at `offset` (a first page cannot have shifted).
    fn omit_from_page(&self, offset: usize) -> bool {
        if offset == 0 {
            return false;
        }
        let mut l = lock(&self.limits);
        let rate = l.faults.search_omit_rate;
        rate > 0.0 && l.fault_rng.chance(rate)
    }

    /// Runs a search, caching the ordered result for paging. Returns the
    /// compiled-and-filtered index list or Jira's 400.
    fn run_query(&self, s: &Store, jql: &str, reconcile: &[u32]) -> Result<Arc<Vec<u32>>, Reply> {
        let now = self.clock.now_ms();
        let q = s
            .compile(jql, &self.tz, now)
            .map_err(|e| Reply::error(400, &e.0))?;
        // Cloud refuses unbounded queries; Data Center runs them over every issue.
        if q.pred.is_none() && !self.is_dc() {
            return Err(Reply::error(400, crate::jql::UNBOUNDED));
        }
        let cacheable = reconcile.is_empty() && now >= s.max_pending_due;
        // Relative dates (`-1d`) depend on now: with a frozen clock the key
        // carries it; with the wall clock a minute's staleness is accepted.
        let key = if self.clock.is_frozen() {
            format!("{now}\u{0}{jql}")
        } else {
            jql.to_owned()
        };
        let jql_key = key.as_str();
        if cacheable {
            let c = lock(&self.cache);
            if let Some(hit) = c.iter().find(|e| {
                e.jql == jql_key && e.version == s.version && e.at.elapsed().as_secs() < 60
            }) {
                return Ok(hit.result.clone());
            }
        }
        let result = Arc::new(s.search(&q, now, reconcile));
        if cacheable {
            let mut c = lock(&self.cache);
            c.retain(|e| e.version == s.version && e.jql != jql_key);
            if c.len() >= 16 {
                c.remove(0);
            }
            c.push(CachedSearch {
                jql: key.clone(),
                version: s.version,
                at: Instant::now(),
                result: result.clone(),
            });
        }
        Ok(result)
    }

    fn search(&self, r: SearchReq, anon: bool, v2: bool) -> Reply {
        if r.jql.trim().is_empty() {
            return Reply::error(400, crate::jql::UNBOUNDED);
        }
        let sel = FieldSel::parse(r.fields.iter().map(String::as_str), "id");
        let expand = render::Expand::parse(r.expand.iter().map(String::as_str));
        let fingerprint = fnv(&format!("{}\u{1}{:?}\u{1}{:?}", r.jql, r.fields, r.expand));
        let offset = match &r.token {
            None => 0,
            // Tokens carry their issue time (simulator clock) and expire after 7 days.
            Some(t) => match decode_token(t, 3) {
                Some(p)
                    if p[1] == fingerprint
                        && self.clock.now_ms() - i64::try_from(p[2]).unwrap_or(0)
                            <= TOKEN_TTL_MS =>
                {
                    usize::try_from(p[0]).unwrap_or(usize::MAX)
                }
                _ => {
                    return Reply::error(
                        400,
                        "The provided next page token is invalid or expired, or does not match the query.",
                    );
                }
            },
        };
        let s = self.read();
        let reconcile: Vec<u32> = r
            .reconcile
            .iter()
            .take(50)
            .filter_map(|k| s.resolve(k))
            .collect();
        let result = match self.run_query(&s, &r.jql, &reconcile) {
            Ok(r) => r,
            Err(e) => return e,
        };
        if anon {
            // Jira silently shows an anonymous caller nothing.
            return Reply::ok(json!({"issues": [], "isLast": true}));
        }
        let usual = if sel.id_key_only() { 5000 } else { 100 };
        let cap = lock(&self.limits)
            .faults
            .search_page_cap
            .map_or(usual, |c| c.clamp(1, usual));
        let size = r.max.unwrap_or(50).clamp(1, cap);
        let ctx = self.ctx(&s, v2);
        let end = (offset + size).min(result.len());
        let issues: Vec<Value> = result
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .filter(|i| !s.issues[**i as usize].deleted && !self.omit_from_page(offset))
            .map(|i| ctx.issue(*i, &sel, expand))
            .collect();
        let n = issues.len();
        let mut body = json!({"issues": issues});
        if end < result.len() {
            body["nextPageToken"] = json!(encode_token(&[
                end as u64,
                fingerprint,
                u64::try_from(self.clock.now_ms()).unwrap_or(0)
            ]));
            body["isLast"] = json!(false);
        } else {
            body["isLast"] = json!(true);
        }
        Reply::issues(body, n)
    }

    fn approximate_count(&self, body: &[u8], anon: bool) -> Reply {
        let v = match parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let jql = v.get("jql").and_then(Value::as_str).unwrap_or_default();
        if jql.trim().is_empty() {
            return Reply::error(400, crate::jql::UNBOUNDED);
        }
        let s = self.read();
        match self.run_query(&s, jql, &[]) {
            Ok(r) => Reply::ok(json!({"count": if anon { 0 } else { r.len() }})),
            Err(e) => e,
        }
    }

    fn bulkfetch(&self, body: &[u8], anon: bool, v2: bool) -> Reply {
        let v = match parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let ids = v.get("issueIdsOrKeys").map(str_list).unwrap_or_default();
        if ids.is_empty() {
            return Reply::error(
                400,
                "issueIdsOrKeys must contain at least one issue id or key.",
            );
        }
        let fields = v.get("fields").map(str_list).unwrap_or_default();
        let expand = v.get("expand").map(str_list).unwrap_or_default();
        let sel = FieldSel::parse(fields.iter().map(String::as_str), "*navigable");
        if ids.len() > 1000 {
            return Reply::error(400, "Bulk fetch supports at most 1000 issues per request.");
        }
        if ids.len() > 100 {
            let explicit = sel.explicit_count().is_some_and(|n| n <= 100);
            let multi = sel
                .names()
                .any(|f| matches!(f, "comment" | "worklog" | "attachment"));
            let heavy_expand = expand.iter().any(|e| {
                matches!(
                    e.as_str(),
                    "changelog"
                        | "renderedFields"
                        | "names"
                        | "schema"
                        | "transitions"
                        | "operations"
                        | "editmeta"
                        | "versionedRepresentations"
                )
            });
            if !explicit || multi || heavy_expand {
                return Reply::error(
                    400,
                    "Bulk fetch supports up to 100 issues per request, or up to 1000 when at most 100 fields are requested explicitly, none of them multi-valued (comment, worklog, attachment), and changelog or rendered fields are not expanded.",
                );
            }
        }
        let s = self.read();
        let mut found: Vec<u32> = Vec::new();
        let mut errors = Vec::new();
        let error_rate = lock(&self.limits).faults.bulk_issue_error_rate;
        for k in &ids {
            let resolved = s.resolve(k).filter(|_| !anon);
            match resolved {
                Some(i) if let Some(message) = self.listed_in_bulk(&s, i) => {
                    errors.push(json!({"id": k, "errorMessage": message}));
                }
                Some(_) if error_rate > 0.0 && lock(&self.limits).fault_rng.chance(error_rate) => {
                    errors.push(json!({"id": k, "errorMessage": TRANSIENT_ISSUE_ERROR}));
                }
                Some(i) => found.push(i),
                None => errors.push(json!({"id": k, "errorMessage": NOT_FOUND_ISSUE})),
            }
        }
        found.sort_unstable();
        found.dedup();
        let ctx = self.ctx(&s, v2);
        let expand_flags = render::Expand::parse(expand.iter().map(String::as_str));
        let issues: Vec<Value> = found
            .iter()
            .map(|i| ctx.issue(*i, &sel, expand_flags))
            .collect();
        let n = issues.len();
        Reply::issues(
            json!({"expand": "schema,names", "issues": issues, "issueErrors": errors}),
            n,
        )
    }

    /// The `issueErrors` message the per-issue faults give issue `i` in a
    /// bulk fetch, if any. Issue keys are formatted only while such a
    /// fault is set: bulk fetch is the simulator's busiest route.
    fn listed_in_bulk(&self, s: &Store, i: u32) -> Option<&'static str> {
        let l = lock(&self.limits);
        let faults = &l.faults;
        if faults.unavailable_issues.is_empty() && faults.bulk_oversized_issues.is_empty() {
            return None;
        }
        let key = s.key(&s.issues[i as usize]);
        if faults.unavailable_issues.contains(&key) {
            Some(TRANSIENT_ISSUE_ERROR)
        } else if faults.bulk_oversized_issues.contains(&key) {
            Some(OVERSIZED_ISSUE_ERROR)
        } else {
            None
        }
    }

    fn get_issue(&self, key: &str, params: &Params, anon: bool, v2: bool) -> Reply {
        let s = self.read();
        let Some(idx) = s.resolve(key).filter(|_| !anon) else {
            return Reply::error(404, NOT_FOUND_ISSUE);
        };
        if lock(&self.limits)
            .faults
            .unavailable_issues
            .contains(&s.key(&s.issues[idx as usize]))
        {
            return Reply::error(503, "Service Unavailable");
        }
        let sel = FieldSel::parse(params_all(params, "fields"), "*all");
        let expand = render::Expand::parse(params_all(params, "expand"));
        let ctx = self.ctx(&s, v2);
        let mut v = ctx.issue(idx, &sel, expand);
        if sel.id_key_only() {
            // Unlike search, a single-issue GET always carries the envelope.
            let i = &s.issues[idx as usize];
            v = json!({"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations", "id": i.id.to_string(), "self": format!("{}/issue/{}", self.rest, i.id), "key": s.key(i), "fields": {}});
        }
        Reply::issues(v, 1)
    }

    fn paging(params: &Params, default: usize, cap: usize) -> Result<(usize, usize), Reply> {
        let (start, max) = Self::paging_params(params)?;
        Ok((start.unwrap_or(0), max.unwrap_or(default).clamp(1, cap)))
    }

    fn comments(&self, key: &str, params: &Params, anon: bool, v2: bool) -> Reply {
        let (start, max) = match Self::paging(params, 100, 100) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let s = self.read();
        let Some(idx) = s.resolve(key).filter(|_| !anon) else {
            return Reply::error(404, NOT_FOUND_ISSUE);
        };
        let ctx = self.ctx(&s, v2);
        let mut all = ctx.comments(&s.issues[idx as usize], usize::MAX);
        if param(params, "orderBy").is_some_and(|o| o.starts_with('-')) {
            all.reverse();
        }
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
        Reply::ok(json!({"startAt": start, "maxResults": max, "total": total, "comments": page}))
    }

    fn changelog(&self, key: &str, params: &Params, anon: bool) -> Reply {
        let (start, max) = match Self::paging(params, 100, 100) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let s = self.read();
        let Some(idx) = s.resolve(key).filter(|_| !anon) else {
            return Reply::error(404, NOT_FOUND_ISSUE);
        };
        let i = &s.issues[idx as usize];
        let ctx = self.ctx(&s, false);
        let all = ctx.histories(i, usize::MAX);
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
        let is_last = start + page.len() >= total;
        let mut body = json!({
            "self": format!("{}/rest/api/3/issue/{}/changelog?maxResults={max}&startAt={start}", self.base, i.id),
            "maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": page,
        });
        if !is_last {
            body["nextPage"] = json!(format!(
                "{}/rest/api/3/issue/{}/changelog?maxResults={max}&startAt={}",
                self.base,
                i.id,
                start + max
            ));
        }
        Reply::ok(body)
    }

    fn changelog_bulk(&self, body: &[u8], anon: bool) -> Reply {
        let v = match parse_body(body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let ids = v.get("issueIdsOrKeys").map(str_list).unwrap_or_default();
        if ids.is_empty() || ids.len() > 1000 {
            return Reply::error(
                400,
                "issueIdsOrKeys must contain between 1 and 1000 issue ids or keys.",
            );
        }
        let field_ids = v.get("fieldIds").map(str_list).unwrap_or_default();
        let max = v
            .get("maxResults")
            .and_then(Value::as_u64)
            .map_or(1000, |m| m.clamp(1, 10_000));
        let fingerprint = fnv(&format!("{ids:?}{field_ids:?}"));
        let (mut issue_pos, mut hist_pos) = match v.get("nextPageToken").and_then(Value::as_str) {
            None => (0usize, 0usize),
            Some(t) => match decode_token(t, 3) {
                Some(p) if p[2] == fingerprint => (
                    usize::try_from(p[0]).unwrap_or(usize::MAX),
                    usize::try_from(p[1]).unwrap_or(0),
                ),
                _ => {
                    return Reply::error(
                        400,
                        "The provided next page token is invalid or expired, or does not match the request.",
                    );
                }
            },
        };
        let s = self.read();
        let mut found: Vec<u32> = if anon {
            Vec::new()
        } else {
            ids.iter().filter_map(|k| s.resolve(k)).collect()
        };
        found.sort_unstable();
        found.dedup();
        let ctx = self.ctx(&s, false);
        let mut out = Vec::new();
        let mut budget = usize::try_from(max).unwrap_or(1000);
        let mut token = None;
        while issue_pos < found.len() {
            let i = &s.issues[found[issue_pos] as usize];
            let mut hist: Vec<Value> = ctx.histories(i, usize::MAX);
            if !field_ids.is_empty() {
                hist = hist
                    .into_iter()
                    .filter_map(|mut h| {
                        let items: Vec<Value> = h["items"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|it| {
                                let fid = it
                                    .get("fieldId")
                                    .or_else(|| it.get("field"))
                                    .and_then(Value::as_str)
                                    .unwrap_or_default();
                                field_ids.iter().any(|f| f == fid)
                            })
                            .collect();
                        (!items.is_empty()).then(|| {
                            h["items"] = Value::Array(items);
                            h
                        })
                    })
                    .collect();
            }
            let rest: Vec<Value> = hist.into_iter().skip(hist_pos).collect();
            if rest.len() > budget {
                let taken: Vec<Value> = rest.into_iter().take(budget).collect();
                hist_pos += taken.len();
                out.push(json!({"issueId": i.id.to_string(), "changeHistories": taken}));
                token = Some(encode_token(&[
                    issue_pos as u64,
                    hist_pos as u64,
                    fingerprint,
                ]));
                break;
            }
            budget -= rest.len();
            if !rest.is_empty() {
                out.push(json!({"issueId": i.id.to_string(), "changeHistories": rest}));
            }
            issue_pos += 1;
            hist_pos = 0;
            if budget == 0 && issue_pos < found.len() {
                token = Some(encode_token(&[issue_pos as u64, 0, fingerprint]));
                break;
            }
        }
        let mut body = json!({"issueChangeLogs": out});
        if let Some(t) = token {
            body["nextPageToken"] = json!(t);
        }
        Reply::ok(body)
    }

    fn project_search(&self, params: &Params, anon: bool) -> Reply {
        let (start, max) = match Self::paging(params, 50, 100) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let s = self.read();
        let ctx = self.ctx(&s, false);
        let all: Vec<Value> = if anon {
            Vec::new()
        } else {
            (0..s.projects.len())
                .map(|p| ctx.project(u16::try_from(p).unwrap_or(0)))
                .collect()
        };
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(max).collect();
        let is_last = start + page.len() >= total;
        Reply::ok(
            json!({"self": format!("{}/rest/api/3/project/search?maxResults={max}&startAt={start}", self.base), "maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": page}),
        )
    }
}
