use thiserror::Error;

/// Everything that can go wrong while reading raw Jira JSON or building a
/// normalized document.
///
/// Context is kept in fields so callers (the sync engine, `renormalize`) can
/// report which object failed without parsing messages.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The raw bytes are not JSON at all.
    #[error("raw object is not valid JSON ({source}); re-fetch the issue from Jira")]
    InvalidJson {
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },

    /// The raw object carries a `raw_format` newer than this build reads.
    #[error(
        "raw object has raw_format {found}, this build reads up to {supported}; upgrade jira-ingest"
    )]
    UnsupportedRawFormat {
        /// The version found in the object.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },

    /// The JSON is neither a raw envelope nor a bare issue.
    #[error("raw object is not a Jira issue: {reason}; store the issue JSON as Jira returned it")]
    NotAnIssue {
        /// What is missing or malformed.
        reason: &'static str,
    },

    /// A field every Jira issue has is missing or has an unusable shape.
    #[error(
        "raw issue {key} has no usable `{field}`; fetch issues with fields=*all (or at least this field)"
    )]
    MissingField {
        /// The issue's key (or id when the key itself is missing).
        key: String,
        /// Dotted path of the field, e.g. `fields.status`.
        field: &'static str,
    },

    /// A timestamp is neither Jira's `2026-11-29T01:45:02.123+0000` nor RFC 3339.
    #[error(
        "invalid timestamp {value:?}: expected Jira's 2026-11-29T01:45:02.123+0000 or RFC 3339 with a year in 0000-9999"
    )]
    InvalidTimestamp {
        /// The text that failed to parse.
        value: String,
    },

    /// A compact `updated` key (as used in raw object keys) failed to parse.
    #[error("invalid updated key {value:?}: expected the form 20261129T014502.123Z")]
    InvalidUpdatedKey {
        /// The text that failed to parse.
        value: String,
    },

    /// A string is not a Jira issue key.
    #[error(
        "invalid issue key {value:?}: expected PROJECT-NUMBER matching ^[A-Z][A-Z0-9_]*-[1-9][0-9]*$ (at most 255 bytes); it is never used in a path"
    )]
    InvalidIssueKey {
        /// The rejected text.
        value: String,
    },

    /// The field catalogue JSON does not have the shape of `GET /rest/api/3/field`.
    #[error(
        "field catalogue is not the array GET /rest/api/3/field returns: {reason}; re-read /field"
    )]
    InvalidFieldCatalogue {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Neither the options nor the raw object name the Jira site.
    #[error(
        "no site URL to build the browse URL of {key}; pass Options::site_url (e.g. https://tenant.atlassian.net)"
    )]
    MissingSiteUrl {
        /// The issue being normalized.
        key: String,
    },
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
