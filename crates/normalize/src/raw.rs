//! The raw object: everything fetched for one issue version, verbatim.

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::key::IssueKey;
use crate::timestamp::{format_rfc3339_utc, parse_jira_timestamp};

/// Everything fetched for one version of an issue (contracts §1,
/// `raw/jira/<KEY>/<UPDATED>.json`), as stored and as read back.
///
/// # Format (`raw_format` 1)
///
/// ```json
/// {"raw_format":1,"site_url":"https://x.atlassian.net","fetched_at":"2026-11-29T01:45:02.123Z",
///  "issue":{...issue JSON exactly as Jira sent it...},
///  "comment_pages":[{...GET /issue/{id}/comment page verbatim...}],
///  "changelog_pages":[{"issueId":"10001","changeHistories":[...]}]}
/// ```
///
/// The page arrays are empty when the lists embedded in the issue were
/// complete. When comment pages are present they hold the complete comment
/// list and replace `fields.comment.comments`.
///
/// A changelog page is one issue's entry of a
/// `POST /rest/api/3/changelog/bulkfetch` response (`issueChangeLogs[i]`,
/// `{"issueId", "changeHistories"}`), copied byte for byte out of the
/// response. Jira pages that endpoint by history count, so one issue's
/// history can arrive as several entries (one per response page); they are
/// stored in the order read, and together their `changeHistories` hold the
/// complete history and replace the issue's embedded `changelog.histories`
/// (which is cut at 20 to 40 entries). Data Center has no such endpoint; its
/// raw objects keep the changelog its search embedded and no changelog
/// pages. Raw objects written before the bulk endpoint was used may hold
/// `GET /rest/api/3/issue/{id}/changelog` pages (`{"startAt", "total",
/// "values": [...]}`) instead; readers tell the two apart by
/// `changeHistories` against `values`, and both stay readable.
///
/// Old formats stay readable: a new layout gets a new `raw_format` number and
/// [`RawRecord::parse`] keeps accepting every earlier one.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRecord {
    raw_format: u64,
    site_url: Option<String>,
    fetched_at: Option<String>,
    issue: Value,
    comment_pages: Vec<Value>,
    changelog_pages: Vec<Value>,
}

impl RawRecord {
    /// The envelope version [`RawRecord::to_bytes`] writes.
    pub const FORMAT: u64 = 1;

    /// Writes the envelope around Jira's bytes.
    ///
    /// The embedded JSON is copied byte for byte, never re-serialized, so the
    /// stored object keeps exactly what Jira returned (number formatting, key
    /// order, escapes). Pass empty page slices when the embedded lists were
    /// complete. The output is deterministic for the same arguments.
    #[must_use]
    pub fn to_bytes(
        site_url: &str,
        fetched_at: OffsetDateTime,
        issue: &RawValue,
        comment_pages: &[&RawValue],
        changelog_pages: &[&RawValue],
    ) -> Vec<u8> {
        let pages_len =
            |pages: &[&RawValue]| pages.iter().map(|p| p.get().len() + 1).sum::<usize>();
        let mut out = String::with_capacity(
            160 + site_url.len()
                + issue.get().len()
                + pages_len(comment_pages)
                + pages_len(changelog_pages),
        );
        out.push_str("{\"raw_format\":");
        out.push_str(&Self::FORMAT.to_string());
        out.push_str(",\"site_url\":");
        // Display of a JSON string value is its escaped JSON form and cannot fail.
        out.push_str(&Value::String(site_url.to_owned()).to_string());
        out.push_str(",\"fetched_at\":\"");
        out.push_str(&format_rfc3339_utc(fetched_at));
        out.push_str("\",\"issue\":");
        out.push_str(issue.get());
        for (name, pages) in [
            ("comment_pages", comment_pages),
            ("changelog_pages", changelog_pages),
        ] {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":[");
            for (i, page) in pages.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(page.get());
            }
            out.push(']');
        }
        out.push('}');
        out.into_bytes()
    }

    /// Reads a raw object: the `raw_format` envelope, or for convenience a
    /// bare issue JSON (an object with `id`, `key` and `fields`, as
    /// `GET /rest/api/3/issue/{key}` returns it).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidJson`] for bytes that are not JSON,
    /// [`Error::UnsupportedRawFormat`] for a newer envelope, and
    /// [`Error::NotAnIssue`] for JSON of another shape.
    pub fn parse(bytes: &[u8]) -> Result<RawRecord> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|source| Error::InvalidJson { source })?;
        RawRecord::from_value(value)
    }

    /// Like [`RawRecord::parse`], from already parsed JSON.
    ///
    /// # Errors
    ///
    /// As [`RawRecord::parse`].
    pub fn from_value(value: Value) -> Result<RawRecord> {
        let Value::Object(mut map) = value else {
            return Err(Error::NotAnIssue {
                reason: "the top level is not a JSON object",
            });
        };
        let Some(format) = map.get("raw_format") else {
            check_issue_shape(&map)?;
            return Ok(RawRecord {
                raw_format: 0,
                site_url: None,
                fetched_at: None,
                issue: Value::Object(map),
                comment_pages: Vec::new(),
                changelog_pages: Vec::new(),
            });
        };
        let found = format.as_u64().ok_or(Error::NotAnIssue {
            reason: "raw_format is not a whole number",
        })?;
        if found == 0 || found > Self::FORMAT {
            return Err(Error::UnsupportedRawFormat {
                found,
                supported: Self::FORMAT,
            });
        }
        let issue = match map.remove("issue") {
            Some(Value::Object(issue)) => {
                check_issue_shape(&issue)?;
                Value::Object(issue)
            }
            _ => {
                return Err(Error::NotAnIssue {
                    reason: "the envelope has no `issue` object",
                });
            }
        };
        let text = |map: &mut Map<String, Value>, name: &str| match map.remove(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        let pages = |map: &mut Map<String, Value>, name: &str| match map.remove(name) {
            Some(Value::Array(pages)) => pages,
            _ => Vec::new(),
        };
        Ok(RawRecord {
            raw_format: found,
            site_url: text(&mut map, "site_url"),
            fetched_at: text(&mut map, "fetched_at"),
            issue,
            comment_pages: pages(&mut map, "comment_pages"),
            changelog_pages: pages(&mut map, "changelog_pages"),
        })
    }

    /// Wraps a bare issue JSON, as if read by [`RawRecord::parse`].
    ///
    /// # Errors
    ///
    /// [`Error::NotAnIssue`] when it is not an object with `id`, `key` and `fields`.
    pub fn from_issue(issue: Value) -> Result<RawRecord> {
        match &issue {
            Value::Object(map) if !map.contains_key("raw_format") => RawRecord::from_value(issue),
            _ => Err(Error::NotAnIssue {
                reason: "expected a bare issue object",
            }),
        }
    }

    /// Adds comment pages (`GET /issue/{id}/comment` responses); used by
    /// tests and tools that assemble records by hand.
    #[must_use]
    pub fn with_comment_pages(mut self, pages: Vec<Value>) -> RawRecord {
        self.comment_pages = pages;
        self
    }

    /// The envelope version read; 0 for a bare issue.
    #[must_use]
    pub fn raw_format(&self) -> u64 {
        self.raw_format
    }

    /// The site the issue was fetched from, when the envelope names it.
    #[must_use]
    pub fn site_url(&self) -> Option<&str> {
        self.site_url.as_deref()
    }

    /// When the issue was fetched (RFC 3339), when the envelope says.
    #[must_use]
    pub fn fetched_at(&self) -> Option<&str> {
        self.fetched_at.as_deref()
    }

    /// The issue JSON as Jira sent it.
    #[must_use]
    pub fn issue(&self) -> &Value {
        &self.issue
    }

    /// The comment pages, empty when the embedded list was complete.
    #[must_use]
    pub fn comment_pages(&self) -> &[Value] {
        &self.comment_pages
    }

    /// The changelog pages (see the format above: per-issue entries of the
    /// changelog bulk fetch, or older `/changelog` pages), empty when the
    /// embedded changelog was complete.
    #[must_use]
    pub fn changelog_pages(&self) -> &[Value] {
        &self.changelog_pages
    }

    /// The issue id (stable across moves).
    #[must_use]
    pub fn id(&self) -> &str {
        // Shape checked on construction: `id` is a non-empty string or number.
        self.issue
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The issue key, validated.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidIssueKey`] when Jira's key does not match the grammar.
    pub fn key(&self) -> Result<IssueKey> {
        IssueKey::parse(
            self.issue
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
    }

    /// `fields.updated`, which names this version in the raw object key.
    ///
    /// # Errors
    ///
    /// [`Error::MissingField`] or [`Error::InvalidTimestamp`].
    pub fn updated(&self) -> Result<OffsetDateTime> {
        let text = self
            .issue
            .get("fields")
            .and_then(|f| f.get("updated"))
            .and_then(Value::as_str)
            .ok_or_else(|| Error::MissingField {
                key: self.label(),
                field: "fields.updated",
            })?;
        parse_jira_timestamp(text)
    }

    /// The key when present, else the id: for error messages.
    pub(crate) fn label(&self) -> String {
        match self.issue.get("key").and_then(Value::as_str) {
            Some(key) if !key.is_empty() => key.to_owned(),
            _ => format!("id {}", self.id()),
        }
    }
}

fn check_issue_shape(map: &Map<String, Value>) -> Result<()> {
    // Jira always sends the id as a string; a non-string id means this is not
    // an issue object (a search page, an error body, ...).
    if map
        .get("id")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Error::NotAnIssue {
            reason: "`id` is missing or not a string",
        });
    }
    if !map.get("key").is_some_and(Value::is_string) {
        return Err(Error::NotAnIssue {
            reason: "`key` is missing or not a string",
        });
    }
    if !map.get("fields").is_some_and(Value::is_object) {
        return Err(Error::NotAnIssue {
            reason: "`fields` is missing or not an object",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE: &str = r#"{"id":"10001","key":"ENG-1","fields":{"updated":"2026-11-29T01:45:02.123+0000","n":1.50}}"#;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn envelope_embeds_jira_bytes_verbatim() {
        let issue = raw(ISSUE);
        let page = raw(r#"{"startAt":0, "total":1,"comments":[{"id":"1"}]}"#);
        let at = parse_jira_timestamp("2026-11-29T01:50:00.000+0000").unwrap();
        let bytes = RawRecord::to_bytes("https://x.atlassian.net", at, &issue, &[&page], &[]);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"raw_format":1,"site_url":"https://x.atlassian.net","fetched_at":"2026-11-29T01:50:00.000Z","issue":{ISSUE},"comment_pages":[{{"startAt":0, "total":1,"comments":[{{"id":"1"}}]}}],"changelog_pages":[]}}"#
            )
        );
        let record = RawRecord::parse(&bytes).unwrap();
        assert_eq!(record.raw_format(), 1);
        assert_eq!(record.site_url(), Some("https://x.atlassian.net"));
        assert_eq!(record.fetched_at(), Some("2026-11-29T01:50:00.000Z"));
        assert_eq!(record.id(), "10001");
        assert_eq!(record.key().unwrap().as_str(), "ENG-1");
        assert_eq!(record.comment_pages().len(), 1);
        assert!(record.changelog_pages().is_empty());
        assert_eq!(
            crate::updated_key(record.updated().unwrap()),
            "20261129T014502.123Z"
        );
    }

    #[test]
    fn changelog_bulk_entries_are_embedded_verbatim_in_order() {
        let a = raw(r#"{"issueId":"10001","changeHistories":[{"id":"1"}]}"#);
        let b = raw(r#"{"issueId":"10001", "changeHistories":[{"id":"2","n":1.50}]}"#);
        let at = parse_jira_timestamp("2026-11-29T01:50:00.000Z").unwrap();
        let bytes = RawRecord::to_bytes("https://x.atlassian.net", at, &raw(ISSUE), &[], &[&a, &b]);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.ends_with(&format!(
            r#""comment_pages":[],"changelog_pages":[{},{}]}}"#,
            a.get(),
            b.get()
        )));
        let record = RawRecord::parse(&bytes).unwrap();
        let ids: Vec<&str> = record
            .changelog_pages()
            .iter()
            .flat_map(|p| p["changeHistories"].as_array().unwrap())
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn site_url_is_escaped() {
        let at = parse_jira_timestamp("2026-11-29T01:50:00.000Z").unwrap();
        let bytes = RawRecord::to_bytes("https://x\"y", at, &raw(ISSUE), &[], &[]);
        let record = RawRecord::parse(&bytes).unwrap();
        assert_eq!(record.site_url(), Some("https://x\"y"));
    }

    /// Format guard: these exact bytes were written by raw_format 1 and must
    /// stay readable by every later build.
    #[test]
    fn format_1_stays_readable() {
        let v1 = br#"{"raw_format":1,"site_url":"https://acme.atlassian.net","fetched_at":"2026-11-29T01:50:00.000Z","issue":{"id":"10001","key":"ENG-1","fields":{"updated":"2026-11-29T01:45:02.123+0000"}},"comment_pages":[],"changelog_pages":[{"values":[]}]}"#;
        let record = RawRecord::parse(v1).unwrap();
        assert_eq!(record.raw_format(), 1);
        assert_eq!(record.changelog_pages().len(), 1);
        assert_eq!(
            record.issue()["fields"]["updated"],
            "2026-11-29T01:45:02.123+0000"
        );
    }

    #[test]
    fn bare_issue_is_accepted() {
        let record = RawRecord::parse(ISSUE.as_bytes()).unwrap();
        assert_eq!(record.raw_format(), 0);
        assert_eq!(record.site_url(), None);
        assert_eq!(record.id(), "10001");
    }

    #[test]
    fn rejects_other_shapes_with_a_reason() {
        assert!(matches!(
            RawRecord::parse(b"{nope"),
            Err(Error::InvalidJson { .. })
        ));
        assert!(matches!(
            RawRecord::parse(br#"{"raw_format":2,"issue":{}}"#),
            Err(Error::UnsupportedRawFormat { found: 2, .. })
        ));
        for bad in [
            &br#"[]"#[..],
            br#"{"issues":[]}"#,
            br#"{"id":10001,"key":"ENG-1","fields":{}}"#,
            br#"{"id":"1","key":"ENG-1"}"#,
            br#"{"raw_format":1}"#,
            br#"{"raw_format":"1","issue":{}}"#,
        ] {
            assert!(
                matches!(RawRecord::parse(bad), Err(Error::NotAnIssue { .. })),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
