//! Hand-made hard cases, each checked by the structural oracle
//! (`oracle.rs`): the corners of the rendering reference (§2-§5 and the
//! traps of §7) where a converter typically breaks the parse. Cases that
//! fail because of open converter bugs are listed apart in
//! [`known_bugs`], with the bug, and run by a test that is ignored while
//! any is listed (none is at present).

use serde_json::{Value, json};

use crate::oracle::check;

// ---------------------------------------------------------- ADF builders

fn doc(content: Vec<Value>) -> Value {
    json!({"version": 1, "type": "doc", "content": content})
}

fn text(s: &str, marks: &[Value]) -> Value {
    if marks.is_empty() {
        json!({"type": "text", "text": s})
    } else {
        json!({"type": "text", "text": s, "marks": marks})
    }
}

fn t(s: &str) -> Value {
    text(s, &[])
}

fn mark(name: &str) -> Value {
    json!({"type": name})
}

fn strong() -> Value {
    mark("strong")
}

fn em() -> Value {
    mark("em")
}

fn strike() -> Value {
    mark("strike")
}

fn code_mark() -> Value {
    mark("code")
}

fn sub() -> Value {
    json!({"type": "subsup", "attrs": {"type": "sub"}})
}

fn link(href: &str) -> Value {
    json!({"type": "link", "attrs": {"href": href}})
}

fn link_titled(href: &str, title: &str) -> Value {
    json!({"type": "link", "attrs": {"href": href, "title": title}})
}

fn br() -> Value {
    json!({"type": "hardBreak"})
}

fn p(inline: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": inline})
}

/// A paragraph of one plain text node.
fn pt(s: &str) -> Value {
    p(vec![t(s)])
}

fn h(level: u32, inline: Vec<Value>) -> Value {
    json!({"type": "heading", "attrs": {"level": level}, "content": inline})
}

fn li(blocks: Vec<Value>) -> Value {
    json!({"type": "listItem", "content": blocks})
}

fn ul(items: Vec<Value>) -> Value {
    json!({"type": "bulletList", "content": items})
}

fn ol(order: Value, items: Vec<Value>) -> Value {
    json!({"type": "orderedList", "attrs": {"order": order}, "content": items})
}

/// `n` list items `item 1` … `item n`.
fn numbered(n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| li(vec![pt(&format!("item {i}"))]))
        .collect()
}

fn task(state: &str, inline: Vec<Value>) -> Value {
    json!({"type": "taskItem", "attrs": {"localId": "t", "state": state}, "content": inline})
}

fn tasks(items: Vec<Value>) -> Value {
    json!({"type": "taskList", "attrs": {"localId": "l"}, "content": items})
}

fn decision(state: &str, inline: Vec<Value>) -> Value {
    json!({"type": "decisionList", "attrs": {"localId": "dl"}, "content": [
        {"type": "decisionItem", "attrs": {"localId": "d", "state": state}, "content": inline}]})
}

fn code(lang: &str, body: &str) -> Value {
    json!({"type": "codeBlock", "attrs": {"language": lang}, "content": [{"type": "text", "text": body}]})
}

fn quote(blocks: Vec<Value>) -> Value {
    json!({"type": "blockquote", "content": blocks})
}

fn panel(kind: &str, blocks: Vec<Value>) -> Value {
    json!({"type": "panel", "attrs": {"panelType": kind}, "content": blocks})
}

fn expand(title: &str, blocks: Vec<Value>) -> Value {
    json!({"type": "expand", "attrs": {"title": title}, "content": blocks})
}

fn table(rows: Vec<Vec<Value>>) -> Value {
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|cells| json!({"type": "tableRow", "content": cells}))
        .collect();
    json!({"type": "table", "content": rows})
}

fn td(blocks: Vec<Value>) -> Value {
    json!({"type": "tableCell", "content": blocks})
}

fn th(blocks: Vec<Value>) -> Value {
    json!({"type": "tableHeader", "content": blocks})
}

fn td_span(colspan: u32, rowspan: u32, blocks: Vec<Value>) -> Value {
    json!({"type": "tableCell", "attrs": {"colspan": colspan, "rowspan": rowspan}, "content": blocks})
}

fn layout(columns: Vec<Vec<Value>>) -> Value {
    let cols: Vec<Value> = columns
        .into_iter()
        .map(|c| json!({"type": "layoutColumn", "attrs": {"width": 50}, "content": c}))
        .collect();
    json!({"type": "layoutSection", "content": cols})
}

// ----------------------------------------------------------------- cases

/// Cases the converter gets right today.
fn cases() -> Vec<(&'static str, Value)> {
    let lists = |a: Value, b: Value| doc(vec![a, b]);
    vec![
        // Emphasis next to punctuation and whitespace (§3.2 steps 3-4, §5).
        (
            "strong between letters around quotes",
            doc(vec![p(vec![t("a"), text("\"b\"", &[strong()]), t("c")])]),
        ),
        (
            "em between letters around parens",
            doc(vec![p(vec![t("x"), text("(y)", &[em()]), t("z")])]),
        ),
        (
            "strike between letters around punctuation",
            doc(vec![p(vec![t("x"), text("!y!", &[strike()]), t("z")])]),
        ),
        (
            "strong of a lone asterisk between letters",
            doc(vec![p(vec![t("a"), text("*", &[strong()]), t("b")])]),
        ),
        (
            "marks split across nodes with edge whitespace",
            doc(vec![p(vec![
                text("bold ", &[strong()]),
                text(" both ", &[strong(), em()]),
                text(" em", &[em()]),
                t(" after"),
            ])]),
        ),
        (
            "same mark set in another order is one run",
            doc(vec![p(vec![
                text("emstrong", &[em(), strong()]),
                text("strongem", &[strong(), em()]),
            ])]),
        ),
        (
            "strong over two nodes, one also em",
            doc(vec![p(vec![
                text("a", &[strong()]),
                text("b", &[strong(), em()]),
            ])]),
        ),
        (
            "intraword em next to snake_case",
            doc(vec![p(vec![
                t("snake_"),
                text("case", &[em()]),
                t("_word"),
            ])]),
        ),
        (
            "em inside a word of strong",
            doc(vec![p(vec![
                text("a", &[em()]),
                text("b", &[em(), strong()]),
                text("c", &[em()]),
            ])]),
        ),
        (
            "emphasis across a hard break",
            doc(vec![p(vec![
                text("a", &[strong()]),
                br(),
                text("b", &[strong()]),
            ])]),
        ),
        (
            "strong text ending in a backslash",
            doc(vec![p(vec![text("ends with \\", &[strong()]), t(" next")])]),
        ),
        (
            "strong text ending in backslash and space",
            doc(vec![p(vec![text("x\\ ", &[strong()]), t("y")])]),
        ),
        (
            "emphasis of delimiter characters",
            doc(vec![p(vec![
                text("**", &[strong()]),
                text("*", &[strong(), em()]),
                text("~~", &[strike()]),
                text("_", &[em()]),
            ])]),
        ),
        (
            "em around a subscript between letters",
            doc(vec![p(vec![t("H"), text("2", &[em(), sub()]), t("O")])]),
        ),
        (
            "whitespace-only span loses its marks",
            doc(vec![p(vec![t("a"), text("   ", &[strong()]), t("b")])]),
        ),
        (
            "status next to bold text",
            doc(vec![p(vec![
                text("bold", &[strong()]),
                json!({"type": "status", "attrs": {"text": "IN PROGRESS", "color": "blue"}}),
                t(" after"),
            ])]),
        ),
        (
            "status with brackets and stars",
            doc(vec![p(vec![
                t("state "),
                json!({"type": "status", "attrs": {"text": "a]*b[", "color": "red"}}),
            ])]),
        ),
        // Code spans (§3.1, §4.5).
        (
            "code spans with backticks and padding",
            doc(vec![p(vec![
                text("use `npm` here", &[code_mark()]),
                t(" and "),
                text("``", &[code_mark()]),
                t(" and "),
                text(" padded ", &[code_mark()]),
                t(" and "),
                text("`edge", &[code_mark()]),
            ])]),
        ),
        (
            "code spans split across nodes merge",
            doc(vec![p(vec![
                text("split ", &[code_mark()]),
                text("code", &[code_mark()]),
            ])]),
        ),
        (
            "code inside strong (off-schema)",
            doc(vec![p(vec![
                t("run "),
                text("npm i", &[strong(), code_mark()]),
                t(" now"),
            ])]),
        ),
        (
            "code inside a link",
            doc(vec![p(vec![text(
                "docs|x",
                &[code_mark(), link("https://e.com/d")],
            )])]),
        ),
        (
            "code with a newline is one line",
            doc(vec![p(vec![text("a\nb", &[code_mark()])])]),
        ),
        // Links (§4.4, §7).
        (
            "link text with brackets, href with space and parens",
            doc(vec![p(vec![text(
                "see [docs] ]x[",
                &[link("https://e.com/a b(c)")],
            )])]),
        ),
        (
            "link with unbalanced paren and quoted title",
            doc(vec![p(vec![text(
                "t",
                &[link_titled("https://e.com/x)y", "Tip \"quoted\" | pipe")],
            )])]),
        ),
        (
            "link with angle brackets in href",
            doc(vec![p(vec![text("rel", &[link("/q?a=<b>&c")])])]),
        ),
        (
            "bang before a link is not an image",
            doc(vec![p(vec![
                t("wow!"),
                text("link", &[link("https://e.com")]),
            ])]),
        ),
        (
            "adjacent links with different titles",
            doc(vec![p(vec![
                text("one", &[link_titled("https://e.com", "a")]),
                text("two", &[link_titled("https://e.com", "b")]),
            ])]),
        ),
        (
            "link over strong and plain nodes",
            doc(vec![p(vec![
                text("the [docs] page", &[link("https://e.com/u")]),
                text(" right now", &[link("https://e.com/u"), strong()]),
            ])]),
        ),
        (
            "link text equal to its href",
            doc(vec![p(vec![text(
                "https://e.com/x_y",
                &[link("https://e.com/x_y")],
            )])]),
        ),
        (
            "link interrupted by a hard break",
            doc(vec![p(vec![
                text("a", &[link("https://e.com")]),
                br(),
                text("b", &[link("https://e.com")]),
            ])]),
        ),
        (
            "whitespace-only link between words shows its href",
            doc(vec![p(vec![
                t("a "),
                text(" ", &[link("https://e.com/x")]),
                t("b"),
            ])]),
        ),
        (
            "link text looking like a reference definition",
            doc(vec![p(vec![text("[foo]: /url", &[link("https://e.com")])])]),
        ),
        // Escaping at line starts (§4.2), in paragraphs and after breaks.
        ("year with a period", doc(vec![pt("1986. A great year")])),
        (
            "ordered-list lookalikes",
            doc(vec![
                pt("1) paren"),
                pt("10. ten"),
                pt("0. zero"),
                pt("123456789. big"),
            ]),
        ),
        (
            "bullet lookalikes",
            doc(vec![
                pt("- dash"),
                pt("+ plus"),
                pt("* star"),
                pt("-"),
                pt("*"),
            ]),
        ),
        (
            "heading lookalikes",
            doc(vec![
                pt("# h"),
                pt("###### six"),
                pt("####### seven"),
                pt("#"),
                pt("#hashtag"),
            ]),
        ),
        (
            "quote and fence lookalikes",
            doc(vec![pt("> q"), pt("```js"), pt("~~~"), pt("``` x ```")]),
        ),
        (
            "thematic break lookalikes",
            doc(vec![
                pt("***"),
                pt("---"),
                pt("___"),
                pt("- - -"),
                pt("* * *"),
                pt("_ _ _"),
            ]),
        ),
        (
            "html block lookalikes",
            doc(vec![
                pt("<div>html</div>"),
                pt("<!-- c -->"),
                pt("<?php"),
                pt("<!DOCTYPE x>"),
                pt("</p>"),
            ]),
        ),
        (
            "autolink and entity lookalikes",
            doc(vec![pt(
                "<http://x.y> <a@b.c> &amp; &#35; &copy; &#x41; AT&T",
            )]),
        ),
        (
            "reference definition lookalike",
            doc(vec![pt("[foo]: /url \"title\"")]),
        ),
        (
            "alert lookalike in a quote",
            doc(vec![quote(vec![pt("[!NOTE]"), pt("body")])]),
        ),
        (
            "leading spaces and tabs",
            doc(vec![
                pt("    four spaces"),
                pt("\ttab"),
                pt("  two"),
                pt("\u{a0}nbsp lead"),
            ]),
        ),
        (
            "setext lookalikes after hard breaks",
            doc(vec![
                p(vec![t("line"), br(), t("===")]),
                p(vec![t("line"), br(), t("---")]),
                p(vec![t("line"), br(), t("- item")]),
                p(vec![t("line"), br(), t("    code?")]),
                p(vec![t("line"), br(), t("# h")]),
                p(vec![t("line"), br(), t("1. one")]),
            ]),
        ),
        (
            "setext lookalikes after literal newlines",
            doc(vec![
                pt("line\n==="),
                pt("line\r\n---"),
                pt("a\n> b\n```\nc"),
            ]),
        ),
        (
            "table lookalike after a hard break",
            doc(vec![p(vec![
                t("a | b"),
                br(),
                t("--- | ---"),
                br(),
                t("c | d"),
            ])]),
        ),
        (
            "hard breaks at paragraph edges",
            doc(vec![
                p(vec![br(), t("middle"), br()]),
                p(vec![br(), br()]),
                p(vec![t("a"), br(), br(), t("b")]),
            ]),
        ),
        (
            "text that ends a line with a backslash",
            doc(vec![p(vec![t("path C:\\"), br(), t("next \\")])]),
        ),
        (
            "tildes near text",
            doc(vec![pt("~5 min, a ~ b, ~~struck~~, x~y")]),
        ),
        (
            "underscores near words",
            doc(vec![pt("_under_ snake_case __init__ x_ _y")]),
        ),
        (
            "unicode whitespace and punctuation",
            doc(vec![pt(
                "«quoted» — done… ¡sí! \u{3000}ideographic\u{2003}em nbsp\u{a0}kept",
            )]),
        ),
        (
            "non-BMP and RTL text",
            doc(vec![p(vec![
                text("𝔘𝔫𝔦", &[strong()]),
                t(" שלום "),
                text("🎉", &[em()]),
            ])]),
        ),
        // Headings (§2.2).
        (
            "headings ending in hashes",
            doc(vec![
                h(2, vec![t("Total #")]),
                h(3, vec![t("C#")]),
                h(1, vec![t("###")]),
                h(2, vec![t("a ##")]),
            ]),
        ),
        (
            "heading with hard breaks",
            doc(vec![h(2, vec![br(), t("a"), br(), t("b"), br()])]),
        ),
        (
            "heading that looks like other blocks",
            doc(vec![
                h(1, vec![t("- item")]),
                h(2, vec![t("1. one")]),
                h(3, vec![t("> q")]),
            ]),
        ),
        (
            "heading with marks and a link",
            doc(vec![h(
                2,
                vec![
                    text("bold", &[strong()]),
                    t(" "),
                    text("link", &[link("https://e.com")]),
                ],
            )]),
        ),
        (
            "empty headings and paragraphs",
            doc(vec![
                h(2, vec![]),
                pt("kept"),
                p(vec![]),
                h(3, vec![t("  ")]),
            ]),
        ),
        // Lists (§2.3).
        ("ordered list from 0", doc(vec![ol(json!(0), numbered(2))])),
        (
            "ordered list from 10",
            doc(vec![ol(json!(10), numbered(3))]),
        ),
        (
            "ordered list from 99 crosses a marker width",
            doc(vec![ol(
                json!(99),
                vec![
                    li(vec![pt("99")]),
                    li(vec![
                        pt("100"),
                        ul(vec![li(vec![pt("child of 100")])]),
                        code("", "x\n"),
                    ]),
                    li(vec![pt("101")]),
                ],
            )]),
        ),
        (
            "items 9 to 10 with nested children",
            doc(vec![ol(json!(1), {
                let mut items = numbered(9);
                items.push(li(vec![
                    pt("ten"),
                    ul(vec![li(vec![pt("child of ten")])]),
                    code("sh", "echo\n"),
                ]));
                items.push(li(vec![pt("eleven"), pt("second paragraph")]));
                items
            })]),
        ),
        (
            "fractional order is floored",
            doc(vec![ol(json!(2.7), numbered(2))]),
        ),
        (
            "adjacent bullet lists",
            lists(ul(numbered(1)), ul(numbered(1))),
        ),
        (
            "adjacent ordered lists",
            lists(ol(json!(1), numbered(1)), ol(json!(1), numbered(1))),
        ),
        (
            "bullet list then task list",
            lists(ul(numbered(1)), tasks(vec![task("TODO", vec![t("task")])])),
        ),
        (
            "task list then decision list",
            lists(
                tasks(vec![task("DONE", vec![t("task")])]),
                decision("DECIDED", vec![t("d")]),
            ),
        ),
        (
            "media group then bullet list",
            lists(
                json!({"type": "mediaGroup", "content": [{"type": "media", "attrs": {"type": "file", "id": "f", "collection": "c", "alt": "a.pdf"}}]}),
                ul(numbered(1)),
            ),
        ),
        (
            "lists separated by an empty paragraph",
            doc(vec![ul(numbered(1)), p(vec![]), ul(numbered(1))]),
        ),
        (
            "three adjacent bullet lists",
            doc(vec![ul(numbered(1)), ul(numbered(1)), ul(numbered(1))]),
        ),
        (
            "item starting with a code block",
            doc(vec![ul(vec![li(vec![code(
                "rust",
                "let x = 1;\n\n// blank above\n",
            )])])]),
        ),
        (
            "item starting with a nested list",
            doc(vec![ul(vec![li(vec![ul(vec![li(vec![pt(
                "nested first",
            )])])])])]),
        ),
        (
            "empty items",
            doc(vec![ul(vec![
                li(vec![p(vec![])]),
                li(vec![pt("b")]),
                li(vec![p(vec![])]),
            ])]),
        ),
        (
            "loose item with two paragraphs",
            doc(vec![ul(vec![
                li(vec![pt("para one"), pt("para two")]),
                li(vec![pt("tight")]),
            ])]),
        ),
        (
            "nested ordered list from 3 under a paragraph",
            doc(vec![ul(vec![li(vec![
                pt("intro"),
                ol(json!(3), numbered(1)),
            ])])]),
        ),
        (
            "nested list with an empty first item",
            doc(vec![ul(vec![li(vec![
                pt("a"),
                ul(vec![li(vec![p(vec![])]), li(vec![pt("b")])]),
            ])])]),
        ),
        (
            "item text with block syntax",
            doc(vec![ul(vec![
                li(vec![pt("# foo")]),
                li(vec![pt("1. num")]),
                li(vec![pt("[ ] not a task")]),
                li(vec![pt("> q")]),
                li(vec![pt("---")]),
                li(vec![pt("    four")]),
            ])]),
        ),
        (
            "hard breaks in an item",
            doc(vec![ol(
                json!(1),
                vec![li(vec![p(vec![
                    t("a"),
                    br(),
                    t("- x"),
                    br(),
                    t("    code?"),
                    br(),
                    t("1. y"),
                ])])],
            )]),
        ),
        (
            "list inside a quote",
            doc(vec![quote(vec![
                pt("q"),
                ol(json!(5), numbered(2)),
                code("", "in quote\n\nblank\n"),
            ])]),
        ),
        (
            "quote inside a list item (off-schema)",
            doc(vec![ul(vec![li(vec![
                pt("item"),
                quote(vec![pt("quoted"), ul(numbered(2))]),
            ])])]),
        ),
        (
            "deep nesting",
            doc(vec![(0..8).fold(pt("leaf"), |inner, i| {
                ul(vec![li(vec![pt(&format!("level {i}")), inner])])
            })]),
        ),
        (
            "task list nested under an item and first",
            doc(vec![tasks(vec![
                tasks(vec![task("DONE", vec![t("nested first")])]),
                task("TODO", vec![t("open")]),
                tasks(vec![task("TODO", vec![t("child")])]),
                task("DONE", vec![t("[x] fake")]),
            ])]),
        ),
        (
            "block task item with two paragraphs",
            doc(vec![tasks(vec![
                task("TODO", vec![t("a")]),
                json!({"type": "blockTaskItem", "attrs": {"localId": "b", "state": "DONE"}, "content": [pt("first"), pt("second")]}),
            ])]),
        ),
        (
            "task item with leading break and empty item",
            doc(vec![tasks(vec![
                task("TODO", vec![br(), t("x")]),
                task("DONE", vec![]),
            ])]),
        ),
        (
            "decisions decided and not",
            doc(vec![
                decision("DECIDED", vec![t("ship")]),
                decision("UNDECIDED", vec![text("maybe", &[strong()])]),
            ]),
        ),
        // Code blocks (§2.2, §4.5).
        (
            "code block holding fences",
            doc(vec![
                code("markdown", "```\nnested\n```\n````\n"),
                code("", "~~~\nx\n~~~"),
            ]),
        ),
        (
            "code block without final newline, empty, blank",
            doc(vec![
                code("js", "let a = 1;"),
                json!({"type": "codeBlock", "content": []}),
                code("", "\n\n"),
            ]),
        ),
        (
            "code block with tabs, CRLF and spaces",
            doc(vec![code(
                "python",
                "\tdef f():\r\n\t\treturn 1\r\n    x\n",
            )]),
        ),
        (
            "code block languages",
            doc(vec![
                code(" rust ", "a\n"),
                code("a`b", "b\n"),
                code("c++ x", "c\n"),
            ]),
        ),
        (
            "code block in a list item with blank lines and tabs",
            doc(vec![ol(
                json!(9),
                vec![
                    li(vec![pt("nine")]),
                    li(vec![pt("ten"), code("", "\tindented\n\n    four\nend")]),
                ],
            )]),
        ),
        // Tables (§2.5, §4.3).
        (
            "pipes, backslashes and newlines in cells",
            doc(vec![table(vec![
                vec![
                    th(vec![pt("a | b")]),
                    th(vec![p(vec![text("x|y", &[code_mark()])])]),
                ],
                vec![td(vec![pt("line\nbreak")]), td(vec![pt("back\\|slash \\")])],
            ])]),
        ),
        (
            "empty and whitespace cells",
            doc(vec![table(vec![vec![
                td(vec![p(vec![])]),
                td(vec![pt("  ")]),
                td(vec![pt("x")]),
            ]])]),
        ),
        (
            "header-less table with ragged rows",
            doc(vec![table(vec![
                vec![td(vec![pt("a")])],
                vec![td(vec![pt("b")]), td(vec![pt("c")])],
            ])]),
        ),
        (
            "mixed first row is not a header",
            doc(vec![table(vec![
                vec![th(vec![pt("h")]), td(vec![pt("c")])],
                vec![td(vec![pt("d")]), td(vec![pt("e")])],
            ])]),
        ),
        (
            "rowspan and colspan keep columns",
            doc(vec![table(vec![
                vec![th(vec![pt("wide")]), th(vec![pt("c")])],
                vec![
                    td_span(1, 2, vec![pt("tall")]),
                    td(vec![pt("b1")]),
                    td(vec![pt("c1")]),
                ],
                vec![td(vec![pt("b2")]), td(vec![pt("c2")])],
                vec![td_span(3, 1, vec![pt("all three")])],
            ])]),
        ),
        (
            "rowspan past the last row",
            doc(vec![table(vec![
                vec![td_span(1, 5, vec![pt("a")]), td(vec![pt("b")])],
                vec![td(vec![pt("c")])],
            ])]),
        ),
        (
            "block content in cells",
            doc(vec![table(vec![vec![td(vec![
                h(2, vec![t("heading")]),
                ul(vec![
                    li(vec![pt("one"), ol(json!(3), numbered(2))]),
                    li(vec![pt("two")]),
                ]),
                code("", "line 1\nline | 2\n`tick`"),
                json!({"type": "rule"}),
                pt("after rule"),
                tasks(vec![
                    task("DONE", vec![t("done")]),
                    tasks(vec![task("TODO", vec![t("nested")])]),
                ]),
                decision("DECIDED", vec![t("ship")]),
                panel("warning", vec![pt("careful")]),
                quote(vec![pt("quoted")]),
                json!({"type": "nestedExpand", "attrs": {"title": "More"}, "content": [pt("hidden")]}),
                json!({"type": "nestedExpand", "attrs": {"title": ""}, "content": [pt("untitled")]}),
            ])]])]),
        ),
        (
            "hard breaks at cell edges",
            doc(vec![table(vec![vec![td(vec![p(vec![
                br(),
                t("a"),
                br(),
                t("b"),
                br(),
            ])])]])]),
        ),
        (
            "literal <br> and NBSP at cell edges",
            doc(vec![table(vec![
                vec![td(vec![pt("a<br>")]), td(vec![pt("<br>b")])],
                vec![
                    td(vec![p(vec![t("a\\<br>"), br()])]),
                    td(vec![p(vec![text("<br>", &[strong()]), br()])]),
                ],
                vec![
                    td(vec![p(vec![t("\u{a0}a "), br()])]),
                    td(vec![p(vec![br(), t(" b\u{a0}")])]),
                ],
            ])]),
        ),
        (
            "links and code with pipes in cells",
            doc(vec![table(vec![vec![td(vec![p(vec![
                text("l|nk", &[link_titled("https://e.com/a|b", "t|itle")]),
                t(" "),
                text("c|d", &[code_mark(), link("https://e.com/p|q")]),
            ])])]])]),
        ),
        (
            "cells that look like delimiter rows",
            doc(vec![table(vec![
                vec![td(vec![pt("---")]), td(vec![pt(":--:")])],
                vec![td(vec![pt("|")]), td(vec![pt("\\")])],
            ])]),
        ),
        (
            "media in a cell",
            doc(vec![table(vec![vec![td(vec![
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
            {"type": "media", "attrs": {"type": "file", "id": "f-1", "collection": "c", "alt": "shot|1.png"}},
            {"type": "caption", "content": [t("cap"), br(), t("tion")]}]}),
            ])]])]),
        ),
        // Containers (§2.4).
        (
            "details holding lists and code",
            doc(vec![expand(
                "Steps & <more>",
                vec![
                    ol(json!(1), numbered(2)),
                    code("sh", "make\n"),
                    ul(numbered(1)),
                    json!({"type": "nestedExpand", "attrs": {"title": "inner"}, "content": [ul(numbered(1))]}),
                ],
            )]),
        ),
        (
            "details with an empty title and a table",
            doc(vec![expand(
                "",
                vec![table(vec![
                    vec![th(vec![pt("h")])],
                    vec![td(vec![pt("d")])],
                ])],
            )]),
        ),
        (
            "details title with quotes and a newline",
            doc(vec![expand("a \"b\"\nc", vec![pt("body")])]),
        ),
        (
            "details ending with a list before a list",
            doc(vec![expand("t", vec![ul(numbered(1))]), ul(numbered(1))]),
        ),
        (
            "panels of every type",
            doc([
                "info", "note", "tip", "warning", "error", "success", "custom",
            ]
            .iter()
            .map(|k| panel(k, vec![pt(k)]))
            .collect()),
        ),
        (
            "panel starting with a list not at 1",
            doc(vec![panel("info", vec![ol(json!(3), numbered(1))])]),
        ),
        (
            "panel starting with a heading and code",
            doc(vec![panel(
                "note",
                vec![h(3, vec![t("title")]), code("", "x\n")],
            )]),
        ),
        (
            "custom panel icon",
            doc(vec![
                json!({"type": "panel", "attrs": {"panelType": "custom", "panelIconText": "🎉"},
            "content": [pt("party"), ul(numbered(1))]}),
            ]),
        ),
        (
            "custom panel icon before a list",
            doc(vec![
                json!({"type": "panel", "attrs": {"panelType": "custom", "panelIcon": ":star:"},
            "content": [ul(numbered(1))]}),
            ]),
        ),
        (
            "panel whose paragraph starts like a quote",
            doc(vec![panel(
                "tip",
                vec![pt("> not nested"), pt("[!WARNING]")],
            )]),
        ),
        (
            "empty quote and panel",
            doc(vec![
                quote(vec![p(vec![])]),
                panel("info", vec![p(vec![])]),
                pt("after"),
            ]),
        ),
        (
            "layout columns one after another",
            doc(vec![layout(vec![
                vec![pt("left")],
                vec![h(2, vec![t("right")]), pt("text")],
            ])]),
        ),
        (
            "rule between paragraphs",
            doc(vec![
                pt("before"),
                json!({"type": "rule"}),
                pt("after"),
                json!({"type": "rule"}),
            ]),
        ),
        // Media and inline atoms (§2.6-§2.7).
        (
            "media with captions and links",
            doc(vec![
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "marks": [link("https://e.com/t")], "content": [
                {"type": "media", "attrs": {"type": "file", "id": "f-2", "collection": "c", "alt": "a]b*c"}},
                {"type": "caption", "content": [t("Figure 1: "), text("the flow", &[strong()])]}]}),
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
                {"type": "media", "attrs": {"type": "external", "url": "https://e.com/i (1).png"}}]}),
                json!({"type": "mediaGroup", "content": [
                {"type": "media", "attrs": {"type": "file", "id": "f-3", "collection": "c", "alt": "report.pdf"}},
                {"type": "media", "attrs": {"type": "link", "id": "f-4", "collection": "c"}}]}),
            ]),
        ),
        (
            "inline atoms",
            doc(vec![p(vec![
                json!({"type": "mention", "attrs": {"id": "1", "text": "@@Ada *L*"}}),
                t(" "),
                json!({"type": "mention", "attrs": {"id": "557058:def", "text": ""}}),
                t(" "),
                json!({"type": "emoji", "attrs": {"shortName": ":party_parrot:"}}),
                t(" "),
                json!({"type": "date", "attrs": {"timestamp": "1582152559"}}),
                t(" "),
                json!({"type": "date", "attrs": {"timestamp": "soon"}}),
                t(" "),
                json!({"type": "inlineCard", "attrs": {"url": "https://e.com/has space"}}),
                t(" "),
                json!({"type": "inlineCard", "attrs": {"url": "https://e.com/a_b"}}),
            ])]),
        ),
        (
            "panel holding a table",
            doc(vec![
                json!({"type": "panel", "attrs": {"panelType": "info"}, "content": [
                table(vec![vec![th(vec![pt("h")])], vec![td(vec![pt("d")])]])]}),
            ]),
        ),
        (
            "heading ending in a backslash",
            doc(vec![h(2, vec![t("a \\")]), h(2, vec![t("b\\ #")])]),
        ),
        (
            "link text and title ending in a backslash",
            doc(vec![p(vec![text(
                "a\\",
                &[link_titled("https://e.com", "t\\")],
            )])]),
        ),
        (
            "image alt ending in a backslash",
            doc(vec![
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
            {"type": "media", "attrs": {"type": "file", "id": "f", "collection": "c", "alt": "a\\"}},
            {"type": "caption", "content": [t("cap\\")]}]}),
            ]),
        ),
        (
            "mention and status ending in a backslash",
            doc(vec![p(vec![
                json!({"type": "mention", "attrs": {"id": "1", "text": "Ada\\"}}),
                text("bold", &[strong()]),
                json!({"type": "status", "attrs": {"text": "S\\", "color": "blue"}}),
                t("x"),
            ])]),
        ),
        (
            "titles ending in a backslash in a cell",
            doc(vec![table(vec![vec![td(vec![
                json!({"type": "nestedExpand", "attrs": {"title": "T\\"}, "content": [pt("body")]}),
                h(3, vec![t("H\\")]),
            ])]])]),
        ),
        (
            "escaped pipes in a cell",
            doc(vec![table(vec![vec![td(vec![p(vec![
                text("a\\|b", &[code_mark()]),
                t(" c\\|d"),
            ])])]])]),
        ),
        (
            "expand title ending in a backslash",
            doc(vec![expand("a\\", vec![pt("x")])]),
        ),
        (
            "decision and task text with block syntax",
            doc(vec![
                decision("DECIDED", vec![t("# not heading")]),
                tasks(vec![
                    task("TODO", vec![t("- not a list")]),
                    task("DONE", vec![t("1986. year")]),
                ]),
            ]),
        ),
        (
            "backslash before a delimiter in a link",
            doc(vec![p(vec![
                text("a\\", &[link("https://e.com"), strong()]),
                t("b"),
            ])]),
        ),
        (
            "caption with marks",
            doc(vec![
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
            {"type": "media", "attrs": {"type": "file", "id": "f", "collection": "c"}},
            {"type": "caption", "content": [text("em", &[em()]), t(" and "), text("x", &[strong(), em()]), t("*")]}]}),
            ]),
        ),
        (
            "atoms at a line start",
            doc(vec![
                p(vec![
                    json!({"type": "mention", "attrs": {"id": "1", "text": "# not heading"}}),
                ]),
                p(vec![
                    json!({"type": "emoji", "attrs": {"shortName": ":x:", "text": "- "}}),
                    t("y"),
                ]),
            ]),
        ),
        // Bugs the oracle found, fixed. Flanking next to characters that
        // are neither punctuation nor whitespace (format characters,
        // combining marks) or that parsers class differently (symbols).
        (
            "strong after a zero-width space",
            doc(vec![p(vec![t("\u{200b}"), text("[x]", &[strong()])])]),
        ),
        (
            "strike before a zero-width space",
            doc(vec![p(vec![text("🎉", &[strike()]), t("\u{200b}")])]),
        ),
        (
            "em after a combining accent",
            doc(vec![p(vec![t("e\u{301}"), text("*", &[em()])])]),
        ),
        (
            "strong after a ZWJ emoji",
            doc(vec![p(vec![t("👩\u{200d}"), text("(x)", &[strong()])])]),
        ),
        (
            "emphasis next to soft hyphens, bidi marks and variation selectors",
            doc(vec![p(vec![
                t("a\u{ad}"),
                text("(b)", &[em()]),
                t("\u{200f}"),
                text("\"c\"", &[strong()]),
                t("\u{fe0f}"),
            ])]),
        ),
        (
            "strong between an emoji and punctuation",
            doc(vec![p(vec![
                t("🎉"),
                text("(x)", &[strong()]),
                t("→"),
                text("[y]", &[strike()]),
                t("©"),
            ])]),
        ),
        // Code spans next to text.
        (
            "text ending in a backtick before code",
            doc(vec![p(vec![t("```"), text("a", &[code_mark()])])]),
        ),
        (
            "code ending in a backslash before code",
            doc(vec![p(vec![
                text("\\", &[code_mark()]),
                text("x", &[strong()]),
                text("b", &[code_mark()]),
            ])]),
        ),
        // Breaks before trailing Unicode whitespace, and headings.
        (
            "hard break then NBSP ends a paragraph",
            doc(vec![p(vec![t("a"), br(), t("\u{a0}")])]),
        ),
        (
            "literal newline then ideographic space",
            doc(vec![pt("a\n\u{3000}")]),
        ),
        (
            "hard break then NBSP ends a list item and a quote",
            doc(vec![
                ul(vec![li(vec![p(vec![t("a"), br(), t("\u{a0} ")])])]),
                quote(vec![p(vec![t("b"), br(), br(), t("\u{2003}")])]),
            ]),
        ),
        (
            "heading ending in a hash and NBSP",
            doc(vec![
                h(1, vec![t("#\u{a0}")]),
                h(2, vec![t("C #\u{a0}")]),
                h(3, vec![t("D\u{a0}#")]),
            ]),
        ),
        // Lists that must not merge across container boundaries.
        (
            "lists in adjacent layout columns",
            doc(vec![layout(vec![
                vec![ul(numbered(1))],
                vec![ul(numbered(1))],
            ])]),
        ),
        (
            "list before a layout section starting with a list",
            doc(vec![
                ul(numbered(1)),
                layout(vec![vec![ul(numbered(1))], vec![pt("x")]]),
            ]),
        ),
        (
            "list before a bodied extension starting with a list",
            doc(vec![
                ul(numbered(1)),
                json!({"type": "bodiedExtension", "attrs": {"extensionKey": "excerpt", "extensionType": "com.atlassian.confluence.macro.core"},
                    "content": [ul(numbered(1))]}),
            ]),
        ),
        (
            "ordered lists in adjacent layout columns, then a list",
            doc(vec![
                layout(vec![
                    vec![ol(json!(1), numbered(2))],
                    vec![ol(json!(1), numbered(2))],
                    vec![ol(json!(1), numbered(1))],
                ]),
                ol(json!(1), numbered(1)),
            ]),
        ),
        // Empty nested items that would read as a thematic break.
        (
            "three levels of empty bullet items",
            doc(vec![ul(vec![li(vec![ul(vec![li(vec![ul(vec![li(
                vec![p(vec![])],
            )])])])])])]),
        ),
        (
            "nested empty bullet items",
            doc(vec![ul(vec![li(vec![
                p(vec![]),
                ul(vec![li(vec![p(vec![]), ul(vec![li(vec![p(vec![])])])])]),
            ])])]),
        ),
        (
            "four levels of empty bullet items after text",
            doc(vec![ul(vec![
                li(vec![
                    pt("a"),
                    ul(vec![li(vec![ul(vec![li(vec![ul(vec![li(vec![])])])])])]),
                ]),
                li(vec![ul(vec![li(vec![ul(vec![li(vec![ul(vec![li(
                    vec![],
                )])])])])])]),
            ])]),
        ),
        // `<` before what can start an e-mail autolink.
        (
            "text that looks like an e-mail autolink",
            doc(vec![pt("<1@b.c> and <&x@b.c> but x<5 and a <- b")]),
        ),
        (
            "mention inside angle brackets",
            doc(vec![p(vec![
                t("<&"),
                json!({"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": ""}}),
                t(">"),
            ])]),
        ),
        (
            "angle bracket before an e-mail split across marks",
            doc(vec![p(vec![t("<1"), text("@b.c", &[strong()]), t(">")])]),
        ),
        // Table delimiter rows after breaks.
        (
            "pipe table lines after a literal newline",
            doc(vec![pt("a\n|b\n|-")]),
        ),
        (
            "table lookalike ending a paragraph after hard breaks",
            doc(vec![
                p(vec![t("x"), br(), t("a | b"), br(), t("--|--")]),
                p(vec![t("x"), br(), t("a | b"), br(), t(":-: | :--")]),
            ]),
        ),
        // Table cells keep what the block rendering keeps.
        (
            "undecided decision in a cell",
            doc(vec![table(vec![vec![td(vec![decision(
                "UNDECIDED",
                vec![t("maybe")],
            )])]])]),
        ),
        (
            "custom panel icon in a cell",
            doc(vec![table(vec![vec![td(vec![
                json!({"type": "panel", "attrs": {"panelType": "custom", "panelIconText": "🎉"},
                "content": [pt("party")]}),
                json!({"type": "panel", "attrs": {"panelType": "custom", "panelIcon": ":star:"},
                "content": [ul(numbered(1))]}),
                json!({"type": "panel", "attrs": {"panelType": "custom", "panelIconText": "🎉"},
                "content": [p(vec![br(), t("\u{a0}a")])]}),
            ])]])]),
        ),
        // Links whose text is only whitespace.
        (
            "blank half of a link split by a hard break",
            doc(vec![p(vec![
                t("a"),
                text(" \nb", &[link("https://e.com/u")]),
            ])]),
        ),
        (
            "link with blank text across a hard break node",
            doc(vec![p(vec![
                t("a"),
                text(" ", &[link("https://e.com/u")]),
                br(),
                text("b ", &[link("https://e.com/u")]),
                br(),
                text("\u{a0}", &[link("https://e.com/u")]),
            ])]),
        ),
        (
            "paragraph of a whitespace-only link",
            doc(vec![p(vec![text(" ", &[link("https://e.com/x")])])]),
        ),
        (
            "whitespace-only link split by a hard break",
            doc(vec![p(vec![text(" \n ", &[link("https://e.com/x")])])]),
        ),
        // Found by the structural hunt.
        (
            "blank paragraphs and headings give no output",
            doc(vec![
                json!({"type": "panel", "attrs": {"panelType": "custom", "panelIconText": "🎉"},
                "content": [h(1, vec![text(" ", &[code_mark()])]), pt("\u{a0}"), pt("a")]}),
                table(vec![vec![td(vec![panel(
                    "info",
                    vec![tasks(vec![
                        task("TODO", vec![]),
                        json!({"type": "blockTaskItem", "attrs": {"localId": "b", "state": "TODO"},
                        "content": [pt("\u{a0}"), pt(" a")]}),
                    ])],
                )])]]),
            ]),
        ),
        (
            "cards with the same url around a hard break in a cell",
            doc(vec![table(vec![vec![td(vec![ul(vec![li(vec![p(
                vec![
                    json!({"type": "inlineCard", "attrs": {"url": "https://e.com/has space"}}),
                    br(),
                    t(" "),
                    json!({"type": "inlineCard", "attrs": {"url": "https://e.com/has space"}}),
                    t("a"),
                ],
            )])])])]])]),
        ),
        // Linked code that reads as a link reference definition.
        (
            "code link split before a colon",
            doc(vec![p(vec![
                text("]", &[code_mark(), link("https://e.com")]),
                text(":", &[code_mark(), link("https://e.com")]),
            ])]),
        ),
        (
            "code link reading as a reference definition",
            doc(vec![p(vec![text(
                "x]: y",
                &[code_mark(), link("https://e.com")],
            )])]),
        ),
        (
            "linked code with a title reading as a reference definition",
            doc(vec![p(vec![
                text(
                    "a]:",
                    &[
                        code_mark(),
                        link_titled("https://e.com/?a=1&b=\"2\"", "t \"q\" <x>"),
                    ],
                ),
                text(
                    " b",
                    &[
                        link_titled("https://e.com/?a=1&b=\"2\"", "t \"q\" <x>"),
                        strong(),
                    ],
                ),
            ])]),
        ),
    ]
}

/// Cases that fail because of open converter bugs: `(case, bug, document)`.
/// Move a case to [`cases`] once its bug is fixed.
fn known_bugs() -> Vec<(&'static str, &'static str, Value)> {
    Vec::new()
}

// ----------------------------------------------------------------- tests

#[test]
fn hard_cases_keep_their_structure() {
    let failures: Vec<String> = cases()
        .into_iter()
        .filter_map(|(name, d)| check(&d).err().map(|e| format!("=== {name}\n{e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} hard cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Ignored while [`known_bugs`] lists any case.
#[test]
fn known_bug_cases_keep_their_structure() {
    let failures: Vec<String> = known_bugs()
        .into_iter()
        .filter_map(|(name, bug, d)| {
            check(&d)
                .err()
                .map(|e| format!("=== {name} (bug: {bug})\n{e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} known-bug cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = cases()
        .iter()
        .map(|c| c.0)
        .chain(known_bugs().iter().map(|c| c.0))
        .collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(n, names.len(), "duplicate case names");
}
