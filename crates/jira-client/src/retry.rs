//! Retry policy, backoff with injectable randomness, rate-limit header
//! parsing and client-side pacing.

use std::{
    collections::hash_map::RandomState,
    fmt,
    hash::{BuildHasher, Hasher},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::Instant;

/// A source of uniform random numbers in `[0, 1)` for backoff jitter.
///
/// Inject a fixed source in tests to make delays deterministic.
pub trait RandomSource: Send + Sync + fmt::Debug {
    /// The next number in `[0, 1)`.
    fn next_unit(&self) -> f64;
}

/// The default jitter source: a xorshift generator seeded from the
/// standard library's per-process random keys, so no extra dependency.
#[derive(Debug)]
pub struct DefaultRandom(Mutex<u64>);

impl Default for DefaultRandom {
    fn default() -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x9E37_79B9_7F4A_7C15);
        DefaultRandom(Mutex::new(h.finish() | 1))
    }
}

impl RandomSource for DefaultRandom {
    fn next_unit(&self) -> f64 {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = *s;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *s = x;
        // The top 53 bits give a uniform double in [0, 1).
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How failed requests are retried.
///
/// Defaults follow Atlassian's published client guidance: at most 4
/// retries, exponential delay capped at 30 s, jitter 0.7 to 1.3, and
/// `Retry-After` as a floor. Only idempotent requests are retried (the
/// search POST counts as idempotent); 400, 401, 403, 404 and 410 never are.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry, doubled for each further one.
    pub initial_backoff: Duration,
    /// Cap of the exponential delay (before jitter; `Retry-After` may exceed it).
    pub max_backoff: Duration,
    /// Jitter factor range applied to the exponential delay.
    pub jitter: (f64, f64),
    /// Total time budget of one request including its retries: a retry that
    /// would end after it is not attempted.
    pub max_elapsed: Duration,
    /// Randomness for jitter.
    pub random: Arc<dyn RandomSource>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
            jitter: (0.7, 1.3),
            max_elapsed: Duration::from_secs(300),
            random: Arc::new(DefaultRandom::default()),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first delay and the cap of the exponential delay.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the jitter range (for example `(0.7, 1.3)`; `(1.0, 1.0)` disables jitter).
    pub fn with_jitter(mut self, low: f64, high: f64) -> Self {
        self.jitter = (low.min(high), high.max(low));
        self
    }

    /// Sets the total time budget of one request with its retries.
    pub fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Sets the random source used for jitter.
    pub fn with_random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// The delay before retry number `retry` (0-based), with `Retry-After` as a floor.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 2f64.powi(retry.min(30) as i32);
        let base =
            (self.initial_backoff.as_secs_f64() * factor).min(self.max_backoff.as_secs_f64());
        let (lo, hi) = self.jitter;
        let jitter = lo + (hi - lo) * self.random.next_unit().clamp(0.0, 1.0);
        let computed = Duration::from_secs_f64((base * jitter).max(0.0));
        match retry_after {
            Some(floor) => computed.max(floor),
            None => computed,
        }
    }
}

/// What Jira's rate-limit headers said about one response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RateLimitInfo {
    pub(crate) retry_after: Option<Duration>,
    pub(crate) reason: Option<String>,
    pub(crate) near_limit: bool,
}

impl RateLimitInfo {
    /// Whether the hourly points pool is empty (`jira-quota-*-based`).
    pub(crate) fn is_quota(&self) -> bool {
        self.reason
            .as_deref()
            .is_some_and(|r| r.to_ascii_lowercase().contains("quota"))
    }
}

/// Parses `Retry-After` defensively: integer or fractional seconds. An
/// HTTP date, a negative or a garbage value yields `None` (the backoff then
/// applies), because Jira documents seconds.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

pub(crate) fn parse_rate_limit(headers: &reqwest::header::HeaderMap) -> RateLimitInfo {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    RateLimitInfo {
        retry_after: text("retry-after").and_then(parse_retry_after),
        reason: text("ratelimit-reason")
            .or_else(|| text("x-ratelimit-reason"))
            .map(str::to_owned),
        near_limit: text("x-ratelimit-nearlimit").is_some_and(|v| v.eq_ignore_ascii_case("true")),
    }
}

/// How long pacing stays slowed after `X-RateLimit-NearLimit: true`.
const NEAR_LIMIT_WINDOW: Duration = Duration::from_secs(10);
/// Spacing used while near the limit when no request rate is configured.
const NEAR_LIMIT_INTERVAL: Duration = Duration::from_millis(100);

/// Client-side pacing: a minimum interval between request starts, a
/// shared pause after a burst 429, and slower pacing near the limit.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Option<Duration>,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    next_slot: Option<Instant>,
    blocked_until: Option<Instant>,
    near_limit_until: Option<Instant>,
}

/// Why the pacer made a request wait.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PaceWait {
    pub(crate) pacing: Duration,
    pub(crate) rate_limit: Duration,
}

impl Pacer {
    pub(crate) fn new(requests_per_second: Option<f64>) -> Self {
        Pacer {
            interval: requests_per_second
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            state: Mutex::new(PacerState {
                next_slot: None,
                blocked_until: None,
                near_limit_until: None,
            }),
        }
    }

    /// Waits for this request's slot and reports how long and why.
    pub(crate) async fn wait(&self) -> PaceWait {
        let now = Instant::now();
        let (at, blocked) = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let near = s.near_limit_until.is_some_and(|u| u > now);
            let interval = match (self.interval, near) {
                (Some(i), true) => Some(i * 2),
                (Some(i), false) => Some(i),
                (None, true) => Some(NEAR_LIMIT_INTERVAL),
                (None, false) => None,
            };
            let mut at = s.next_slot.map_or(now, |n| n.max(now));
            let blocked = s.blocked_until.filter(|b| *b > at);
            if let Some(b) = blocked {
                at = b;
            }
            if let Some(i) = interval {
                s.next_slot = Some(at + i);
            }
            (at, blocked.is_some() || near)
        };
        if at <= now {
            return PaceWait::default();
        }
        tokio::time::sleep_until(at).await;
        let waited = at - now;
        if blocked {
            PaceWait {
                pacing: Duration::ZERO,
                rate_limit: waited,
            }
        } else {
            PaceWait {
                pacing: waited,
                rate_limit: Duration::ZERO,
            }
        }
    }

    /// Holds every request back until `until` (after a burst 429).
    pub(crate) fn block_until(&self, until: Instant) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// Slows pacing down for a while (`X-RateLimit-NearLimit: true`).
    pub(crate) fn near_limit(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.near_limit_until = Some(Instant::now() + NEAR_LIMIT_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(f64);
    impl RandomSource for Fixed {
        fn next_unit(&self) -> f64 {
            self.0
        }
    }

    #[test]
    fn backoff_is_exponential_capped_jittered_and_floored() {
        let p = RetryPolicy::default().with_random(Arc::new(Fixed(0.5)));
        assert_eq!(p.delay(0, None), Duration::from_secs(2));
        assert_eq!(p.delay(1, None), Duration::from_secs(4));
        assert_eq!(p.delay(10, None), Duration::from_secs(30));
        let low = RetryPolicy::default().with_random(Arc::new(Fixed(0.0)));
        assert_eq!(low.delay(0, None), Duration::from_secs_f64(1.4));
        assert_eq!(
            low.delay(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(10, Some(Duration::from_secs(1))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn default_random_stays_in_range() {
        let r = DefaultRandom::default();
        for _ in 0..1000 {
            let x = r.next_unit();
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn retry_after_parsing_is_defensive() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn rate_limit_headers_are_read_case_insensitively() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("Retry-After", "1801".parse().unwrap());
        h.insert(
            "RateLimit-Reason",
            "jira-quota-tenant-based".parse().unwrap(),
        );
        h.insert("X-RateLimit-NearLimit", "TRUE".parse().unwrap());
        let info = parse_rate_limit(&h);
        assert_eq!(info.retry_after, Some(Duration::from_secs(1801)));
        assert!(info.is_quota());
        assert!(info.near_limit);
        let burst = RateLimitInfo {
            reason: Some("jira-burst-based".into()),
            ..RateLimitInfo::default()
        };
        assert!(!burst.is_quota());
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests_and_honours_blocks() {
        let p = Pacer::new(Some(10.0));
        let start = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        p.block_until(Instant::now() + Duration::from_secs(3));
        let w = p.wait().await;
        assert!(w.rate_limit >= Duration::from_millis(2900), "{w:?}");
        let unpaced = Pacer::new(None);
        let t = Instant::now();
        unpaced.wait().await;
        unpaced.wait().await;
        assert_eq!(t.elapsed(), Duration::ZERO);
        unpaced.near_limit();
        unpaced.wait().await;
        unpaced.wait().await;
        assert!(t.elapsed() >= NEAR_LIMIT_INTERVAL);
    }
}
