//! Each option's effect, and robustness against hostile input.

use adf_md::{
    CardStyle, ExpandStyle, HardBreakStyle, HeaderlessTables, MarkStyle, MediaStyle, MentionStyle,
    Options, PanelStyle, SpanFill, TableStyle, WarningKind, WhitespaceMode,
};
use serde_json::{Value, json};

use crate::support::{assert_text_preserved, outline};

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
            "cell" => wrap("table", wrap("tableRow", wrap("tableCell", v))),
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

/// A 2x3 table: a colspan-2 header-less first row with a rowspan-2 cell,
/// then a list cell and a code cell.
fn span_table() -> Value {
    let para = |t: &str| json!([{"type": "paragraph", "content": [{"type": "text", "text": t}]}]);
    json!([{"type": "table", "content": [
        {"type": "tableRow", "content": [
            {"type": "tableCell", "attrs": {"colspan": 2}, "content": para("wide")},
            {"type": "tableCell", "attrs": {"rowspan": 2}, "content": para("tall <x> & y")}]},
        {"type": "tableRow", "content": [
            {"type": "tableCell", "content": [{"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "text", "text": "item", "marks": [{"type": "strong"}]}]}]}]}]},
            {"type": "tableCell", "content": [{"type": "codeBlock", "content": [{"type": "text", "text": "a | b"}]}]}]}]}])
}

#[test]
fn pipe_tables_promote_and_repeat() {
    let t = span_table();
    assert_eq!(
        md(t.clone(), &Options::new()),
        "|  |  |  |\n| --- | --- | --- |\n| wide |  | tall \\<x> & y |\n| - **item** | `a \\| b` |  |\n"
    );
    let o = Options::new()
        .header_less_tables(HeaderlessTables::PromoteFirstRow)
        .span_fill(SpanFill::Repeat);
    assert_eq!(
        md(t, &o),
        "| wide | wide | tall \\<x> & y |\n| --- | --- | --- |\n| - **item** | `a \\| b` | tall \\<x> & y |\n"
    );
}

#[test]
fn html_tables_keep_spans_and_block_structure() {
    let t = span_table();
    let out = md(t.clone(), &Options::new().table_style(TableStyle::Html));
    insta::assert_snapshot!(
        "html_table",
        format!("{out}==== parsed ====\n{}", outline(&out))
    );
    assert_text_preserved(&doc(t.clone()), &out);
    // Auto picks HTML here (a list and a code block in cells) ...
    assert_eq!(
        md(t.clone(), &Options::new().table_style(TableStyle::Auto)),
        out
    );
    // ... and nothing without HTML.
    assert_eq!(
        md(
            t.clone(),
            &Options::new().table_style(TableStyle::Html).html(false)
        ),
        md(t, &Options::new().html(false))
    );
    // A table of plain cells stays a pipe table under Auto; under Html a
    // header row becomes the <thead>.
    let simple = json!([{"type": "table", "content": [
        {"type": "tableRow", "content": [{"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "H"}]}]}]},
        {"type": "tableRow", "content": [{"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a*b"}]}]}]}]}]);
    assert_eq!(
        md(
            simple.clone(),
            &Options::new().table_style(TableStyle::Auto)
        ),
        "| H |\n| --- |\n| a\\*b |\n"
    );
    assert_eq!(
        md(simple, &Options::new().table_style(TableStyle::Html)),
        "<table>\n<thead>\n<tr>\n<th>H</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>\n\na\\*b\n\n</td>\n</tr>\n</tbody>\n</table>\n"
    );
}

#[test]
fn exact_whitespace_uses_character_references() {
    let p = json!([{"type": "paragraph", "content": [
        {"type": "text", "text": "Before"},
        {"type": "text", "text": " spaced bold ", "marks": [{"type": "strong"}]},
        {"type": "text", "text": "after"}]}]);
    assert_eq!(
        md(p.clone(), &Options::new()),
        "Before **spaced bold** after\n"
    );
    let exact = md(p, &Options::new().whitespace_mode(WhitespaceMode::Exact));
    assert_eq!(exact, "Befor&#101;**&#32;spaced bold&#32;**&#97;fter\n");
    assert_eq!(outline(&exact), "P: Before<b> spaced bold </b>after\n");
}

#[test]
fn underline_colors_and_subsup() {
    let p = json!([{"type": "paragraph", "content": [
        {"type": "text", "text": "u", "marks": [{"type": "underline"}]},
        {"type": "text", "text": " "},
        {"type": "text", "text": "red", "marks": [{"type": "textColor", "attrs": {"color": "#FF0000"}}]},
        {"type": "text", "text": " "},
        {"type": "text", "text": "bad", "marks": [{"type": "textColor", "attrs": {"color": "red\"><x"}}]},
        {"type": "text", "text": " "},
        {"type": "text", "text": "bg", "marks": [{"type": "backgroundColor", "attrs": {"color": "#00ff00"}}]},
        {"type": "text", "text": " x"},
        {"type": "text", "text": "2", "marks": [{"type": "subsup", "attrs": {"type": "sup"}}]}]}]);
    assert_eq!(
        md(p.clone(), &Options::new()),
        "u red bad bg x<sup>2</sup>\n"
    );
    let o = Options::new()
        .underline(MarkStyle::Html)
        .colors(MarkStyle::Html)
        .subsup(MarkStyle::Drop);
    assert_eq!(
        md(p.clone(), &o),
        "<ins>u</ins> <span style=\"color:#ff0000\">red</span> bad <mark>bg</mark> x2\n"
    );
    assert_eq!(md(p, &o.html(false)), "u red bad bg x2\n");
}

#[test]
fn hard_break_styles() {
    let p = json!([{"type": "paragraph", "content": [
        {"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "# b"}]}]);
    assert_eq!(md(p.clone(), &Options::new()), "a\\\n\\# b\n");
    assert_eq!(
        md(
            p.clone(),
            &Options::new().hard_break(HardBreakStyle::TwoSpaces)
        ),
        "a  \n\\# b\n"
    );
    assert_eq!(
        md(p.clone(), &Options::new().hard_break(HardBreakStyle::Html)),
        "a<br>\n\\# b\n"
    );
    assert_eq!(
        md(
            p,
            &Options::new().hard_break(HardBreakStyle::Html).html(false)
        ),
        "a\\\n\\# b\n"
    );
    // Table cells keep their own break whatever the style.
    let t = json!([{"type": "table", "content": [{"type": "tableRow", "content": [{"type": "tableCell", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "a"}, {"type": "hardBreak"}, {"type": "text", "text": "b"}]}]}]}]}]);
    assert_eq!(
        md(t, &Options::new().hard_break(HardBreakStyle::TwoSpaces)),
        "|  |\n| --- |\n| a<br>b |\n"
    );
}

#[test]
fn media_resolver_gives_attachment_urls() {
    let m = json!([
        {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
            {"type": "media", "attrs": {"type": "file", "id": "f1", "collection": "c", "alt": "a.png"}}]},
        {"type": "paragraph", "content": [
            {"type": "mediaInline", "attrs": {"id": "f2", "collection": "c", "alt": "b.pdf"}},
            {"type": "text", "text": " "},
            {"type": "mediaInline", "attrs": {"id": "nope", "collection": "c", "alt": "c.pdf"}}]}]);
    let o = Options::new().media_resolver(|id, collection, kind| {
        (id != "nope").then(|| format!("https://files.example/{collection}/{id}?type={kind}"))
    });
    assert_eq!(
        md(m.clone(), &o),
        "![a.png](https://files.example/c/f1?type=file)\n\n[b.pdf](https://files.example/c/f2?type=file) [c.pdf](attachment:nope)\n"
    );
    assert_eq!(
        md(m, &Options::new()),
        "![a.png](attachment:f1)\n\n[b.pdf](attachment:f2) [c.pdf](attachment:nope)\n"
    );
    // Options stay cloneable, comparable and printable with a resolver.
    let clone = o.clone();
    assert_eq!(clone, o);
    assert_ne!(o, Options::new());
    assert!(format!("{o:?}").contains("media_resolver: Some"));
}

/// Converts `d` on a thread with a 2 MiB stack, the default for spawned
/// threads, and returns whether the depth limit was hit.
fn convert_on_small_stack(d: Value, o: Options) -> bool {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let out = adf_md::convert(&d, &o);
            assert!(out.markdown.contains("bottom"));
            let limited = out
                .warnings
                .iter()
                .any(|w| w.kind == WarningKind::DepthLimit);
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
            limited
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn default_depth_fits_a_two_mib_stack() {
    assert_eq!(Options::new(), Options::new().max_depth(256));
    for kind in ["quote", "list", "unknown", "cell"] {
        // 256 levels of nesting stay within the limit for quotes and
        // unknown nodes (lists and cells use two levels per step).
        let limited = convert_on_small_stack(deep(254, kind), Options::new());
        assert_eq!(limited, matches!(kind, "list" | "cell"), "{kind}");
        assert!(
            convert_on_small_stack(deep(10_000, kind), Options::new()),
            "{kind}"
        );
    }
}
