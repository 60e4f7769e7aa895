//! Property tests: arbitrary JSON never panics; random schema-shaped
//! documents (malformed ones included) keep every text string and every
//! emphasis run through a CommonMark+GFM re-parse.

use proptest::prelude::*;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde_json::{Value, json};

use crate::support::assert_text_preserved;

// ------------------------------------------------------------ strategies

/// Arbitrary JSON, biased towards ADF-looking keys so the converter's
/// branches are reached with wrong types in every position.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(NODE_TYPES).prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

const KEYS: &[&str] = &[
    "type",
    "content",
    "text",
    "attrs",
    "marks",
    "level",
    "order",
    "href",
    "url",
    "id",
    "state",
    "language",
    "colspan",
    "rowspan",
    "timestamp",
    "title",
    "originalValue",
    "panelType",
    "localId",
    "data",
    "alt",
];

const NODE_TYPES: &[&str] = &[
    "doc",
    "paragraph",
    "text",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "taskList",
    "taskItem",
    "blockTaskItem",
    "decisionList",
    "decisionItem",
    "codeBlock",
    "blockquote",
    "panel",
    "table",
    "tableRow",
    "tableCell",
    "tableHeader",
    "expand",
    "nestedExpand",
    "rule",
    "mediaSingle",
    "mediaGroup",
    "media",
    "mediaInline",
    "caption",
    "mention",
    "emoji",
    "status",
    "date",
    "hardBreak",
    "inlineCard",
    "blockCard",
    "embedCard",
    "placeholder",
    "extension",
    "inlineExtension",
    "bodiedExtension",
    "layoutSection",
    "layoutColumn",
    "unsupportedBlock",
    "unsupportedInline",
    "strong",
    "em",
    "link",
    "code",
    "mystery",
];

/// Text rich in characters that are Markdown syntax somewhere.
fn tricky_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a",
        "b",
        "word",
        "snake_case",
        " ",
        "  ",
        "*",
        "**",
        "_",
        "`",
        "``",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "&",
        "&amp;",
        "#",
        "# ",
        "- ",
        "+ ",
        "1. ",
        "2) ",
        "=",
        "---",
        "~",
        "~~",
        "|",
        "\\",
        "!",
        ":",
        "\"",
        "'",
        ".",
        ",",
        "x_y",
        "é",
        "日本",
        "🎉",
        "\u{a0}",
        "\t",
        "\n",
        "<div>",
        "<!--",
        "http://e.com/a_b",
        "    ",
    ]);
    prop::collection::vec(atoms, 1..8).prop_map(|v| v.concat())
}

fn mark() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "strong"})),
        Just(json!({"type": "em"})),
        Just(json!({"type": "strike"})),
        Just(json!({"type": "code"})),
        Just(json!({"type": "underline"})),
        Just(json!({"type": "link", "attrs": {"href": "https://e.com/a"}})),
        Just(json!({"type": "link", "attrs": {"href": "https://e.com/(b) c", "title": "t\"|"}})),
        Just(json!({"type": "subsup", "attrs": {"type": "sup"}})),
        Just(json!({"type": "textColor", "attrs": {"color": "#ff0000"}})),
        Just(json!({"type": "sparkle"})),
    ]
}

fn inline_node() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (tricky_text(), prop::collection::vec(mark(), 0..3))
            .prop_map(|(t, m)| json!({"type": "text", "text": t, "marks": m})),
        1 => Just(json!({"type": "hardBreak"})),
        1 => tricky_text().prop_map(|t| json!({"type": "mention", "attrs": {"id": "1", "text": t}})),
        1 => tricky_text().prop_map(|t| json!({"type": "status", "attrs": {"text": t, "color": "blue"}})),
        1 => Just(json!({"type": "emoji", "attrs": {"shortName": ":x:", "text": "❌"}})),
        1 => Just(json!({"type": "date", "attrs": {"timestamp": "1582156800000"}})),
        1 => Just(json!({"type": "inlineCard", "attrs": {"url": "https://e.com/browse/A-1"}})),
        1 => tricky_text().prop_map(|t| json!({"type": "mystery", "attrs": {"text": t}})),
    ]
}

fn inlines() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(inline_node(), 0..6)
}

/// Random schema-shaped blocks, with some malformed variants mixed in.
fn block() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => inlines().prop_map(|c| json!({"type": "paragraph", "content": c})),
        1 => (0..9i64, inlines()).prop_map(|(l, c)| json!({"type": "heading", "attrs": {"level": l}, "content": c})),
        1 => (tricky_text(), prop::sample::select(vec!["", "rust", "a`b"]))
            .prop_map(|(t, l)| json!({"type": "codeBlock", "attrs": {"language": l}, "content": [{"type": "text", "text": t}]})),
        1 => Just(json!({"type": "rule"})),
        1 => (tricky_text(), tricky_text()).prop_map(|(alt, cap)| json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
            {"type": "media", "attrs": {"type": "file", "id": "x", "collection": "c", "alt": alt}},
            {"type": "caption", "content": [{"type": "text", "text": cap}]}]})),
        1 => Just(json!({"type": "paragraph", "content": null})),
        1 => Just(json!({"type": "paragraph"})),
        1 => inlines().prop_map(|c| json!({"type": "taskList", "attrs": {"localId": "t"}, "content": [
            {"type": "taskItem", "attrs": {"localId": "i", "state": "DONE"}, "content": c}]})),
        1 => inlines().prop_map(|c| json!({"type": "decisionList", "attrs": {"localId": "d"}, "content": [
            {"type": "decisionItem", "attrs": {"localId": "i", "state": "DECIDED"}, "content": c}]})),
    ];
    leaf.prop_recursive(4, 40, 4, |inner| {
        let blocks = prop::collection::vec(inner, 0..4);
        prop_oneof![
            blocks.clone().prop_map(|b| json!({"type": "blockquote", "content": b})),
            prop::collection::vec(prop::collection::vec(any_block_leafish(), 0..3), 0..4)
                .prop_map(|items| json!({"type": "bulletList", "content": items.into_iter().map(|c| json!({"type": "listItem", "content": c})).collect::<Vec<_>>()})),
            (prop::collection::vec(prop::collection::vec(any_block_leafish(), 0..3), 0..12), 0..12u32)
                .prop_map(|(items, o)| json!({"type": "orderedList", "attrs": {"order": o}, "content": items.into_iter().map(|c| json!({"type": "listItem", "content": c})).collect::<Vec<_>>()})),
            (prop::sample::select(vec!["info", "note", "tip", "warning", "error", "success", "custom"]), blocks.clone())
                .prop_map(|(t, b)| json!({"type": "panel", "attrs": {"panelType": t}, "content": b})),
            (tricky_text(), blocks.clone()).prop_map(|(t, b)| json!({"type": "expand", "attrs": {"title": t}, "content": b})),
            blocks.clone().prop_map(|b| json!({"type": "layoutSection", "content": [{"type": "layoutColumn", "attrs": {"width": 50}, "content": b}]})),
            blocks.prop_map(|b| json!({"type": "mysteryContainer", "content": b})),
            table(),
        ]
    })
}

/// Blocks allowed in list items and cells, without further recursion.
fn any_block_leafish() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => inlines().prop_map(|c| json!({"type": "paragraph", "content": c})),
        1 => tricky_text().prop_map(|t| json!({"type": "codeBlock", "content": [{"type": "text", "text": t}]})),
        1 => inlines().prop_map(|c| json!({"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": c}]}]})),
        1 => (0..5u32, inlines()).prop_map(|(o, c)| json!({"type": "orderedList", "attrs": {"order": o}, "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": c}]}]})),
        1 => inlines().prop_map(|c| json!({"type": "heading", "attrs": {"level": 2}, "content": c})),
        1 => Just(json!({"type": "rule"})),
    ]
}

fn table() -> impl Strategy<Value = Value> {
    let cell = (any::<bool>(), 1..3u32, 1..3u32, prop::collection::vec(any_block_leafish(), 0..3)).prop_map(|(h, cs, rs, c)| {
        json!({"type": if h { "tableHeader" } else { "tableCell" }, "attrs": {"colspan": cs, "rowspan": rs}, "content": c})
    });
    prop::collection::vec(prop::collection::vec(cell, 0..4), 1..4).prop_map(|rows| {
        json!({"type": "table", "content": rows.into_iter().map(|r| json!({"type": "tableRow", "content": r})).collect::<Vec<_>>()})
    })
}

fn doc() -> impl Strategy<Value = Value> {
    prop::collection::vec(block(), 0..6)
        .prop_map(|c| json!({"version": 1, "type": "doc", "content": c}))
}

// ------------------------------------------------------------ properties

proptest! {
    // `PROPTEST_CASES` raises the 512 cases for a longer hunt.
    #![proptest_config(crate::support::proptest_config(512))]

    #[test]
    fn arbitrary_json_never_panics(v in any_json()) {
        let a = adf_md::convert(&v, &adf_md::Options::new());
        let b = adf_md::convert(&v, &adf_md::Options::new().html(false).expand_style(adf_md::ExpandStyle::Plain));
        prop_assert!(!v.is_object() || a.markdown.is_empty() || a.markdown.ends_with('\n'));
        prop_assert_eq!(adf_md::convert(&v, &adf_md::Options::new()), a);
        drop(b);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,64}") {
        let _ = adf_md::to_markdown_str(&s);
    }

    #[test]
    fn schema_shaped_documents_keep_all_text(d in doc()) {
        let md = adf_md::to_markdown(&d);
        assert_text_preserved(&d, &md);
        prop_assert_eq!(adf_md::to_markdown(&d), md);
    }

    #[test]
    fn schema_shaped_documents_keep_text_without_html(d in doc()) {
        let opts = adf_md::Options::new().html(false).panel_style(adf_md::PanelStyle::Labelled);
        let md = adf_md::convert(&d, &opts).markdown;
        assert_text_preserved(&d, &md);
    }

    #[test]
    fn schema_shaped_documents_keep_text_with_every_alternative(d in doc(), flip in any::<bool>()) {
        let opts = adf_md::Options::new()
            .table_style(if flip { adf_md::TableStyle::Html } else { adf_md::TableStyle::Auto })
            .header_less_tables(adf_md::HeaderlessTables::PromoteFirstRow)
            .span_fill(adf_md::SpanFill::Repeat)
            .whitespace_mode(adf_md::WhitespaceMode::Exact)
            .underline(adf_md::MarkStyle::Html)
            .colors(adf_md::MarkStyle::Html)
            .subsup(adf_md::MarkStyle::Drop)
            .hard_break(if flip { adf_md::HardBreakStyle::TwoSpaces } else { adf_md::HardBreakStyle::Html })
            .media_resolver(|id, _, _| Some(format!("https://files.example/{id}")));
        let md = adf_md::convert(&d, &opts).markdown;
        assert_text_preserved(&d, &md);
    }

    #[test]
    fn emphasis_runs_survive(parts in prop::collection::vec((word(), prop::sample::subsequence(vec![0u8, 1, 2, 3, 4], 0..=3)), 1..10)) {
        check_marks(&parts, false);
    }

    #[test]
    fn emphasis_runs_survive_exact_whitespace(parts in prop::collection::vec((word(), prop::sample::subsequence(vec![0u8, 1, 2, 3, 4], 0..=3)), 1..10)) {
        check_marks(&parts, true);
    }
}

// ------------------------------------------------------------ mark fidelity

fn word() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a", "bc", "x y", " ", "\"q\"", "(", ")", ".", ",", "!", "*", "_", "é", "🎉", "1", "#",
        "-", "~", "[", "]", "\\",
    ]);
    // Whitespace-only link text is replaced by the URL by design, so parts
    // always carry a visible character.
    prop::collection::vec(atoms, 1..4)
        .prop_map(|v| v.concat())
        .prop_filter("visible", |s| !s.trim().is_empty())
}

const STRONG: u8 = 1;
const EM: u8 = 2;
const STRIKE: u8 = 4;
const CODE: u8 = 8;
const LINK: u8 = 16;

/// Renders one paragraph of marked text and checks, character by character
/// (whitespace aside, which may move outside a span), that a CommonMark+GFM
/// parser reads back exactly the marks of the input.
fn check_marks(parts: &[(String, Vec<u8>)], exact: bool) {
    let mut nodes = Vec::new();
    let mut expected: Vec<(char, u8)> = Vec::new();
    for (text, marks) in parts {
        let mut set = 0u8;
        let mut m = Vec::new();
        for k in marks {
            match k {
                0 => {
                    set |= STRONG;
                    m.push(json!({"type": "strong"}));
                }
                1 => {
                    set |= EM;
                    m.push(json!({"type": "em"}));
                }
                2 => {
                    set |= STRIKE;
                    m.push(json!({"type": "strike"}));
                }
                3 => {
                    set |= CODE;
                    m.push(json!({"type": "code"}));
                }
                _ => {
                    set |= LINK;
                    m.push(json!({"type": "link", "attrs": {"href": "https://e.com/l"}}));
                }
            }
        }
        nodes.push(json!({"type": "text", "text": text, "marks": m}));
        expected.extend(text.chars().map(|c| (c, set)));
    }
    let doc = json!({"type": "doc", "content": [{"type": "paragraph", "content": nodes}]});
    let mode = if exact {
        adf_md::WhitespaceMode::Exact
    } else {
        adf_md::WhitespaceMode::Hoist
    };
    let md = adf_md::convert(&doc, &adf_md::Options::new().whitespace_mode(mode)).markdown;

    let mut got: Vec<(char, u8)> = Vec::new();
    let mut state = [0i32; 5];
    let bit = |state: &[i32; 5]| -> u8 {
        let mut s = 0;
        for (i, b) in [STRONG, EM, STRIKE, CODE, LINK].into_iter().enumerate() {
            if state[i] > 0 {
                s |= b;
            }
        }
        s
    };
    for ev in Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_STRIKETHROUGH) {
        match ev {
            Event::Start(Tag::Strong) => state[0] += 1,
            Event::End(TagEnd::Strong) => state[0] -= 1,
            Event::Start(Tag::Emphasis) => state[1] += 1,
            Event::End(TagEnd::Emphasis) => state[1] -= 1,
            Event::Start(Tag::Strikethrough) => state[2] += 1,
            Event::End(TagEnd::Strikethrough) => state[2] -= 1,
            Event::Start(Tag::Link { .. }) => state[4] += 1,
            Event::End(TagEnd::Link) => state[4] -= 1,
            Event::InlineHtml(h) => match &*h {
                "<strong>" => state[0] += 1,
                "</strong>" => state[0] -= 1,
                "<em>" => state[1] += 1,
                "</em>" => state[1] -= 1,
                "<del>" => state[2] += 1,
                "</del>" => state[2] -= 1,
                other => panic!("unexpected inline HTML {other:?} in {md:?}"),
            },
            Event::Text(t) => got.extend(t.chars().map(|c| (c, bit(&state)))),
            Event::Code(t) => got.extend(t.chars().map(|c| (c, bit(&state) | CODE))),
            Event::SoftBreak | Event::HardBreak => got.push((' ', 0)),
            _ => {}
        }
    }
    let strip = |v: &[(char, u8)]| -> Vec<(char, u8)> {
        v.iter()
            .copied()
            .filter(|(c, _)| !c.is_whitespace())
            .collect()
    };
    let (e, g) = (strip(&expected), strip(&got));
    assert_eq!(
        e.iter().map(|x| x.0).collect::<String>(),
        g.iter().map(|x| x.0).collect::<String>(),
        "text differs\nmarkdown: {md:?}"
    );
    for (i, (a, b)) in e.iter().zip(&g).enumerate() {
        assert_eq!(
            a.1, b.1,
            "marks differ at char {i} {:?}\nmarkdown: {md:?}\ninput: {parts:?}",
            a.0
        );
    }
}
