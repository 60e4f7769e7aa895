//! Raw issue plus catalogue to the normalized document.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::document::{
    Attachment, Comment, CustomField, IssueRef, Link, NormalizedIssue, Project, SCHEMA_VERSION,
    Sprint, User, Visibility,
};
use crate::error::{Error, Result};
use crate::fields::FieldCatalogue;
use crate::raw::RawRecord;
use crate::render::{self, Placement, SPRINT_TYPE, STORY_POINTS_TYPE};
use crate::timestamp::{format_rfc3339_utc, parse_jira_timestamp};

/// How to build documents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Site URL for browse links, e.g. `https://tenant.atlassian.net` (a
    /// trailing slash is fine; a bare host gets `https://`). When empty, the
    /// raw envelope's `site_url` is used.
    pub site_url: String,
    /// Keep comments that carry a `visibility` (role or group) restriction.
    /// Off by default: a shared RAG index must not leak them.
    pub include_restricted_comments: bool,
}

/// Builds the normalized document of one issue version.
///
/// `raw_key` is the object key the raw record was stored under; it is
/// copied into the document so every document names its source.
///
/// # Errors
///
/// [`Error::InvalidIssueKey`] for a key outside the grammar,
/// [`Error::MissingField`] when a field every issue has (`project`,
/// `issuetype`, `status`, `created`, `updated`) is missing,
/// [`Error::InvalidTimestamp`] when `created` or `updated` is unreadable, and
/// [`Error::MissingSiteUrl`] when no site URL is known.
pub fn normalize(
    raw: &RawRecord,
    catalogue: &FieldCatalogue,
    raw_key: &str,
    opts: &Options,
) -> Result<NormalizedIssue> {
    let issue = raw.issue();
    let label = raw.label();
    let key = raw.key()?;
    let empty = Map::new();
    let fields = issue
        .get("fields")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let missing = |field: &'static str| Error::MissingField {
        key: label.clone(),
        field,
    };
    let get = |name: &str| fields.get(name).unwrap_or(&Value::Null);

    let site = if opts.site_url.trim().is_empty() {
        raw.site_url().unwrap_or_default()
    } else {
        opts.site_url.trim()
    };
    if site.is_empty() {
        return Err(Error::MissingSiteUrl {
            key: key.to_string(),
        });
    }
    // A bare host ("acme.atlassian.net") is what people paste; Jira Cloud
    // is HTTPS-only, so that is the scheme to assume.
    let scheme = if site.contains("://") { "" } else { "https://" };
    let url = format!("{scheme}{}/browse/{key}", site.trim_end_matches('/'));

    let project_value = get("project");
    let project = Project {
        id: text(project_value, "id"),
        key: str_of(project_value, "key")
            .ok_or_else(|| missing("fields.project"))?
            .to_owned(),
        name: text(project_value, "name"),
    };
    let issue_type_value = get("issuetype");
    let issue_type = str_of(issue_type_value, "name")
        .ok_or_else(|| missing("fields.issuetype"))?
        .to_owned();
    let status_value = get("status");
    let status = str_of(status_value, "name")
        .ok_or_else(|| missing("fields.status"))?
        .to_owned();
    let category_key = status_value
        .get("statusCategory")
        .and_then(|c| str_of(c, "key"))
        .unwrap_or("undefined")
        .to_owned();

    let created = required_time(get("created"), || missing("fields.created"))?;
    let updated = required_time(get("updated"), || missing("fields.updated"))?;

    let (comments, comments_complete) = comments(raw, fields, opts);
    let (custom_fields, sections, lines, sprints, story_points) = custom_fields(fields, catalogue);

    let mut doc = NormalizedIssue {
        schema_version: SCHEMA_VERSION,
        source: "jira".to_owned(),
        id: raw.id().to_owned(),
        key: key.to_string(),
        url,
        project,
        summary: str_of_value(get("summary")).unwrap_or_default().to_owned(),
        issue_type,
        is_subtask: issue_type_value
            .get("subtask")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        status,
        status_category: category_name(&category_key).to_owned(),
        status_category_key: category_key,
        priority: str_of(get("priority"), "name").map(str::to_owned),
        resolution: str_of(get("resolution"), "name").map(str::to_owned),
        security_level: str_of(get("security"), "name").map(str::to_owned),
        labels: string_list(get("labels")),
        components: names(get("components")),
        fix_versions: names(get("fixVersions")),
        affects_versions: names(get("versions")),
        assignee: render::user(get("assignee")),
        reporter: render::user(get("reporter")),
        parent: issue_ref(get("parent")),
        subtasks: list(get("subtasks")).iter().filter_map(issue_ref).collect(),
        links: list(get("issuelinks")).iter().filter_map(link).collect(),
        sprints,
        story_points,
        created,
        updated,
        resolved: optional_time(get("resolutiondate")),
        due_date: get("duedate")
            .is_string()
            .then(|| render::date_text(get("duedate")))
            .filter(|d| !d.is_empty()),
        description: render::rich_text(get("description")),
        environment: render::rich_text(get("environment")),
        comments,
        comments_complete,
        custom_fields,
        attachments: list(get("attachment"))
            .iter()
            .filter_map(attachment)
            .collect(),
        content: String::new(),
        content_sha256: String::new(),
        raw_key: raw_key.to_owned(),
    };
    // One API version per response: v3 sends ADF objects everywhere, v2
    // and Data Center send wiki-markup strings everywhere.
    let markdown = !is_wiki(raw, fields);
    doc.content = content(&doc, &sections, &lines, markdown);
    doc.content_sha256 = hex::encode(Sha256::digest(doc.content.as_bytes()));
    Ok(doc)
}

/// Category names by key. Jira localises `statusCategory.name` to the API
/// user's language; the key is stable, so the English name is derived from
/// it. `undefined` ("No Category") behaves like a to-do status on boards.
fn category_name(key: &str) -> &'static str {
    match key {
        "indeterminate" => "In Progress",
        "done" => "Done",
        _ => "To Do",
    }
}

fn str_of<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn str_of_value(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| !s.is_empty())
}

fn text(value: &Value, name: &str) -> String {
    match value.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn string_list(value: &Value) -> Vec<String> {
    list(value)
        .iter()
        .filter_map(|v| str_of_value(v).map(str::to_owned))
        .collect()
}

fn names(value: &Value) -> Vec<String> {
    list(value)
        .iter()
        .filter_map(|v| str_of(v, "name").map(str::to_owned))
        .collect()
}

fn required_time(value: &Value, missing: impl FnOnce() -> Error) -> Result<String> {
    let text = str_of_value(value).ok_or_else(missing)?;
    Ok(format_rfc3339_utc(parse_jira_timestamp(text)?))
}

/// Optional timestamps never fail the document: an unreadable one is
/// dropped rather than losing the whole issue.
fn optional_time(value: &Value) -> Option<String> {
    str_of_value(value)
        .and_then(|t| parse_jira_timestamp(t).ok())
        .map(format_rfc3339_utc)
}

fn issue_ref(value: &Value) -> Option<IssueRef> {
    let key = str_of(value, "key")?;
    Some(IssueRef {
        id: text(value, "id"),
        key: key.to_owned(),
        summary: value
            .get("fields")
            .and_then(|f| str_of(f, "summary"))
            .unwrap_or_default()
            .to_owned(),
    })
}

fn link(value: &Value) -> Option<Link> {
    let link_type = value.get("type").unwrap_or(&Value::Null);
    let (direction, other) = if let Some(other) = value.get("outwardIssue") {
        ("outward", other)
    } else {
        ("inward", value.get("inwardIssue")?)
    };
    let other = issue_ref(other)?;
    Some(Link {
        link_type: text(link_type, "name"),
        direction: direction.to_owned(),
        relation: text(link_type, direction),
        key: other.key,
        summary: other.summary,
    })
}

fn attachment(value: &Value) -> Option<Attachment> {
    let id = text(value, "id");
    if id.is_empty() {
        return None;
    }
    Some(Attachment {
        id,
        filename: text(value, "filename"),
        mime_type: str_of(value, "mimeType").map(str::to_owned),
        size: value.get("size").and_then(Value::as_u64),
        created: value.get("created").and_then(optional_time),
    })
}

/// The complete comment list: the comment pages when present (they replace
/// the embedded list), else `fields.comment.comments`. Deduplicated by id
/// (the last copy wins, as later pages were fetched later) and sorted oldest
/// first by creation time, then numeric id.
fn comments(raw: &RawRecord, fields: &Map<String, Value>, opts: &Options) -> (Vec<Comment>, bool) {
    let embedded = fields.get("comment").unwrap_or(&Value::Null);
    let sources: Vec<&Value> = if raw.comment_pages().is_empty() {
        vec![embedded]
    } else {
        raw.comment_pages().iter().collect()
    };
    // Jira's `total` (the largest any source reports) against the distinct
    // comments actually held, restricted ones included.
    let total = sources
        .iter()
        .filter_map(|s| s.get("total").and_then(Value::as_u64))
        .max()
        .unwrap_or(0);
    let mut seen: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut by_id: BTreeMap<String, (Option<i128>, Comment)> = BTreeMap::new();
    for source in sources {
        for item in list(source.get("comments").unwrap_or(&Value::Null)) {
            let id = text(item, "id");
            if id.is_empty() {
                continue;
            }
            seen.insert(id.clone());
            let visibility = item.get("visibility").and_then(|v| {
                let kind = str_of(v, "type")?;
                Some(Visibility {
                    kind: kind.to_owned(),
                    value: text(v, "value"),
                })
            });
            if visibility.is_some() && !opts.include_restricted_comments {
                // Remove an earlier unrestricted copy too: the newest copy
                // says the comment is restricted now.
                by_id.remove(&id);
                continue;
            }
            let created_at = item
                .get("created")
                .and_then(Value::as_str)
                .and_then(|t| parse_jira_timestamp(t).ok());
            let created = created_at.map(format_rfc3339_utc).unwrap_or_default();
            let updated = item
                .get("updated")
                .and_then(optional_time)
                .unwrap_or_else(|| created.clone());
            let comment = Comment {
                id: id.clone(),
                author: render::user(item.get("author").unwrap_or(&Value::Null)),
                created,
                updated,
                body: render::rich_text(item.get("body").unwrap_or(&Value::Null)),
                internal: is_internal(item),
                visibility,
            };
            by_id.insert(id, (created_at.map(|t| t.unix_timestamp_nanos()), comment));
        }
    }
    let mut ordered: Vec<_> = by_id.into_values().collect();
    ordered.sort_by(|(ta, a), (tb, b)| {
        // Comments without a readable time go last; ids compare numerically.
        (ta.is_none(), ta, a.id.len(), &a.id).cmp(&(tb.is_none(), tb, b.id.len(), &b.id))
    });
    let complete = u64::try_from(seen.len()).unwrap_or(u64::MAX) >= total;
    (ordered.into_iter().map(|(_, c)| c).collect(), complete)
}

/// Service Management internal notes: Cloud marks them `jsdPublic: false`;
/// Data Center (with `expand=properties`) sets the `sd.public.comment`
/// property to `{"internal": true}`.
fn is_internal(comment: &Value) -> bool {
    if comment.get("jsdPublic").and_then(Value::as_bool) == Some(false) {
        return true;
    }
    list(comment.get("properties").unwrap_or(&Value::Null))
        .iter()
        .any(|p| {
            p.get("key").and_then(Value::as_str) == Some("sd.public.comment")
                && p.get("value")
                    .and_then(|v| v.get("internal"))
                    .and_then(Value::as_bool)
                    == Some(true)
        })
}

type CustomParts = (
    Vec<CustomField>,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<Sprint>,
    Option<f64>,
);

/// Every non-empty custom field, ordered by numeric id, plus what `content`
/// shows of them (prose sections and one-line entries, labelled so duplicate
/// names stay apart), the sprints and the story points.
fn custom_fields(fields: &Map<String, Value>, catalogue: &FieldCatalogue) -> CustomParts {
    let mut ids: Vec<&String> = fields
        .keys()
        .filter(|id| {
            id.starts_with("customfield_") || catalogue.get(id).is_some_and(|def| def.custom)
        })
        .collect();
    ids.sort_by_key(|id| {
        let number = id
            .strip_prefix("customfield_")
            .and_then(|n| n.parse::<u64>().ok());
        (number.is_none(), number, id.as_str())
    });
    let mut out = Vec::new();
    let (mut sections, mut lines, mut sprints) = (Vec::new(), Vec::new(), Vec::new());
    let (mut typed_points, mut named_points_value) = (None, None);
    for id in ids {
        let value = &fields[id.as_str()];
        if render::is_empty(value) {
            continue;
        }
        let def = catalogue.get(id);
        let field_type = def.and_then(|d| d.custom_type.clone());
        let rendered = render::custom_field(field_type.as_deref(), value);
        if rendered.text.is_empty() && !value.is_number() {
            // Non-empty JSON that renders to nothing (an ADF document of
            // empty paragraphs, an array of nulls) is empty for readers.
            continue;
        }
        let name = def.map_or_else(|| id.clone(), |d| d.name.clone());
        let label = def.map_or_else(|| id.clone(), |d| d.label.clone());
        let named_points = value.is_number()
            && matches!(
                name.to_lowercase().as_str(),
                "story points" | "story point estimate"
            );
        let mut placement = rendered.placement;
        match field_type.as_deref() {
            Some(SPRINT_TYPE) => sprints.extend(render::sprints(value)),
            Some(STORY_POINTS_TYPE) => typed_points = typed_points.or(value.as_f64()),
            _ if named_points => {
                // Shown as "Story points" in the metadata block already.
                placement = Placement::Hidden;
                named_points_value = named_points_value.or(value.as_f64());
            }
            _ => {}
        }
        match placement {
            Placement::Section => sections.push((label, rendered.text.clone())),
            Placement::Line => lines.push((label, rendered.text.clone())),
            Placement::Hidden => {}
        }
        out.push(CustomField {
            id: id.clone(),
            name,
            field_type,
            value: value.clone(),
            text: rendered.text,
        });
    }
    (
        out,
        sections,
        lines,
        sprints,
        typed_points.or(named_points_value),
    )
}

/// The Markdown document for embedding. `updated` is left out on purpose:
/// Jira bumps it for changes that do not matter to readers (rank, watchers),
/// and `content_sha256` should change only when the text does, so the
/// embedding stage re-embeds only what changed.
///
/// Headings inside Markdown bodies are pushed below the document's own
/// (`##` sections, `###` comments) so a chunker that splits on headings
/// sees one consistent outline. Wiki markup (Data Center) is not Markdown
/// and is left alone.
fn content(
    doc: &NormalizedIssue,
    sections: &[(String, String)],
    lines: &[(String, String)],
    markdown: bool,
) -> String {
    let mut out = String::with_capacity(
        256 + doc.description.len()
            + doc
                .comments
                .iter()
                .map(|c| c.body.len() + 64)
                .sum::<usize>(),
    );
    // Summaries are single-line in Jira; fold stray newlines so the title
    // stays one line.
    let summary = doc.summary.split_whitespace().collect::<Vec<_>>().join(" ");
    if summary.is_empty() {
        out.push_str(&format!("# {}\n\n", doc.key));
    } else {
        out.push_str(&format!("# {}: {summary}\n\n", doc.key));
    }

    let mut meta: Vec<(&str, String)> = vec![
        (
            "Project",
            format!("{} ({})", doc.project.name, doc.project.key),
        ),
        ("Type", doc.issue_type.clone()),
        (
            "Status",
            if doc.status == doc.status_category {
                doc.status.clone()
            } else {
                format!("{} ({})", doc.status, doc.status_category)
            },
        ),
    ];
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let user = |u: &Option<User>| {
        u.as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    meta.extend([
        ("Priority", opt(&doc.priority)),
        ("Resolution", opt(&doc.resolution)),
        ("Assignee", user(&doc.assignee)),
        ("Reporter", user(&doc.reporter)),
        ("Labels", doc.labels.join(", ")),
        ("Components", doc.components.join(", ")),
        ("Fix versions", doc.fix_versions.join(", ")),
        ("Affects versions", doc.affects_versions.join(", ")),
        (
            "Sprint",
            doc.sprints
                .iter()
                .map(render::sprint_text)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Story points",
            doc.story_points.map(|p| p.to_string()).unwrap_or_default(),
        ),
        (
            "Parent",
            doc.parent
                .as_ref()
                .map(|p| issue_ref_text(&p.key, &p.summary))
                .unwrap_or_default(),
        ),
        (
            "Sub-tasks",
            doc.subtasks
                .iter()
                .map(|s| issue_ref_text(&s.key, &s.summary))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            "Links",
            doc.links
                .iter()
                .map(|l| {
                    let relation = if l.relation.is_empty() {
                        &l.link_type
                    } else {
                        &l.relation
                    };
                    format!("{relation} {}", issue_ref_text(&l.key, &l.summary))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (
            "Created",
            doc.created.get(..10).unwrap_or_default().to_owned(),
        ),
        (
            "Resolved",
            doc.resolved
                .as_deref()
                .and_then(|r| r.get(..10))
                .unwrap_or_default()
                .to_owned(),
        ),
        ("Due", opt(&doc.due_date)),
    ]);
    for (name, value) in meta {
        if !value.is_empty() {
            out.push_str(&format!("- {name}: {value}\n"));
        }
    }
    for (label, text) in lines {
        out.push_str(&format!("- {label}: {text}\n"));
    }

    let mut section = |title: &str, body: &str| {
        if !body.is_empty() {
            out.push_str(&format!("\n## {title}\n\n{}\n", nest(body, 2, markdown)));
        }
    };
    section("Description", &doc.description);
    section("Environment", &doc.environment);
    for (label, text) in sections {
        section(label, text);
    }

    if !doc.comments.is_empty() {
        out.push_str("\n## Comments\n");
        for c in &doc.comments {
            let author = c
                .author
                .as_ref()
                .map_or("Anonymous", |a| a.display_name.as_str());
            let mut marks = String::new();
            if c.internal {
                marks.push_str(" (internal)");
            }
            if let Some(v) = &c.visibility {
                marks.push_str(&format!(" (restricted to {} {})", v.kind, v.value));
            }
            out.push_str(&format!("\n### {author}, {}{marks}\n\n", c.created));
            if !c.body.is_empty() {
                out.push_str(&nest(&c.body, 3, markdown));
                out.push('\n');
            }
        }
    }
    out
}

/// Whether the payload came from API v2 / Data Center: its rich text is
/// wiki-markup strings where v3 has ADF objects.
fn is_wiki(raw: &RawRecord, fields: &Map<String, Value>) -> bool {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let comment_bodies = |page: Option<&Value>| {
        list(page.and_then(|p| p.get("comments")).unwrap_or(&Value::Null))
            .iter()
            .any(|c| text(c.get("body")))
    };
    text(fields.get("description"))
        || text(fields.get("environment"))
        || comment_bodies(fields.get("comment"))
        || raw.comment_pages().iter().any(|p| comment_bodies(Some(p)))
}

/// Adds `levels` to every ATX heading outside fenced code (capped at six,
/// the deepest Markdown has).
fn nest(body: &str, levels: usize, markdown: bool) -> Cow<'_, str> {
    if !markdown || !body.contains('#') {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len() + 16);
    let mut fence: Option<&str> = None;
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start_matches(' ');
        if line.len() - trimmed.len() <= 3 {
            if let Some(marker) = fence {
                if trimmed.starts_with(marker) {
                    fence = None;
                }
            } else if trimmed.starts_with("```") {
                fence = Some("```");
            } else if trimmed.starts_with("~~~") {
                fence = Some("~~~");
            } else {
                let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
                let rest = &trimmed[hashes..];
                if (1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with(' ')) {
                    out.push_str(&"#".repeat((hashes + levels).min(6)));
                    out.push_str(rest);
                    continue;
                }
            }
        }
        out.push_str(line);
    }
    Cow::Owned(out)
}

fn issue_ref_text(key: &str, summary: &str) -> String {
    if summary.is_empty() {
        key.to_owned()
    } else {
        format!("{key} ({summary})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nest_pushes_headings_down_outside_code() {
        let md =
            "## Summary\ntext #1\n```\n# not a heading\n```\n#### deep\n###### deepest\n#hashtag";
        assert_eq!(
            nest(md, 2, true),
            "#### Summary\ntext #1\n```\n# not a heading\n```\n###### deep\n###### deepest\n#hashtag"
        );
        assert_eq!(nest("# wiki list", 2, false), "# wiki list");
        assert_eq!(nest("~~~\n# x\n~~~\n# y", 3, true), "~~~\n# x\n~~~\n#### y");
    }

    #[test]
    fn category_names_come_from_keys() {
        assert_eq!(category_name("new"), "To Do");
        assert_eq!(category_name("indeterminate"), "In Progress");
        assert_eq!(category_name("done"), "Done");
        assert_eq!(category_name("undefined"), "To Do");
    }
}
