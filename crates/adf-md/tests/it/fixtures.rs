//! Fixture-driven snapshot tests: every `tests/fixtures/*.json` document is
//! converted with the default options; the snapshot holds the Markdown and
//! the outline a CommonMark+GFM parser reads from it. Each fixture is also
//! checked for stability and text preservation.

use std::path::Path;

use crate::support::{assert_text_preserved, outline};

fn fixtures() -> Vec<(String, serde_json::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("readable fixture");
            (name, serde_json::from_str(&text).expect("fixture is JSON"))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 10, "fixture corpus went missing");
    out
}

#[test]
fn snapshots() {
    for (name, adf) in fixtures() {
        let out = adf_md::convert(&adf, &adf_md::Options::new());
        let warnings: Vec<String> = out.warnings.iter().map(ToString::to_string).collect();
        let snap = format!(
            "{}\n==== parsed by pulldown-cmark ====\n{}==== warnings ====\n{}\n",
            out.markdown,
            outline(&out.markdown),
            warnings.join("\n")
        );
        insta::assert_snapshot!(name, snap);
    }
}

#[test]
fn converting_twice_gives_identical_bytes() {
    for (name, adf) in fixtures() {
        let a = adf_md::to_markdown(&adf);
        let b = adf_md::to_markdown(&adf.clone());
        assert_eq!(a, b, "{name} is not stable");
        let via_str = adf_md::to_markdown_str(&adf.to_string()).expect("valid JSON");
        assert_eq!(a, via_str, "{name}: string entry point differs");
    }
}

#[test]
fn every_text_leaf_survives_a_reparse() {
    for (name, adf) in fixtures() {
        let md = adf_md::to_markdown(&adf);
        assert!(!md.is_empty(), "{name} rendered empty");
        assert!(
            md.ends_with('\n') && !md.ends_with("\n\n"),
            "{name}: output must end with exactly one newline"
        );
        // No fixture has trailing whitespace inside a code block, so no line
        // may end in a space or tab (two would make a hard break).
        for line in md.lines() {
            assert!(
                !line.ends_with([' ', '\t']),
                "{name}: trailing whitespace in {line:?}"
            );
        }
        assert_text_preserved(&adf, &md);
    }
}
