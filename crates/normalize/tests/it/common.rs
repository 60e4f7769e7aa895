//! Fixture loading shared by the test modules.

use std::path::PathBuf;

use normalize::{FieldCatalogue, NormalizedIssue, Options, RawRecord, normalize, raw_object_key};

pub(crate) fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every raw issue fixture, by file stem, sorted.
pub(crate) fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join("issues"))
        .expect("fixtures/issues exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "fixtures missing: {names:?}");
    names
}

pub(crate) fn raw_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join("issues").join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub(crate) fn raw(name: &str) -> RawRecord {
    RawRecord::parse(&raw_bytes(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub(crate) fn is_data_center(name: &str) -> bool {
    name.starts_with("dc-")
}

pub(crate) fn catalogue(name: &str) -> FieldCatalogue {
    let file = if is_data_center(name) {
        "fields.dc.json"
    } else {
        "fields.cloud.json"
    };
    let bytes = std::fs::read(fixtures_dir().join(file)).expect("catalogue fixture");
    FieldCatalogue::from_json(&serde_json::from_slice(&bytes).expect("catalogue JSON"))
        .expect("catalogue parses")
}

pub(crate) fn options(name: &str) -> Options {
    Options {
        site_url: if is_data_center(name) {
            "https://jira.acme.internal/".to_owned()
        } else {
            "https://acme.atlassian.net".to_owned()
        },
        include_restricted_comments: false,
    }
}

pub(crate) fn build_with(name: &str, opts: &Options) -> NormalizedIssue {
    let raw = raw(name);
    let raw_key = raw_object_key(&raw.key().unwrap(), raw.updated().unwrap());
    normalize(&raw, &catalogue(name), &raw_key, opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn build(name: &str) -> NormalizedIssue {
    build_with(name, &options(name))
}
