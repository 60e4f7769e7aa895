//! The same raw input gives byte-identical output, however it is stored.

use normalize::{NormalizedIssue, RawRecord, normalize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::common::{build, catalogue, fixture_names, options, raw, raw_bytes};

#[test]
fn normalizing_twice_gives_identical_bytes() {
    for name in fixture_names() {
        let a = build(&name).to_json_bytes();
        let b = build(&name).to_json_bytes();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn documents_round_trip_through_serde() {
    for name in fixture_names() {
        let bytes = build(&name).to_json_bytes();
        let back: NormalizedIssue = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.to_json_bytes(), bytes, "{name}");
    }
}

#[test]
fn content_sha256_is_the_hash_of_content() {
    for name in fixture_names() {
        let doc = build(&name);
        assert_eq!(
            doc.content_sha256,
            hex::encode(Sha256::digest(doc.content.as_bytes())),
            "{name}"
        );
    }
}

/// A bare issue and the envelope that embeds the same bytes give the same
/// document: renormalize from raw equals the sync's first build.
#[test]
fn envelope_and_bare_issue_give_the_same_document() {
    for name in [
        "bug-adf-all-field-types",
        "dc-v2-wiki-markup",
        "nulls-everywhere",
    ] {
        let bytes = raw_bytes(name);
        let issue = RawValue::from_string(String::from_utf8(bytes).unwrap()).unwrap();
        let fetched = normalize::parse_jira_timestamp("2026-11-29T03:00:00Z").unwrap();
        let wrapped = RawRecord::to_bytes("https://acme.atlassian.net", fetched, &issue, &[], &[]);
        let from_envelope = RawRecord::parse(&wrapped).unwrap();
        assert_eq!(from_envelope.issue(), raw(name).issue());
        let opts = options(name);
        let a = normalize(&raw(name), &catalogue(name), "k", &opts).unwrap();
        let b = normalize(&from_envelope, &catalogue(name), "k", &opts).unwrap();
        assert_eq!(a.to_json_bytes(), b.to_json_bytes(), "{name}");
    }
}

/// Keys inside custom field values are written sorted whatever the input
/// order, so output never depends on serde_json's map implementation.
#[test]
fn custom_field_values_are_written_with_sorted_keys() {
    let doc = build("bug-adf-all-field-types");
    let text = String::from_utf8(doc.to_json_bytes()).unwrap();
    let weird = text.find("\"weird\"").expect("unknown field written");
    let nested = text.find("\"nested\"").expect("unknown field written");
    assert!(nested < weird, "object keys not sorted");
    let a = text[nested..].find("\"a\"").unwrap();
    let b = text[nested..].find("\"b\"").unwrap();
    assert!(a < b, "nested keys not sorted");
}
