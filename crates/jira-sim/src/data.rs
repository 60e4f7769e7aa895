//! The in-memory dataset: a compact record per issue (numbers and indexes
//! into fixed tables), with descriptions, comments and changelogs rendered
//! on demand from the seed. This keeps 100k issues to a few tens of bytes
//! each, generated in well under a second, while every response is still
//! deterministic.

use std::collections::HashMap;

use serde_json::Value;

use crate::jql::{self, Pred, Query, SortField, TimeField};
use crate::rng::Rng;

/// Ids of the first generated issue; Jira Cloud ids are plain integers.
pub(crate) const FIRST_ISSUE_ID: u64 = 10_001;
pub(crate) const DAY_MS: i64 = 86_400_000;

pub(crate) const ISSUE_TYPES: [&str; 5] = ["Task", "Bug", "Story", "Epic", "Subtask"];
pub(crate) const SUBTASK: u8 = 4;
/// (name, status id, category key) with category ids 2 new, 4 indeterminate, 3 done.
pub(crate) const STATUSES: [(&str, u32, &str); 5] = [
    ("To Do", 10000, "new"),
    ("In Progress", 3, "indeterminate"),
    ("In Review", 10001, "indeterminate"),
    ("Done", 10002, "done"),
    ("Won't Do", 10003, "done"),
];
pub(crate) const PRIORITIES: [&str; 5] = ["Highest", "High", "Medium", "Low", "Lowest"];
pub(crate) const USERS: [&str; 10] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Ken Thompson",
    "Margaret Hamilton",
    "Donald Knuth",
    "Frances Allen",
    "Niklaus Wirth",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct View {
    pub(crate) project: u16,
    pub(crate) num: u32,
    pub(crate) created: i64,
    pub(crate) updated: i64,
    pub(crate) visible: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) other: u32,
    pub(crate) kind: u8,
    pub(crate) outward: bool,
    pub(crate) id: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct AddedComment {
    pub(crate) id: u64,
    pub(crate) author: u8,
    pub(crate) body: Value,
    pub(crate) created: i64,
    pub(crate) visibility: Option<(String, String)>,
    pub(crate) jsd_public: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AddedChange {
    pub(crate) id: u64,
    pub(crate) author: u8,
    pub(crate) created: i64,
    pub(crate) items: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub(crate) id: u64,
    pub(crate) project: u16,
    pub(crate) num: u32,
    pub(crate) created: i64,
    pub(crate) updated: i64,
    /// `updated` as generated; generated comment and changelog times are
    /// spread up to it so they never move when the issue is edited.
    pub(crate) gen_updated: i64,
    pub(crate) summary: String,
    pub(crate) issue_type: u8,
    pub(crate) status: u8,
    pub(crate) priority: u8,
    pub(crate) assignee: Option<u8>,
    pub(crate) reporter: u8,
    pub(crate) parent: Option<u32>,
    pub(crate) subtasks: Vec<u32>,
    pub(crate) links: Vec<Link>,
    pub(crate) gen_comments: u16,
    pub(crate) gen_changes: u16,
    pub(crate) description: Option<Value>,
    pub(crate) added_comments: Vec<AddedComment>,
    pub(crate) deleted_comments: Vec<u64>,
    pub(crate) added_changes: Vec<AddedChange>,
    pub(crate) deleted: bool,
    /// What search sees, and a newer state that becomes searchable at a time.
    pub(crate) indexed: View,
    pub(crate) pending: Option<(i64, View)>,
}

impl Issue {
    pub(crate) fn view(&self) -> View {
        View {
            project: self.project,
            num: self.num,
            created: self.created,
            updated: self.updated,
            visible: !self.deleted,
        }
    }

    pub(crate) fn search_view(&self, now: i64) -> View {
        match self.pending {
            Some((due, v)) if due <= now => v,
            _ => self.indexed,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) id: u64,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) next_num: u32,
}

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) seed: u64,
    pub(crate) projects: Vec<Project>,
    pub(crate) issues: Vec<Issue>,
    /// Current and former keys to issue index.
    pub(crate) keys: HashMap<String, u32>,
    /// Bumped on every change; search result caches key on it.
    pub(crate) version: u64,
    /// Latest time a pending index update becomes visible.
    pub(crate) max_pending_due: i64,
    pub(crate) next_comment_id: u64,
    pub(crate) next_change_id: u64,
}

const VERBS: [&str; 12] = [
    "Fix",
    "Investigate",
    "Add",
    "Remove",
    "Refactor",
    "Document",
    "Speed up",
    "Migrate",
    "Harden",
    "Retry",
    "Validate",
    "Log",
];
const OBJECTS: [&str; 12] = [
    "login timeout",
    "CSV export",
    "webhook delivery",
    "search index",
    "billing report",
    "SSO redirect",
    "rate limiter",
    "audit trail",
    "dark mode",
    "PDF renderer",
    "cache eviction",
    "mobile push",
];
const PLACES: [&str; 8] = [
    "in the billing service",
    "for EU tenants",
    "on Safari",
    "after the upgrade",
    "under load",
    "in the admin UI",
    "for large workspaces",
    "in the nightly job",
];

pub(crate) fn summary_for(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        rng.pick(&VERBS),
        rng.pick(&OBJECTS),
        rng.pick(&PLACES)
    )
}

pub(crate) fn key_of(projects: &[Project], project: u16, num: u32) -> String {
    format!("{}-{num}", projects[usize::from(project)].key)
}

impl Store {
    /// Generates `n` issues spread over the year before `anchor_ms`.
    pub(crate) fn generate(seed: u64, n: usize, project_keys: &[String], anchor_ms: i64) -> Self {
        let names = [
            "Engineering",
            "Operations",
            "Support",
            "Platform",
            "Design",
            "Data",
            "Security",
            "Mobile",
        ];
        let mut projects: Vec<Project> = project_keys
            .iter()
            .enumerate()
            .map(|(i, k)| Project {
                id: 10_000 + i as u64,
                key: k.clone(),
                name: names
                    .get(i)
                    .map_or_else(|| format!("Project {k}"), |s| (*s).to_owned()),
                next_num: 1,
            })
            .collect();
        let span = 365 * DAY_MS;
        let start = anchor_ms - span;
        let mut issues: Vec<Issue> = Vec::with_capacity(n);
        let mut keys = HashMap::with_capacity(n);
        // Recent non-subtask issues per project, candidates for parents.
        let mut parents: Vec<Vec<u32>> = vec![Vec::new(); projects.len()];
        let mut link_id = 10_000u64;
        let step = (span / (n.max(1) as i64)).max(1);
        for i in 0..n {
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            let mut r = Rng::derive(seed, i as u64, 1);
            let project = u16::try_from(r.below(projects.len() as u64)).unwrap_or(0);
            let p = &mut projects[usize::from(project)];
            let num = p.next_num;
            p.next_num += 1;
            let created = start
                + step * i as i64
                + i64::try_from(r.below(u64::try_from(step).unwrap_or(1))).unwrap_or(0);
            let created = created.min(anchor_ms - 60_000);
            // About 40% of issues were touched in the last 30 days, so a
            // default backfill window finds a realistic share of them.
            let lo = if r.chance(0.4) {
                created.max(anchor_ms - 30 * DAY_MS)
            } else {
                created
            };
            let hi = anchor_ms - 1000;
            let updated = if hi > lo {
                lo + i64::try_from(r.below(u64::try_from(hi - lo).unwrap_or(1))).unwrap_or(0)
            } else {
                created
            };
            let mut issue_type = u8::try_from(r.below(4)).unwrap_or(0);
            let mut parent = None;
            let cands = &parents[usize::from(project)];
            if !cands.is_empty() && r.chance(0.15) {
                let pi = cands[usize::try_from(r.below(cands.len() as u64)).unwrap_or(0)];
                parent = Some(pi);
                issue_type = SUBTASK;
            }
            let gen_comments = if r.chance(0.03) {
                r.range(21, 60)
            } else {
                r.range(0, 6)
            };
            let gen_changes = if r.chance(0.03) {
                r.range(41, 90)
            } else {
                r.range(0, 8)
            };
            let status = u8::try_from(r.below(STATUSES.len() as u64)).unwrap_or(0);
            let issue = Issue {
                id: FIRST_ISSUE_ID + i as u64,
                project,
                num,
                created,
                updated,
                gen_updated: updated,
                summary: summary_for(&mut r),
                issue_type,
                status,
                priority: u8::try_from(r.below(5)).unwrap_or(2),
                assignee: r
                    .chance(0.8)
                    .then(|| u8::try_from(r.below(USERS.len() as u64)).unwrap_or(0)),
                reporter: u8::try_from(r.below(USERS.len() as u64)).unwrap_or(0),
                parent,
                subtasks: Vec::new(),
                links: Vec::new(),
                gen_comments: u16::try_from(gen_comments).unwrap_or(0),
                gen_changes: u16::try_from(gen_changes).unwrap_or(0),
                description: None,
                added_comments: Vec::new(),
                deleted_comments: Vec::new(),
                added_changes: Vec::new(),
                deleted: false,
                indexed: View {
                    project,
                    num,
                    created,
                    updated,
                    visible: true,
                },
                pending: None,
            };
            if let Some(pi) = parent {
                issues[pi as usize].subtasks.push(idx);
            } else if issue_type != SUBTASK {
                let c = &mut parents[usize::from(project)];
                if c.len() >= 32 {
                    c.remove(0);
                }
                c.push(idx);
            }
            keys.insert(key_of(&projects, project, num), idx);
            issues.push(issue);
            if i > 0 && r.chance(0.2) {
                let other = u32::try_from(r.below(i as u64)).unwrap_or(0);
                let kind = u8::try_from(r.below(4)).unwrap_or(0);
                link_id += 1;
                issues[i].links.push(Link {
                    other,
                    kind,
                    outward: true,
                    id: link_id,
                });
                issues[other as usize].links.push(Link {
                    other: idx,
                    kind,
                    outward: false,
                    id: link_id,
                });
            }
        }
        Self {
            seed,
            projects,
            issues,
            keys,
            version: 0,
            max_pending_due: i64::MIN,
            next_comment_id: 900_000_000,
            next_change_id: 900_000_000,
        }
    }

    pub(crate) fn key(&self, i: &Issue) -> String {
        key_of(&self.projects, i.project, i.num)
    }

    pub(crate) fn project_index(&self, s: &str) -> Option<u16> {
        self.projects
            .iter()
            .position(|p| {
                p.key.eq_ignore_ascii_case(s)
                    || p.id.to_string() == s
                    || p.name.eq_ignore_ascii_case(s)
            })
            .and_then(|i| u16::try_from(i).ok())
    }

    /// Resolves an id or a current or former key to a live issue.
    pub(crate) fn resolve(&self, id_or_key: &str) -> Option<u32> {
        let idx = if !id_or_key.is_empty() && id_or_key.bytes().all(|b| b.is_ascii_digit()) {
            let id: u64 = id_or_key.parse().ok()?;
            u32::try_from(id.checked_sub(FIRST_ISSUE_ID)?).ok()?
        } else {
            *self.keys.get(&id_or_key.to_ascii_uppercase())?
        };
        self.issues
            .get(idx as usize)
            .filter(|i| !i.deleted)
            .map(|_| idx)
    }

    /// Records a change to issue `idx` for search, which sees it after `lag_ms`.
    pub(crate) fn reindex(&mut self, idx: u32, now: i64, lag_ms: i64) {
        self.version += 1;
        let issue = &mut self.issues[idx as usize];
        let v = issue.view();
        if lag_ms <= 0 {
            issue.indexed = v;
            issue.pending = None;
            return;
        }
        if let Some((due, p)) = issue.pending
            && due <= now
        {
            issue.indexed = p;
        }
        issue.pending = Some((now + lag_ms, v));
        self.max_pending_due = self.max_pending_due.max(now + lag_ms);
    }

    /// Runs a compiled query over what search can see at `now`. Issues in
    /// `reconcile` are matched on their current state, as Jira's
    /// `reconcileIssues` does.
    pub(crate) fn search(&self, q: &Query, now: i64, reconcile: &[u32]) -> Vec<u32> {
        let views: Vec<(u32, View)> = self
            .issues
            .iter()
            .enumerate()
            .filter_map(|(i, issue)| {
                let idx = u32::try_from(i).ok()?;
                let v = if reconcile.contains(&idx) {
                    issue.view()
                } else {
                    issue.search_view(now)
                };
                (v.visible && !issue.deleted && q.pred.as_ref().is_none_or(|p| eval(p, idx, &v)))
                    .then_some((idx, v))
            })
            .collect();
        let mut views = views;
        let order: Vec<(SortField, bool)> = if q.order.is_empty() {
            vec![(SortField::Id, false)]
        } else {
            q.order.clone()
        };
        views.sort_by(|(ia, a), (ib, b)| {
            for &(f, desc) in &order {
                let o = match f {
                    SortField::Updated => a.updated.cmp(&b.updated),
                    SortField::Created => a.created.cmp(&b.created),
                    SortField::Id => ia.cmp(ib),
                    SortField::Key => self.projects[usize::from(a.project)]
                        .key
                        .cmp(&self.projects[usize::from(b.project)].key)
                        .then(a.num.cmp(&b.num)),
                };
                let o = if desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            ia.cmp(ib)
        });
        views.into_iter().map(|(i, _)| i).collect()
    }

    pub(crate) fn compile(
        &self,
        jql_text: &str,
        tz: &crate::tz::UserTimeZone,
        now: i64,
    ) -> Result<Query, jql::JqlError> {
        let project = |s: &str| self.project_index(s);
        let issue = |s: &str| self.resolve(s);
        jql::compile(
            jql_text,
            &jql::Ctx {
                project: &project,
                issue: &issue,
                tz,
                now_ms: now,
            },
        )
    }
}

fn eval(p: &Pred, idx: u32, v: &View) -> bool {
    match p {
        Pred::And(ps) => ps.iter().all(|p| eval(p, idx, v)),
        Pred::Or(ps) => ps.iter().any(|p| eval(p, idx, v)),
        Pred::Not(p) => !eval(p, idx, v),
        Pred::Project(ps) => ps.contains(&v.project),
        Pred::Issue(is) => is.contains(&idx),
        Pred::Time(f, op, ms) => {
            let t = match f {
                TimeField::Updated => v.updated,
                TimeField::Created => v.created,
            };
            op.holds(t, *ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["ENG".into(), "OPS".into(), "SUP".into()]
    }

    #[test]
    fn generation_is_deterministic_and_consistent() {
        let a = Store::generate(42, 2000, &keys(), 1_800_000_000_000);
        let b = Store::generate(42, 2000, &keys(), 1_800_000_000_000);
        let c = Store::generate(43, 2000, &keys(), 1_800_000_000_000);
        let sig = |s: &Store| {
            s.issues
                .iter()
                .map(|i| (i.project, i.num, i.updated, i.summary.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(sig(&a), sig(&b));
        assert_ne!(sig(&a), sig(&c));
        for (i, issue) in a.issues.iter().enumerate() {
            assert!(issue.created <= issue.updated && issue.updated < 1_800_000_000_000);
            assert_eq!(a.resolve(&a.key(issue)), Some(u32::try_from(i).unwrap()));
            if let Some(p) = issue.parent {
                assert!(
                    a.issues[p as usize]
                        .subtasks
                        .contains(&u32::try_from(i).unwrap())
                );
                assert_eq!(a.issues[p as usize].project, issue.project);
            }
        }
        assert!(a.issues.iter().any(|i| i.gen_comments > 20));
        assert!(a.issues.iter().any(|i| i.gen_changes > 40));
        assert!(a.issues.iter().any(|i| i.parent.is_some()));
        assert!(a.issues.iter().any(|i| !i.links.is_empty()));
    }

    #[test]
    fn index_lag_hides_changes_until_due() {
        let mut s = Store::generate(1, 10, &keys(), 1_800_000_000_000);
        s.issues[3].updated = 1_800_000_100_000;
        s.reindex(3, 1_800_000_100_000, 5_000);
        assert_eq!(
            s.issues[3].search_view(1_800_000_104_999).updated,
            s.issues[3].gen_updated
        );
        assert_eq!(
            s.issues[3].search_view(1_800_000_105_000).updated,
            1_800_000_100_000
        );
    }
}
