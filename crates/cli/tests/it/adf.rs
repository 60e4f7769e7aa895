//! `adf-md`: ADF JSON from a file or stdin to Markdown on stdout.

use crate::support::run;

const DOC: &str = r#"{"version":1,"type":"doc","content":[
  {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"Steps"}]},
  {"type":"paragraph","content":[
    {"type":"text","text":"bold ","marks":[{"type":"strong"}]},
    {"type":"text","text":"both","marks":[{"type":"em"},{"type":"strong"}]},
    {"type":"text","text":" and # not a heading"}]}]}"#;
const MARKDOWN: &str = "## Steps\n\n**bold *both*** and # not a heading\n";

#[tokio::test]
async fn converts_a_file_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.json"), DOC).unwrap();

    let file = run(dir.path(), &["adf-md", "doc.json"], &[], None).await;
    file.assert_code(0);
    assert_eq!(file.stdout, MARKDOWN);

    let stdin = run(dir.path(), &["adf-md"], &[], Some(DOC)).await;
    stdin.assert_code(0);
    assert_eq!(stdin.stdout, MARKDOWN);

    let dash = run(dir.path(), &["adf-md", "-", "--json"], &[], Some(DOC)).await;
    assert_eq!(dash.assert_code(0).json()["markdown"], MARKDOWN);
}

#[tokio::test]
async fn bad_input_fails_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(dir.path(), &["adf-md", "missing.json"], &[], None).await;
    missing.assert_code(1);
    assert!(
        missing.stderr.contains("missing.json"),
        "{}",
        missing.stderr
    );

    let not_json = run(dir.path(), &["adf-md"], &[], Some("{not json")).await;
    not_json.assert_code(1);
    assert!(not_json.stderr.contains("not JSON"), "{}", not_json.stderr);
}
