//! Each option's effect, and robustness against hostile input.

use adf_md::{CardStyle, ExpandStyle, MediaStyle, MentionStyle, Options, PanelStyle, WarningKind};
use serde_json::{Value, json};

fn doc(content: Value) -> Value {
    json!({"version": 1, "type": "doc", "content": content})
}

fn md(content: Value, o: &Options) -> String {
    adf_md::convert(&doc(content), o).markdown
}

#[test]
fn panel_styles() {
    let p = json!([{"type": "panel", "attrs": {"panelType": "success"}, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "shipped"}]}]}]);
    assert_eq!(md(p.clone(), &Options::new()), "> [!TIP]\n> shipped\n");
    assert_eq!(
        md(p.clone(), &Options::new().panel_style(PanelStyle::Labelled)),
        "> **Success:** shipped\n"
    );
    assert_eq!(
        md(p, &Options::new().panel_style(PanelStyle::Blockquote)),
        "> shipped\n"
    );
}

#[test]
fn expand_styles_and_html_off() {
    let e = json!([{"type": "expand", "attrs": {"title": "A <b> & c"}, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "body"}]}]}]);
    assert_eq!(
        md(e.clone(), &Options::new()),
        "<details>\n<summary>A &lt;b&gt; &amp; c</summary>\n\nbody\n\n</details>\n"
    );
    assert_eq!(
        md(e.clone(), &Options::new().expand_style(ExpandStyle::Plain)),
        "**A \\<b> & c**\n\nbody\n"
    );
    assert_eq!(
        md(e, &Options::new().html(false)),
        "**A \\<b> & c**\n\nbody\n"
    );
}

#[test]
fn html_off_drops_sub_sup_and_uses_spaces_in_cells() {
    let p = json!([{"type": "paragraph", "content": [
        {"type": "text", "text": "H"},
        {"type": "text", "text": "2", "marks": [{"type": "subsup", "attrs": {"type": "sub"}}]},
        {"type": "text", "text": "O"}]}]);
    assert_eq!(md(p.clone(), &Options::new()), "H<sub>2</sub>O\n");
    assert_eq!(md(p, &Options::new().html(false)), "H2O\n");
    let t = json!([{"type": "table", "content": [{"type": "tableRow", "content": [{"type": "tableCell", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "b"}]}]}]}]}]);
    assert_eq!(
        md(t.clone(), &Options::new()),
        "|  |\n| --- |\n| a<br>b |\n"
    );
    assert_eq!(
        md(t, &Options::new().html(false)),
        "|  |\n| --- |\n| a b |\n"
    );
}

#[test]
fn mention_media_card_and_placeholder_styles() {
    let p = json!([{"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": "123", "text": "@Ada"}},
        {"type": "text", "text": " "},
        {"type": "inlineCard", "attrs": {"url": "https://t.atlassian.net/browse/ENG-7"}},
        {"type": "text", "text": " "},
        {"type": "placeholder", "attrs": {"text": "hint"}}]}]);
    assert_eq!(
        md(p.clone(), &Options::new()),
        "@Ada <https://t.atlassian.net/browse/ENG-7> *hint*\n"
    );
    let o = Options::new()
        .mention_style(MentionStyle::Link)
        .card_style(CardStyle::IssueKey)
        .placeholders(false);
    assert_eq!(
        md(p, &o),
        "[@Ada](mention:123) [ENG-7](https://t.atlassian.net/browse/ENG-7)\n"
    );

    let m = json!([{"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
        {"type": "media", "attrs": {"type": "file", "id": "f1", "collection": "c", "alt": "a.png"}}]}]);
    assert_eq!(md(m.clone(), &Options::new()), "![a.png](attachment:f1)\n");
    assert_eq!(
        md(m.clone(), &Options::new().media_style(MediaStyle::Link)),
        "[a.png](attachment:f1)\n"
    );
    assert_eq!(
        md(m, &Options::new().media_style(MediaStyle::Text)),
        "a.png\n"
    );
}

#[test]
fn decision_label_and_extension_markers() {
    let d = json!([{"type": "decisionList", "attrs": {"localId": "d"}, "content": [
        {"type": "decisionItem", "attrs": {"localId": "i", "state": "DECIDED"}, "content": [{"type": "text", "text": "go"}]}]},
        {"type": "extension", "attrs": {"extensionKey": "toc", "extensionType": "x"}}]);
    assert_eq!(
        md(d.clone(), &Options::new()),
        "- **Decision:** go\n\n<!-- extension: toc -->\n"
    );
    assert_eq!(
        md(
            d,
            &Options::new()
                .decision_label("Entscheidung")
                .extension_markers(false)
        ),
        "- **Entscheidung:** go\n"
    );
}

#[test]
fn accepts_bare_nodes_arrays_and_strings() {
    let para = json!({"type": "paragraph", "content": [{"type": "text", "text": "hi"}]});
    assert_eq!(adf_md::to_markdown(&para), "hi\n");
    assert_eq!(
        adf_md::to_markdown(&json!([para.clone(), para])),
        "hi\n\nhi\n"
    );
    assert_eq!(
        adf_md::to_markdown(&json!({"type": "text", "text": "bare"})),
        "bare\n"
    );
    assert_eq!(adf_md::to_markdown(&Value::Null), "");
    assert_eq!(adf_md::to_markdown(&doc(json!([]))), "");
    assert_eq!(adf_md::to_markdown_str("\"h1. wiki\"").unwrap(), "h1. wiki");
    assert!(adf_md::to_markdown_str("<p>not json</p>").is_err());
}

#[test]
fn warnings_carry_paths_and_kinds() {
    let out = adf_md::convert(
        &doc(
            json!([{"type": "paragraph", "content": [{"type": "text", "text": "x", "marks": [{"type": "glow"}]}]},
            {"type": "newThing", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "kept"}]}]}]),
        ),
        &Options::new(),
    );
    assert_eq!(out.markdown, "x\n\nkept\n");
    let got: Vec<_> = out
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.kind, w.node_type.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("/content/0/content/0", WarningKind::UnknownMark, "glow"),
            ("/content/1", WarningKind::UnknownNode, "newThing")
        ]
    );
}

/// A node `{"type": ty, "content": [child]}`, built without `json!`, whose
/// interpolation serialises (and so recurses through) the child.
fn wrap(ty: &str, child: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("type".into(), Value::from(ty));
    m.insert("content".into(), Value::Array(vec![child]));
    Value::Object(m)
}

/// Nests `levels` blockquotes (or lists, or unknown nodes) around a paragraph.
fn deep(levels: usize, kind: &str) -> Value {
    let mut v = json!({"type": "paragraph", "content": [{"type": "text", "text": "bottom"}]});
    for _ in 0..levels {
        v = match kind {
            "quote" => wrap("blockquote", v),
            "list" => wrap("bulletList", wrap("listItem", v)),
            _ => wrap("mystery", v),
        };
    }
    let mut d = wrap("doc", v);
    d["version"] = json!(1);
    d
}

#[test]
fn hostile_nesting_is_flattened_not_fatal() {
    for kind in ["quote", "list", "unknown"] {
        let d = deep(3000, kind);
        // The test thread has a 2 MiB stack, smaller than a main thread's.
        let out = adf_md::convert(&d, &Options::new());
        assert!(out.markdown.contains("bottom"), "{kind}: text lost");
        assert!(
            out.warnings
                .iter()
                .any(|w| w.kind == WarningKind::DepthLimit),
            "{kind}: no depth warning"
        );
        // serde_json drops values recursively; unwind it iteratively.
        let mut stack = vec![d];
        while let Some(mut v) = stack.pop() {
            if let Some(c) = v.get_mut("content").map(Value::take) {
                stack.push(c);
            }
            if let Value::Array(a) = v {
                stack.extend(a);
            }
        }
    }
}

#[test]
fn shallow_nesting_keeps_structure() {
    let out = adf_md::to_markdown(&deep(3, "list"));
    assert_eq!(out, "- - - bottom\n");
    let out = adf_md::to_markdown(&deep(2, "quote"));
    assert_eq!(out, "> > bottom\n");
}

#[test]
fn huge_spans_and_orders_are_clamped() {
    let t = json!([{"type": "table", "content": [{"type": "tableRow", "content": [
        {"type": "tableCell", "attrs": {"colspan": 1e12, "rowspan": -4}, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}]}]}]}]);
    let out = md(t, &Options::new());
    assert!(out.lines().nth(2).is_some_and(|l| l.starts_with("| x |")));
    let o = json!([{"type": "orderedList", "attrs": {"order": 1e15}, "content": [
        {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "big"}]}]}]}]);
    assert_eq!(md(o, &Options::new()), "999999999. big\n");
}
