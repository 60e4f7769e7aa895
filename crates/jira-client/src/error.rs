//! The crate's one error type.
//!
//! Failures are classified once, as data: callers branch on [`Error::kind`],
//! read [`Error::retry_after`] and [`Error::is_retryable`], and never see a
//! dependency's error type. Messages carry Jira's own `errorMessages` and
//! never a credential.

use std::{error::Error as StdError, fmt, time::Duration};

use crate::SinkError;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 401: the credentials were rejected (for OAuth, after one refresh).
    Unauthorized,
    /// 403: the account or token may not do this. Never a rate limit.
    Forbidden,
    /// 404: not found or not visible.
    NotFound,
    /// 400 (and 413): bad JQL or request; never swallowed.
    BadRequest,
    /// 410: the API was removed; calling it is a bug.
    Gone,
    /// Another 4xx status.
    Client,
    /// 429 or burst throttling that outlasted the retry budget.
    RateLimited,
    /// The hourly points pool is empty: stop, checkpoint and resume after `retry_after`.
    QuotaExhausted,
    /// The OAuth refresh token was rejected; the user must authorize again.
    InvalidGrant,
    /// 5xx after retries.
    Server,
    /// Connection, TLS or timeout failure after retries.
    Transport,
    /// The response was not the JSON expected.
    Decode,
    /// The refresh-token sink failed; the new token was not used.
    Sink,
    /// The client was configured wrongly (URL, missing cloud id, ...).
    Config,
}

/// A failed Jira operation.
///
/// The message is lowercase, names what failed, carries Jira's own
/// messages and says what to do next; it never contains a credential.
#[derive(thiserror::Error)]
#[error("{}", self.describe())]
pub struct Error {
    kind: ErrorKind,
    status: Option<u16>,
    endpoint: Option<String>,
    messages: Vec<String>,
    retry_after: Option<Duration>,
    detail: Option<String>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

// Without `http` only the decoding helpers are used.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            status: None,
            endpoint: None,
            messages: Vec::new(),
            retry_after: None,
            detail: None,
            source: None,
        }
    }

    pub(crate) fn config(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config).with_detail(detail)
    }

    pub(crate) fn decode(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::Decode).with_detail(detail)
    }

    pub(crate) fn sink(source: SinkError) -> Self {
        let mut e = Error::new(ErrorKind::Sink).with_detail(source.to_string());
        e.source = Some(Box::new(source));
        e
    }

    /// Maps an HTTP status that is not a success to a kind.
    pub(crate) fn kind_for_status(status: u16) -> ErrorKind {
        match status {
            400 | 413 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            410 => ErrorKind::Gone,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Client,
        }
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    pub(crate) fn with_messages(mut self, messages: Vec<String>) -> Self {
        self.messages = messages;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status Jira answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// How long Jira asked the caller to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Jira's `errorMessages` followed by its per-field `errors` as `field: message`.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The request that failed, as `METHOD /path` (never with credentials).
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// Whether trying the same request again later can succeed.
    ///
    /// The client has already retried these within its [`RetryPolicy`](crate::RetryPolicy);
    /// a caller may retry the whole operation on a later run.
    /// `QuotaExhausted` is not retryable now: checkpoint and resume after [`Error::retry_after`].
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Transport
        )
    }

    fn write_context(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(endpoint) = &self.endpoint {
            write!(f, " on {endpoint}")?;
        }
        if !self.messages.is_empty() {
            write!(f, ": {}", self.messages.join("; "))?;
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// Renders an [`Error`] message; the match on kind keeps every message's
/// advice next to its wording.
struct Describe<'a>(&'a Error);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let this = self.0;
        this.render(f)
    }
}

impl Error {
    fn describe(&self) -> Describe<'_> {
        Describe(self)
    }

    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.map(|s| format!(" ({s})")).unwrap_or_default();
        let wait = self
            .retry_after
            .map(|d| format!("after {}s", d.as_secs()))
            .unwrap_or_else(|| "later".to_owned());
        match self.kind {
            ErrorKind::Unauthorized => {
                write!(f, "jira rejected the credentials{status}")?;
                self.write_context(f)?;
                f.write_str("; check the api token and email, or authorize the oauth app again")
            }
            ErrorKind::Forbidden => {
                write!(f, "jira denied access{status}")?;
                self.write_context(f)?;
                f.write_str("; grant the account permission or the token the missing scope")
            }
            ErrorKind::NotFound => {
                write!(f, "jira found nothing{status}")?;
                self.write_context(f)?;
                f.write_str("; the item may be deleted or not visible to this account")
            }
            ErrorKind::BadRequest => {
                write!(f, "jira rejected the request{status}")?;
                self.write_context(f)?;
                f.write_str("; fix the jql or request parameters")
            }
            ErrorKind::Gone => {
                write!(f, "jira says this api was removed{status}")?;
                self.write_context(f)?;
                f.write_str("; this is a bug in the caller, report it")
            }
            ErrorKind::Client => {
                write!(f, "jira refused the request{status}")?;
                self.write_context(f)
            }
            ErrorKind::RateLimited => {
                write!(f, "jira kept rate-limiting the request{status}")?;
                self.write_context(f)?;
                write!(f, "; retry {wait} or lower the concurrency")
            }
            ErrorKind::QuotaExhausted => {
                write!(f, "the jira api points quota is exhausted{status}")?;
                self.write_context(f)?;
                write!(f, "; checkpoint and resume {wait}")
            }
            ErrorKind::InvalidGrant => {
                f.write_str("the oauth refresh token was rejected (invalid_grant)")?;
                self.write_context(f)?;
                f.write_str(
                    "; authorize the app again and store the new refresh token, do not retry",
                )
            }
            ErrorKind::Server => {
                write!(f, "jira failed{status}")?;
                self.write_context(f)?;
                write!(f, "; retries ran out, try again {wait}")
            }
            ErrorKind::Transport => {
                f.write_str("could not reach jira")?;
                self.write_context(f)?;
                f.write_str("; check the network and the site url")
            }
            ErrorKind::Decode => {
                f.write_str("could not read jira's response")?;
                self.write_context(f)?;
                f.write_str("; the response did not have the documented shape")
            }
            ErrorKind::Sink => {
                f.write_str("could not store the rotated oauth refresh token")?;
                self.write_context(f)?;
                f.write_str("; the new token was not used, fix the secret store and run again")
            }
            ErrorKind::Config => {
                f.write_str("invalid jira client configuration")?;
                self.write_context(f)
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field is credential-free by construction; the source is
        // printed through its own (redacting) Display.
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("endpoint", &self.endpoint)
            .field("messages", &self.messages)
            .field("retry_after", &self.retry_after)
            .field("detail", &self.detail)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_failures_keep_their_cause() {
        let e = Error::sink(SinkError::new("disk full; free space and run again"));
        assert_eq!(e.kind(), ErrorKind::Sink);
        let source = StdError::source(&e).expect("source kept");
        assert_eq!(source.to_string(), "disk full; free space and run again");
        assert!(
            e.to_string()
                .starts_with("could not store the rotated oauth refresh token")
        );
    }

    #[test]
    fn status_classification() {
        assert_eq!(Error::kind_for_status(400), ErrorKind::BadRequest);
        assert_eq!(Error::kind_for_status(410), ErrorKind::Gone);
        assert_eq!(Error::kind_for_status(418), ErrorKind::Client);
        assert_eq!(Error::kind_for_status(503), ErrorKind::Server);
    }

    #[test]
    fn messages_are_lowercase_and_carry_jira_text() {
        let e = Error::new(ErrorKind::Gone)
            .with_status(410)
            .with_endpoint("GET /rest/api/3/search")
            .with_messages(vec!["The requested API has been removed.".into()]);
        let text = e.to_string();
        assert!(text.starts_with("jira says"), "{text}");
        assert!(text.contains("(410) on GET /rest/api/3/search: The requested API"));
        assert!(!e.is_retryable());
        let q =
            Error::new(ErrorKind::QuotaExhausted).with_retry_after(Some(Duration::from_secs(1800)));
        assert!(q.to_string().contains("after 1800s"));
        assert!(!q.is_retryable());
        assert!(Error::new(ErrorKind::Server).is_retryable());
    }
}
