//! A Jira Cloud and Data Center REST client built for bulk, incremental reads.
//!
//! It authenticates with API tokens, Data Center personal access tokens or
//! OAuth 2.0 (3LO) with rotating refresh tokens, pages the enhanced JQL search
//! by `nextPageToken`, hydrates issues with bulk fetch, completes truncated
//! comment and changelog lists, and honours Jira's rate-limit headers.
#![warn(missing_docs)]

mod secret;
mod token_sink;

pub use secret::Secret;
pub use token_sink::{RefreshTokenSink, SinkError};
