//! Shared helpers: re-parsing Markdown with a CommonMark+GFM parser, and
//! collecting the text an ADF document holds.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

/// The parser configuration every test reads Markdown with: CommonMark plus
/// the GFM extensions the reference targets (tables, strikethrough, task
/// lists, alerts).
pub(crate) fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
}

/// Decodes the few entities our HTML contexts use.
fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Removes tags from an HTML fragment.
fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode(&out)
}

/// Collapses every whitespace run to one space and trims.
pub(crate) fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The plain text a CommonMark+GFM parser finds in `md` (text, code, alt
/// text, and the text inside HTML), whitespace-normalised.
pub(crate) fn plain_text(md: &str) -> String {
    let mut out = String::new();
    for ev in Parser::new_ext(md, parser_options()) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::Html(h) | Event::InlineHtml(h) => {
                out.push_str(&strip_tags(&h));
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::TableCell
                | TagEnd::Item
                | TagEnd::CodeBlock,
            ) => {
                out.push(' ');
            }
            _ => {}
        }
    }
    norm(&out)
}

/// Every `text` string of `text` nodes in an ADF value, in document order.
pub(crate) fn text_leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.get("type").and_then(Value::as_str) == Some("text")
                && let Some(Value::String(t)) = m.get("text")
            {
                out.push(t.clone());
            }
            if let Some(c) = m.get("content") {
                text_leaves(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| text_leaves(x, out)),
        _ => {}
    }
}

/// The pieces of a text leaf that must appear contiguously in the plain
/// text: one per line (line breaks become hard breaks), whitespace-normalised.
pub(crate) fn leaf_pieces(t: &str) -> Vec<String> {
    t.replace('\0', "\u{FFFD}")
        .split(['\n', '\r'])
        .map(norm)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Asserts that every text leaf of `adf` survives a re-parse of `md`.
pub(crate) fn assert_text_preserved(adf: &Value, md: &str) {
    let plain = plain_text(md);
    let mut leaves = Vec::new();
    text_leaves(adf, &mut leaves);
    for leaf in leaves {
        for piece in leaf_pieces(&leaf) {
            assert!(
                plain.contains(&piece),
                "text {piece:?} lost\n--- markdown ---\n{md}\n--- parsed plain text ---\n{plain}"
            );
        }
    }
}

/// A compact outline of what a CommonMark+GFM parser reads from `md`:
/// one line per block, inline marks as pseudo-tags. Snapshots include it so
/// a reviewer sees the structure, not only the bytes.
pub(crate) fn outline(md: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&"  ".repeat(depth));
    };
    for ev in Parser::new_ext(md, parser_options()) {
        match ev {
            Event::Start(tag) => {
                let block = match &tag {
                    Tag::Paragraph => Some("P".to_owned()),
                    Tag::Heading { level, .. } => Some(format!("{level:?}")),
                    Tag::BlockQuote(kind) => Some(format!(
                        "QUOTE{}",
                        kind.map(|k| format!("({k:?})")).unwrap_or_default()
                    )),
                    Tag::CodeBlock(CodeBlockKind::Fenced(l)) => Some(format!("CODE({l})")),
                    Tag::CodeBlock(CodeBlockKind::Indented) => Some("INDENTED-CODE".into()),
                    Tag::HtmlBlock => Some("HTML".into()),
                    Tag::List(Some(n)) => Some(format!("OL({n})")),
                    Tag::List(None) => Some("UL".into()),
                    Tag::Item => Some("LI".into()),
                    Tag::Table(_) => Some("TABLE".into()),
                    Tag::TableHead => Some("THEAD".into()),
                    Tag::TableRow => Some("TR".into()),
                    Tag::TableCell => Some("TD".into()),
                    _ => None,
                };
                if let Some(b) = block {
                    newline(&mut out, depth);
                    out.push_str(&b);
                    out.push_str(": ");
                    depth += 1;
                } else {
                    match tag {
                        Tag::Strong => out.push_str("<b>"),
                        Tag::Emphasis => out.push_str("<i>"),
                        Tag::Strikethrough => out.push_str("<s>"),
                        Tag::Superscript => out.push_str("<sup>"),
                        Tag::Subscript => out.push_str("<sub>"),
                        Tag::Link {
                            dest_url, title, ..
                        } => out.push_str(&format!(
                            "<a {:?}{}>",
                            &*dest_url,
                            if title.is_empty() {
                                String::new()
                            } else {
                                format!(" {:?}", &*title)
                            }
                        )),
                        Tag::Image { dest_url, .. } => {
                            out.push_str(&format!("<img {:?}>", &*dest_url))
                        }
                        _ => {}
                    }
                }
            }
            Event::End(end) => match end {
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::List(_)
                | TagEnd::Item
                | TagEnd::Table
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::TableCell => depth = depth.saturating_sub(1),
                TagEnd::Strong => out.push_str("</b>"),
                TagEnd::Emphasis => out.push_str("</i>"),
                TagEnd::Strikethrough => out.push_str("</s>"),
                TagEnd::Superscript => out.push_str("</sup>"),
                TagEnd::Subscript => out.push_str("</sub>"),
                TagEnd::Link => out.push_str("</a>"),
                TagEnd::Image => out.push_str("</img>"),
                _ => {}
            },
            Event::Text(t) => out.push_str(&t.replace('\n', "⏎")),
            Event::Code(t) => out.push_str(&format!("`{t}`")),
            Event::Html(h) | Event::InlineHtml(h) => {
                out.push_str(&format!("{{{}}}", h.trim_end().replace('\n', "⏎")))
            }
            Event::SoftBreak => out.push('␣'),
            Event::HardBreak => out.push('↵'),
            Event::Rule => {
                newline(&mut out, depth);
                out.push_str("RULE");
            }
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }
    out.push('\n');
    out
}

/// The property tests' configuration: `default` cases, or `PROPTEST_CASES`
/// for a longer hunt.
pub(crate) fn proptest_config(default: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(default),
        ..proptest::test_runner::Config::default()
    }
}
