//! What the documents say, checked field by field on the fixtures. These
//! assertions avoid adf-md's exact formatting: they look for words, order
//! and structure, so converter improvements do not break them.

use normalize::{Error, FieldCatalogue, Options, RawRecord, normalize};
use serde_json::{Value, json};

use crate::common::{build, build_with, catalogue, options, raw};

fn field<'a>(doc: &'a normalize::NormalizedIssue, id: &str) -> &'a normalize::CustomField {
    doc.custom_fields
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id} missing from custom_fields"))
}

#[test]
fn cloud_bug_has_every_system_field() {
    let doc = build("bug-adf-all-field-types");
    assert_eq!((doc.schema_version, doc.source.as_str()), (1, "jira"));
    assert_eq!((doc.id.as_str(), doc.key.as_str()), ("10042", "ENG-42"));
    assert_eq!(doc.url, "https://acme.atlassian.net/browse/ENG-42");
    assert_eq!(
        (
            doc.project.id.as_str(),
            doc.project.key.as_str(),
            doc.project.name.as_str()
        ),
        ("10000", "ENG", "Engineering")
    );
    assert_eq!(doc.issue_type, "Bug");
    assert!(!doc.is_subtask);
    assert_eq!(
        (doc.status.as_str(), doc.status_category.as_str()),
        ("In Progress", "In Progress")
    );
    assert_eq!(doc.priority.as_deref(), Some("High"));
    assert_eq!(doc.resolution, None);
    assert_eq!(doc.security_level.as_deref(), Some("Internal"));
    assert_eq!(doc.labels, ["auth", "customer-reported", "sso"]);
    assert_eq!(doc.components, ["Auth", "Web"]);
    assert_eq!(doc.fix_versions, ["2026.12"]);
    assert_eq!(doc.affects_versions, ["2026.11"]);
    assert_eq!(doc.assignee.as_ref().unwrap().display_name, "Ann Example");
    assert_eq!(
        doc.assignee.as_ref().unwrap().account_id,
        "5b10a2844c20165700ede21g"
    );
    assert_eq!(doc.reporter.as_ref().unwrap().display_name, "Cy Customer");
    assert_eq!(doc.created, "2026-11-20T08:00:00.000Z");
    assert_eq!(doc.updated, "2026-11-29T01:45:02.123Z");
    assert_eq!(doc.resolved, None);
    assert_eq!(doc.due_date.as_deref(), Some("2026-12-05"));
    assert_eq!(doc.raw_key, "raw/jira/ENG-42/20261129T014502.123Z.json");

    let links: Vec<_> = doc
        .links
        .iter()
        .map(|l| {
            (
                l.link_type.as_str(),
                l.direction.as_str(),
                l.relation.as_str(),
                l.key.as_str(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            ("Blocks", "outward", "blocks", "ENG-50"),
            ("Duplicate", "inward", "is duplicated by", "ENG-7"),
            ("Relates", "outward", "relates to", "OPS-3"),
        ]
    );
    assert_eq!(doc.links[1].summary, "Plus sign in email breaks SAML");

    let attachments: Vec<_> = doc
        .attachments
        .iter()
        .map(|a| {
            (
                a.id.as_str(),
                a.filename.as_str(),
                a.mime_type.as_deref(),
                a.size,
                a.created.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        attachments,
        [
            (
                "10200",
                "saml-trace.har",
                Some("application/json"),
                Some(482_113),
                Some("2026-11-20T08:05:10.000Z")
            ),
            (
                "10201",
                "screenshot 1.png",
                Some("image/png"),
                Some(91_822),
                Some("2026-11-21T13:00:00.500Z")
            ),
        ]
    );

    // ADF went through adf-md: the words are there, the JSON is not.
    for words in [
        "plus sign",
        "SamlValidator.validate",
        "Firefox 140",
        "password login",
    ] {
        assert!(
            doc.description.contains(words),
            "description lacks {words:?}"
        );
    }
    assert!(!doc.description.contains("\"type\""));
    assert!(doc.environment.contains("Okta"));
}

#[test]
fn custom_fields_are_keyed_by_id_typed_and_rendered() {
    let doc = build("bug-adf-all-field-types");
    let expect = [
        (
            "customfield_10001",
            "Team",
            "atlassian-team",
            "Identity Team",
        ),
        ("customfield_10041", "Severity", "select", "Critical"),
        (
            "customfield_10042",
            "Affected Platforms",
            "multiselect",
            "Web, iOS",
        ),
        (
            "customfield_10043",
            "Region",
            "cascadingselect",
            "EMEA / Germany",
        ),
        ("customfield_10044", "QA Owner", "userpicker", "Bo Builder"),
        (
            "customfield_10045",
            "Reviewers",
            "multiuserpicker",
            "Ann Example, Bo Builder",
        ),
        (
            "customfield_10046",
            "Customer Tags",
            "labels",
            "enterprise, okta",
        ),
        (
            "customfield_10047",
            "Target Date",
            "datepicker",
            "2026-12-01",
        ),
        (
            "customfield_10048",
            "Incident Start",
            "datetime",
            "2026-11-20T07:30:00.000Z",
        ),
        (
            "customfield_10049",
            "Customer Impact",
            "textfield",
            "All SSO tenants, about 4% of logins",
        ),
        (
            "customfield_10050",
            "Runbook",
            "url",
            "https://runbooks.acme.test/auth/sso",
        ),
        ("customfield_10051", "Severity", "radiobuttons", "Major"),
        (
            "customfield_10052",
            "Checklist",
            "multicheckboxes",
            "Logs collected, Customer informed",
        ),
        (
            "customfield_10053",
            "Approver Group",
            "grouppicker",
            "auth-approvers",
        ),
        ("customfield_10054", "Release", "version", "2026.12"),
    ];
    for (id, name, kind, text) in expect {
        let f = field(&doc, id);
        assert_eq!(f.name, name, "{id}");
        assert_eq!(
            f.field_type.as_deref(),
            Some(format!("com.atlassian.jira.plugin.system.customfieldtypes:{kind}").as_str()),
            "{id}"
        );
        assert_eq!(f.text, text, "{id}");
    }
    // The value is Jira's JSON, untouched.
    assert_eq!(
        field(&doc, "customfield_10043").value["child"]["value"],
        "Germany"
    );
    // Textarea ADF is converted.
    let steps = field(&doc, "customfield_10040");
    assert!(steps.text.contains("ann+test@acme.test") && steps.text.contains("Enforce SSO"));
    assert!(steps.value.is_object());
    // Not in the catalogue: labelled by id, type unknown, best-effort text.
    let unknown = field(&doc, "customfield_10099");
    assert_eq!(
        (unknown.name.as_str(), unknown.field_type.as_deref()),
        ("customfield_10099", None)
    );
    assert!(unknown.text.contains("weird"));
    // Empty ADF textareas and nulls are left out; order is numeric by id.
    assert!(
        doc.custom_fields
            .iter()
            .all(|f| f.id != "customfield_10070" && f.id != "customfield_10014")
    );
    let ids: Vec<u64> = doc
        .custom_fields
        .iter()
        .map(|f| f.id[12..].parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn content_is_one_markdown_document_without_collisions() {
    let doc = build("bug-adf-all-field-types");
    let c = &doc.content;
    assert!(c.starts_with("# ENG-42: SSO login fails when the email contains a plus sign\n\n"));
    for line in [
        "- Type: Bug\n",
        "- Status: In Progress\n",
        "- Priority: High\n",
        "- Assignee: Ann Example\n",
        "- Labels: auth, customer-reported, sso\n",
        "- Components: Auth, Web\n",
        "- Links: blocks ENG-50 (Release 2026.12); is duplicated by ENG-7 (Plus sign in email breaks SAML); relates to OPS-3 (Okta connector upgrade)\n",
        // Two fields named Severity: both present, told apart by id.
        "- Severity (customfield_10041): Critical\n",
        "- Severity (customfield_10051): Major\n",
        "- Region: EMEA / Germany\n",
    ] {
        assert!(c.contains(line), "content lacks {line:?}:\n{c}");
    }
    let order = [
        "## Description",
        "## Environment",
        "## Steps to Reproduce",
        "## Comments",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|h| c.find(h).unwrap_or_else(|| panic!("{h} missing:\n{c}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // The description's own "## Summary" sits below the document's sections.
    assert!(doc.description.starts_with("## Summary"));
    assert!(c.contains("\n#### Summary\n") && !c.contains("\n## Summary\n"));
    // Rank is noise for embeddings; `updated` is left out so that
    // content_sha256 changes only when the text does.
    assert!(!c.contains("0|i0004v:") && !c.contains("Rank"));
    assert!(!c.contains("2026-11-29T01:45:02"));
    assert!(c.contains("### Ann Example, 2026-11-20T09:00:00.000Z\n"));
    assert!(c.contains("### Anonymous, 2026-11-23T08:00:00.000Z\n"));
}

#[test]
fn restricted_comments_are_left_out_unless_asked_for() {
    let doc = build("bug-adf-all-field-types");
    let ids: Vec<_> = doc.comments.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["10400", "10402", "10403", "10404"]);
    assert!(
        !doc.content.contains("4471"),
        "restricted text leaked into content"
    );
    assert!(doc.comments.iter().all(|c| c.visibility.is_none()));
    assert_eq!(doc.comments[1].updated, "2026-11-21T11:00:00.000Z");
    assert_eq!(
        doc.comments[2].author.as_ref().unwrap().display_name,
        "Former user"
    );
    assert_eq!(doc.comments[3].author, None);

    let opts = Options {
        include_restricted_comments: true,
        ..options("bug-adf-all-field-types")
    };
    let with = build_with("bug-adf-all-field-types", &opts);
    let ids: Vec<_> = with.comments.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["10400", "10401", "10402", "10403", "10404"]);
    let v = with.comments[1].visibility.as_ref().unwrap();
    assert_eq!((v.kind.as_str(), v.value.as_str()), ("role", "Developers"));
    assert!(with.content.contains("4471"));
    assert!(with.content.contains("(restricted to role Developers)"));
    assert_ne!(with.content_sha256, doc.content_sha256);
}

#[test]
fn story_has_sprints_points_parent_and_subtasks() {
    // No site URL in the options: the envelope's site_url is used.
    let name = "story-sprint-points-envelope";
    let opts = Options {
        site_url: String::new(),
        ..Options::default()
    };
    let doc = build_with(name, &opts);
    assert_eq!(doc.url, "https://acme.atlassian.net/browse/ENG-60");
    assert_eq!(doc.created, "2026-10-01T10:00:00.000Z");
    let sprints: Vec<_> = doc
        .sprints
        .iter()
        .map(|s| (s.id.as_deref(), s.name.as_str(), s.state.as_deref()))
        .collect();
    assert_eq!(
        sprints,
        [
            (Some("36"), "ENG Sprint 11", Some("closed")),
            (Some("37"), "ENG Sprint 12", Some("active"))
        ]
    );
    // The jsw-story-points field wins over a number field named "Story Points".
    assert_eq!(doc.story_points, Some(5.0));
    let parent = doc.parent.as_ref().unwrap();
    assert_eq!(
        (
            parent.id.as_str(),
            parent.key.as_str(),
            parent.summary.as_str()
        ),
        ("10030", "ENG-30", "Reporting v2")
    );
    let subtasks: Vec<_> = doc.subtasks.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(subtasks, ["ENG-61", "ENG-62"]);
    assert_eq!(
        field(&doc, "customfield_10020").text,
        "ENG Sprint 11 (closed), ENG Sprint 12 (active)"
    );
    assert_eq!(field(&doc, "customfield_10016").text, "5.0");
    assert_eq!(field(&doc, "customfield_10028").text, "8");
    for line in [
        "- Sprint: ENG Sprint 11 (closed), ENG Sprint 12 (active)\n",
        "- Story points: 5\n",
        "- Parent: ENG-30 (Reporting v2)\n",
        "- Sub-tasks: ENG-61 (Render charts server-side); ENG-62 (Page size option)\n",
        "- Team: Reporting Squad\n",
    ] {
        assert!(
            doc.content.contains(line),
            "content lacks {line:?}:\n{}",
            doc.content
        );
    }
    assert!(doc.description.contains("Charts are vector graphics"));
}

#[test]
fn subtask_points_to_its_parent() {
    let doc = build("subtask");
    assert!(doc.is_subtask);
    assert_eq!(doc.parent.as_ref().unwrap().key, "ENG-60");
    assert_eq!(doc.assignee, None);
    assert_eq!(doc.status_category, "To Do");
}

#[test]
fn sixty_comments_come_complete_deduplicated_and_oldest_first() {
    let doc = build("sixty-comments-paged");
    assert_eq!(doc.comments.len(), 60);
    assert!(doc.comments_complete);
    let mut ids: Vec<_> = doc.comments.iter().map(|c| c.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 60);
    assert!(
        doc.comments
            .windows(2)
            .all(|w| w[0].created <= w[1].created)
    );
    // The later page holds the edited copy of the overlapping comment.
    let edited = doc
        .comments
        .iter()
        .find(|c| c.body.contains("(edited)"))
        .unwrap();
    assert_eq!(edited.updated, "2026-11-17T20:00:00.000Z");
    assert_eq!(
        doc.comments
            .iter()
            .filter(|c| c.body.contains("Status update 50"))
            .count(),
        1
    );
    assert_eq!(doc.content.matches("\n### ").count(), 60);
}

#[test]
fn missing_comment_pages_are_flagged() {
    let name = "sixty-comments-paged";
    let full = raw(name);
    let first_page_only = full
        .clone()
        .with_comment_pages(full.comment_pages()[..1].to_vec());
    let doc = normalize(&first_page_only, &catalogue(name), "k", &options(name)).unwrap();
    assert_eq!(doc.comments.len(), 50);
    assert!(!doc.comments_complete);
}

#[test]
fn truncated_embedded_comments_are_flagged() {
    let doc = build("truncated-comments-resolved");
    assert!(!doc.comments_complete);
    assert_eq!(doc.comments.len(), 1);
    assert_eq!(doc.resolution.as_deref(), Some("Done"));
    assert_eq!(doc.resolved.as_deref(), Some("2026-09-03T09:59:59.999Z"));
    assert_eq!(doc.status_category, "Done");
    assert!(doc.content.contains("- Resolved: 2026-09-03\n"));
}

#[test]
fn service_management_internal_notes_are_marked_and_restricted_ones_dropped() {
    let doc = build("jsm-request-internal-restricted");
    let comments: Vec<_> = doc
        .comments
        .iter()
        .map(|c| (c.id.as_str(), c.internal))
        .collect();
    assert_eq!(
        comments,
        [("10600", false), ("10601", true), ("10603", false)]
    );
    assert!(doc.content.contains("(internal)"));
    assert!(!doc.content.contains("CRM"));
    assert_eq!(doc.assignee, None);
    assert_eq!(doc.status_category, "To Do");
    assert_eq!(doc.created, "2026-11-27T09:00:00.000Z");
    assert_eq!(field(&doc, "customfield_10060").text, "Get IT help");
    assert_eq!(field(&doc, "customfield_10062").text, "Acme Retail GmbH");
    assert_eq!(field(&doc, "customfield_10063").text, "Bo Builder");
    let sla = field(&doc, "customfield_10061");
    assert_eq!(sla.text, "Time to resolution: 33h remaining");
    // SLA timers would churn content_sha256: kept in custom_fields only.
    assert!(!doc.content.contains("33h"));
    assert!(doc.content.contains("- Request Type: Get IT help\n"));
}

#[test]
fn nulls_everywhere_give_empty_values_not_errors() {
    let doc = build("nulls-everywhere");
    assert_eq!(doc.summary, "Untitled");
    assert_eq!(
        (doc.priority, doc.resolution, doc.security_level),
        (None, None, None)
    );
    assert_eq!((doc.assignee, doc.reporter, doc.parent), (None, None, None));
    assert!(doc.labels.is_empty() && doc.components.is_empty() && doc.links.is_empty());
    assert!(doc.subtasks.is_empty() && doc.attachments.is_empty() && doc.sprints.is_empty());
    assert!(doc.comments.is_empty() && doc.comments_complete);
    assert!(doc.custom_fields.is_empty(), "{:?}", doc.custom_fields);
    assert_eq!(
        (doc.description.as_str(), doc.environment.as_str()),
        ("", "")
    );
    assert_eq!((doc.story_points, doc.due_date), (None, None));
    // "Keine Kategorie" is Jira's localised name for the `undefined` key.
    assert_eq!(
        (
            doc.status_category.as_str(),
            doc.status_category_key.as_str()
        ),
        ("To Do", "undefined")
    );
    assert_eq!(
        doc.content,
        "# ENG-90: Untitled\n\n- Project: Engineering (ENG)\n- Type: Task\n- Status: Backlog (To Do)\n- Created: 2026-11-29\n"
    );
}

#[test]
fn data_center_wiki_markup_is_kept_as_text() {
    let doc = build("dc-v2-wiki-markup");
    assert_eq!(doc.url, "https://jira.acme.internal/browse/PLAT-1207");
    assert!(doc.description.starts_with("h2. Problem"));
    assert!(doc.description.contains("{code:sql}"));
    assert_eq!(doc.environment, "PostgreSQL 16.4, 3-node Patroni cluster");
    assert_eq!(doc.status_category, "In Progress");
    assert_eq!(doc.created, "2026-11-02T13:03:11.000Z");
    assert_eq!(doc.updated, "2026-11-28T16:41:09.532Z");
    let assignee = doc.assignee.as_ref().unwrap();
    assert_eq!(
        (assignee.account_id.as_str(), assignee.display_name.as_str()),
        ("JIRAUSER10512", "Maria Koch")
    );
    let sprints: Vec<_> = doc
        .sprints
        .iter()
        .map(|s| (s.name.as_str(), s.state.as_deref()))
        .collect();
    assert_eq!(
        sprints,
        [
            ("PLAT 2026.22", Some("closed")),
            ("PLAT 2026.23, hardening", Some("active"))
        ]
    );
    assert_eq!(doc.story_points, Some(3.0));
    let comments: Vec<_> = doc
        .comments
        .iter()
        .map(|c| (c.id.as_str(), c.internal))
        .collect();
    assert_eq!(comments, [("310187", true), ("310200", false)]);
    assert_eq!(
        doc.comments[0].body,
        "Confirmed with _pg_stat_activity_, see attached log."
    );
    assert_eq!(
        field(&doc, "customfield_10110").text,
        "# vacuum no longer blocks writes\n# alert when a lock is held > 60 s"
    );
    assert_eq!(field(&doc, "customfield_10103").text, "PLAT-1100");
    assert_eq!(doc.links[0].relation, "is blocked by");
    // Wiki markup is not Markdown: its "# item" lists are not re-levelled,
    // and CRLF line ends become LF.
    assert!(doc.content.contains("\n# vacuum no longer blocks writes\n"));
    assert!(!doc.content.contains('\r') && !doc.description.contains('\r'));
}

#[test]
fn content_hash_ignores_updated_but_follows_text() {
    let base = raw("subtask");
    let cat = catalogue("subtask");
    let opts = options("subtask");
    let doc =
        |issue: Value| normalize(&RawRecord::from_issue(issue).unwrap(), &cat, "k", &opts).unwrap();
    let original = doc(base.issue().clone());
    let mut bumped = base.issue().clone();
    bumped["fields"]["updated"] = json!("2026-11-30T00:00:00.000+0000");
    bumped["fields"]["customfield_10019"] = json!("0|i0009z:");
    assert_eq!(doc(bumped).content_sha256, original.content_sha256);
    let mut edited = base.issue().clone();
    edited["fields"]["summary"] = json!("Page size and orientation option");
    assert_ne!(doc(edited).content_sha256, original.content_sha256);
    let mut untitled = base.issue().clone();
    untitled["fields"]["summary"] = Value::Null;
    assert!(doc(untitled).content.starts_with("# ENG-62\n\n- Project"));
}

#[test]
fn errors_name_what_is_wrong() {
    let cat = FieldCatalogue::default();
    let opts = options("subtask");
    let run = |issue: Value| normalize(&RawRecord::from_issue(issue)?, &cat, "k", &opts);
    let mut issue = raw("subtask").issue().clone();
    issue["fields"]["status"] = Value::Null;
    let err = run(issue).unwrap_err();
    assert!(
        matches!(&err, Error::MissingField { field: "fields.status", key } if key == "ENG-62"),
        "{err}"
    );
    assert!(err.to_string().contains("fields.status"));

    let mut issue = raw("subtask").issue().clone();
    issue["key"] = json!("ENG-62/../../etc");
    assert!(matches!(run(issue), Err(Error::InvalidIssueKey { .. })));

    let mut issue = raw("subtask").issue().clone();
    issue["fields"]["updated"] = json!("last tuesday");
    assert!(matches!(run(issue), Err(Error::InvalidTimestamp { .. })));

    let bare_host = Options {
        site_url: "acme.atlassian.net/".into(),
        ..Options::default()
    };
    let doc = normalize(&raw("subtask"), &cat, "k", &bare_host).unwrap();
    assert_eq!(doc.url, "https://acme.atlassian.net/browse/ENG-62");

    let no_site = Options::default();
    let err = normalize(&raw("subtask"), &cat, "k", &no_site).unwrap_err();
    assert!(matches!(err, Error::MissingSiteUrl { .. }), "{err}");
}
