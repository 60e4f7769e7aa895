//! Snapshots of every fixture's document and its `content`, and validation
//! of every output against `schemas/normalized-issue.v1.json`.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{build, build_with, fixture_names, options};

fn schema_validator() -> jsonschema::Validator {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/normalized-issue.v1.json");
    let schema: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("schema file")).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Validation errors of one document, as readable lines.
pub(crate) fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn snapshots_of_every_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in fixture_names() {
            let doc = build(&name);
            let json = String::from_utf8(doc.to_json_bytes()).unwrap();
            insta::assert_snapshot!(format!("{name}.json"), json);
            insta::assert_snapshot!(format!("{name}.content.md"), doc.content);
        }
    });
}

#[test]
fn every_fixture_output_validates_against_the_schema() {
    let validator = schema_validator();
    for name in fixture_names() {
        for include_restricted_comments in [false, true] {
            let opts = normalize::Options {
                include_restricted_comments,
                ..options(&name)
            };
            let doc: Value =
                serde_json::from_slice(&build_with(&name, &opts).to_json_bytes()).unwrap();
            let errors = schema_errors(&validator, &doc);
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
    }
}

/// A named way to break a document.
type Mutation = (&'static str, fn(&mut Value));

/// The schema check above can fail: broken documents are rejected.
#[test]
fn schema_rejects_documents_that_break_the_contract() {
    let validator = schema_validator();
    let good: Value =
        serde_json::from_slice(&build("bug-adf-all-field-types").to_json_bytes()).unwrap();
    assert!(validator.is_valid(&good));
    let mutations: [Mutation; 7] = [
        ("unknown status category", |d| {
            d["status_category"] = "Backlog".into()
        }),
        ("local-time timestamp", |d| {
            d["updated"] = "2026-11-29T02:45:02.123+01:00".into()
        }),
        ("missing content_sha256", |d| {
            d.as_object_mut().unwrap().remove("content_sha256");
        }),
        ("bad key", |d| d["key"] = "eng-42".into()),
        ("wrong link direction", |d| {
            d["links"][0]["direction"] = "sideways".into()
        }),
        ("extra field", |d| d["surprise"] = true.into()),
        ("author without display name", |d| {
            d["comments"][0]["author"]
                .as_object_mut()
                .unwrap()
                .remove("display_name");
        }),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(
            !validator.is_valid(&bad),
            "schema accepted a document with {what}"
        );
    }
}
