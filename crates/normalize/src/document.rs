//! The normalized document, schema version 1 (contracts §2).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The document version this crate writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The normalized issue document that the chunking, embedding and retrieval
/// stages consume. `schemas/normalized-issue.v1.json` describes it; field
/// order here is the order in the JSON.
///
/// All timestamps are RFC 3339 in UTC (`2026-11-29T01:45:02.123Z`); all rich
/// text is GitHub-flavoured Markdown (ADF through `adf-md`; Data Center
/// wiki markup kept as text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NormalizedIssue {
    /// Always 1.
    pub schema_version: u32,
    /// Always `"jira"`.
    pub source: String,
    /// Jira's issue id, stable across moves.
    pub id: String,
    /// The issue key, e.g. `ENG-42`.
    pub key: String,
    /// Browse URL, e.g. `https://tenant.atlassian.net/browse/ENG-42`.
    pub url: String,
    /// The project.
    pub project: Project,
    /// The summary ("" when Jira sent none).
    pub summary: String,
    /// Issue type name, e.g. `Bug`.
    pub issue_type: String,
    /// Whether the issue type is a sub-task type.
    pub is_subtask: bool,
    /// Status name as shown on the site, e.g. `In Review`.
    pub status: String,
    /// `To Do`, `In Progress` or `Done`, from the category *key* so the value
    /// does not depend on the API user's language.
    pub status_category: String,
    /// Jira's category key: `new`, `indeterminate`, `done` (or `undefined`).
    pub status_category_key: String,
    /// Priority name.
    pub priority: Option<String>,
    /// Resolution name; null while unresolved.
    pub resolution: Option<String>,
    /// Issue security level name, when the issue has one; lets an index
    /// apply stricter access rules.
    pub security_level: Option<String>,
    /// Labels, in Jira's order.
    pub labels: Vec<String>,
    /// Component names, in Jira's order.
    pub components: Vec<String>,
    /// Fix version names.
    pub fix_versions: Vec<String>,
    /// Affects version names (`fields.versions`).
    pub affects_versions: Vec<String>,
    /// Assignee.
    pub assignee: Option<User>,
    /// Reporter.
    pub reporter: Option<User>,
    /// Parent (epic or parent of a sub-task).
    pub parent: Option<IssueRef>,
    /// Sub-tasks, in Jira's order.
    pub subtasks: Vec<IssueRef>,
    /// Issue links, in Jira's order.
    pub links: Vec<Link>,
    /// Sprints from the sprint custom field, in Jira's order.
    pub sprints: Vec<Sprint>,
    /// Story points (the `jsw-story-points` field, else a number field named
    /// "Story Points" or "Story point estimate").
    pub story_points: Option<f64>,
    /// Creation time.
    pub created: String,
    /// Last update time (`fields.updated`).
    pub updated: String,
    /// Resolution time; null while unresolved.
    pub resolved: Option<String>,
    /// Due date as an ISO date (`2026-12-01`).
    pub due_date: Option<String>,
    /// Description as Markdown ("" when empty).
    pub description: String,
    /// Environment as Markdown ("" when empty).
    pub environment: String,
    /// Comments, complete and oldest first; restricted ones only when asked for.
    pub comments: Vec<Comment>,
    /// False when Jira reported more comments than the raw object holds
    /// (an embedded list truncated with no comment pages fetched).
    pub comments_complete: bool,
    /// Every non-empty custom field, ordered by numeric id.
    pub custom_fields: Vec<CustomField>,
    /// Attachment metadata (not contents).
    pub attachments: Vec<Attachment>,
    /// One Markdown document for embedding.
    pub content: String,
    /// Lowercase hex SHA-256 of `content`'s UTF-8 bytes.
    pub content_sha256: String,
    /// The raw object this document was built from.
    pub raw_key: String,
}

impl NormalizedIssue {
    /// Deterministic JSON: pretty-printed with two-space indentation, fields
    /// in declaration order, object keys inside custom field values sorted,
    /// and a final newline. The same raw input gives the same bytes.
    #[must_use]
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serializing plain structs, strings and JSON values to a Vec cannot
        // fail; the fallback is never taken but avoids a panic path.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// `{id, key, name}` of the project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Project key, e.g. `ENG`.
    pub key: String,
    /// Project name.
    pub name: String,
}

/// A person. On Cloud `account_id` is the Atlassian account id; on Data
/// Center (which has none) it is the user key, else the user name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable user identifier.
    pub account_id: String,
    /// Display name at fetch time.
    pub display_name: String,
}

/// A reference to another issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    /// Issue id.
    pub id: String,
    /// Issue key.
    pub key: String,
    /// Summary at fetch time ("" when Jira did not include it).
    pub summary: String,
}

/// One issue link, seen from this issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Link type name, e.g. `Blocks`.
    #[serde(rename = "type")]
    pub link_type: String,
    /// `outward` when this issue is the source (`ENG-1 blocks ENG-2`), else `inward`.
    pub direction: String,
    /// The phrase from this issue's side, e.g. `blocks` or `is blocked by`.
    pub relation: String,
    /// The other issue's key.
    pub key: String,
    /// The other issue's summary.
    pub summary: String,
}

/// A sprint the issue was in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sprint {
    /// Sprint id (as text; null if Jira gave none).
    pub id: Option<String>,
    /// Sprint name.
    pub name: String,
    /// `active`, `closed` or `future` (lowercase).
    pub state: Option<String>,
}

/// One comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: String,
    /// Author; null when Jira names none (anonymous or removed users).
    pub author: Option<User>,
    /// Creation time.
    pub created: String,
    /// Last edit time.
    pub updated: String,
    /// Body as Markdown.
    pub body: String,
    /// Service Management internal note (`jsdPublic: false`).
    pub internal: bool,
    /// The restriction, present only when restricted comments were included.
    pub visibility: Option<Visibility>,
}

/// A comment's role or group restriction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visibility {
    /// `role` or `group`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Role or group name.
    pub value: String,
}

/// One non-empty custom field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    /// Field id, e.g. `customfield_10016`.
    pub id: String,
    /// Current field name (the id when the catalogue does not know the field).
    pub name: String,
    /// Jira's `schema.custom` key; null when the catalogue does not know the field.
    #[serde(rename = "type")]
    pub field_type: Option<String>,
    /// The JSON value as Jira sent it.
    #[serde(serialize_with = "sorted_value")]
    pub value: Value,
    /// Human-readable rendering (Markdown for rich text).
    pub text: String,
}

/// Attachment metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Attachment id.
    pub id: String,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Upload time.
    pub created: Option<String>,
}

/// Writes a JSON value with object keys sorted, whatever `serde_json`'s map
/// order is in this build (another crate may enable `preserve_order`), so the
/// bytes never depend on feature unification.
fn sorted_value<S: Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
    Sorted(value).serialize(serializer)
}

struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    out.serialize_entry(k, &Sorted(v))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}
