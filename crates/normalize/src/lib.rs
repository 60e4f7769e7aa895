//! Builds the normalized issue document (schema version 1) that the RAG
//! stages consume, from a raw Jira issue, its complete comments and the site's
//! field catalogue.
//!
//! # Design
//!
//! - **Pure.** No I/O, no async runtime, no HTTP client: the crate depends
//!   on `adf-md`, `serde`, `serde_json`, `time`, `sha2`, `hex` and
//!   `thiserror` only, and deliberately *not* on `jira-client` (whose
//!   features would pull an HTTP stack into this crate's closure).
//! - **Raw JSON in.** It reads Jira's JSON as `serde_json::Value`, exactly as
//!   stored in the raw object ([`RawRecord`]). That is what lets
//!   `jira-ingest renormalize` rebuild every document from stored raw objects
//!   alone, without calling Jira. Cloud v3 (ADF) and Data Center v2
//!   (wiki-markup strings, kept as text) payloads are both accepted.
//! - **Custom fields by id.** Fields are classified by the catalogue's
//!   `schema.custom` type and labelled with the current name; names are
//!   never used to find a field (except the story-points fallback, see
//!   [`NormalizedIssue::story_points`]).
//! - **Deterministic.** Ordered collections only; [`NormalizedIssue::to_json_bytes`]
//!   gives the same bytes for the same raw input.
//! - **Safe by default.** Comments with a `visibility` restriction are left
//!   out unless [`Options::include_restricted_comments`] is set.
//!
//! The crate also owns the small grammar shared by the sync engine and
//! renormalize: [`IssueKey`], the raw envelope [`RawRecord`], Jira timestamp
//! parsing and the compact [`updated_key`] used in raw object keys.
//!
//! # Example
//!
//! ```
//! use normalize::{FieldCatalogue, Options, RawRecord, normalize};
//! use serde_json::json;
//!
//! let catalogue = FieldCatalogue::from_json(&json!([
//!     {"id": "customfield_10016", "name": "Story point estimate", "custom": true,
//!      "schema": {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points"}}
//! ]))?;
//! let raw = RawRecord::parse(br#"{"id": "10001", "key": "ENG-42", "fields": {
//!     "summary": "Login fails", "project": {"id": "100", "key": "ENG", "name": "Engineering"},
//!     "issuetype": {"name": "Bug"},
//!     "status": {"name": "Open", "statusCategory": {"key": "new", "name": "To Do"}},
//!     "created": "2026-11-28T09:00:00.000+0000", "updated": "2026-11-29T01:45:02.123+0000",
//!     "customfield_10016": 3.0}}"#)?;
//! let opts = Options { site_url: "https://acme.atlassian.net".into(), ..Options::default() };
//! let key = raw.key()?;
//! let raw_key = normalize::raw_object_key(&key, raw.updated()?);
//! let doc = normalize(&raw, &catalogue, &raw_key, &opts)?;
//! assert_eq!(doc.url, "https://acme.atlassian.net/browse/ENG-42");
//! assert_eq!(doc.updated, "2026-11-29T01:45:02.123Z");
//! assert_eq!(doc.story_points, Some(3.0));
//! assert_eq!(raw_key, "raw/jira/ENG-42/20261129T014502.123Z.json");
//! assert!(doc.content.starts_with("# ENG-42: Login fails\n"));
//! # Ok::<(), normalize::Error>(())
//! ```

mod document;
mod error;
mod fields;
mod issue;
mod key;
mod raw;
mod render;
mod timestamp;

pub use document::{
    Attachment, Comment, CustomField, IssueRef, Link, NormalizedIssue, Project, SCHEMA_VERSION,
    Sprint, User, Visibility,
};
pub use error::{Error, Result};
pub use fields::{FieldCatalogue, FieldDef};
pub use issue::{Options, normalize};
pub use key::{IssueKey, normalized_object_key, raw_object_key};
pub use raw::RawRecord;
pub use timestamp::{format_rfc3339_utc, parse_jira_timestamp, parse_updated_key, updated_key};
