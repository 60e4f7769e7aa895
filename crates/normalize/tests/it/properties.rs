//! Property tests: arbitrary field combinations never panic, and whatever
//! succeeds is schema-valid and deterministic.

use std::sync::OnceLock;

use normalize::{FieldCatalogue, IssueKey, Options, RawRecord, normalize};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::common::catalogue;

fn cloud_catalogue() -> &'static FieldCatalogue {
    static CAT: OnceLock<FieldCatalogue> = OnceLock::new();
    CAT.get_or_init(|| catalogue("bug-adf-all-field-types"))
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/normalized-issue.v1.json");
        let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

const KEYS: &[&str] = &[
    "value",
    "name",
    "displayName",
    "accountId",
    "key",
    "id",
    "type",
    "content",
    "text",
    "child",
    "fields",
    "summary",
    "comments",
    "total",
    "visibility",
    "jsdPublic",
    "created",
    "updated",
    "body",
    "state",
    "outwardIssue",
    "inwardIssue",
    "statusCategory",
    "requestType",
    "ongoingCycle",
    "version",
    "attrs",
    "marks",
    "filename",
    "size",
    "properties",
];

const STRINGS: &[&str] = &[
    "",
    "doc",
    "paragraph",
    "text",
    "ENG-7",
    "2026-11-29T01:45:02.123+0000",
    "2026-12-01",
    "0000-01-01T00:00:00.000+0100",
    "9999-12-31T23:59:59.999-1200",
    "role",
    "new",
    "done",
    "indeterminate",
    "com.atlassian.greenhopper.service.sprint.Sprint@1[id=1,name=S, 1,state=ACTIVE]",
    "Sprint@[",
    "]",
    "ü\u{0}\n",
    "customfield_10041",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop::sample::select(STRINGS).prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..6).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    let catalogued: Vec<String> = cloud_catalogue().iter().map(|d| d.id.clone()).collect();
    prop_oneof![
        prop::sample::select(catalogued),
        prop::sample::select(vec![
            "project",
            "issuetype",
            "status",
            "created",
            "updated",
            "priority",
            "resolution",
            "labels",
            "components",
            "fixVersions",
            "versions",
            "assignee",
            "reporter",
            "parent",
            "subtasks",
            "issuelinks",
            "resolutiondate",
            "duedate",
            "description",
            "environment",
            "comment",
            "attachment",
            "security",
            "customfield_99999",
        ])
        .prop_map(str::to_owned),
    ]
}

fn valid_base() -> Map<String, Value> {
    json!({
        "project": {"id": "1", "key": "ENG", "name": "Engineering"},
        "issuetype": {"name": "Bug"},
        "status": {"name": "Open", "statusCategory": {"key": "new"}},
        "created": "2026-11-28T00:00:00.000+0000",
        "updated": "2026-11-29T00:00:00.000+0000",
    })
    .as_object()
    .cloned()
    .unwrap()
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=5000 for a longer hunt.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn random_field_combinations_never_panic(
        keep_base in any::<bool>(),
        extra in prop::collection::btree_map(field_name(), json_value(), 0..14),
        pages in prop::collection::vec(json_value(), 0..3),
        restricted in any::<bool>(),
    ) {
        let mut fields = if keep_base { valid_base() } else { Map::new() };
        // With the fields every issue has left intact, junk elsewhere must
        // never fail the document: this keeps the property from passing
        // vacuously on errors.
        let must_succeed = keep_base && !extra.keys().any(|k| valid_base().contains_key(k));
        fields.extend(extra);
        let issue = json!({"id": "10001", "key": "ENG-1", "fields": fields});
        let raw = RawRecord::from_issue(issue).unwrap().with_comment_pages(pages);
        let opts = Options { site_url: "https://acme.atlassian.net".into(), include_restricted_comments: restricted };
        let result = normalize(&raw, cloud_catalogue(), "raw/jira/ENG-1/x.json", &opts);
        prop_assert!(result.is_ok() || !must_succeed, "{:?}", result.err());
        if let Ok(doc) = result {
            let bytes = doc.to_json_bytes();
            let again = normalize(&raw, cloud_catalogue(), "raw/jira/ENG-1/x.json", &opts).unwrap();
            prop_assert_eq!(&bytes, &again.to_json_bytes());
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            let errors: Vec<String> = validator().iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
            prop_assert!(errors.is_empty(), "{:?}", errors);
        }
    }

    #[test]
    fn raw_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), value in json_value()) {
        let _ = RawRecord::parse(&bytes);
        let _ = RawRecord::parse(value.to_string().as_bytes());
        let _ = FieldCatalogue::from_json(&value);
    }

    #[test]
    fn issue_keys_match_the_contract_grammar(
        // Half near-misses of the grammar, half arbitrary path-ish text.
        text in prop_oneof!["[A-Z0-9_]{1,4}-[0-9]{1,4}", "[A-Z_a-z0-9\\-./]{0,12}"],
    ) {
        let by_grammar = {
            let bytes = text.as_bytes();
            match text.rsplit_once('-') {
                Some((p, n)) => !p.is_empty()
                    && bytes[0].is_ascii_uppercase()
                    && p.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                    && !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()),
                None => false,
            }
        };
        prop_assert_eq!(IssueKey::parse(&text).is_ok(), by_grammar);
    }

    #[test]
    fn timestamps_never_panic_and_round_trip(text in "[0-9T:.+\\-Z]{0,30}", millis in 0i64..253_402_300_799_999) {
        let _ = normalize::parse_jira_timestamp(&text);
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap();
        let key = normalize::updated_key(at);
        prop_assert_eq!(normalize::parse_updated_key(&key).unwrap(), at);
        prop_assert_eq!(normalize::parse_jira_timestamp(&normalize::format_rfc3339_utc(at)).unwrap(), at);
    }
}
