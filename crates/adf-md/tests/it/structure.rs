//! Random schema-valid ADF documents, checked against the structural
//! oracle (`oracle.rs`): parsing the Markdown with a CommonMark+GFM parser
//! must give back every character of the ADF's text with its marks, its
//! block structure, and no stray syntax characters.
//!
//! The generator follows the content rules of `@atlaskit/adf-schema`
//! (reference §1-§2, Appendix A): which blocks may sit in a list item, a
//! quote, a panel, an expand, a cell or a layout column, and which marks
//! may share a text node. Text is built from Markdown-hostile atoms, and a
//! paragraph draws its mark sets from a small palette so that neighbouring
//! nodes share marks and runs must be merged.

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{Value, json};

use crate::oracle::check;

// ----------------------------------------------------------------- text

/// Atoms that are Markdown syntax somewhere: at a line start, next to a
/// delimiter, inside a cell, or as HTML.
const ATOMS: &[&str] = &[
    // Words.
    "a",
    "word",
    "snake_case",
    "x_y_z",
    "1986",
    "é",
    "日本",
    "🎉",
    "𝔘𝔫𝔦",
    "e\u{301}",
    "👩\u{200d}💻",
    "שלום",
    "soft\u{ad}hyphen",
    // Punctuation that delimits.
    "*",
    "**",
    "***",
    "_",
    "__",
    "`",
    "``",
    "~",
    "~~",
    "!",
    "\\",
    "|",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "&",
    "\"",
    "'",
    ".",
    ":",
    "=",
    "-",
    "+",
    "#",
    // Block syntax, harmful at a line start.
    "# ",
    "###",
    "- ",
    "+ ",
    "* ",
    "1. ",
    "1) ",
    "10. ",
    "1986. ",
    "> ",
    "---",
    "***",
    "___",
    "===",
    "```",
    "~~~",
    "[ ] ",
    "[x] ",
    "[!NOTE]",
    "[foo]: /url",
    // HTML and entities.
    "<div>",
    "</div>",
    "<http://x.y>",
    "<a@b.c>",
    "<!--",
    "<?",
    "&amp;",
    "&#35;",
    "&copy;",
    "&#x41;",
    // Whitespace, ASCII and not.
    " ",
    "  ",
    "    ",
    "\t",
    "\u{a0}",
    "\u{3000}",
    "\u{2003}",
    "\u{200b}",
    // Unicode punctuation (it counts for emphasis flanking).
    "“",
    "”",
    "—",
    "…",
    "¡",
    "«",
];

fn text_of(atoms: &'static [&'static str], len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(atoms), len)
        .prop_map(|v| v.concat())
        .boxed()
}

/// Text for a text node: mostly atoms, sometimes with a literal newline
/// (off-schema but common, §0.6; it is a hard break).
fn node_text() -> BoxedStrategy<String> {
    prop_oneof![
        12 => text_of(ATOMS, 1..6),
        1 => (text_of(ATOMS, 1..4), prop::sample::select(vec!["\n", "\r\n"]), text_of(ATOMS, 1..4))
            .prop_map(|(a, nl, b)| format!("{a}{nl}{b}")),
    ]
    .boxed()
}

/// Text for attributes (titles, alt text, status, mention names).
fn attr_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(vec!["IN PROGRESS", "Ada Lovelace", "Design", "shot.png"]).prop_map(str::to_owned),
        2 => text_of(ATOMS, 1..4),
    ]
    .boxed()
}

// ---------------------------------------------------------------- marks

/// Links that need care: underscores, a space and parentheses with a
/// quoted title holding a pipe, an unbalanced parenthesis, angle brackets,
/// emphasis characters, and a mailto.
const LINKS: &[(&str, Option<&str>)] = &[
    ("https://e.com/a_b", None),
    ("https://e.com/p (x)", Some("t \"q\" |")),
    ("https://e.com/x)y", None),
    ("/rel?q=1&r=<2>", Some("rel")),
    ("https://e.com/*a*_b_\\", None),
    ("mailto:a@b.c", None),
];

fn link_mark() -> impl Strategy<Value = Value> {
    prop::sample::select(LINKS).prop_map(|(href, title)| match title {
        Some(t) => json!({"type": "link", "attrs": {"href": href, "title": t}}),
        None => json!({"type": "link", "attrs": {"href": href}}),
    })
}

/// A mark set the schema allows on one text node (§1): any of the
/// formatting marks, or `code` with at most `link` and `annotation`; in a
/// random order (never depend on mark order).
fn mark_set() -> BoxedStrategy<Vec<Value>> {
    let formatted = (
        prop::sample::subsequence(
            vec![
                json!({"type": "strong"}),
                json!({"type": "em"}),
                json!({"type": "strike"}),
                json!({"type": "underline"}),
                json!({"type": "textColor", "attrs": {"color": "#ff5630"}}),
                json!({"type": "backgroundColor", "attrs": {"color": "#fffae6"}}),
                json!({"type": "annotation", "attrs": {"id": "c1", "annotationType": "inlineComment"}}),
            ],
            0..=4,
        ),
        prop::option::weighted(0.3, link_mark()),
        prop::option::weighted(
            0.1,
            prop::sample::select(vec!["sub", "sup"])
                .prop_map(|t| json!({"type": "subsup", "attrs": {"type": t}})),
        ),
    )
        .prop_map(|(mut m, link, subsup)| {
            m.extend(link);
            m.extend(subsup);
            m
        });
    let code = (
        prop::option::weighted(0.3, link_mark()),
        any::<bool>(),
    )
        .prop_map(|(link, annotated)| {
            let mut m = vec![json!({"type": "code"})];
            m.extend(link);
            if annotated {
                m.push(json!({"type": "annotation", "attrs": {"id": "c2", "annotationType": "inlineComment"}}));
            }
            m
        });
    prop_oneof![
        2 => Just(Vec::new()),
        5 => formatted,
        1 => code,
    ]
    .prop_flat_map(|m| Just(m).prop_shuffle())
    .boxed()
}

// --------------------------------------------------------------- inline

#[derive(Clone, Debug)]
enum Piece {
    Text(String, usize),
    Atom(Value),
}

fn inline_atom() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => Just(json!({"type": "hardBreak"})),
        1 => (attr_text(), prop::sample::select(vec!["", "@"])).prop_map(|(t, at)| {
            json!({"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": format!("{at}{t}")}})
        }),
        1 => Just(json!({"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": ""}})),
        1 => prop::sample::select(vec![
            json!({"type": "emoji", "attrs": {"shortName": ":rocket:", "text": "🚀"}}),
            json!({"type": "emoji", "attrs": {"shortName": ":party-parrot:", "id": "atlassian-parrot"}}),
        ]),
        1 => (attr_text(), prop::sample::select(vec!["neutral", "blue", "green"])).prop_map(|(t, c)| {
            json!({"type": "status", "attrs": {"text": t, "color": c, "localId": "s"}})
        }),
        1 => prop::sample::select(vec!["1582156800000", "1582152559", "0", "soon"])
            .prop_map(|ts| json!({"type": "date", "attrs": {"timestamp": ts}})),
        1 => prop::sample::select(vec![
            "https://tenant.atlassian.net/browse/ENG-42",
            "https://e.com/a_b?x=1&y=2",
            "https://e.com/has space",
        ])
        .prop_map(|u| json!({"type": "inlineCard", "attrs": {"url": u}})),
    ]
    .boxed()
}

/// An inline run: text nodes drawing their marks from a palette of three
/// sets (so that runs continue across nodes), and inline atoms.
fn inlines(len: std::ops::Range<usize>) -> BoxedStrategy<Vec<Value>> {
    let piece = prop_oneof![
        6 => (node_text(), 0..3usize).prop_map(|(t, i)| Piece::Text(t, i)),
        1 => inline_atom().prop_map(Piece::Atom),
    ];
    (
        prop::collection::vec(mark_set(), 3),
        prop::collection::vec(piece, len),
    )
        .prop_map(|(palette, pieces)| {
            pieces
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t, i) if palette[i].is_empty() => {
                        json!({"type": "text", "text": t})
                    }
                    Piece::Text(mut t, i) => {
                        // A link whose text is blank (or becomes blank
                        // between hard breaks) may show its href instead
                        // (§3.1); the hand-made cases cover that, so here
                        // every piece of link text is visible.
                        if palette[i].iter().any(|m| m["type"] == "link") {
                            t = t.replace(['\r', '\n'], " ");
                            if t.trim().is_empty() {
                                t.push('x');
                            }
                        }
                        json!({"type": "text", "text": t, "marks": palette[i]})
                    }
                    Piece::Atom(a) => a,
                })
                .collect()
        })
        .boxed()
}

// --------------------------------------------------------------- blocks

/// Where a block sits; each context allows its own children (Appendix A).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    Root,
    Column,
    Expand,
    NestedExpand,
    Cell,
    Quote,
    Panel,
    Item,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Paragraph,
    Heading,
    BulletList,
    OrderedList,
    TaskList,
    DecisionList,
    CodeBlock,
    Blockquote,
    Panel,
    Table,
    Expand,
    NestedExpand,
    Rule,
    MediaSingle,
    MediaGroup,
    Layout,
    BlockCard,
}

impl Ctx {
    fn allows(self, k: Kind) -> bool {
        use Kind as K;
        match self {
            Ctx::Root => k != K::NestedExpand,
            Ctx::Column => !matches!(k, K::NestedExpand | K::Layout),
            Ctx::Expand => !matches!(k, K::Expand | K::Layout),
            Ctx::NestedExpand => !matches!(
                k,
                K::Table | K::Expand | K::NestedExpand | K::Layout | K::BlockCard
            ),
            Ctx::Cell => !matches!(k, K::Table | K::Expand | K::Layout),
            Ctx::Quote => matches!(
                k,
                K::Paragraph
                    | K::BulletList
                    | K::OrderedList
                    | K::CodeBlock
                    | K::MediaSingle
                    | K::MediaGroup
            ),
            Ctx::Panel => matches!(
                k,
                K::Paragraph
                    | K::Heading
                    | K::BulletList
                    | K::OrderedList
                    | K::TaskList
                    | K::DecisionList
                    | K::CodeBlock
                    | K::MediaSingle
                    | K::MediaGroup
                    | K::BlockCard
                    | K::Rule
            ),
            Ctx::Item => matches!(
                k,
                K::Paragraph
                    | K::BulletList
                    | K::OrderedList
                    | K::TaskList
                    | K::CodeBlock
                    | K::MediaSingle
            ),
        }
    }
}

/// Blocks whose children are blocks: generated only while `depth` lasts.
fn is_container(k: Kind) -> bool {
    use Kind as K;
    matches!(
        k,
        K::BulletList
            | K::OrderedList
            | K::TaskList
            | K::Blockquote
            | K::Panel
            | K::Table
            | K::Expand
            | K::NestedExpand
            | K::Layout
    )
}

fn paragraph() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => inlines(1..7).prop_map(|c| json!({"type": "paragraph", "content": c})),
        // Empty paragraphs: visual spacing, no output (§2.2).
        1 => Just(json!({"type": "paragraph", "content": []})),
    ]
    .boxed()
}

const CODE_ATOMS: &[&str] = &[
    "fn main() {}",
    "x",
    " ",
    "    ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "`",
    "```",
    "````",
    "~~~",
    "|",
    "\\",
    "*",
    "<div>",
    "&amp;",
    "# ",
    "- ",
    "> ",
];

fn code_block() -> BoxedStrategy<Value> {
    (
        text_of(CODE_ATOMS, 0..6),
        prop::sample::select(vec![
            None,
            Some(""),
            Some("rust"),
            Some(" js "),
            Some("c++ x"),
            Some("a`b"),
        ]),
    )
        .prop_map(|(body, lang)| {
            let mut attrs = serde_json::Map::new();
            if let Some(l) = lang {
                attrs.insert("language".into(), l.into());
            }
            let content = if body.is_empty() {
                json!([])
            } else {
                json!([{"type": "text", "text": body}])
            };
            json!({"type": "codeBlock", "attrs": attrs, "content": content})
        })
        .boxed()
}

fn media() -> BoxedStrategy<Value> {
    (
        prop::sample::select(vec!["file", "external", "link"]),
        prop::option::weighted(0.7, attr_text()),
    )
        .prop_map(|(t, alt)| {
            let mut attrs = match t {
                "external" => json!({"type": "external", "url": "https://e.com/i (1).png"}),
                _ => json!({"type": t, "id": "f-1", "collection": "c"}),
            };
            if let Some(a) = alt {
                attrs["alt"] = a.into();
            }
            json!({"type": "media", "attrs": attrs})
        })
        .boxed()
}

fn media_single() -> BoxedStrategy<Value> {
    (
        media(),
        prop::option::weighted(0.5, inlines(1..4)),
        prop::option::weighted(0.2, link_mark()),
    )
        .prop_map(|(m, caption, link)| {
            let mut content = vec![m];
            if let Some(c) = caption {
                content.push(json!({"type": "caption", "content": c}));
            }
            let mut node =
                json!({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": content});
            if let Some(l) = link {
                node["marks"] = json!([l]);
            }
            node
        })
        .boxed()
}

fn list_item(depth: u32) -> BoxedStrategy<Value> {
    // The first child is usually a paragraph, but may be any allowed block.
    (
        prop_oneof![5 => paragraph(), 1 => block(Ctx::Item, depth)],
        prop::collection::vec(block(Ctx::Item, depth), 0..3),
    )
        .prop_map(|(first, rest)| {
            let mut c = vec![first];
            c.extend(rest);
            json!({"type": "listItem", "content": c})
        })
        .boxed()
}

fn task_list(depth: u32) -> BoxedStrategy<Value> {
    let state = || prop::sample::select(vec!["TODO", "DONE"]);
    let task_item = (state(), inlines(0..5))
        .prop_map(|(s, c)| json!({"type": "taskItem", "attrs": {"localId": "t", "state": s}, "content": c}))
        .boxed();
    let block_item = (state(), prop::collection::vec(paragraph(), 1..3))
        .prop_map(|(s, c)| json!({"type": "blockTaskItem", "attrs": {"localId": "b", "state": s}, "content": c}))
        .boxed();
    let mut rest = vec![(4, task_item.clone()), (1, block_item)];
    if depth > 0 {
        rest.push((2, task_list(depth - 1)));
    }
    (
        task_item,
        prop::collection::vec(Union::new_weighted(rest), 0..4),
    )
        .prop_map(|(first, rest)| {
            let mut c = vec![first];
            c.extend(rest);
            json!({"type": "taskList", "attrs": {"localId": "l"}, "content": c})
        })
        .boxed()
}

fn table(depth: u32) -> BoxedStrategy<Value> {
    let cell = (
        prop::collection::vec(block(Ctx::Cell, depth), 1..3),
        prop_oneof![6 => Just(1u32), 1 => 2..4u32],
        prop_oneof![6 => Just(1u32), 1 => 2..4u32],
    );
    (
        any::<bool>(),
        prop::collection::vec(prop::collection::vec(cell, 1..4), 1..4),
    )
        .prop_map(|(header, rows)| {
            let n = rows.len();
            let rows: Vec<Value> = rows
                .into_iter()
                .enumerate()
                .map(|(r, cells)| {
                    let cells: Vec<Value> = cells
                        .into_iter()
                        .map(|(c, colspan, rowspan)| {
                            let t = if header && r == 0 {
                                "tableHeader"
                            } else {
                                "tableCell"
                            };
                            let mut attrs = serde_json::Map::new();
                            if colspan > 1 {
                                attrs.insert("colspan".into(), colspan.into());
                            }
                            // A valid rowspan stays inside the table.
                            let rowspan = rowspan.min(u32::try_from(n - r).unwrap_or(1));
                            if rowspan > 1 {
                                attrs.insert("rowspan".into(), rowspan.into());
                            }
                            json!({"type": t, "attrs": attrs, "content": c})
                        })
                        .collect();
                    json!({"type": "tableRow", "content": cells})
                })
                .collect();
            json!({"type": "table", "attrs": {"localId": "tb"}, "content": rows})
        })
        .boxed()
}

fn kind_strategy(k: Kind, depth: u32) -> BoxedStrategy<Value> {
    let d = depth.saturating_sub(1);
    let children = |ctx: Ctx| prop::collection::vec(block(ctx, d), 1..4);
    match k {
        Kind::Paragraph => paragraph(),
        Kind::Heading => (1..=6u32, inlines(0..5))
            .prop_map(|(l, c)| json!({"type": "heading", "attrs": {"level": l}, "content": c}))
            .boxed(),
        Kind::BulletList => prop::collection::vec(list_item(d), 1..4)
            .prop_map(|items| json!({"type": "bulletList", "content": items}))
            .boxed(),
        Kind::OrderedList => (
            prop_oneof![3 => prop::collection::vec(list_item(d), 1..4), 1 => prop::collection::vec(list_item(d), 9..12)],
            prop::sample::select(vec![None, Some(json!(0)), Some(json!(1)), Some(json!(2)), Some(json!(9)), Some(json!(10)), Some(json!(99))]),
        )
            .prop_map(|(items, order)| match order {
                Some(o) => json!({"type": "orderedList", "attrs": {"order": o}, "content": items}),
                None => json!({"type": "orderedList", "content": items}),
            })
            .boxed(),
        Kind::TaskList => task_list(d),
        Kind::DecisionList => prop::collection::vec(
            (prop_oneof![4 => Just("DECIDED"), 1 => Just("UNDECIDED")], inlines(0..4)),
            1..4,
        )
        .prop_map(|items| {
            let items: Vec<Value> = items
                .into_iter()
                .map(|(s, c)| json!({"type": "decisionItem", "attrs": {"localId": "d", "state": s}, "content": c}))
                .collect();
            json!({"type": "decisionList", "attrs": {"localId": "dl"}, "content": items})
        })
        .boxed(),
        Kind::CodeBlock => code_block(),
        Kind::Blockquote => children(Ctx::Quote)
            .prop_map(|c| json!({"type": "blockquote", "content": c}))
            .boxed(),
        Kind::Panel => (
            prop::sample::select(vec!["info", "note", "tip", "warning", "error", "success", "custom"]),
            prop::sample::select(vec![json!({}), json!({"panelIconText": "🎉"}), json!({"panelIcon": ":star:"})]),
            children(Ctx::Panel),
        )
            .prop_map(|(t, icon, c)| {
                let mut attrs = icon;
                attrs["panelType"] = t.into();
                json!({"type": "panel", "attrs": attrs, "content": c})
            })
            .boxed(),
        Kind::Table => table(d),
        Kind::Expand | Kind::NestedExpand => (
            prop_oneof![3 => attr_text(), 1 => Just(String::new())],
            children(if k == Kind::Expand { Ctx::Expand } else { Ctx::NestedExpand }),
        )
            .prop_map(move |(title, c)| {
                let t = if k == Kind::Expand { "expand" } else { "nestedExpand" };
                json!({"type": t, "attrs": {"title": title}, "content": c})
            })
            .boxed(),
        Kind::Rule => Just(json!({"type": "rule"})).boxed(),
        Kind::MediaSingle => media_single(),
        Kind::MediaGroup => prop::collection::vec(media(), 1..4)
            .prop_map(|m| json!({"type": "mediaGroup", "content": m}))
            .boxed(),
        Kind::Layout => prop::collection::vec(children(Ctx::Column), 2..4)
            .prop_map(|cols| {
                let cols: Vec<Value> = cols
                    .into_iter()
                    .map(|c| json!({"type": "layoutColumn", "attrs": {"width": 50}, "content": c}))
                    .collect();
                json!({"type": "layoutSection", "content": cols})
            })
            .boxed(),
        Kind::BlockCard => prop::sample::select(vec!["https://e.com/page", "https://e.com/has space"])
            .prop_map(|u| json!({"type": "blockCard", "attrs": {"url": u}}))
            .boxed(),
    }
}

/// How often each kind is drawn, where its context allows it.
const WEIGHTS: &[(Kind, u32)] = &[
    (Kind::Paragraph, 8),
    (Kind::Heading, 2),
    (Kind::BulletList, 3),
    (Kind::OrderedList, 3),
    (Kind::TaskList, 2),
    (Kind::DecisionList, 1),
    (Kind::CodeBlock, 2),
    (Kind::Blockquote, 2),
    (Kind::Panel, 2),
    (Kind::Table, 2),
    (Kind::Expand, 1),
    (Kind::NestedExpand, 1),
    (Kind::Rule, 1),
    (Kind::MediaSingle, 1),
    (Kind::MediaGroup, 1),
    (Kind::Layout, 1),
    (Kind::BlockCard, 1),
];

fn block(ctx: Ctx, depth: u32) -> BoxedStrategy<Value> {
    let choices: Vec<(u32, BoxedStrategy<Value>)> = WEIGHTS
        .iter()
        .filter(|(k, _)| ctx.allows(*k) && (depth > 0 || !is_container(*k)))
        .map(|&(k, w)| (w, kind_strategy(k, depth)))
        .collect();
    Union::new_weighted(choices).boxed()
}

pub(crate) fn doc() -> BoxedStrategy<Value> {
    prop::collection::vec(block(Ctx::Root, 3), 1..6)
        .prop_map(|c| json!({"version": 1, "type": "doc", "content": c}))
        .boxed()
}

// ------------------------------------------------------------ properties

proptest! {
    // `PROPTEST_CASES` raises the 256 cases for a longer hunt.
    #![proptest_config(crate::support::proptest_config(256))]

    #[test]
    fn schema_valid_documents_keep_their_structure(d in doc()) {
        if let Err(e) = check(&d) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// A bug hunt that, unlike the property above, does not stop at the first
/// failure: it shrinks every failing document and prints the distinct
/// minimal ones, smallest first. Run with
/// `HUNT=20000 cargo test -p adf-md --test it hunt -- --ignored --nocapture`.
#[test]
#[ignore = "a manual bug hunt; set HUNT to the number of documents"]
fn hunt() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};

    let n: usize = std::env::var("HUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2000);
    let seed: u8 = std::env::var("HUNT_SEED")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(7);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[seed; 32]),
    );
    let strategy = doc();
    let mut found: Vec<(usize, String, String)> = Vec::new();
    for _ in 0..n {
        let mut tree = strategy.new_tree(&mut runner).expect("a document");
        if check(&tree.current()).is_ok() {
            continue;
        }
        let mut minimal = tree.current();
        let mut steps = 0;
        if tree.simplify() {
            while steps < 2000 {
                steps += 1;
                if check(&tree.current()).is_err() {
                    minimal = tree.current();
                    if !tree.simplify() {
                        break;
                    }
                } else if !tree.complicate() {
                    break;
                }
            }
        }
        let json = minimal.to_string();
        let err = check(&minimal).expect_err("still failing");
        let head: String = err.lines().take(3).collect::<Vec<_>>().join("\n");
        if !found.iter().any(|(_, j, _)| *j == json) {
            found.push((json.len(), json, head));
        }
    }
    found.sort();
    for (_, json, head) in &found {
        println!(
            "{head}\n{json}\n{}\n",
            adf_md::to_markdown(&serde_json::from_str(json).expect("json")).escape_debug()
        );
    }
    println!("{} distinct minimal failures", found.len());
}
