//! The data model: what Jira returns, parsed just enough to drive a sync.
//!
//! Everything here compiles without the `http` feature so pure crates (the
//! normalizer) can share it. Issues keep the exact bytes Jira sent next to
//! the parsed essentials, because raw storage must be byte-for-byte faithful.

use std::{collections::BTreeMap, fmt};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::{Error, Result};

fn shape(err: &serde_json::Error) -> Error {
    Error::decode(format!("unexpected json shape: {err}"))
}

/// Jira's timestamp format on the wire: `2026-11-29T01:45:02.123+0000`.
const JIRA_TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory][optional [:]][offset_minute]"
);

/// Parses a Jira timestamp (`2026-11-29T01:45:02.123+0000`, also accepting
/// RFC 3339 such as `2026-11-29T01:45:02.123Z` or `+00:00`).
pub fn parse_jira_timestamp(text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, JIRA_TIMESTAMP))
        .map_err(|_| {
            Error::decode(format!(
                "timestamp {text:?} is not in jira's documented format"
            ))
        })
}

fn de_opt_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| parse_jira_timestamp(&t).map_err(serde::de::Error::custom))
        .transpose()
}

/// The length of an embedded list against the total Jira says exists.
///
/// Jira truncates embedded comments (about 20) and changelog histories (20 to
/// 40); when [`ListTotals::is_truncated`] is true the caller must page the
/// dedicated endpoint for the complete list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTotals {
    /// How many entries the embedded list holds.
    pub returned: u64,
    /// How many entries exist according to Jira's `total`.
    pub total: u64,
}

impl ListTotals {
    /// Whether the embedded list is missing entries.
    pub fn is_truncated(&self) -> bool {
        self.returned < self.total
    }
}

/// One issue: the exact JSON Jira sent plus the parsed essentials.
#[derive(Clone)]
pub struct RawIssue {
    /// The issue id, stable across moves (`"10042"`).
    pub id: String,
    /// The issue key at the time of the read (`"ENG-42"`).
    pub key: String,
    /// `fields.updated`, when the field was requested.
    pub updated: Option<OffsetDateTime>,
    /// Embedded `fields.comment` counts, when comments were requested.
    pub comments: Option<ListTotals>,
    /// Embedded `changelog` counts, when the changelog was expanded.
    pub changelog: Option<ListTotals>,
    raw: Box<RawValue>,
}

impl fmt::Debug for RawIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The raw body can be megabytes; the essentials identify the issue.
        f.debug_struct("RawIssue")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("updated", &self.updated)
            .field("comments", &self.comments)
            .field("changelog", &self.changelog)
            .field("raw_len", &self.raw.get().len())
            .finish()
    }
}

#[derive(Deserialize)]
struct WireIssue {
    id: String,
    // `search/jql` with `fields=["id"]` returns issues as `{"id": ..}` alone.
    #[serde(default)]
    key: String,
    #[serde(default)]
    fields: Option<WireFields>,
    #[serde(default)]
    changelog: Option<WireChangelog>,
}

#[derive(Deserialize)]
struct WireFields {
    #[serde(default, deserialize_with = "de_opt_timestamp")]
    updated: Option<OffsetDateTime>,
    #[serde(default)]
    comment: Option<WireCommentList>,
}

#[derive(Deserialize)]
struct WireCommentList {
    #[serde(default)]
    comments: Vec<serde::de::IgnoredAny>,
    total: Option<u64>,
}

#[derive(Deserialize)]
struct WireChangelog {
    #[serde(default)]
    histories: Vec<serde::de::IgnoredAny>,
    total: Option<u64>,
}

fn totals(returned: usize, total: Option<u64>) -> ListTotals {
    let returned = returned as u64;
    ListTotals {
        returned,
        // A list without `total` is complete as far as Jira tells us.
        total: total.unwrap_or(returned).max(returned),
    }
}

impl RawIssue {
    /// Parses the essentials out of one issue's JSON, keeping the bytes.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self> {
        let wire: WireIssue = serde_json::from_str(raw.get()).map_err(|e| shape(&e))?;
        let (updated, comments) = match wire.fields {
            Some(f) => (
                f.updated,
                f.comment.map(|c| totals(c.comments.len(), c.total)),
            ),
            None => (None, None),
        };
        Ok(RawIssue {
            id: wire.id,
            key: wire.key,
            updated,
            comments,
            changelog: wire.changelog.map(|c| totals(c.histories.len(), c.total)),
            raw,
        })
    }

    /// Parses one issue from its JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let raw = RawValue::from_string(text.to_owned()).map_err(|e| shape(&e))?;
        Self::from_raw(raw)
    }

    /// The exact JSON Jira sent for this issue.
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// The exact JSON Jira sent for this issue, as text.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// Takes the raw JSON out.
    pub fn into_raw(self) -> Box<RawValue> {
        self.raw
    }
}

/// A reference to an issue from an id-only enumeration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IssueRef {
    /// The issue id.
    pub id: String,
    /// The issue key (Jira always includes it next to the id).
    pub key: String,
}

/// One page of an id-only enumeration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdPage {
    /// The issues on this page, in the query's order.
    pub issues: Vec<IssueRef>,
    /// The token that resumes the enumeration after this page; `None` on the last page.
    pub next_page_token: Option<String>,
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// The issues on this page, in the query's order.
    pub issues: Vec<RawIssue>,
    /// The token that resumes the search after this page (checkpoint it);
    /// `None` on the last page. On Data Center it is the decimal `startAt`
    /// of the next page.
    pub next_page_token: Option<String>,
}

/// The result of a bulk fetch.
#[derive(Debug, Clone, Default)]
pub struct BulkFetch {
    /// The issues found, batch by batch in ascending id order as Jira returns them.
    pub issues: Vec<RawIssue>,
    /// Ids or keys Jira could not return (deleted, moved out of reach, no permission).
    pub errors: Vec<BulkFetchError>,
}

/// An issue a bulk fetch could not return, with Jira's reason
/// (`issueErrors[]` of the response: `{"id": .., "errorMessage": ..}`).
///
/// Jira documents these entries as retriable errors or payload
/// constraints; issues that do not exist or are not visible are normally
/// left out of the response instead, though some sites list them here with
/// a "does not exist" message (see [`BulkFetchError::is_not_found`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkFetchError {
    /// The issue id (or key) as requested.
    #[serde(default)]
    pub id: String,
    /// Jira's message.
    #[serde(rename = "errorMessage", default)]
    pub error_message: String,
}

impl BulkFetchError {
    /// Whether Jira's message says the issue does not exist or is not
    /// visible to the caller, as opposed to a retriable failure.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        let m = self.error_message.to_ascii_lowercase();
        m.contains("does not exist") || m.contains("not found") || m.contains("permission")
    }
}

/// Jira's standard error body: `{"errorMessages": [..], "errors": {field: msg}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCollection {
    /// General messages.
    #[serde(rename = "errorMessages", default)]
    pub error_messages: Vec<String>,
    /// Messages per field or parameter, ordered by name.
    #[serde(default)]
    pub errors: std::collections::BTreeMap<String, String>,
}

impl ErrorCollection {
    /// Every message, general ones first, then `field: message` pairs.
    pub fn messages(&self) -> Vec<String> {
        let mut all = self.error_messages.clone();
        all.extend(self.errors.iter().map(|(k, v)| format!("{k}: {v}")));
        all
    }
}

/// The calling user (`GET /rest/api/3/myself`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Myself {
    /// Cloud account id; absent on Data Center.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Data Center user name; absent on Cloud.
    #[serde(default)]
    pub name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// The profile time zone: JQL date literals are read in it.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
}

/// One field of the site's catalogue (`GET /rest/api/3/field`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Field id (`summary`, `customfield_10016`); key custom fields by it.
    pub id: String,
    /// Field key, when Jira sends one.
    #[serde(default)]
    pub key: Option<String>,
    /// Display name: mutable and not unique, use only as a label.
    #[serde(default)]
    pub name: String,
    /// Whether it is a custom field.
    #[serde(default)]
    pub custom: bool,
    /// The value schema; absent for a few system fields.
    #[serde(default)]
    pub schema: Option<FieldSchema>,
}

/// A field's value schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSchema {
    /// `string`, `number`, `array`, `user`, `option`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Element type for arrays.
    #[serde(default)]
    pub items: Option<String>,
    /// System field name, for system fields.
    #[serde(default)]
    pub system: Option<String>,
    /// Custom field type key (`com.pyxis.greenhopper.jira:gh-sprint`); classify by it.
    #[serde(default)]
    pub custom: Option<String>,
    /// Numeric custom field id.
    #[serde(default)]
    pub custom_id: Option<i64>,
}

/// The field catalogue, parsed and as Jira sent it.
#[derive(Debug, Clone)]
pub struct FieldCatalogue {
    /// The fields in Jira's order.
    pub fields: Vec<Field>,
    /// The exact JSON array Jira sent.
    pub raw: Box<RawValue>,
}

/// A user reference inside issues, comments and changelogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Cloud account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Data Center user name.
    #[serde(default)]
    pub name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A comment visibility restriction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visibility {
    /// `role` or `group`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The role or group name.
    #[serde(default)]
    pub value: Option<String>,
}

/// One comment. `body` is ADF JSON on Cloud v3 and a wiki-markup string on v2 and Data Center.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Comment id.
    pub id: String,
    /// Author, when visible.
    #[serde(default)]
    pub author: Option<User>,
    /// Body: ADF object or wiki-markup string.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// Creation time.
    #[serde(default, deserialize_with = "de_opt_timestamp")]
    pub created: Option<OffsetDateTime>,
    /// Last edit time.
    #[serde(default, deserialize_with = "de_opt_timestamp")]
    pub updated: Option<OffsetDateTime>,
    /// Role or group restriction, if any.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Jira Service Management: `false` for internal comments.
    #[serde(default)]
    pub jsd_public: Option<bool>,
}

/// One page of `GET /issue/{id}/comment`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentPage {
    /// Offset of the first comment.
    #[serde(default)]
    pub start_at: u64,
    /// Page size the server used.
    #[serde(default)]
    pub max_results: u64,
    /// Total comments on the issue.
    #[serde(default)]
    pub total: u64,
    /// The comments.
    #[serde(default)]
    pub comments: Vec<Comment>,
}

/// One change inside a changelog history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeItem {
    /// Field name (`status`, `Key`, ...).
    pub field: String,
    /// `jira` or `custom`.
    #[serde(default)]
    pub fieldtype: Option<String>,
    /// Field id, when Jira sends it.
    #[serde(default)]
    pub field_id: Option<String>,
    /// Old raw value.
    #[serde(default)]
    pub from: Option<String>,
    /// Old display value.
    #[serde(default)]
    pub from_string: Option<String>,
    /// New raw value.
    #[serde(default)]
    pub to: Option<String>,
    /// New display value.
    #[serde(default)]
    pub to_string: Option<String>,
}

/// One changelog history entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Changelog {
    /// History id.
    pub id: String,
    /// Who made the change.
    #[serde(default)]
    pub author: Option<User>,
    /// When.
    #[serde(default, deserialize_with = "de_opt_timestamp")]
    pub created: Option<OffsetDateTime>,
    /// What changed.
    #[serde(default)]
    pub items: Vec<ChangeItem>,
}

/// One page of `GET /issue/{id}/changelog`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangelogPage {
    /// Offset of the first entry.
    #[serde(default)]
    pub start_at: u64,
    /// Page size the server used.
    #[serde(default)]
    pub max_results: u64,
    /// Total entries.
    #[serde(default)]
    pub total: u64,
    /// Whether this is the last page.
    #[serde(default)]
    pub is_last: Option<bool>,
    /// The entries.
    #[serde(default)]
    pub values: Vec<Changelog>,
}

/// The changelogs of one issue in a changelog bulk fetch page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueChangelogs {
    /// The issue id.
    pub issue_id: String,
    /// Its history entries.
    #[serde(default)]
    pub change_histories: Vec<Changelog>,
}

/// One page of `POST /rest/api/3/changelog/bulkfetch`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkChangelogPage {
    /// Changelogs per issue.
    #[serde(default)]
    pub issue_change_logs: Vec<IssueChangelogs>,
    /// Token of the next page, absent on the last.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBulkChangelogEntries<'a> {
    #[serde(borrow, default)]
    issue_change_logs: Vec<&'a RawValue>,
}

/// Jira sends ids as strings; a number is accepted as well.
#[derive(Deserialize)]
#[serde(untagged)]
enum WireId {
    Text(String),
    Number(u64),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIssueChangelogs {
    issue_id: WireId,
    #[serde(default)]
    change_histories: Vec<serde::de::IgnoredAny>,
}

impl BulkChangelogPage {
    /// Splits one response page of `POST /rest/api/3/changelog/bulkfetch`
    /// into its per-issue entries (`issueChangeLogs[i]`), in page order.
    ///
    /// Each entry keeps the exact bytes of its slice of the page, never
    /// re-serialized, so it can be stored as Jira sent it.
    ///
    /// # Errors
    ///
    /// A decode error when the page is not a changelog bulk fetch response
    /// or an entry has no `issueId`.
    ///
    /// # Example
    ///
    /// ```
    /// use jira_client::BulkChangelogPage;
    /// use serde_json::value::RawValue;
    ///
    /// let page = RawValue::from_string(
    ///     r#"{"issueChangeLogs":[{"issueId":"10001","changeHistories":[{"id":"1"}]},
    ///         {"issueId":"10002", "changeHistories":[]}]}"#.to_owned(),
    /// )?;
    /// let entries = BulkChangelogPage::split_raw(&page)?;
    /// assert_eq!(entries[0].issue_id, "10001");
    /// assert_eq!(entries[0].histories, 1);
    /// assert_eq!(entries[1].raw_json(), r#"{"issueId":"10002", "changeHistories":[]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn split_raw(page: &RawValue) -> Result<Vec<RawIssueChangelogs>> {
        // Serde would also read a struct from a JSON array; only an object is a page.
        if !page.get().trim_start().starts_with('{') {
            return Err(Error::decode(
                "unexpected json shape: a changelog bulk fetch page is not a json object",
            ));
        }
        let wire: WireBulkChangelogEntries<'_> =
            serde_json::from_str(page.get()).map_err(|e| shape(&e))?;
        wire.issue_change_logs
            .into_iter()
            .map(|entry| {
                let parsed: WireIssueChangelogs =
                    serde_json::from_str(entry.get()).map_err(|e| shape(&e))?;
                Ok(RawIssueChangelogs {
                    issue_id: match parsed.issue_id {
                        WireId::Text(id) => id,
                        WireId::Number(id) => id.to_string(),
                    },
                    histories: parsed.change_histories.len(),
                    raw: entry.to_owned(),
                })
            })
            .collect()
    }
}

/// One issue's entry of a changelog bulk fetch page (`issueChangeLogs[i]`,
/// `{"issueId": .., "changeHistories": [..]}`), exactly as Jira sent it.
///
/// Parse it with [`IssueChangelogs`] when the histories are needed.
#[derive(Clone)]
pub struct RawIssueChangelogs {
    /// The issue id.
    pub issue_id: String,
    /// How many history entries this entry holds.
    pub histories: usize,
    raw: Box<RawValue>,
}

impl fmt::Debug for RawIssueChangelogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawIssueChangelogs")
            .field("issue_id", &self.issue_id)
            .field("histories", &self.histories)
            .field("raw_len", &self.raw.get().len())
            .finish()
    }
}

impl RawIssueChangelogs {
    /// The exact JSON of this entry.
    pub fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// The exact JSON of this entry, as text.
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// Takes the raw JSON out.
    pub fn into_raw(self) -> Box<RawValue> {
        self.raw
    }
}

/// The changelogs of many issues from the pages of a changelog bulk fetch,
/// grouped by issue id.
///
/// Jira pages by history count, so one issue's histories can continue on the
/// next page: such an issue has one entry per page, kept in page order, and
/// together they hold its history in Jira's order. An issue without
/// histories may have no entry at all.
#[derive(Debug, Clone, Default)]
pub struct BulkChangelogs {
    by_issue: BTreeMap<String, Vec<RawIssueChangelogs>>,
}

impl BulkChangelogs {
    /// Splits and groups response pages, given in the order they were read.
    ///
    /// # Errors
    ///
    /// As [`BulkChangelogPage::split_raw`].
    ///
    /// # Example
    ///
    /// ```
    /// use jira_client::BulkChangelogs;
    /// use serde_json::value::RawValue;
    ///
    /// let pages = [
    ///     r#"{"issueChangeLogs":[{"issueId":"1","changeHistories":[{"id":"a"}]},
    ///         {"issueId":"2","changeHistories":[{"id":"b"}]}],"nextPageToken":"t"}"#,
    ///     r#"{"issueChangeLogs":[{"issueId":"2","changeHistories":[{"id":"c"}]}]}"#,
    /// ]
    /// .map(|p| RawValue::from_string(p.to_owned()).unwrap());
    /// let mut all = BulkChangelogs::from_pages(pages.iter().map(|p| &**p))?;
    /// assert_eq!(all.history_count("2"), 2);
    /// let pieces = all.remove("2");
    /// assert_eq!(pieces[1].raw_json(), r#"{"issueId":"2","changeHistories":[{"id":"c"}]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_pages<'a>(pages: impl IntoIterator<Item = &'a RawValue>) -> Result<Self> {
        let mut all = BulkChangelogs::default();
        for page in pages {
            for entry in BulkChangelogPage::split_raw(page)? {
                all.by_issue
                    .entry(entry.issue_id.clone())
                    .or_default()
                    .push(entry);
            }
        }
        Ok(all)
    }

    /// The entries of one issue, in page order; empty when it has none.
    pub fn get(&self, issue_id: &str) -> &[RawIssueChangelogs] {
        self.by_issue.get(issue_id).map_or(&[], Vec::as_slice)
    }

    /// How many histories one issue has across its entries.
    pub fn history_count(&self, issue_id: &str) -> usize {
        self.get(issue_id).iter().map(|e| e.histories).sum()
    }

    /// Takes one issue's entries out, in page order.
    pub fn remove(&mut self, issue_id: &str) -> Vec<RawIssueChangelogs> {
        self.by_issue.remove(issue_id).unwrap_or_default()
    }

    /// The issue ids with at least one entry, ascending as strings.
    pub fn issue_ids(&self) -> impl Iterator<Item = &str> {
        self.by_issue.keys().map(String::as_str)
    }

    /// How many issues have entries.
    pub fn len(&self) -> usize {
        self.by_issue.len()
    }

    /// Whether no issue has entries.
    pub fn is_empty(&self) -> bool {
        self.by_issue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_timestamps_parse_with_and_without_colon_and_fraction() {
        let a = parse_jira_timestamp("2026-11-29T01:45:02.123+0000").unwrap();
        let b = parse_jira_timestamp("2026-11-29T02:45:02.123+0100").unwrap();
        let c = parse_jira_timestamp("2026-11-29T01:45:02.123Z").unwrap();
        let d = parse_jira_timestamp("2026-11-29T01:45:02+00:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.unix_timestamp(), d.unix_timestamp());
        assert_eq!(a.millisecond(), 123);
        assert!(parse_jira_timestamp("29/11/2026").is_err());
    }

    #[test]
    fn raw_issue_keeps_exact_bytes_and_reads_truncation() {
        let text = r#"{"id":"10001", "key":"ENG-1","fields":{"updated":"2026-11-29T01:45:02.123+0000",
            "comment":{"comments":[{"id":"1"}],"total":25,"maxResults":1,"startAt":0}},
            "changelog":{"histories":[],"total":0}}"#;
        let issue = RawIssue::from_json(text).unwrap();
        assert_eq!(issue.raw_json(), text);
        assert_eq!(issue.id, "10001");
        assert_eq!(issue.key, "ENG-1");
        assert_eq!(issue.updated.unwrap().unix_timestamp(), 1_795_916_702);
        let c = issue.comments.unwrap();
        assert_eq!((c.returned, c.total), (1, 25));
        assert!(c.is_truncated());
        assert!(!issue.changelog.unwrap().is_truncated());
    }

    #[test]
    fn raw_issue_without_fields_is_fine_and_bad_shape_is_an_error() {
        let issue = RawIssue::from_json(r#"{"id":"1","key":"A-1"}"#).unwrap();
        assert!(issue.updated.is_none() && issue.comments.is_none());
        assert!(matches!(
            RawIssue::from_json(r#"{"key":"A-1"}"#),
            Err(e) if e.kind() == crate::ErrorKind::Decode
        ));
        assert!(matches!(
            RawIssue::from_json(r#"{"id":"1","key":"A-1","fields":{"updated":"yesterday"}}"#),
            Err(e) if e.kind() == crate::ErrorKind::Decode
        ));
    }

    #[test]
    fn error_collection_lists_field_errors_in_order() {
        let e: ErrorCollection =
            serde_json::from_str(r#"{"errorMessages":["bad"],"errors":{"z":"1","a":"2"}}"#)
                .unwrap();
        assert_eq!(e.messages(), vec!["bad", "a: 2", "z: 1"]);
    }

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn bulk_changelog_pages_split_into_exact_per_issue_bytes() {
        // Odd spacing, number formats and escapes must survive untouched.
        let first = r#"{"issueChangeLogs": [ {"issueId":"10001","changeHistories":[{"id":"1","n":1.50}]} ,
            {"changeHistories":[{"id":"2"},{"id":"3","s":"\u00e9"}],"issueId":"10002"}],"nextPageToken":"t"}"#;
        let entries = BulkChangelogPage::split_raw(&raw(first)).unwrap();
        let got: Vec<(&str, usize, &str)> = entries
            .iter()
            .map(|e| (e.issue_id.as_str(), e.histories, e.raw_json()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "10001",
                    1,
                    r#"{"issueId":"10001","changeHistories":[{"id":"1","n":1.50}]}"#
                ),
                (
                    "10002",
                    2,
                    r#"{"changeHistories":[{"id":"2"},{"id":"3","s":"\u00e9"}],"issueId":"10002"}"#
                ),
            ]
        );
        // Every entry is a sub-slice of the page and parses as `IssueChangelogs`.
        for e in &entries {
            assert!(first.contains(e.raw_json()));
            let parsed: IssueChangelogs = serde_json::from_str(e.raw_json()).unwrap();
            assert_eq!(parsed.change_histories.len(), e.histories);
        }
    }

    #[test]
    fn bulk_changelogs_group_pieces_across_pages_in_order() {
        let pages = [
            raw(
                r#"{"issueChangeLogs":[{"issueId":"7","changeHistories":[{"id":"a"}]},{"issueId":"8","changeHistories":[{"id":"b"},{"id":"c"}]}],"nextPageToken":"x"}"#,
            ),
            raw(
                r#"{"issueChangeLogs":[{"issueId":"8","changeHistories":[{"id":"d"}]},{"issueId":9,"changeHistories":[]}]}"#,
            ),
            raw(r#"{"issueChangeLogs":[]}"#),
        ];
        let mut all = BulkChangelogs::from_pages(pages.iter().map(|p| &**p)).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all.issue_ids().collect::<Vec<_>>(), ["7", "8", "9"]);
        assert_eq!(all.history_count("8"), 3);
        assert_eq!(all.history_count("9"), 0);
        assert_eq!(all.history_count("404"), 0);
        assert!(all.get("404").is_empty());
        let eight: Vec<String> = all
            .remove("8")
            .into_iter()
            .map(|e| e.into_raw().get().to_owned())
            .collect();
        assert_eq!(
            eight,
            [
                r#"{"issueId":"8","changeHistories":[{"id":"b"},{"id":"c"}]}"#,
                r#"{"issueId":"8","changeHistories":[{"id":"d"}]}"#,
            ]
        );
        assert!(all.remove("8").is_empty());
        assert_eq!(all.len(), 2);
        assert!(!all.is_empty());
    }

    #[test]
    fn bulk_changelog_pages_of_another_shape_are_decode_errors() {
        for bad in [
            r#"[]"#,
            r#"{"issueChangeLogs":{}}"#,
            r#"{"issueChangeLogs":[{"changeHistories":[]}]}"#,
            r#"{"issueChangeLogs":[{"issueId":null}]}"#,
        ] {
            let err = BulkChangelogPage::split_raw(&raw(bad)).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Decode, "{bad}");
        }
        // A page without the list has no entries (nothing to split).
        assert!(BulkChangelogPage::split_raw(&raw("{}")).unwrap().is_empty());
    }

    #[test]
    fn comments_and_changelogs_deserialize() {
        let p: CommentPage = serde_json::from_str(
            r#"{"startAt":0,"maxResults":100,"total":1,"comments":[{"id":"9","body":"wiki *text*",
            "created":"2026-01-01T00:00:00.000+0000","visibility":{"type":"role","value":"Admins"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.comments[0].visibility.as_ref().unwrap().value.as_deref(),
            Some("Admins")
        );
        let c: ChangelogPage = serde_json::from_str(
            r#"{"startAt":0,"maxResults":100,"total":1,"isLast":true,"values":[{"id":"5",
            "created":"2026-01-01T00:00:00.000+0000","items":[{"field":"Key","fromString":"A-1","toString":"B-1"}]}]}"#,
        )
        .unwrap();
        assert_eq!(c.values[0].items[0].to_string.as_deref(), Some("B-1"));
    }
}
