//! Issue, comment, changelog and field JSON in Jira Cloud's v3 shape, with
//! the differences of Cloud's v2 (wiki markup) and of Data Center.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::adf;
use crate::data::{ISSUE_TYPES, Issue, PRIORITIES, STATUSES, SUBTASK, Store, USERS};
use crate::rng::Rng;
use crate::tz::UserTimeZone;

/// How many comments an issue embeds; the rest must be paged.
pub(crate) const EMBEDDED_COMMENTS: usize = 20;
/// How many changelog histories `expand=changelog` embeds.
pub(crate) const EMBEDDED_HISTORIES: usize = 40;

const ISSUE_EXPAND: &str =
    "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations";

/// Which fields a request asked for (`fields=` / `"fields": [...]`).
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSel {
    all: bool,
    navigable: bool,
    names: BTreeSet<String>,
    excluded: BTreeSet<String>,
}

impl FieldSel {
    /// Builds a selection; an empty input means `default`.
    pub(crate) fn parse<'a>(items: impl IntoIterator<Item = &'a str>, default: &str) -> Self {
        let mut s = Self::default();
        let mut any = false;
        for item in items {
            for f in item.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                any = true;
                match f {
                    "*all" => s.all = true,
                    "*navigable" => s.navigable = true,
                    _ => match f.strip_prefix('-') {
                        Some(x) => {
                            s.excluded.insert(x.to_owned());
                        }
                        None => {
                            s.names.insert(f.to_owned());
                        }
                    },
                }
            }
        }
        if !any {
            return Self::parse([default], "id");
        }
        s
    }

    pub(crate) fn wants(&self, f: &str) -> bool {
        if self.excluded.contains(f) {
            return false;
        }
        self.all
            || self.names.contains(f)
            || (self.navigable && !matches!(f, "comment" | "worklog"))
    }

    /// Only `id` and/or `key`: the cheap case with big pages.
    pub(crate) fn id_key_only(&self) -> bool {
        !self.all && !self.navigable && self.names.iter().all(|n| n == "id" || n == "key")
    }

    pub(crate) fn explicit_count(&self) -> Option<usize> {
        (!self.all && !self.navigable).then_some(self.names.len())
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

/// What rendering needs besides the store.
pub(crate) struct Ctx<'a> {
    pub(crate) store: &'a Store,
    pub(crate) base: &'a str,
    /// Where `self` links point: `{base}/rest/api/3` on Cloud (its v2
    /// responses included), `{base}/rest/api/2` on Data Center.
    pub(crate) rest: &'a str,
    pub(crate) tz: &'a UserTimeZone,
    /// `/rest/api/2`: rich text as wiki markup strings instead of ADF.
    pub(crate) wiki: bool,
    /// Data Center shapes: users by name and key (no account ids), sprints
    /// as Java `toString` strings, complete embedded comment and changelog
    /// lists, no Cloud-only properties.
    pub(crate) dc: bool,
    /// Pre-rendered user objects by index; users appear dozens of times per
    /// issue, so rendering them once per simulator matters for throughput.
    pub(crate) users: &'a [Value],
}

/// What `expand=` asked for on an issue.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Expand {
    pub(crate) changelog: bool,
    pub(crate) transitions: bool,
}

impl Expand {
    pub(crate) fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Self {
        let mut e = Self::default();
        for part in items.into_iter().flat_map(|s| s.split(',')) {
            match part.trim() {
                "changelog" => e.changelog = true,
                "transitions" => e.transitions = true,
                _ => {}
            }
        }
        e
    }
}

/// A Data Center user name: `alovelace` for "Ada Lovelace".
pub(crate) fn user_name(user: u8) -> String {
    let display = USERS[usize::from(user) % USERS.len()];
    let (first, last) = display.split_once(' ').unwrap_or(("", display));
    format!("{}{last}", first.get(..1).unwrap_or_default()).to_lowercase()
}

pub(crate) fn account_id(seed: u64, user: u8) -> String {
    let mut r = Rng::derive(seed, u64::from(user), 77);
    let a = r.next_u64();
    let b = r.next_u64();
    format!(
        "712020:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn avatars(id: &str) -> Value {
    let u = format!("https://avatar-management.example/avatars/{id}");
    json!({"48x48": format!("{u}/48"), "24x24": format!("{u}/24"), "16x16": format!("{u}/16"), "32x32": format!("{u}/32")})
}

impl Ctx<'_> {
    /// Rich text in the API version's format.
    fn rich(&self, adf_doc: Value) -> Value {
        if self.wiki && !adf_doc.is_null() {
            Value::String(adf::to_wiki(&adf_doc, self.dc))
        } else {
            adf_doc
        }
    }

    fn ts(&self, ms: i64) -> String {
        self.tz.format_ms(ms)
    }

    /// A time as Joda's ISO format prints it (`...000Z`, `...000+05:30`),
    /// which Data Center's sprint strings use.
    fn joda(&self, ms: i64) -> String {
        let s = self.ts(ms);
        let (time, offset) = s.split_at(s.len() - 5);
        if offset == "+0000" {
            format!("{time}Z")
        } else {
            format!("{time}{}:{}", &offset[..3], &offset[3..])
        }
    }

    pub(crate) fn user(&self, u: u8) -> Value {
        match self.users.get(usize::from(u)) {
            Some(v) => v.clone(),
            None => self.render_user(u),
        }
    }

    pub(crate) fn render_user(&self, u: u8) -> Value {
        if self.dc {
            let name = user_name(u);
            let key = format!("JIRAUSER{}", 10_000 + u32::from(u));
            return json!({
                "self": format!("{}/user?username={name}", self.rest),
                "name": name,
                "key": key,
                "emailAddress": format!("{name}@example.com"),
                "avatarUrls": avatars(&key),
                "displayName": USERS[usize::from(u) % USERS.len()],
                "active": true,
                "timeZone": self.tz.name(),
            });
        }
        let id = account_id(self.store.seed, u);
        json!({
            "self": format!("{}/user?accountId={id}", self.rest),
            "accountId": id,
            "avatarUrls": avatars(&id),
            "displayName": USERS[usize::from(u) % USERS.len()],
            "active": true,
            "timeZone": self.tz.name(),
            "accountType": "atlassian",
        })
    }

    /// Who descriptions mention: (account id, or user name on Data Center, display name).
    pub(crate) fn mentionable(&self) -> Vec<(String, &'static str)> {
        (0..4u8)
            .map(|u| {
                if self.dc {
                    return (user_name(u), USERS[usize::from(u)]);
                }
                let id = self
                    .users
                    .get(usize::from(u))
                    .and_then(|v| v["accountId"].as_str())
                    .map_or_else(|| account_id(self.store.seed, u), str::to_owned);
                (id, USERS[usize::from(u)])
            })
            .collect()
    }

    pub(crate) fn project(&self, p: u16) -> Value {
        let p = &self.store.projects[usize::from(p)];
        let mut v = json!({
            "self": format!("{}/project/{}", self.rest, p.id),
            "id": p.id.to_string(),
            "key": p.key,
            "name": p.name,
            "projectTypeKey": if p.key == "SUP" { "service_desk" } else { "software" },
            "simplified": false,
            "avatarUrls": avatars(&p.key),
        });
        if self.dc {
            // Team-managed ("simplified") projects exist on Cloud only.
            strip(&mut v, &["simplified"]);
        }
        v
    }

    fn status(&self, s: u8) -> Value {
        let (name, id, cat) = STATUSES[usize::from(s)];
        let (cat_id, cat_name, color) = match cat {
            "new" => (2, "To Do", "blue-gray"),
            "indeterminate" => (4, "In Progress", "yellow"),
            _ => (3, "Done", "green"),
        };
        json!({
            "self": format!("{}/status/{id}", self.rest),
            "description": "",
            "iconUrl": format!("{}/images/icons/statuses/generic.png", self.base),
            "name": name,
            "id": id.to_string(),
            "statusCategory": {
                "self": format!("{}/statuscategory/{cat_id}", self.rest),
                "id": cat_id, "key": cat, "colorName": color, "name": cat_name
            }
        })
    }

    fn priority(&self, p: u8) -> Value {
        json!({
            "self": format!("{}/priority/{}", self.rest, p + 1),
            "iconUrl": format!("{}/images/icons/priorities/{}.svg", self.base, PRIORITIES[usize::from(p)].to_lowercase()),
            "name": PRIORITIES[usize::from(p)],
            "id": (p + 1).to_string(),
        })
    }

    fn issue_type(&self, t: u8) -> Value {
        let mut v = json!({
            "self": format!("{}/issuetype/{}", self.rest, 10_001 + u32::from(t)),
            "id": (10_001 + u32::from(t)).to_string(),
            "description": "",
            "iconUrl": format!("{}/images/icons/issuetypes/{}.svg", self.base, ISSUE_TYPES[usize::from(t)].to_lowercase()),
            "name": ISSUE_TYPES[usize::from(t)],
            "subtask": t == SUBTASK,
            "avatarId": 10_300 + u32::from(t),
            "hierarchyLevel": match t { 3 => 1, 4 => -1, _ => 0 },
        });
        if self.dc {
            strip(&mut v, &["hierarchyLevel"]);
        }
        v
    }

    /// The small issue reference Jira embeds for parents, subtasks and links.
    fn issue_ref(&self, idx: u32) -> Value {
        let i = &self.store.issues[idx as usize];
        json!({
            "id": i.id.to_string(),
            "key": self.store.key(i),
            "self": format!("{}/issue/{}", self.rest, i.id),
            "fields": {
                "summary": i.summary,
                "status": self.status(i.status),
                "priority": self.priority(i.priority),
                "issuetype": self.issue_type(i.issue_type),
            }
        })
    }

    pub(crate) fn description(&self, i: &Issue) -> Value {
        if let Some(d) = &i.description {
            return self.rich(d.clone());
        }
        let mut r = Rng::derive(self.store.seed, i.id, 2);
        if r.chance(0.05) {
            // Some issues have no description at all, as on real sites.
            return Value::Null;
        }
        self.rich(adf::description(&mut r, &self.mentionable()))
    }

    pub(crate) fn comment_total(i: &Issue) -> usize {
        usize::from(i.gen_comments) - i.deleted_comments.len() + i.added_comments.len()
    }

    pub(crate) fn history_total(i: &Issue) -> usize {
        usize::from(i.gen_changes) + i.added_changes.len()
    }

    /// The first `limit` comments, oldest first (rendering is the costly
    /// part, so truncated lists render only what they return).
    pub(crate) fn comments(&self, i: &Issue, limit: usize) -> Vec<Value> {
        let mut out = Vec::new();
        let n = i64::from(i.gen_comments);
        let users = self.mentionable();
        let service_desk = self.store.projects[usize::from(i.project)].key == "SUP";
        for k in 0..n {
            let id = i.id * 1000 + u64::try_from(k).unwrap_or(0);
            if out.len() >= limit {
                return out;
            }
            if i.deleted_comments.contains(&id) {
                continue;
            }
            let mut r = Rng::derive(self.store.seed, id, 3);
            let created = i.created + (i.gen_updated - i.created) * (k + 1) / (n + 2);
            let updated = if r.chance(0.2) {
                (created + 3_600_000).min(i.gen_updated)
            } else {
                created
            };
            let author = u8::try_from(r.below(USERS.len() as u64)).unwrap_or(0);
            let visibility = if r.chance(0.1) {
                if r.chance(0.5) {
                    Some(("role".to_owned(), "Administrators".to_owned()))
                } else {
                    Some(("group".to_owned(), "jira-developers".to_owned()))
                }
            } else {
                None
            };
            let jsd_public = !(service_desk && r.chance(0.3));
            let body = adf::short(&mut r, &users);
            out.push(self.comment_json(
                i,
                id,
                author,
                body,
                created,
                updated,
                visibility.as_ref(),
                jsd_public,
            ));
        }
        for c in i
            .added_comments
            .iter()
            .take(limit.saturating_sub(out.len()))
        {
            out.push(self.comment_json(
                i,
                c.id,
                c.author,
                c.body.clone(),
                c.created,
                c.created,
                c.visibility.as_ref(),
                c.jsd_public,
            ));
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn comment_json(
        &self,
        i: &Issue,
        id: u64,
        author: u8,
        body: Value,
        created: i64,
        updated: i64,
        visibility: Option<&(String, String)>,
        jsd_public: bool,
    ) -> Value {
        let mut c = json!({
            "self": format!("{}/issue/{}/comment/{id}", self.rest, i.id),
            "id": id.to_string(),
            "author": self.user(author),
            "body": self.rich(body),
            "updateAuthor": self.user(author),
            "created": self.ts(created),
            "updated": self.ts(updated),
        });
        if self.dc {
            // Data Center keeps Service Management's internal flag in a
            // comment property (`expand=properties`), not in the comment.
            if let Some((kind, value)) = visibility {
                c["visibility"] = json!({"type": kind, "value": value});
            }
        } else {
            c["jsdPublic"] = json!(jsd_public);
            if let Some((kind, value)) = visibility {
                c["visibility"] = json!({"type": kind, "value": value, "identifier": value});
            }
        }
        c
    }

    /// The first `limit` changelog histories, oldest first.
    pub(crate) fn histories(&self, i: &Issue, limit: usize) -> Vec<Value> {
        let n = i64::from(i.gen_changes);
        let shown = n.min(i64::try_from(limit).unwrap_or(i64::MAX));
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0) + i.added_changes.len());
        for k in 0..shown {
            let id = i.id * 1000 + u64::try_from(k).unwrap_or(0);
            let mut r = Rng::derive(self.store.seed, id, 4);
            let created = i.created + (i.gen_updated - i.created) * (k + 1) / (n + 1);
            let item = match r.below(5) {
                0 => {
                    let a = usize::try_from(r.below(5)).unwrap_or(0);
                    let b = (a + 1) % STATUSES.len();
                    json!({"field": "status", "fieldtype": "jira", "fieldId": "status", "from": STATUSES[a].1.to_string(), "fromString": STATUSES[a].0, "to": STATUSES[b].1.to_string(), "toString": STATUSES[b].0})
                }
                1 => {
                    let u = u8::try_from(r.below(USERS.len() as u64)).unwrap_or(0);
                    if self.dc {
                        json!({"field": "assignee", "fieldtype": "jira", "from": null, "fromString": null, "to": user_name(u), "toString": USERS[usize::from(u)]})
                    } else {
                        json!({"field": "assignee", "fieldtype": "jira", "fieldId": "assignee", "from": null, "fromString": null, "to": account_id(self.store.seed, u), "toString": USERS[usize::from(u)], "tmpFromAccountId": null, "tmpToAccountId": account_id(self.store.seed, u)})
                    }
                }
                2 => {
                    json!({"field": "priority", "fieldtype": "jira", "fieldId": "priority", "from": "3", "fromString": "Medium", "to": "2", "toString": "High"})
                }
                3 => {
                    json!({"field": "labels", "fieldtype": "jira", "fieldId": "labels", "from": null, "fromString": "", "to": null, "toString": "backend"})
                }
                _ => {
                    json!({"field": "Story point estimate", "fieldtype": "custom", "fieldId": "customfield_10016", "from": null, "fromString": "3", "to": null, "toString": "5"})
                }
            };
            let author = u8::try_from(r.below(USERS.len() as u64)).unwrap_or(0);
            out.push(json!({"id": id.to_string(), "author": self.user(author), "created": self.ts(created), "items": [self.item(item)]}));
        }
        for h in i.added_changes.iter().take(limit.saturating_sub(out.len())) {
            let items: Vec<Value> = h.items.iter().map(|it| self.item(it.clone())).collect();
            out.push(json!({"id": h.id.to_string(), "author": self.user(h.author), "created": self.ts(h.created), "items": items}));
        }
        out
    }

    /// A changelog item; Data Center's have no `fieldId` (a Cloud addition).
    fn item(&self, mut item: Value) -> Value {
        if self.dc {
            strip(&mut item, &["fieldId"]);
        }
        item
    }

    /// The sprint field: objects on Cloud, the Java `toString` of each
    /// sprint on Data Center (Cloud dropped those strings in 2020).
    fn sprint(&self, i: &Issue, done: bool) -> Value {
        let n = (i.created / (14 * 86_400_000)) % 1000;
        let name = format!(
            "{} Sprint {n}",
            self.store.projects[usize::from(i.project)].key
        );
        let board = u64::from(i.project) + 1;
        let (start, end) = (n * 14 * 86_400_000, (n + 1) * 14 * 86_400_000);
        if self.dc {
            let state = if done { "CLOSED" } else { "ACTIVE" };
            let complete = if done {
                self.joda(end)
            } else {
                "<null>".to_owned()
            };
            let hash = u64::try_from(n).unwrap_or(0).wrapping_mul(0x9e37_79b9) & 0xffff_ffff;
            return json!([format!(
                "com.atlassian.greenhopper.service.sprint.Sprint@{hash:x}[id={n},rapidViewId={board},state={state},name={name},startDate={},endDate={},completeDate={complete},activatedDate={},sequence={n},goal=Ship it,autoStartStop=false,synced=false,incompleteIssuesDestinationId=<null>]",
                self.joda(start),
                self.joda(end),
                self.joda(start),
            )]);
        }
        let state = if done { "closed" } else { "active" };
        json!([{"id": n, "name": name, "state": state, "boardId": board, "goal": "Ship it", "startDate": self.ts(start), "endDate": self.ts(end)}])
    }

    /// The issue as `issue/{key}`, search and bulkfetch return it.
    pub(crate) fn issue(&self, idx: u32, sel: &FieldSel, expand: Expand) -> Value {
        let i = &self.store.issues[idx as usize];
        let key = self.store.key(i);
        if sel.id_key_only() {
            let mut m = Map::new();
            m.insert("id".into(), i.id.to_string().into());
            if sel.wants("key") {
                m.insert("key".into(), key.into());
            }
            return Value::Object(m);
        }
        let mut f = Map::new();
        let mut put = |name: &str, v: &dyn Fn() -> Value| {
            if sel.wants(name) {
                f.insert(name.to_owned(), v());
            }
        };
        let mut r = Rng::derive(self.store.seed, i.id, 5);
        let labels: Vec<&str> = [
            "backend",
            "frontend",
            "customer",
            "regression",
            "security",
            "tech-debt",
        ]
        .into_iter()
        .filter(|_| r.chance(0.3))
        .collect();
        let component = r.below(4);
        let due = r.chance(0.3);
        let story = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0][usize::try_from(r.below(6)).unwrap_or(0)];
        let attachments = r.below(4);
        let reviewers: Vec<u8> = (0..r.below(3))
            .map(|k| {
                u8::try_from((u64::from(i.reporter) + k + 1) % USERS.len() as u64).unwrap_or(0)
            })
            .collect();
        let textarea_rng = Rng::derive(self.store.seed, i.id, 6);
        let done = STATUSES[usize::from(i.status)].2 == "done";
        put("summary", &|| i.summary.clone().into());
        put("issuetype", &|| self.issue_type(i.issue_type));
        put("project", &|| self.project(i.project));
        put("status", &|| self.status(i.status));
        put("statuscategorychangedate", &|| self.ts(i.updated).into());
        put("priority", &|| self.priority(i.priority));
        put("resolution", &|| {
            if done {
                json!({"self": format!("{}/resolution/10000", self.rest), "id": "10000", "description": "Work has been completed on this issue.", "name": if i.status == 4 { "Won't Do" } else { "Done" }})
            } else {
                Value::Null
            }
        });
        put("resolutiondate", &|| {
            if done {
                self.ts(i.updated.min(i.gen_updated)).into()
            } else {
                Value::Null
            }
        });
        put("labels", &|| json!(labels));
        put("components", &|| {
            let names = ["API", "Web", "Billing", "Infrastructure"];
            json!([{"self": format!("{}/component/{}", self.rest, 10_000 + component), "id": (10_000 + component).to_string(), "name": names[usize::try_from(component).unwrap_or(0)]}])
        });
        put("assignee", &|| {
            i.assignee.map_or(Value::Null, |u| self.user(u))
        });
        put("reporter", &|| self.user(i.reporter));
        put("creator", &|| self.user(i.reporter));
        put("parent", &|| {
            i.parent.map_or(Value::Null, |p| self.issue_ref(p))
        });
        put("subtasks", &|| {
            Value::Array(
                i.subtasks
                    .iter()
                    .filter(|s| !self.store.issues[**s as usize].deleted)
                    .map(|s| self.issue_ref(*s))
                    .collect(),
            )
        });
        put("issuelinks", &|| {
            let types = [
                ("10000", "Blocks", "is blocked by", "blocks"),
                ("10001", "Cloners", "is cloned by", "clones"),
                ("10002", "Duplicate", "is duplicated by", "duplicates"),
                ("10003", "Relates", "relates to", "relates to"),
            ];
            Value::Array(
                i.links
                    .iter()
                    .filter(|l| !self.store.issues[l.other as usize].deleted)
                    .map(|l| {
                        let (id, name, inward, outward) = types[usize::from(l.kind) % types.len()];
                        let mut v = json!({"id": l.id.to_string(), "self": format!("{}/issueLink/{}", self.rest, l.id), "type": {"id": id, "name": name, "inward": inward, "outward": outward, "self": format!("{}/issueLinkType/{id}", self.rest)}});
                        v[if l.outward { "outwardIssue" } else { "inwardIssue" }] = self.issue_ref(l.other);
                        v
                    })
                    .collect(),
            )
        });
        put("attachment", &|| {
            let kinds = [
                ("screenshot.png", "image/png"),
                ("trace.log", "text/plain"),
                ("report.pdf", "application/pdf"),
            ];
            Value::Array(
                (0..attachments)
                    .map(|k| {
                        let id = i.id * 10 + k;
                        let (name, mime) = kinds[usize::try_from(k).unwrap_or(0) % kinds.len()];
                        // Data Center serves attachment bodies from its web app, not the REST API.
                        let content = if self.dc {
                            format!("{}/secure/attachment/{id}/{name}", self.base)
                        } else {
                            format!("{}/attachment/content/{id}", self.rest)
                        };
                        json!({"self": format!("{}/attachment/{id}", self.rest), "id": id.to_string(), "filename": name, "author": self.user(i.reporter), "created": self.ts(i.created), "size": 1024 + (id % 50_000), "mimeType": mime, "content": content})
                    })
                    .collect(),
            )
        });
        put("created", &|| self.ts(i.created).into());
        put("updated", &|| self.ts(i.updated).into());
        put("lastViewed", &|| Value::Null);
        put("description", &|| self.description(i));
        put("environment", &|| Value::Null);
        put("duedate", &|| {
            if due {
                self.tz.format_date(i.created + 14 * 86_400_000).into()
            } else {
                Value::Null
            }
        });
        put("fixVersions", &|| json!([]));
        put("versions", &|| json!([]));
        put(
            "watches",
            &|| json!({"self": format!("{}/issue/{key}/watchers", self.rest), "watchCount": 1, "isWatching": false}),
        );
        put(
            "votes",
            &|| json!({"self": format!("{}/issue/{key}/votes", self.rest), "votes": 0, "hasVoted": false}),
        );
        put("timetracking", &|| json!({}));
        put(
            "worklog",
            &|| json!({"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []}),
        );
        put("comment", &|| {
            let total = Self::comment_total(i);
            let shown = self.embedded(EMBEDDED_COMMENTS, total);
            let first = self.comments(i, shown);
            json!({"comments": first, "self": format!("{}/issue/{}/comment", self.rest, i.id), "maxResults": shown, "total": total, "startAt": 0})
        });
        // Custom fields.
        put("customfield_10020", &|| self.sprint(i, done));
        put("customfield_10016", &|| {
            if i.issue_type == SUBTASK {
                Value::Null
            } else {
                json!(story)
            }
        });
        put("customfield_10050", &|| {
            let mut r = textarea_rng.clone();
            if r.chance(0.6) {
                let doc = adf::short(&mut r, &self.mentionable());
                // Data Center's textareas are wiki markup. (Cloud's v2 keeps
                // ADF here, a shortcut left alone so Cloud output is stable.)
                if self.dc { self.rich(doc) } else { doc }
            } else {
                Value::Null
            }
        });
        put("customfield_10051", &|| {
            let (id, v) = [("10100", "Sev 1"), ("10101", "Sev 2"), ("10102", "Sev 3")]
                [usize::from(i.priority) % 3];
            json!({"self": format!("{}/customFieldOption/{id}", self.rest), "value": v, "id": id})
        });
        put("customfield_10052", &|| {
            Value::Array(reviewers.iter().map(|u| self.user(*u)).collect())
        });
        put("customfield_10053", &|| {
            json!(if i.id.is_multiple_of(3) {
                vec!["q4-okr", "customer-impact"]
            } else {
                vec![]
            })
        });
        put("customfield_10054", &|| {
            if due {
                self.ts(i.created + 21 * 86_400_000).into()
            } else {
                Value::Null
            }
        });
        put("customfield_10055", &|| {
            if i.id.is_multiple_of(2) {
                json!({"self": format!("{}/customFieldOption/10200", self.rest), "value": "EMEA", "id": "10200", "child": {"self": format!("{}/customFieldOption/10201", self.rest), "value": "Germany", "id": "10201"}})
            } else {
                Value::Null
            }
        });
        put("customfield_10056", &|| {
            if i.id.is_multiple_of(5) {
                json!("legacy severity text")
            } else {
                Value::Null
            }
        });
        let mut out = json!({
            "expand": ISSUE_EXPAND,
            "id": i.id.to_string(),
            "self": format!("{}/issue/{}", self.rest, i.id),
            "key": key,
            "fields": Value::Object(f),
        });
        if expand.transitions {
            out["transitions"] = self.transitions(i.status);
        }
        if expand.changelog {
            let total = Self::history_total(i);
            let shown = self.embedded(EMBEDDED_HISTORIES, total);
            let first = self.histories(i, shown);
            out["changelog"] =
                json!({"startAt": 0, "maxResults": shown, "total": total, "histories": first});
        }
        out
    }

    /// How many entries an embedded list holds: Cloud cuts comments and
    /// histories at `cloud_cap`; Data Center embeds them all (`maxResults`
    /// equals `total`).
    fn embedded(&self, cloud_cap: usize, total: usize) -> usize {
        if self.dc { total } else { cloud_cap }
    }
}

/// Removes properties Data Center does not have.
fn strip(v: &mut Value, keys: &[&str]) {
    if let Value::Object(m) = v {
        for k in keys {
            m.remove(*k);
        }
    }
}

impl Ctx<'_> {
    /// The workflow transitions available from a status: a fixed simple workflow.
    fn transitions(&self, from: u8) -> Value {
        let targets: Vec<(u32, u8)> = match from {
            0 => vec![(11, 1), (51, 4)],
            1 | 2 => vec![(21, 2), (31, 3), (41, 0)],
            _ => vec![(41, 0)],
        };
        Value::Array(
            targets
                .into_iter()
                .map(|(id, to)| {
                    json!({"id": id.to_string(), "name": STATUSES[usize::from(to)].0, "to": self.status(to), "hasScreen": false, "isGlobal": false, "isInitial": false, "isAvailable": true, "isConditional": false, "isLooped": false})
                })
                .collect(),
        )
    }
}

/// `GET /rest/api/3/field`: system fields the sync reads plus custom fields
/// of every common type, including two with the same name. Data Center's
/// entries have no `key` or `untranslatedName`, and its sprint field holds
/// strings.
pub(crate) fn fields(dc: bool) -> Value {
    let sys = |id: &str, name: &str, ty: &str, items: Option<&str>| {
        let mut schema = json!({"type": ty, "system": id});
        if let Some(it) = items {
            schema["items"] = json!(it);
        }
        json!({"id": id, "key": id, "name": name, "custom": false, "orderable": true, "navigable": true, "searchable": true, "clauseNames": [id], "schema": schema})
    };
    let custom = |n: u32, name: &str, ty: &str, items: Option<&str>, custom: &str| {
        let id = format!("customfield_{n}");
        let mut schema = json!({"type": ty, "custom": custom, "customId": n});
        if let Some(it) = items {
            schema["items"] = json!(it);
        }
        json!({"id": id, "key": id, "name": name, "untranslatedName": name, "custom": true, "orderable": true, "navigable": true, "searchable": true, "clauseNames": [format!("cf[{n}]"), name], "schema": schema})
    };
    let ct = |s: &str| format!("com.atlassian.jira.plugin.system.customfieldtypes:{s}");
    let mut all = json!([
        {"id": "issuekey", "key": "issuekey", "name": "Key", "custom": false, "orderable": false, "navigable": true, "searchable": false, "clauseNames": ["id", "issue", "issuekey", "key"]},
        sys("summary", "Summary", "string", None),
        sys("issuetype", "Issue Type", "issuetype", None),
        sys("project", "Project", "project", None),
        sys("status", "Status", "status", None),
        sys("priority", "Priority", "priority", None),
        sys("resolution", "Resolution", "resolution", None),
        sys("resolutiondate", "Resolved", "datetime", None),
        sys("labels", "Labels", "array", Some("string")),
        sys("components", "Components", "array", Some("component")),
        sys("assignee", "Assignee", "user", None),
        sys("reporter", "Reporter", "user", None),
        sys("creator", "Creator", "user", None),
        sys("parent", "Parent", "issuelink", None),
        sys("subtasks", "Sub-tasks", "array", Some("issuelinks")),
        sys("issuelinks", "Linked Issues", "array", Some("issuelinks")),
        sys("attachment", "Attachment", "array", Some("attachment")),
        sys("created", "Created", "datetime", None),
        sys("updated", "Updated", "datetime", None),
        sys("description", "Description", "string", None),
        sys("environment", "Environment", "string", None),
        sys("duedate", "Due date", "date", None),
        sys("comment", "Comment", "comments-page", None),
        sys("worklog", "Log Work", "array", Some("worklog")),
        sys("fixVersions", "Fix versions", "array", Some("version")),
        sys("versions", "Affects versions", "array", Some("version")),
        sys("watches", "Watchers", "watches", None),
        sys("votes", "Votes", "votes", None),
        sys("timetracking", "Time tracking", "timetracking", None),
        sys("statuscategorychangedate", "Status Category Changed", "datetime", None),
        sys("lastViewed", "Last Viewed", "datetime", None),
        custom(10020, "Sprint", "array", Some("json"), "com.pyxis.greenhopper.jira:gh-sprint"),
        custom(10016, "Story point estimate", "number", None, &ct("float")),
        custom(10050, "Acceptance criteria", "string", None, &ct("textarea")),
        custom(10051, "Severity", "option", None, &ct("select")),
        custom(10052, "Reviewers", "array", Some("user"), &ct("multiuserpicker")),
        custom(10053, "Initiatives", "array", Some("string"), &ct("labels")),
        custom(10054, "Target release", "datetime", None, &ct("datetime")),
        custom(10055, "Region", "option-with-child", None, &ct("cascadingselect")),
        custom(10056, "Severity", "string", None, &ct("textfield")),
    ]);
    if dc {
        for f in all.as_array_mut().into_iter().flatten() {
            strip(f, &["key", "untranslatedName"]);
            if f["id"] == "customfield_10020" {
                f["schema"]["items"] = json!("string");
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selection_rules() {
        let d = FieldSel::parse(std::iter::empty(), "id");
        assert!(d.id_key_only() && !d.wants("summary"));
        let s = FieldSel::parse(["summary,comment", "-comment"], "id");
        assert!(s.wants("summary") && !s.wants("comment") && !s.id_key_only());
        let nav = FieldSel::parse(["*navigable"], "id");
        assert!(
            nav.wants("customfield_10020")
                && !nav.wants("comment")
                && nav.explicit_count().is_none()
        );
        assert!(FieldSel::parse(["*all"], "id").wants("comment"));
        assert!(FieldSel::parse(["key", "id"], "id").id_key_only());
    }

    #[test]
    fn field_list_has_duplicate_custom_names_and_common_types() {
        let f = fields(false);
        let names: Vec<&str> = f
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["name"] == "Severity")
            .map(|x| x["id"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["customfield_10051", "customfield_10056"]);
        assert!(
            f.as_array()
                .unwrap()
                .iter()
                .any(|x| x["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint")
        );
    }
}
