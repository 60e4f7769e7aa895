//! Turning Jira JSON values into text: rich text, users, custom fields.

use serde_json::Value;
use time::Date;
use time::macros::format_description;

use crate::document::{Sprint, User};
use crate::timestamp::{format_rfc3339_utc, parse_jira_timestamp};

const SYSTEM: &str = "com.atlassian.jira.plugin.system.customfieldtypes:";
const AGILE: &str = "com.pyxis.greenhopper.jira:";

/// The `schema.custom` key of Jira Software's sprint field.
pub(crate) const SPRINT_TYPE: &str = "com.pyxis.greenhopper.jira:gh-sprint";
/// The `schema.custom` key of Cloud's "Story point estimate" field.
pub(crate) const STORY_POINTS_TYPE: &str = "com.pyxis.greenhopper.jira:jsw-story-points";

const REQUEST_TYPE: &str = "com.atlassian.servicedesk:vp-origin";
const SLA: &str = "com.atlassian.servicedesk:sd-sla-field";

/// Longest custom field text shown as a one-line `- Name: text` entry in
/// `content`; longer or multi-line text gets its own section.
const MAX_LINE: usize = 200;

/// Rich text: ADF (Cloud v3) through `adf-md`, strings (v2 and Data Center
/// wiki markup) kept as written. Trailing whitespace is dropped so documents
/// do not differ by a converter's final newline.
pub(crate) fn rich_text(value: &Value) -> String {
    match value {
        // Data Center sends wiki markup with CRLF line ends; one line-end
        // convention keeps chunk boundaries and hashes independent of it.
        Value::String(text) => text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .trim_end()
            .to_owned(),
        Value::Object(map) if map.contains_key("type") => {
            adf_md::to_markdown(value).trim_end().to_owned()
        }
        _ => String::new(),
    }
}

/// A user object from Cloud (`accountId`) or Data Center (`key`, `name`).
pub(crate) fn user(value: &Value) -> Option<User> {
    let text = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let account_id = text("accountId")
        .or_else(|| text("key"))
        .or_else(|| text("name"));
    let display_name = text("displayName").or_else(|| text("name")).or(account_id);
    match (account_id, display_name) {
        (None, None) => None,
        (id, name) => Some(User {
            account_id: id.unwrap_or_default().to_owned(),
            display_name: name.unwrap_or_default().to_owned(),
        }),
    }
}

/// Where a custom field's text goes in `content`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Its own `## Name` section: prose.
    Section,
    /// A `- Name: text` line in the metadata block.
    Line,
    /// Not in `content`: shown elsewhere (sprints, story points), noise for
    /// embeddings (rank), or only a JSON dump.
    Hidden,
}

/// A custom field's text and where it belongs in `content`.
pub(crate) struct Rendered {
    pub(crate) text: String,
    pub(crate) placement: Placement,
}

impl Rendered {
    fn line(text: String) -> Rendered {
        Rendered {
            text,
            placement: Placement::Line,
        }
    }

    fn hidden(text: String) -> Rendered {
        Rendered {
            text,
            placement: Placement::Hidden,
        }
    }

    /// Short single-line text goes on a line, the rest in a section.
    fn by_shape(text: String) -> Rendered {
        let placement = if text.contains('\n') || text.chars().count() > MAX_LINE {
            Placement::Section
        } else {
            Placement::Line
        };
        Rendered { text, placement }
    }
}

/// Renders a custom field value according to its `schema.custom` type.
/// Unknown types get a best-effort text and fall back to compact JSON.
pub(crate) fn custom_field(custom_type: Option<&str>, value: &Value) -> Rendered {
    let kind = custom_type.unwrap_or_default();
    let short = kind
        .strip_prefix(SYSTEM)
        .map(|k| (SYSTEM, k))
        .or_else(|| kind.strip_prefix(AGILE).map(|k| (AGILE, k)));
    match short {
        Some((SYSTEM, "textarea")) => Rendered {
            text: rich_text(value),
            placement: Placement::Section,
        },
        Some((SYSTEM, "textfield" | "readonlyfield")) => Rendered::by_shape(best_or_json(value)),
        Some((SYSTEM, "float" | "importid")) => Rendered::line(number_text(value)),
        Some((SYSTEM, "select" | "radiobuttons" | "multiselect" | "multicheckboxes")) => {
            Rendered::line(join(value, option_text))
        }
        Some((SYSTEM, "cascadingselect")) => Rendered::line(option_text(value)),
        Some((SYSTEM, "userpicker" | "multiuserpicker" | "people")) => {
            Rendered::line(join(value, |v| {
                user(v).map(|u| u.display_name).unwrap_or_default()
            }))
        }
        Some((SYSTEM, "datepicker")) => Rendered::line(join(value, date_text)),
        Some((SYSTEM, "datetime")) => Rendered::line(join(value, datetime_text)),
        Some((SYSTEM, "labels")) => Rendered::line(join(value, plain)),
        Some((SYSTEM, "atlassian-team")) => Rendered::line(join(value, team_text)),
        Some((AGILE, "gh-sprint")) => Rendered::hidden(
            sprints(value)
                .iter()
                .map(sprint_text)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some((AGILE, "jsw-story-points")) => Rendered::hidden(number_text(value)),
        Some((AGILE, "gh-lexo-rank")) => Rendered::hidden(best_or_json(value)),
        _ if kind == REQUEST_TYPE => Rendered::line(
            value
                .get("requestType")
                .and_then(|r| r.get("name"))
                .and_then(Value::as_str)
                .map_or_else(|| best_or_json(value), str::to_owned),
        ),
        // SLA timers change by the minute; in `content` they would change
        // `content_sha256` and force re-embedding for no reader-visible reason.
        _ if kind == SLA => Rendered::hidden(sla_text(value)),
        _ => match best_text(value) {
            Some(text) => Rendered::by_shape(text),
            None => Rendered::hidden(compact_json(value)),
        },
    }
}

/// Whether a value counts as empty: null, "", [], {} or an ADF document
/// without content. Empty custom fields are left out of the document.
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => {
            map.is_empty()
                || (map.get("type").and_then(Value::as_str) == Some("doc")
                    && map
                        .get("content")
                        .and_then(Value::as_array)
                        .is_none_or(Vec::is_empty))
        }
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Sprints from a sprint field: Cloud sends objects; older Data Center
/// sends `com.atlassian.greenhopper.service.sprint.Sprint@1f[id=1,...]` strings.
pub(crate) fn sprints(value: &Value) -> Vec<Sprint> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::Object(_) => {
                let name = item.get("name").and_then(Value::as_str)?.to_owned();
                Some(Sprint {
                    id: item.get("id").and_then(scalar_text),
                    name,
                    state: item
                        .get("state")
                        .and_then(Value::as_str)
                        .map(str::to_lowercase),
                })
            }
            Value::String(text) => legacy_sprint(text),
            _ => None,
        })
        .collect()
}

fn legacy_sprint(text: &str) -> Option<Sprint> {
    let start = text.find('[')?;
    let body = text[start + 1..]
        .strip_suffix(']')
        .unwrap_or(&text[start + 1..]);
    // Split on commas, then glue back pieces that do not start a `key=`
    // pair: sprint names may themselves contain commas.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in body.split(',') {
        let starts_pair = piece
            .split_once('=')
            .is_some_and(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphabetic()));
        match (starts_pair, pairs.last_mut()) {
            (false, Some((_, value))) => {
                value.push(',');
                value.push_str(piece);
            }
            (false, None) => {}
            (true, _) => {
                let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
                pairs.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty() && v != "<null>")
    };
    Some(Sprint {
        id: get("id"),
        name: get("name")?,
        state: get("state").map(|s| s.to_lowercase()),
    })
}

pub(crate) fn sprint_text(sprint: &Sprint) -> String {
    match &sprint.state {
        Some(state) => format!("{} ({state})", sprint.name),
        None => sprint.name.clone(),
    }
}

/// A number as Jira wrote it (`serde_json` keeps `5.0` as `5.0`).
fn number_text(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        other => best_or_json(other),
    }
}

/// Options by value; cascading selects as `parent / child`.
fn option_text(value: &Value) -> String {
    let Some(own) = value.get("value").and_then(Value::as_str) else {
        return best_or_json(value);
    };
    match value
        .get("child")
        .and_then(|c| c.get("value"))
        .and_then(Value::as_str)
    {
        Some(child) => format!("{own} / {child}"),
        None => own.to_owned(),
    }
}

pub(crate) fn date_text(value: &Value) -> String {
    let Some(text) = value.as_str() else {
        return best_or_json(value);
    };
    // Jira sends ISO dates already; reformat to prove and keep that form, and
    // accept a datetime where a date was expected (some apps write those).
    let iso = format_description!("[year]-[month]-[day]");
    if let Ok(date) = Date::parse(text, iso) {
        return date.format(iso).unwrap_or_else(|_| text.to_owned());
    }
    match parse_jira_timestamp(text) {
        Ok(at) => at.date().format(iso).unwrap_or_else(|_| text.to_owned()),
        Err(_) => text.to_owned(),
    }
}

fn datetime_text(value: &Value) -> String {
    match value.as_str().map(parse_jira_timestamp) {
        Some(Ok(at)) => format_rfc3339_utc(at),
        _ => best_or_json(value),
    }
}

/// `Name: breached`, `Name: 33h remaining` or `Name: met`.
fn sla_text(value: &Value) -> String {
    let name = value.get("name").and_then(Value::as_str).unwrap_or("SLA");
    let friendly = |cycle: &Value, what: &str| {
        cycle
            .get(what)
            .and_then(|t| t.get("friendly"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Some(cycle) = value.get("ongoingCycle").filter(|c| c.is_object()) {
        if cycle.get("breached").and_then(Value::as_bool) == Some(true) {
            return format!("{name}: breached");
        }
        if let Some(left) = friendly(cycle, "remainingTime") {
            return format!("{name}: {left} remaining");
        }
    }
    let completed = list_of(value.get("completedCycles"));
    match completed.last() {
        Some(last) if last.get("breached").and_then(Value::as_bool) == Some(true) => {
            format!("{name}: breached")
        }
        Some(_) => format!("{name}: met"),
        None => name.to_owned(),
    }
}

fn list_of(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn team_text(value: &Value) -> String {
    for name in ["name", "title"] {
        if let Some(text) = value.get(name).and_then(Value::as_str) {
            return text.to_owned();
        }
    }
    best_or_json(value)
}

fn plain(value: &Value) -> String {
    best_or_json(value)
}

/// Applies `one` to each element of an array (joined with ", "), or to the
/// value itself.
fn join(value: &Value, one: impl Fn(&Value) -> String) -> String {
    match value {
        Value::Array(items) => items
            .iter()
            .map(one)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        other => one(other),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn best_or_json(value: &Value) -> String {
    best_text(value).unwrap_or_else(|| compact_json(value))
}

/// Best-effort text for a value of unknown type: the fields Jira's own
/// renderers use (`displayName`, `value`, `name`, `title`, `key`), ADF as
/// Markdown, arrays joined. `None` when nothing readable was found.
pub(crate) fn best_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts = items.iter().map(best_text).collect::<Option<Vec<_>>>()?;
            Some(
                parts
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("doc") {
                return Some(rich_text(value));
            }
            if map.contains_key("value") && map.get("value").is_some_and(Value::is_string) {
                return Some(option_text(value));
            }
            ["displayName", "name", "title", "key"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .map(str::to_owned)
        }
    }
}

fn compact_json(value: &Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(kind: &str, value: Value) -> (String, Placement) {
        let r = custom_field(Some(kind), &value);
        (r.text, r.placement)
    }

    #[test]
    fn renders_each_known_type() {
        let s = |k: &str| format!("{SYSTEM}{k}");
        assert_eq!(
            text(
                &s("select"),
                json!({"self": "x", "value": "High", "id": "1"})
            )
            .0,
            "High"
        );
        assert_eq!(
            text(&s("multiselect"), json!([{"value": "A"}, {"value": "B"}])).0,
            "A, B"
        );
        assert_eq!(
            text(
                &s("cascadingselect"),
                json!({"value": "EMEA", "id": "1", "child": {"value": "France", "id": "2"}})
            )
            .0,
            "EMEA / France"
        );
        assert_eq!(
            text(&s("multiuserpicker"), json!([{"accountId": "a", "displayName": "Ann"}, {"accountId": "b", "displayName": "Bo"}])).0,
            "Ann, Bo"
        );
        assert_eq!(text(&s("labels"), json!(["x", "y"])).0, "x, y");
        assert_eq!(text(&s("datepicker"), json!("2026-12-01")).0, "2026-12-01");
        assert_eq!(
            text(&s("datetime"), json!("2026-12-01T10:00:00.000+0200")).0,
            "2026-12-01T08:00:00.000Z"
        );
        assert_eq!(text(&s("float"), json!(5.0)).0, "5.0");
        assert_eq!(text(&s("float"), json!(3)).0, "3");
        assert_eq!(
            text(
                &s("atlassian-team"),
                json!({"id": "uuid", "name": "Platform"})
            )
            .0,
            "Platform"
        );
        let (t, p) = text(&s("textarea"), json!("h1. Wiki\n\nmarkup"));
        assert_eq!((t.as_str(), p), ("h1. Wiki\n\nmarkup", Placement::Section));
        assert_eq!(text(&s("textfield"), json!("short")).1, Placement::Line);
        assert_eq!(
            text(&s("textfield"), json!("x".repeat(250))).1,
            Placement::Section
        );
        assert_eq!(
            text(&format!("{AGILE}gh-lexo-rank"), json!("0|i0007:")).1,
            Placement::Hidden
        );
    }

    #[test]
    fn unknown_types_get_best_effort_text_or_hidden_json() {
        let (t, p) =
            custom_field(Some("com.example:thing"), &json!({"displayName": "X"})).into_pair();
        assert_eq!((t.as_str(), p), ("X", Placement::Line));
        let (t, p) = custom_field(None, &json!({"weird": [1, 2]})).into_pair();
        assert_eq!((t.as_str(), p), (r#"{"weird":[1,2]}"#, Placement::Hidden));
        assert_eq!(custom_field(None, &json!(true)).text, "true");
    }

    #[test]
    fn parses_both_sprint_shapes() {
        let cloud = json!([{"id": 37, "name": "Sprint 12", "state": "active", "boardId": 3}]);
        assert_eq!(
            sprints(&cloud),
            [Sprint {
                id: Some("37".into()),
                name: "Sprint 12".into(),
                state: Some("active".into())
            }]
        );
        let legacy = json!([
            "com.atlassian.greenhopper.service.sprint.Sprint@1f2e[id=12,rapidViewId=3,state=CLOSED,name=Sprint 3, part 2,startDate=2026-01-01T00:00:00.000Z,endDate=<null>,sequence=12]"
        ]);
        assert_eq!(
            sprints(&legacy),
            [Sprint {
                id: Some("12".into()),
                name: "Sprint 3, part 2".into(),
                state: Some("closed".into())
            }]
        );
        assert!(sprints(&json!(["garbage", 4, null])).is_empty());
    }

    #[test]
    fn users_from_cloud_and_data_center() {
        assert_eq!(
            user(&json!({"accountId": "5b10", "displayName": "Ann"})),
            Some(User {
                account_id: "5b10".into(),
                display_name: "Ann".into()
            })
        );
        assert_eq!(
            user(&json!({"name": "jdoe", "key": "JIRAUSER10100", "displayName": "J Doe"})),
            Some(User {
                account_id: "JIRAUSER10100".into(),
                display_name: "J Doe".into()
            })
        );
        assert_eq!(user(&json!({"self": "x"})), None);
        assert_eq!(user(&json!(null)), None);
    }

    #[test]
    fn emptiness() {
        for empty in [
            json!(null),
            json!(""),
            json!([]),
            json!({}),
            json!({"type": "doc", "version": 1, "content": []}),
        ] {
            assert!(is_empty(&empty), "{empty}");
        }
        for full in [
            json!(0),
            json!(false),
            json!(" "),
            json!([null]),
            json!({"a": 1}),
        ] {
            assert!(!is_empty(&full), "{full}");
        }
    }

    impl Rendered {
        fn into_pair(self) -> (String, Placement) {
            (self.text, self.placement)
        }
    }
}
