//! Seeded Atlassian Document Format content. Descriptions use most of the
//! node and mark types a real site produces, so the ADF converter and the
//! normalizer meet them all in end-to-end tests.

use serde_json::{Value, json};

use crate::rng::Rng;

/// Who can be mentioned: (account id, display name).
pub(crate) type Mentionable<'a> = &'a [(String, &'a str)];

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn marked(t: &str, marks: Value) -> Value {
    json!({"type": "text", "text": t, "marks": marks})
}

fn para(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn uuid(r: &mut Rng) -> String {
    let a = r.next_u64();
    let b = r.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

const WORDS: [&str; 24] = [
    "the",
    "request",
    "fails",
    "when",
    "the",
    "token",
    "expires",
    "during",
    "a",
    "long",
    "export",
    "and",
    "retries",
    "do",
    "not",
    "back",
    "off",
    "so",
    "customers",
    "see",
    "timeouts",
    "after",
    "deploy",
    "again",
];

fn sentence(r: &mut Rng, lo: u64, hi: u64) -> String {
    let n = r.range(lo, hi);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[usize::try_from(r.below(WORDS.len() as u64)).unwrap_or(0)]);
    }
    s
}

/// A paragraph mixing plain text, marks and inline nodes.
fn rich_paragraph(r: &mut Rng, users: Mentionable<'_>) -> Value {
    let mut c = vec![text(&format!("{} ", capitalize(&sentence(r, 3, 8))))];
    let n = r.range(1, 3);
    for _ in 0..n {
        let node = match r.below(12) {
            0 => marked("important", json!([{"type": "strong"}])),
            1 => marked("maybe", json!([{"type": "em"}])),
            2 => marked("retry_after", json!([{"type": "code"}])),
            3 => marked(
                "runbook",
                json!([{"type": "link", "attrs": {"href": "https://example.com/runbook"}}]),
            ),
            4 => marked("old behaviour", json!([{"type": "strike"}])),
            5 => marked(
                "red",
                json!([{"type": "textColor", "attrs": {"color": "#ff5630"}}, {"type": "underline"}]),
            ),
            6 => {
                let (id, name) = &users[usize::try_from(r.below(users.len() as u64)).unwrap_or(0)];
                json!({"type": "mention", "attrs": {"id": id, "text": format!("@{name}"), "accessLevel": ""}})
            }
            7 => {
                json!({"type": "emoji", "attrs": {"shortName": ":thumbsup:", "id": "1f44d", "text": "👍"}})
            }
            8 => {
                json!({"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue", "localId": uuid(r), "style": ""}})
            }
            9 => {
                json!({"type": "date", "attrs": {"timestamp": (1_760_000_000_000u64 + r.below(40_000_000_000)).to_string()}})
            }
            10 => {
                json!({"type": "inlineCard", "attrs": {"url": "https://example.com/browse/ENG-1"}})
            }
            _ => json!({"type": "hardBreak"}),
        };
        c.push(node);
        c.push(text(" "));
    }
    c.push(marked(
        "H2O",
        json!([{"type": "subsup", "attrs": {"type": "sub"}}]),
    ));
    c.push(text("."));
    para(c)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn list(r: &mut Rng, ordered: bool, depth: u8) -> Value {
    let items: Vec<Value> = (0..r.range(2, 4))
        .map(|i| {
            let mut content = vec![para(vec![text(&capitalize(&sentence(r, 2, 6)))])];
            if depth == 0 && i == 0 && r.chance(0.5) {
                content.push(list(r, !ordered, 1));
            }
            json!({"type": "listItem", "content": content})
        })
        .collect();
    if ordered {
        json!({"type": "orderedList", "attrs": {"order": 1}, "content": items})
    } else {
        json!({"type": "bulletList", "content": items})
    }
}

fn table(r: &mut Rng) -> Value {
    let cell =
        |kind: &str, t: &str| json!({"type": kind, "attrs": {}, "content": [para(vec![text(t)])]});
    let mut rows = vec![
        json!({"type": "tableRow", "content": [cell("tableHeader", "Environment"), cell("tableHeader", "Result"), cell("tableHeader", "Notes")]}),
    ];
    for env in ["staging", "production"] {
        let res = if r.chance(0.5) { "pass" } else { "fail" };
        rows.push(json!({"type": "tableRow", "content": [cell("tableCell", env), cell("tableCell", res), cell("tableCell", "a | pipe")]}));
    }
    json!({"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default", "localId": uuid(r)}, "content": rows})
}

/// A description-sized document with most block types.
pub(crate) fn description(r: &mut Rng, users: Mentionable<'_>) -> Value {
    let mut blocks = vec![
        json!({"type": "heading", "attrs": {"level": 2}, "content": [text("Problem")]}),
        rich_paragraph(r, users),
    ];
    let n = r.range(2, 6);
    for _ in 0..n {
        let b = match r.below(11) {
            0 => list(r, false, 0),
            1 => list(r, true, 0),
            2 => {
                json!({"type": "codeBlock", "attrs": {"language": r.pick(&["rust", "json", "bash", "sql"])}, "content": [text("let retry = backoff.next();\nassert!(retry < cap);")]})
            }
            3 => {
                json!({"type": "blockquote", "content": [para(vec![text("Customers report this every Monday.")])]})
            }
            4 => {
                let kind = *r.pick(&["info", "note", "warning", "success", "error"]);
                json!({"type": "panel", "attrs": {"panelType": kind}, "content": [para(vec![text(&format!("{kind}: check the dashboards first"))])]})
            }
            5 => table(r),
            6 => json!({"type": "rule"}),
            7 => {
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [{"type": "media", "attrs": {"id": uuid(r), "type": "file", "collection": "", "width": 640, "height": 480, "alt": "screenshot.png"}}]})
            }
            8 => {
                json!({"type": "expand", "attrs": {"title": "Stack trace"}, "content": [{"type": "codeBlock", "attrs": {}, "content": [text("panicked at src/main.rs:42:5")]}]})
            }
            9 => json!({"type": "taskList", "attrs": {"localId": uuid(r)}, "content": [
                {"type": "taskItem", "attrs": {"localId": uuid(r), "state": "DONE"}, "content": [text("Reproduce")]},
                {"type": "taskItem", "attrs": {"localId": uuid(r), "state": "TODO"}, "content": [text("Fix and add a test")]}
            ]}),
            _ => {
                json!({"type": "heading", "attrs": {"level": r.range(3, 4)}, "content": [text("Notes")]})
            }
        };
        blocks.push(b);
        if r.chance(0.5) {
            blocks.push(rich_paragraph(r, users));
        }
    }
    json!({"type": "doc", "version": 1, "content": blocks})
}

/// A shorter document for comments and the textarea custom field.
pub(crate) fn short(r: &mut Rng, users: Mentionable<'_>) -> Value {
    let mut blocks = vec![rich_paragraph(r, users)];
    match r.below(4) {
        0 => blocks.push(list(r, false, 1)),
        1 => blocks.push(json!({"type": "codeBlock", "attrs": {"language": "json"}, "content": [text("{\"status\": 503}")]})),
        _ => {}
    }
    json!({"type": "doc", "version": 1, "content": blocks})
}

/// A plain-text document, as the control API builds for test edits.
pub(crate) fn plain(t: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [para(vec![text(t)])]})
}

/// Renders ADF as Jira wiki markup, which `/rest/api/2` returns for rich
/// text. Covers the nodes this module generates; unknown nodes keep their text.
///
/// Data Center (`dc`) mentions users by name (`[~alovelace]`) where Cloud
/// uses `[~accountid:...]`, and its text has the CRLF line ends of the
/// browser forms it was typed into.
pub(crate) fn to_wiki(doc: &Value, dc: bool) -> String {
    let mut out = String::new();
    block(doc, &mut out, "", dc);
    let wiki = out.trim_end();
    if dc {
        wiki.replace('\n', "\r\n")
    } else {
        wiki.to_owned()
    }
}

fn children(v: &Value) -> &[Value] {
    v.get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn inline(v: &Value, out: &mut String, dc: bool) {
    for c in children(v) {
        match c["type"].as_str().unwrap_or_default() {
            "text" => {
                let mut t = c["text"].as_str().unwrap_or_default().to_owned();
                for m in c
                    .get("marks")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice)
                {
                    t = match m["type"].as_str().unwrap_or_default() {
                        "strong" => format!("*{t}*"),
                        "em" => format!("_{t}_"),
                        "code" => format!("{{{{{t}}}}}"),
                        "strike" => format!("-{t}-"),
                        "underline" => format!("+{t}+"),
                        "link" => {
                            format!("[{t}|{}]", m["attrs"]["href"].as_str().unwrap_or_default())
                        }
                        "textColor" => format!(
                            "{{color:{}}}{t}{{color}}",
                            m["attrs"]["color"].as_str().unwrap_or_default()
                        ),
                        "subsup" => {
                            if m["attrs"]["type"] == "sub" {
                                format!("~{t}~")
                            } else {
                                format!("^{t}^")
                            }
                        }
                        _ => t,
                    };
                }
                out.push_str(&t);
            }
            "hardBreak" => out.push_str("\\\\\n"),
            "mention" => {
                let id = c["attrs"]["id"].as_str().unwrap_or_default();
                if dc {
                    out.push_str(&format!("[~{id}]"));
                } else {
                    out.push_str(&format!("[~accountid:{id}]"));
                }
            }
            "emoji" => out.push_str(c["attrs"]["shortName"].as_str().unwrap_or_default()),
            "status" => out.push_str(&format!(
                "*[{}]*",
                c["attrs"]["text"].as_str().unwrap_or_default()
            )),
            "date" => out.push_str(c["attrs"]["timestamp"].as_str().unwrap_or_default()),
            "inlineCard" => {
                let url = c["attrs"]["url"].as_str().unwrap_or_default();
                // Smart links are Cloud's; Data Center has plain links.
                if dc {
                    out.push_str(&format!("[{url}]"));
                } else {
                    out.push_str(&format!("[{url}|{url}|smart-link]"));
                }
            }
            _ => inline(c, out, dc),
        }
    }
}

fn block(v: &Value, out: &mut String, bullet: &str, dc: bool) {
    for c in children(v) {
        match c["type"].as_str().unwrap_or_default() {
            "paragraph" => {
                inline(c, out, dc);
                out.push_str("\n\n");
            }
            "heading" => {
                out.push_str(&format!("h{}. ", c["attrs"]["level"].as_u64().unwrap_or(1)));
                inline(c, out, dc);
                out.push_str("\n\n");
            }
            "bulletList" | "orderedList" => {
                let mark = if c["type"] == "bulletList" { '*' } else { '#' };
                let prefix = format!("{bullet}{mark}");
                for item in children(c) {
                    for (n, part) in children(item).iter().enumerate() {
                        if part["type"] == "paragraph" {
                            out.push_str(&prefix);
                            out.push(' ');
                            inline(part, out, dc);
                            out.push('\n');
                        } else {
                            let wrapper = serde_json::json!({"content": [part]});
                            block(&wrapper, out, &prefix, dc);
                        }
                        let _ = n;
                    }
                }
                if bullet.is_empty() {
                    out.push('\n');
                }
            }
            "codeBlock" => {
                match c["attrs"]["language"].as_str() {
                    Some(l) => out.push_str(&format!("{{code:{l}}}")),
                    None => out.push_str("{code}"),
                }
                inline(c, out, dc);
                out.push_str("{code}\n\n");
            }
            "blockquote" => {
                out.push_str("{quote}");
                let mut inner = String::new();
                block(c, &mut inner, "", dc);
                out.push_str(inner.trim_end());
                out.push_str("{quote}\n\n");
            }
            "panel" | "expand" => {
                let title = c["attrs"]["title"]
                    .as_str()
                    .map(|t| format!(":title={t}"))
                    .unwrap_or_default();
                out.push_str(&format!("{{panel{title}}}"));
                let mut inner = String::new();
                block(c, &mut inner, "", dc);
                out.push_str(inner.trim_end());
                out.push_str("{panel}\n\n");
            }
            "table" => {
                for row in children(c) {
                    for cell in children(row) {
                        let sep = if cell["type"] == "tableHeader" {
                            "||"
                        } else {
                            "|"
                        };
                        out.push_str(sep);
                        let mut inner = String::new();
                        block(cell, &mut inner, "", dc);
                        out.push_str(inner.trim().replace('|', "\\|").as_str());
                    }
                    out.push_str(
                        if children(row)
                            .first()
                            .is_some_and(|x| x["type"] == "tableHeader")
                        {
                            "||\n"
                        } else {
                            "|\n"
                        },
                    );
                }
                out.push('\n');
            }
            "rule" => out.push_str("----\n\n"),
            "mediaSingle" => {
                for m in children(c) {
                    out.push_str(&format!(
                        "!{}|thumbnail!\n\n",
                        m["attrs"]["alt"].as_str().unwrap_or("attachment")
                    ));
                }
            }
            "taskList" => {
                for t in children(c) {
                    let done = t["attrs"]["state"] == "DONE";
                    out.push_str(if done { "* (/) " } else { "* (x) " });
                    inline(t, out, dc);
                    out.push('\n');
                }
                out.push('\n');
            }
            _ => {
                inline(c, out, dc);
                out.push_str("\n\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_types(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        if let Some(t) = v.get("type").and_then(Value::as_str) {
            out.insert(t.to_owned());
        }
        for key in ["content", "marks"] {
            if let Some(items) = v.get(key).and_then(Value::as_array) {
                items.iter().for_each(|c| node_types(c, out));
            }
        }
    }

    #[test]
    fn descriptions_cover_many_node_types() {
        let users = vec![("abc".to_owned(), "Ada")];
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..300 {
            node_types(&description(&mut Rng::derive(9, i, 0), &users), &mut seen);
        }
        for t in [
            "doc",
            "heading",
            "paragraph",
            "text",
            "bulletList",
            "orderedList",
            "listItem",
            "codeBlock",
            "blockquote",
            "panel",
            "table",
            "tableRow",
            "tableHeader",
            "tableCell",
            "rule",
            "mediaSingle",
            "media",
            "expand",
            "taskList",
            "taskItem",
            "mention",
            "emoji",
            "status",
            "date",
            "inlineCard",
            "hardBreak",
            "strong",
            "em",
            "code",
            "link",
            "strike",
            "textColor",
            "underline",
            "subsup",
        ] {
            assert!(seen.contains(t), "missing {t}");
        }
        assert_eq!(
            description(&mut Rng::derive(9, 1, 0), &users),
            description(&mut Rng::derive(9, 1, 0), &users)
        );
    }
}

#[cfg(test)]
mod wiki_tests {
    use super::*;

    #[test]
    fn wiki_markup_rendering() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [text("Problem")]},
            para(vec![text("see "), marked("this", json!([{"type": "strong"}])), text(" and "), marked("x", json!([{"type": "code"}]))]),
            {"type": "bulletList", "content": [{"type": "listItem", "content": [para(vec![text("one")]),
                {"type": "orderedList", "content": [{"type": "listItem", "content": [para(vec![text("inner")])]}]}]}]},
            {"type": "codeBlock", "attrs": {"language": "rust"}, "content": [text("fn main() {}")]},
            {"type": "table", "content": [{"type": "tableRow", "content": [{"type": "tableHeader", "content": [para(vec![text("h")])]}]},
                {"type": "tableRow", "content": [{"type": "tableCell", "content": [para(vec![text("a | b")])]}]}]}
        ]});
        assert_eq!(
            to_wiki(&doc, false),
            "h2. Problem\n\nsee *this* and {{x}}\n\n* one\n*# inner\n\n{code:rust}fn main() {}{code}\n\n||h||\n|a \\| b|"
        );
    }

    #[test]
    fn every_generated_description_converts_without_losing_text() {
        let users = vec![("abc".to_owned(), "Ada")];
        for i in 0..200 {
            let d = description(&mut Rng::derive(3, i, 0), &users);
            let w = to_wiki(&d, false);
            assert!(w.starts_with("h2. Problem"), "{w}");
            assert!(!w.contains("\"type\""));
        }
    }
}
