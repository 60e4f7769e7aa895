//! A Jira Cloud and Data Center REST client built for bulk, incremental reads.
//!
//! It authenticates with API tokens, Data Center personal access tokens or
//! OAuth 2.0 (3LO) with rotating refresh tokens, pages the enhanced JQL search
//! by `nextPageToken`, hydrates issues with bulk fetch, completes truncated
//! comment and changelog lists, and honours Jira's rate-limit headers.
//!
//! # Design
//!
//! - **Raw bytes first.** Every issue comes back as a [`RawIssue`]: the
//!   exact JSON Jira sent plus the parsed id, key, `updated` and the
//!   embedded comment/changelog totals, so raw storage stays faithful.
//! - **Failures are data.** One [`Error`] with [`Error::kind`],
//!   [`Error::status`], [`Error::retry_after`] and [`Error::is_retryable`].
//!   Idempotent requests (GETs and the read-only POSTs: search, bulk fetch,
//!   counts) are retried under a [`RetryPolicy`] with `Retry-After` as a
//!   floor; 400, 401, 403, 404 and 410 never are. A 429 whose
//!   `RateLimit-Reason` names a quota returns [`ErrorKind::QuotaExhausted`]
//!   at once so a scheduled job can checkpoint instead of sleeping.
//! - **Rotating refresh tokens.** With [`Auth::OAuth`] every new refresh
//!   token is handed to your [`RefreshTokenSink`] and must be stored before
//!   the new access token is used; refreshes are single-flight and the
//!   cloud id is matched by site URL among the grant's sites.
//! - **No secrets in output.** Credentials live in [`Secret`], whose
//!   `Debug` and `Display` print a mask; URLs are shown redacted.
//!
//! Without the default `http` feature the crate is only the data model,
//! [`Secret`] and [`RefreshTokenSink`], for crates that must stay pure.
//!
//! # Example
//!
//! ```no_run
//! # #[cfg(feature = "http")]
//! # async fn run() -> Result<(), jira_client::Error> {
//! use futures::TryStreamExt;
//! use jira_client::{Auth, JiraClient, Secret};
//!
//! let client = JiraClient::builder("https://tenant.atlassian.net")
//!     .auth(Auth::Basic {
//!         email: "me@example.com".into(),
//!         api_token: Secret::new(std::env::var("JIRA_API_TOKEN").unwrap_or_default()),
//!     })
//!     .concurrency(4)
//!     .build()?;
//!
//! // Without working auth, search answers 200 with nothing: check first.
//! let me = client.myself().await?;
//! println!("signed in as {}", me.display_name);
//!
//! let mut ids = Vec::new();
//! let mut pages = Box::pin(client.search_ids("project = ENG ORDER BY id ASC"));
//! while let Some(page) = pages.try_next().await? {
//!     ids.extend(page.issues.into_iter().map(|i| i.id));
//! }
//! let fields = vec!["summary".to_owned(), "updated".to_owned()];
//! let fetched = client.bulk_fetch(&ids, &fields, &[]).await?;
//! for issue in &fetched.issues {
//!     println!("{} {:?} {} bytes", issue.key, issue.updated, issue.raw_json().len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The data model alone runs anywhere:
//!
//! ```
//! let issue = jira_client::RawIssue::from_json(
//!     r#"{"id":"10001","key":"ENG-1","fields":{"updated":"2026-11-29T01:45:02.123+0000"}}"#,
//! )
//! .unwrap();
//! assert_eq!(issue.key, "ENG-1");
//! assert_eq!(issue.updated.unwrap().unix_timestamp(), 1_795_916_702);
//! ```
#![warn(missing_docs)]

mod error;
mod model;
mod secret;
mod token_sink;

#[cfg(feature = "http")]
mod api;
#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod retry;
#[cfg(feature = "http")]
mod stats;

pub use error::{Error, ErrorKind, Result};
pub use model::{
    BulkChangelogPage, BulkChangelogs, BulkFetch, BulkFetchError, ChangeItem, Changelog,
    ChangelogPage, Comment, CommentPage, ErrorCollection, Field, FieldCatalogue, FieldSchema,
    IdPage, IssueChangelogs, IssueRef, ListTotals, Myself, RawIssue, RawIssueChangelogs,
    SearchPage, User, Visibility, parse_jira_timestamp,
};
pub use secret::Secret;
pub use token_sink::{RefreshTokenSink, SinkError};

#[cfg(feature = "http")]
pub use api::{BULK_FETCH_LARGE, BULK_FETCH_SMALL, SearchRequest, bulk_fetch_batch_size};
#[cfg(feature = "http")]
pub use client::{
    Auth, ClientBuilder, DEFAULT_API_GATEWAY, DEFAULT_CONCURRENCY, DEFAULT_TOKEN_URL, Deployment,
    JiraClient,
};
#[cfg(feature = "http")]
pub use retry::{DefaultRandom, RandomSource, RetryPolicy};
#[cfg(feature = "http")]
pub use stats::Stats;
