//! A differential structural oracle.
//!
//! From an ADF document, [`expected`] computes the structure the team's
//! rendering reference (`adf-rendering.md`, §2-§4) prescribes for the
//! default options; from the Markdown, [`parsed`] reads the structure a
//! CommonMark+GFM parser (pulldown-cmark, configured as in
//! [`parser_options`]) actually finds. [`check`] renders both to one
//! canonical text and compares them.
//!
//! The canonical text holds every block (paragraphs, headings with their
//! level, lists with their start number, items with their task state and
//! nesting, code blocks with info string and exact body, quotes with their
//! alert kind, table rows cell by cell, rules, HTML blocks tag by tag) and,
//! inside every block, each character with the marks the parser gives it
//! (strong, em, strike, code, sub, sup, link href and title, image source).
//! So one comparison covers lost text, stray syntax characters (a leftover
//! `\`, `*` or `|` is a character the ADF did not have), broken emphasis,
//! merged or split lists, and shifted table cells.
//!
//! Whitespace (see [`canon_inline`]): ASCII whitespace runs collapse to one
//! space and are trimmed at block edges, since leading whitespace carries no
//! text and marks move off whitespace by design (§3.2 step 3); which marks a
//! whitespace character carries is never compared. Other Unicode whitespace
//! (NBSP, U+3000) is text and kept, except at line edges. Hard breaks are
//! counted inside paragraphs, but not at their edges (§2.7 drops them there)
//! nor in table cells (§2.5 allows one or two `<br>` between blocks).
//!
//! Every place where the reference leaves the converter a choice is marked
//! `LATITUDE` below, with the choice the oracle accepts.

use std::fmt::Write as _;
use std::rc::Rc;

use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, Event, Parser, Tag, TagEnd};
use serde_json::Value;

use crate::support::{outline, parser_options};

// ------------------------------------------------------------------ model

#[derive(Clone, Debug, PartialEq, Eq)]
struct Link {
    href: String,
    title: String,
}

/// The marks a character carries. Marks the reference drops by default
/// (underline, colours, annotation) have no field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Marks {
    strong: bool,
    em: bool,
    strike: bool,
    code: bool,
    sub: bool,
    sup: bool,
    link: Option<Rc<Link>>,
    /// The source of the image whose alt text this is.
    image: Option<Rc<str>>,
}

impl Marks {
    fn strong() -> Self {
        Self {
            strong: true,
            ..Self::default()
        }
    }

    fn em() -> Self {
        Self {
            em: true,
            ..Self::default()
        }
    }

    fn link(href: &str, title: &str) -> Self {
        Self {
            link: Some(Rc::new(Link {
                href: href.to_owned(),
                title: title.to_owned(),
            })),
            ..Self::default()
        }
    }

    /// The union; `other`'s link and image win (links cannot nest).
    fn with(&self, other: &Self) -> Self {
        Self {
            strong: self.strong || other.strong,
            em: self.em || other.em,
            strike: self.strike || other.strike,
            code: self.code || other.code,
            sub: self.sub || other.sub,
            sup: self.sup || other.sup,
            link: other.link.clone().or_else(|| self.link.clone()),
            image: other.image.clone().or_else(|| self.image.clone()),
        }
    }

    fn label(&self) -> String {
        let mut parts: Vec<String> = [
            (self.strong, "b"),
            (self.em, "i"),
            (self.strike, "s"),
            (self.code, "code"),
            (self.sub, "sub"),
            (self.sup, "sup"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| (*n).to_owned())
        .collect();
        if let Some(l) = &self.link {
            parts.push(if l.title.is_empty() {
                format!("a<{}>", l.href)
            } else {
                format!("a<{}>{:?}", l.href, l.title)
            });
        }
        if let Some(src) = &self.image {
            parts.push(format!("img<{src}>"));
        }
        format!("⟦{}⟧", parts.join(" "))
    }
}

#[derive(Clone, Debug)]
enum Tok {
    Ch(char, Marks),
    /// A hard line break.
    Break,
    /// A soft line break: a space that ends a line.
    Soft,
}

type Inline = Vec<Tok>;

#[derive(Debug)]
enum Block {
    Para(Inline),
    /// A `mediaSingle`'s paragraph: compared like [`Block::Para`], kept
    /// apart only for the icon of a custom panel.
    Media(Inline),
    Heading(u8, Inline),
    Code {
        info: String,
        body: String,
    },
    Quote {
        alert: Option<&'static str>,
        blocks: Vec<Block>,
    },
    List {
        start: Option<u64>,
        items: Vec<Item>,
    },
    /// Rows of cells; the first row is the GFM header row.
    Table(Vec<Vec<Inline>>),
    Rule,
    /// An HTML block, already in canonical form (see [`canon_html`]).
    Html(String),
}

#[derive(Debug, Default)]
struct Item {
    task: Option<bool>,
    blocks: Vec<Block>,
}

// -------------------------------------------------------- canonical text

/// CommonMark's whitespace, which a parse may collapse or strip; other
/// Unicode whitespace (NBSP, ideographic space) is text and kept.
fn is_md_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

/// One inline run as text: characters in order, a `⟦marks⟧` label wherever
/// the mark set of a non-whitespace character changes, and whitespace
/// normalised. A run of ASCII whitespace is one space; other Unicode
/// whitespace (NBSP, ideographic space) is text and kept. A run holding a
/// soft line break is one space. A run holding hard line breaks is `↵` per break when `count_breaks` (paragraphs), else one
/// space (table cells, where §2.5 allows one or two `<br>` between blocks).
/// LATITUDE: at the edges of a block or a line all whitespace may go: the
/// reference has the converter trim cells, list-marker lines and the text
/// around a hard break, and it drops breaks at paragraph edges (§2.7).
fn canon_inline(toks: &[Tok], count_breaks: bool) -> String {
    let toks = links_shown(toks);
    let mut out = String::new();
    let mut cur = Marks::default();
    let (mut space, mut breaks, mut soft, mut started) = (String::new(), 0usize, false, false);
    for t in &toks {
        match t {
            Tok::Break => breaks += 1,
            Tok::Soft => soft = true,
            Tok::Ch(c, _) if c.is_whitespace() => space.push(*c),
            Tok::Ch(c, m) => {
                if started {
                    if breaks > 0 && count_breaks {
                        out.push_str(&"↵".repeat(breaks));
                    } else if breaks > 0 || soft {
                        out.push(' ');
                    } else if !space.is_empty() {
                        let kept: String = space.chars().filter(|c| !is_md_space(*c)).collect();
                        out.push_str(if kept.is_empty() { " " } else { &kept });
                    }
                }
                (breaks, soft, started) = (0, false, true);
                space.clear();
                if *m != cur {
                    out.push_str(&m.label());
                    cur = m.clone();
                }
                out.push(*c);
            }
        }
    }
    out
}

/// §3.1: "Empty link text → use the href as the text". LATITUDE: a link
/// whose text is only whitespace is empty to a reader; the converter may
/// write it with that whitespace (`[ ](u)`) or with the href as its text
/// (`<u>`), but must not drop it: the href is a human-meaningful attribute
/// (§0.1). So on both sides, a link whose text is blank or is its href is
/// normalised to the href set off by spaces (hoisted whitespace around it
/// does not matter then). A link's text runs across hard breaks: Markdown
/// splits such a link in two (§3.2.6), but one blank half (dropped with a
/// break at a paragraph edge) does not make the link empty. Unlinked
/// spaces at the start of the line after the break do not end the link
/// either: the converter may trim them (see [`canon_inline`]), and then
/// nothing tells two links with one href apart from one split link.
fn links_shown(toks: &[Tok]) -> Inline {
    let link_of = |t: &Tok| match t {
        Tok::Ch(_, m) => m.link.clone(),
        Tok::Break | Tok::Soft => None,
    };
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let Some(l) = link_of(&toks[i]) else {
            out.push(toks[i].clone());
            i += 1;
            continue;
        };
        // The link goes on over breaks that the same link follows.
        let mut end = i;
        let mut line_start = false;
        for (j, t) in toks.iter().enumerate().skip(i) {
            match link_of(t) {
                Some(x) if x == l => {
                    end = j + 1;
                    line_start = false;
                }
                None if matches!(t, Tok::Break) => line_start = true,
                None if line_start && matches!(t, Tok::Ch(c, _) if is_md_space(*c)) => {}
                _ => break,
            }
        }
        let text: String = toks[i..end]
            .iter()
            .filter_map(|t| match t {
                Tok::Ch(c, _) => Some(*c),
                Tok::Break | Tok::Soft => None,
            })
            .collect();
        if text.trim().is_empty() || text.trim() == l.href {
            let Tok::Ch(_, m) = &toks[i] else {
                unreachable!("a link starts with a character")
            };
            out.push(Tok::Ch(' ', Marks::default()));
            chars_into(&mut out, &l.href, m);
            out.push(Tok::Ch(' ', Marks::default()));
        } else {
            out.extend_from_slice(&toks[i..end]);
        }
        i = end;
    }
    out
}

/// Whether a run holds nothing but whitespace and breaks. LATITUDE: §2.2
/// says such a paragraph gives no output; whether NBSP-only text counts as
/// "only whitespace" is not said, so blank blocks are ignored on both sides.
fn is_blank(toks: &[Tok]) -> bool {
    links_shown(toks).iter().all(|t| match t {
        Tok::Break | Tok::Soft => true,
        Tok::Ch(c, _) => c.is_whitespace(),
    })
}

fn is_blank_block(b: &Block) -> bool {
    match b {
        Block::Para(t) | Block::Media(t) | Block::Heading(_, t) => is_blank(t),
        Block::Quote {
            alert: None,
            blocks,
        } => blocks.iter().all(is_blank_block),
        _ => false,
    }
}

fn canon(blocks: &[Block]) -> String {
    let mut out = String::new();
    canon_into(blocks, 0, &mut out);
    out
}

fn canon_into(blocks: &[Block], depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for b in blocks.iter().filter(|b| !is_blank_block(b)) {
        match b {
            Block::Para(t) | Block::Media(t) => {
                let _ = writeln!(out, "{pad}P: {}", canon_inline(t, true));
            }
            Block::Heading(l, t) => {
                let _ = writeln!(out, "{pad}H{l}: {}", canon_inline(t, true));
            }
            Block::Code { info, body } => {
                let _ = writeln!(out, "{pad}CODE({info:?}): {body:?}");
            }
            Block::Quote { alert, blocks } => {
                let _ = writeln!(
                    out,
                    "{pad}QUOTE{}",
                    alert.map(|a| format!("({a})")).unwrap_or_default()
                );
                canon_into(blocks, depth + 1, out);
            }
            Block::List { start, items } => {
                let _ = writeln!(
                    out,
                    "{pad}{}",
                    start.map_or("UL".to_owned(), |n| format!("OL({n})"))
                );
                for item in items {
                    let task = match item.task {
                        None => "",
                        Some(false) => " [ ]",
                        Some(true) => " [x]",
                    };
                    let _ = writeln!(out, "{pad}  LI{task}");
                    canon_into(&item.blocks, depth + 2, out);
                }
            }
            Block::Table(rows) => {
                let _ = writeln!(out, "{pad}TABLE");
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| canon_inline(c, false)).collect();
                    let _ = writeln!(out, "{pad}  TR: {}", cells.join(" ┃ "));
                }
            }
            Block::Rule => {
                let _ = writeln!(out, "{pad}RULE");
            }
            Block::Html(h) => {
                let _ = writeln!(out, "{pad}HTML: {h}");
            }
        }
    }
}

/// Decodes the character references an HTML context may use.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| match &rest[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An HTML fragment as tags (`⟨summary⟩`) and decoded, whitespace-collapsed
/// text, so that an escaped `&lt;b&gt;` (text) and a raw `<b>` (a tag)
/// differ, but entity spelling and line layout do not matter.
fn canon_html(h: &str) -> String {
    let mut out = String::new();
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut String| {
        let t = decode_entities(text);
        out.push_str(
            &t.split(is_md_space)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        );
        text.clear();
    };
    let mut rest = h;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let is_tag = after
            .trim_start_matches('/')
            .starts_with(|c: char| c.is_ascii_alphabetic());
        match after.find('>') {
            Some(j) if is_tag => {
                flush(&mut text, &mut out);
                let _ = write!(out, "⟨{}⟩", after[..j].trim());
                rest = &after[j + 1..];
            }
            _ => {
                text.push('<');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    flush(&mut text, &mut out);
    out
}

// ------------------------------------------------- what the parser reads

/// An open block while walking the parser's events.
enum Frame {
    Root(Vec<Block>),
    Para(Inline),
    Heading(u8, Inline),
    Quote(Option<&'static str>, Vec<Block>),
    List(Option<u64>, Vec<Item>),
    /// An item: its blocks so far and the text of a tight paragraph.
    Item(Item, Inline),
    Code(String, String),
    Html(String),
    Table(Vec<Vec<Inline>>),
    Row(Vec<Inline>),
    Cell(Inline),
}

/// The inline state: how many of each span are open.
#[derive(Default)]
struct Open {
    strong: u32,
    em: u32,
    strike: u32,
    sub: u32,
    sup: u32,
    links: Vec<Rc<Link>>,
    images: Vec<Rc<str>>,
}

impl Open {
    fn marks(&self) -> Marks {
        Marks {
            strong: self.strong > 0,
            em: self.em > 0,
            strike: self.strike > 0,
            code: false,
            sub: self.sub > 0,
            sup: self.sup > 0,
            link: self.links.last().cloned(),
            image: self.images.last().cloned(),
        }
    }

    /// Applies an inline HTML tag the converter may emit (§0.4: `<br>`,
    /// `<sub>`/`<sup>`, `<strong>`/`<em>`/`<del>` where `*` would not
    /// parse, and `<a href="…" title="…">` where a link would read as a link
    /// reference definition). Returns false for any other HTML.
    fn html_tag(&mut self, h: &str, toks: &mut Inline) -> bool {
        let tag = h.trim().to_ascii_lowercase();
        if tag == "</a>" {
            return self.links.pop().is_some();
        }
        if let Some(attrs) = h
            .trim()
            .strip_prefix("<a ")
            .and_then(|a| a.strip_suffix('>'))
        {
            // Attribute values in double quotes, as the converter writes them.
            let value = |name: &str| {
                let start = attrs.find(&format!("{name}=\""))? + name.len() + 2;
                let len = attrs[start..].find('"')?;
                Some(decode_entities(&attrs[start..start + len]))
            };
            let Some(href) = value("href") else {
                return false;
            };
            self.links.push(Rc::new(Link {
                href,
                title: value("title").unwrap_or_default(),
            }));
            return true;
        }
        let (counter, delta) = match tag.as_str() {
            "<br>" | "<br/>" | "<br />" => {
                toks.push(Tok::Break);
                return true;
            }
            "<strong>" => (&mut self.strong, 1i32),
            "</strong>" => (&mut self.strong, -1),
            "<em>" => (&mut self.em, 1),
            "</em>" => (&mut self.em, -1),
            "<del>" => (&mut self.strike, 1),
            "</del>" => (&mut self.strike, -1),
            "<sub>" => (&mut self.sub, 1),
            "</sub>" => (&mut self.sub, -1),
            "<sup>" => (&mut self.sup, 1),
            "</sup>" => (&mut self.sup, -1),
            _ => return false,
        };
        *counter = counter.saturating_add_signed(delta);
        true
    }
}

fn alert_name(k: BlockQuoteKind) -> &'static str {
    match k {
        BlockQuoteKind::Note => "NOTE",
        BlockQuoteKind::Tip => "TIP",
        BlockQuoteKind::Important => "IMPORTANT",
        BlockQuoteKind::Warning => "WARNING",
        BlockQuoteKind::Caution => "CAUTION",
    }
}

/// The blocks a CommonMark+GFM parser reads from `md`.
fn parsed(md: &str) -> Vec<Block> {
    let mut stack = vec![Frame::Root(Vec::new())];
    let mut open = Open::default();
    for ev in Parser::new_ext(md, parser_options()) {
        match ev {
            Event::Start(tag) => {
                let frame = match tag {
                    Tag::Paragraph => Frame::Para(Vec::new()),
                    Tag::Heading { level, .. } => Frame::Heading(level as u8, Vec::new()),
                    Tag::BlockQuote(kind) => Frame::Quote(kind.map(alert_name), Vec::new()),
                    Tag::CodeBlock(CodeBlockKind::Fenced(info)) => {
                        Frame::Code(info.to_string(), String::new())
                    }
                    // The reference never calls for indented code: name it so
                    // that it cannot match anything expected.
                    Tag::CodeBlock(CodeBlockKind::Indented) => {
                        Frame::Code("<indented code>".into(), String::new())
                    }
                    Tag::HtmlBlock => Frame::Html(String::new()),
                    Tag::List(start) => Frame::List(start, Vec::new()),
                    Tag::Item => Frame::Item(Item::default(), Vec::new()),
                    Tag::Table(_) => Frame::Table(Vec::new()),
                    Tag::TableHead | Tag::TableRow => Frame::Row(Vec::new()),
                    Tag::TableCell => Frame::Cell(Vec::new()),
                    Tag::Strong => {
                        open.strong += 1;
                        continue;
                    }
                    Tag::Emphasis => {
                        open.em += 1;
                        continue;
                    }
                    Tag::Strikethrough => {
                        open.strike += 1;
                        continue;
                    }
                    Tag::Link {
                        dest_url, title, ..
                    } => {
                        open.links.push(Rc::new(Link {
                            href: dest_url.to_string(),
                            title: title.to_string(),
                        }));
                        continue;
                    }
                    Tag::Image { dest_url, .. } => {
                        open.images.push(Rc::from(&*dest_url));
                        continue;
                    }
                    other => panic!("parser event the oracle does not know: {other:?}"),
                };
                // A block inside an item ends the item's tight paragraph.
                if let Some(Frame::Item(item, text)) = stack.last_mut()
                    && !text.is_empty()
                {
                    item.blocks.push(Block::Para(std::mem::take(text)));
                }
                stack.push(frame);
            }
            Event::End(end) => match end {
                TagEnd::Strong => open.strong -= 1,
                TagEnd::Emphasis => open.em -= 1,
                TagEnd::Strikethrough => open.strike -= 1,
                TagEnd::Link => drop(open.links.pop()),
                TagEnd::Image => drop(open.images.pop()),
                _ => {
                    let frame = stack.pop().expect("balanced events");
                    close(frame, &mut stack);
                }
            },
            Event::Text(t) => match stack.last_mut() {
                Some(Frame::Code(_, body)) => body.push_str(&t),
                _ => {
                    let m = open.marks();
                    let toks = inline_target(&mut stack);
                    toks.extend(t.chars().map(|c| Tok::Ch(c, m.clone())));
                }
            },
            Event::Code(t) => {
                let m = open.marks().with(&Marks {
                    code: true,
                    ..Marks::default()
                });
                inline_target(&mut stack).extend(t.chars().map(|c| Tok::Ch(c, m.clone())));
            }
            Event::Html(h) => match stack.last_mut() {
                Some(Frame::Html(s)) => s.push_str(&h),
                _ => panic!("block HTML outside an HTML block"),
            },
            Event::InlineHtml(h) => {
                let toks = inline_target(&mut stack);
                if !open.html_tag(&h, toks) {
                    // Raw HTML the reference does not call for: it hides or
                    // garbles text in a browser, so it counts as a mismatch.
                    let m = open.marks();
                    toks.extend(format!("⟪html {h}⟫").chars().map(|c| Tok::Ch(c, m.clone())));
                }
            }
            Event::SoftBreak => inline_target(&mut stack).push(Tok::Soft),
            Event::HardBreak => inline_target(&mut stack).push(Tok::Break),
            Event::Rule => {
                push_block(&mut stack, Block::Rule);
            }
            Event::TaskListMarker(done) => match stack.last_mut() {
                Some(Frame::Item(item, _)) => item.task = Some(done),
                _ => {
                    // A marker inside a loose item's paragraph.
                    let n = stack.len();
                    if let Some(Frame::Item(item, _)) = stack.get_mut(n - 2) {
                        item.task = Some(done);
                    }
                }
            },
            other => panic!("parser event the oracle does not know: {other:?}"),
        }
    }
    match stack.pop() {
        Some(Frame::Root(blocks)) if stack.is_empty() => blocks,
        _ => panic!("unbalanced parser events"),
    }
}

/// Where inline content goes: the innermost paragraph, heading, cell or
/// tight list item.
fn inline_target(stack: &mut [Frame]) -> &mut Inline {
    match stack.last_mut() {
        Some(Frame::Para(t) | Frame::Heading(_, t) | Frame::Cell(t) | Frame::Item(_, t)) => t,
        _ => panic!("inline content outside a block that holds it"),
    }
}

fn push_block(stack: &mut [Frame], b: Block) {
    match stack.last_mut() {
        Some(Frame::Root(blocks) | Frame::Quote(_, blocks)) => blocks.push(b),
        Some(Frame::Item(item, text)) => {
            if !text.is_empty() {
                item.blocks.push(Block::Para(std::mem::take(text)));
            }
            item.blocks.push(b);
        }
        _ => panic!("a block inside a frame that cannot hold one"),
    }
}

fn close(frame: Frame, stack: &mut [Frame]) {
    let block = match frame {
        Frame::Para(t) => Block::Para(t),
        Frame::Heading(l, t) => Block::Heading(l, t),
        Frame::Quote(alert, blocks) => Block::Quote { alert, blocks },
        Frame::List(start, items) => Block::List { start, items },
        Frame::Code(info, body) => Block::Code { info, body },
        Frame::Html(h) => Block::Html(canon_html(&h)),
        Frame::Table(rows) => Block::Table(rows),
        Frame::Item(mut item, text) => {
            if !text.is_empty() {
                item.blocks.push(Block::Para(text));
            }
            match stack.last_mut() {
                Some(Frame::List(_, items)) => items.push(item),
                _ => panic!("an item outside a list"),
            }
            return;
        }
        Frame::Cell(t) => {
            match stack.last_mut() {
                Some(Frame::Row(cells)) => cells.push(t),
                _ => panic!("a cell outside a row"),
            }
            return;
        }
        Frame::Row(cells) => {
            match stack.last_mut() {
                Some(Frame::Table(rows)) => rows.push(cells),
                _ => panic!("a row outside a table"),
            }
            return;
        }
        Frame::Root(_) => panic!("the root closed early"),
    };
    push_block(stack, block);
}

// ------------------------------------------ what the reference prescribes

fn ty(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or("")
}

fn content(v: &Value) -> &[Value] {
    v.get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn attr<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get("attrs")?.get(key)
}

/// A string attribute that holds more than whitespace. §2.6-§2.7 fall back
/// when an attribute is "missing or empty"; LATITUDE: whitespace-only
/// counts as empty (it carries no text).
fn attr_text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    attr(v, key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn chars_into(out: &mut Inline, s: &str, m: &Marks) {
    out.extend(s.chars().map(|c| Tok::Ch(c, m.clone())));
}

fn text_run(s: &str, m: &Marks) -> Inline {
    let mut out = Vec::new();
    chars_into(&mut out, s, m);
    out
}

/// The rendered marks of a text node (§3.1 defaults: underline, colours and
/// annotations are dropped; sub/sup become HTML).
fn text_marks(node: &Value) -> Marks {
    let mut m = Marks::default();
    for mark in node
        .get("marks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match ty(mark) {
            "strong" => m.strong = true,
            "em" => m.em = true,
            "strike" => m.strike = true,
            "code" => m.code = true,
            "subsup" => match attr(mark, "type").and_then(Value::as_str) {
                Some("sub") => m.sub = true,
                Some("sup") => m.sup = true,
                _ => {}
            },
            "link" => {
                if let Some(href) = attr(mark, "href").and_then(Value::as_str) {
                    let title = attr(mark, "title").and_then(Value::as_str).unwrap_or("");
                    m.link = Marks::link(href, title).link;
                }
            }
            _ => {}
        }
    }
    m
}

/// How line breaks render where an inline run sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// Paragraphs and list items: a hard break.
    Para,
    /// Headings and captions are one line: a space (§2.2, §2.6).
    Line,
    /// Table cells: `<br>`, a break that is not counted.
    Cell,
}

fn line_break(flow: Flow) -> Tok {
    match flow {
        Flow::Para | Flow::Cell => Tok::Break,
        Flow::Line => Tok::Ch(' ', Marks::default()),
    }
}

/// Drops the ASCII whitespace and the breaks a run starts with: after a
/// label or an icon they are still at the start of the item's text, where a
/// break is dropped (§2.7). Whitespace in a code span or a link is content
/// and stops the trimming.
fn trim_start(mut toks: Inline) -> Inline {
    let n = toks
        .iter()
        .position(|t| matches!(t, Tok::Ch(c, m) if !is_md_space(*c) || m.code || m.link.is_some()))
        .unwrap_or(toks.len());
    toks.drain(..n);
    toks
}

/// `YYYY-MM-DD` in UTC (§2.7): milliseconds, or seconds when the absolute
/// value is below 10^11; a non-numeric timestamp is shown as it is.
fn date_text(ts: &str) -> String {
    let Ok(v) = ts.trim().parse::<i64>() else {
        return ts.trim().to_owned();
    };
    let secs = if v.unsigned_abs() < 100_000_000_000 {
        v
    } else {
        v.div_euclid(1000)
    };
    // Days to civil date (proleptic Gregorian), after H. Hinnant.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The inline run of `nodes` (§2.7, §3), every character also carrying
/// `add` (the em of a caption, the strong of a heading in a cell).
fn inline(nodes: &[Value], flow: Flow, add: &Marks) -> Inline {
    let mut out = Vec::new();
    for n in nodes {
        match ty(n) {
            "text" => {
                let m = text_marks(n).with(add);
                let t = n.get("text").and_then(Value::as_str).unwrap_or("");
                let t = t.replace("\r\n", "\n").replace('\r', "\n");
                for c in t.chars() {
                    out.push(match c {
                        // A newline in a code span is a space (§3.1).
                        '\n' if m.code => Tok::Ch(' ', m.clone()),
                        // Elsewhere it is a hard break (§2.1).
                        '\n' => line_break(flow),
                        c => Tok::Ch(c, m.clone()),
                    });
                }
            }
            "hardBreak" => out.push(line_break(flow)),
            "mention" => {
                // Exactly one leading `@`; the account id when the name is
                // empty (§2.7).
                let name = attr(n, "text")
                    .and_then(Value::as_str)
                    .map(|s| s.trim_start_matches('@'))
                    .filter(|s| !s.trim().is_empty())
                    .or_else(|| attr_text(n, "id"))
                    .unwrap_or("");
                chars_into(&mut out, &format!("@{name}"), add);
            }
            "emoji" => {
                let e = attr_text(n, "text")
                    .or_else(|| attr_text(n, "shortName"))
                    .unwrap_or("");
                chars_into(&mut out, e, add);
            }
            "date" => {
                let ts = attr(n, "timestamp").and_then(Value::as_str).unwrap_or("");
                chars_into(&mut out, &date_text(ts), add);
            }
            "status" => {
                // `**[TEXT]**`. LATITUDE: the text is trimmed; padding in a
                // lozenge is presentation.
                if let Some(s) = attr_text(n, "text") {
                    chars_into(
                        &mut out,
                        &format!("[{}]", s.trim()),
                        &add.with(&Marks::strong()),
                    );
                }
            }
            "placeholder" => {
                if let Some(s) = attr_text(n, "text") {
                    chars_into(&mut out, s, &add.with(&Marks::em()));
                }
            }
            "inlineCard" => {
                let url = attr_text(n, "url").unwrap_or("");
                chars_into(&mut out, url, &add.with(&Marks::link(url, "")));
            }
            other => panic!("the oracle does not model inline node {other:?}"),
        }
    }
    out
}

/// The placeholder of a `media` node (§2.6). `single` is true inside a
/// `mediaSingle` (image syntax), false in a `mediaGroup` (link syntax).
fn media(node: &Value, single: bool, outer: Option<&Marks>, add: &Marks) -> Inline {
    let mtype = attr(node, "type").and_then(Value::as_str).unwrap_or("file");
    let id = attr_text(node, "id");
    let url = attr_text(node, "url");
    let dest = match (mtype, url, id) {
        ("external", Some(u), _) | (_, Some(u), None) => u.to_owned(),
        (_, _, Some(id)) => format!("attachment:{id}"),
        _ => String::new(),
    };
    // With no alt: the id for a `link` media, else "image" or "file".
    let label = attr_text(node, "alt")
        .or(if mtype == "link" { id } else { None })
        .unwrap_or(if single && mtype != "link" {
            "image"
        } else {
            "file"
        });
    // A link mark on the media or its mediaSingle wraps the placeholder;
    // links cannot nest, so it replaces the attachment link.
    let own = text_marks(node).link.map(|link| Marks {
        link: Some(link),
        ..Marks::default()
    });
    let wrap = own.as_ref().or(outer);
    let mut m = add.clone();
    if single && mtype != "link" {
        m.image = Some(Rc::from(dest.as_str()));
        if let Some(w) = wrap {
            m = m.with(w);
        }
    } else {
        m = m.with(wrap.unwrap_or(&Marks::link(&dest, "")));
    }
    text_run(label, &m)
}

/// A `mediaSingle`: the media placeholder, then its caption in italics
/// (§2.6; hard breaks in a caption are spaces). LATITUDE: in a table cell,
/// where breaks are `<br>` (§2.5), a caption's breaks may be either.
fn media_single(node: &Value, flow: Flow, add: &Marks) -> Inline {
    let outer = text_marks(node).link.map(|link| Marks {
        link: Some(link),
        ..Marks::default()
    });
    let mut out = Vec::new();
    for c in content(node) {
        match ty(c) {
            "media" => out.extend(media(c, true, outer.as_ref(), add)),
            "caption" => {
                // On the line below the image.
                out.push(Tok::Soft);
                out.extend(inline(content(c), flow, &add.with(&Marks::em())));
            }
            other => panic!("the oracle does not model {other:?} in a mediaSingle"),
        }
    }
    out
}

/// `[!KIND]` of a panel type in GitHub alert style (§2.4).
fn alert_of(panel_type: &str) -> &'static str {
    match panel_type {
        "note" => "IMPORTANT",
        "tip" | "success" => "TIP",
        "warning" => "WARNING",
        "error" => "CAUTION",
        _ => "NOTE",
    }
}

/// The emoji of a custom panel, which must not be lost (§2.4).
fn panel_icon(node: &Value) -> Option<&str> {
    let custom = attr(node, "panelType").and_then(Value::as_str) == Some("custom");
    custom
        .then(|| attr_text(node, "panelIconText").or_else(|| attr_text(node, "panelIcon")))
        .flatten()
        .map(str::trim)
}

/// The blocks the reference prescribes for an ADF document.
fn expected(doc: &Value) -> Vec<Block> {
    let mut out = Vec::new();
    blocks_into(content(doc), &mut out);
    out
}

fn blocks_into(nodes: &[Value], out: &mut Vec<Block>) {
    for n in nodes {
        block_into(n, out);
    }
}

fn blocks_of(nodes: &[Value]) -> Vec<Block> {
    let mut out = Vec::new();
    blocks_into(nodes, &mut out);
    out
}

fn block_into(n: &Value, out: &mut Vec<Block>) {
    match ty(n) {
        "paragraph" => out.push(Block::Para(inline(
            content(n),
            Flow::Para,
            &Marks::default(),
        ))),
        "heading" => {
            let level = attr(n, "level").and_then(Value::as_f64).unwrap_or(1.0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let level = level.clamp(1.0, 6.0) as u8;
            out.push(Block::Heading(
                level,
                inline(content(n), Flow::Line, &Marks::default()),
            ));
        }
        "bulletList" | "orderedList" => {
            let start = (ty(n) == "orderedList").then(|| {
                // `order` floored; missing or invalid means 1 (§2.3).
                match attr(n, "order").and_then(Value::as_f64) {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Some(f) if f >= 0.0 => f.floor() as u64,
                    _ => 1,
                }
            });
            let items = content(n)
                .iter()
                .map(|item| Item {
                    task: None,
                    blocks: blocks_of(content(item)),
                })
                .collect();
            out.push(Block::List { start, items });
        }
        "taskList" => out.push(Block::List {
            start: None,
            items: task_items(content(n)),
        }),
        "decisionList" => {
            let items = content(n)
                .iter()
                .map(|item| Item {
                    task: None,
                    blocks: vec![Block::Para(decision(item, Flow::Para))],
                })
                .collect();
            out.push(Block::List { start: None, items });
        }
        "codeBlock" => {
            let mut body: String = content(n)
                .iter()
                .filter_map(|t| t.get("text").and_then(Value::as_str))
                .collect();
            body = body.replace("\r\n", "\n").replace('\r', "\n");
            if !body.is_empty() && !body.ends_with('\n') {
                body.push('\n');
            }
            // The language, trimmed; dropped if it holds a backtick or a
            // newline (§2.2).
            let info = attr(n, "language")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|l| !l.contains(['`', '\n', '\r']))
                .unwrap_or("")
                .to_owned();
            out.push(Block::Code { info, body });
        }
        "blockquote" => {
            let blocks = blocks_of(content(n));
            // LATITUDE: a quote with no text is not described; nothing is
            // the only output that adds no stray `>`. (A quote of blank
            // paragraphs is ignored on both sides, see `is_blank_block`.)
            out.push(Block::Quote {
                alert: None,
                blocks,
            });
        }
        "panel" => {
            let mut blocks = blocks_of(content(n));
            blocks.retain(|b| !is_blank_block(b));
            if let Some(icon) = panel_icon(n) {
                // The icon starts the first line: the first paragraph, or a
                // paragraph of its own before any other block. LATITUDE:
                // "the start of the first line" is read loosely for a
                // panel that starts with an image or a list.
                match blocks.first_mut() {
                    Some(Block::Para(t)) => {
                        let mut lead = text_run(icon, &Marks::default());
                        lead.push(Tok::Ch(' ', Marks::default()));
                        lead.extend(trim_start(std::mem::take(t)));
                        *t = lead;
                    }
                    _ => blocks.insert(0, Block::Para(text_run(icon, &Marks::default()))),
                }
            }
            let kind = attr(n, "panelType")
                .and_then(Value::as_str)
                .unwrap_or("info");
            out.push(Block::Quote {
                alert: Some(alert_of(kind)),
                blocks,
            });
        }
        "rule" => out.push(Block::Rule),
        "table" => out.push(Block::Table(table(content(n)))),
        "expand" | "nestedExpand" => {
            // `<details>`, `<summary>TITLE</summary>`, the body as Markdown,
            // `</details>` (§2.4). LATITUDE: an empty title may give
            // `Details` or no summary; the oracle takes `Details`.
            let title = attr_text(n, "title").map_or("Details", str::trim);
            out.push(Block::Html(canon_html(&format!(
                "<details><summary>{}</summary>",
                title
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            ))));
            blocks_into(content(n), out);
            out.push(Block::Html("⟨/details⟩".into()));
        }
        "mediaSingle" => out.push(Block::Media(media_single(n, Flow::Line, &Marks::default()))),
        "mediaGroup" => {
            // A tight list of links (§2.6).
            let items = content(n)
                .iter()
                .map(|m| Item {
                    task: None,
                    blocks: vec![Block::Para(media(m, false, None, &Marks::default()))],
                })
                .collect();
            out.push(Block::List { start: None, items });
        }
        // Bodies rendered in place (§2.4).
        "bodiedExtension" | "bodiedSyncBlock" => blocks_into(content(n), out),
        // Columns one after another (§2.4).
        "layoutSection" => {
            for col in content(n) {
                blocks_into(content(col), out);
            }
        }
        "blockCard" | "embedCard" => {
            let url = attr_text(n, "url").unwrap_or("");
            out.push(Block::Para(text_run(url, &Marks::link(url, ""))));
        }
        other => panic!("the oracle does not model block node {other:?}"),
    }
}

/// A task list's items (§2.3). A nested `taskList` is a sibling in ADF; it
/// goes under the preceding item, or under an empty TODO item when it comes
/// first. LATITUDE: consecutive nested task lists under one item are one
/// nesting level, so they are expected as one Markdown list.
fn task_items(nodes: &[Value]) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for n in nodes {
        let done = attr(n, "state").and_then(Value::as_str) == Some("DONE");
        match ty(n) {
            "taskList" => {
                if items.is_empty() {
                    items.push(Item {
                        task: Some(false),
                        blocks: Vec::new(),
                    });
                }
                let nested = task_items(content(n));
                let last = items.last_mut().expect("an item was just ensured");
                match last.blocks.last_mut() {
                    Some(Block::List {
                        start: None,
                        items: prev,
                    }) if prev.iter().all(|i| i.task.is_some()) => prev.extend(nested),
                    _ => last.blocks.push(Block::List {
                        start: None,
                        items: nested,
                    }),
                }
            }
            "taskItem" => items.push(Item {
                task: Some(done),
                blocks: vec![Block::Para(inline(
                    content(n),
                    Flow::Para,
                    &Marks::default(),
                ))],
            }),
            "blockTaskItem" => items.push(Item {
                task: Some(done),
                blocks: blocks_of(content(n)),
            }),
            other => panic!("the oracle does not model {other:?} in a taskList"),
        }
    }
    items
}

/// `**Decision:** text`, or `**Decision (undecided):** text` for any state
/// other than DECIDED (§2.3).
fn decision(item: &Value, flow: Flow) -> Inline {
    let decided = attr(item, "state")
        .and_then(Value::as_str)
        .is_none_or(|s| s == "DECIDED");
    let label = if decided {
        "Decision:"
    } else {
        "Decision (undecided):"
    };
    let mut out = text_run(label, &Marks::strong());
    out.push(Tok::Ch(' ', Marks::default()));
    out.extend(trim_start(inline(content(item), flow, &Marks::default())));
    out
}

/// The GFM rows of a table (§2.5): cells laid on a span-aware grid, rows
/// padded to the widest, and an empty header row unless every cell of the
/// first ADF row is a `tableHeader`.
fn table(rows: &[Value]) -> Vec<Vec<Inline>> {
    let mut grid: Vec<Vec<Option<Inline>>> = vec![Vec::new(); rows.len()];
    for (r, row) in rows.iter().enumerate() {
        let mut col = 0;
        for cell in content(row) {
            while grid[r].get(col).is_some_and(Option::is_some) {
                col += 1;
            }
            let span = |key: &str, max: usize| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                attr(cell, key)
                    .and_then(Value::as_f64)
                    .map_or(1, |f| (f.floor().max(1.0) as usize).min(max))
            };
            let colspan = span("colspan", 256);
            let rowspan = span("rowspan", rows.len() - r);
            let mut text = Some(cell_inline(content(cell)));
            for line in &mut grid[r..r + rowspan] {
                if line.len() < col + colspan {
                    line.resize(col + colspan, None);
                }
                for slot in &mut line[col..col + colspan] {
                    if slot.is_none() {
                        // The content in the top-left slot, the rest empty.
                        *slot = Some(text.take().unwrap_or_default());
                    }
                }
            }
            col += colspan;
        }
    }
    let ncols = grid.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut out: Vec<Vec<Inline>> = grid
        .into_iter()
        .map(|row| {
            let mut cells: Vec<Inline> = row.into_iter().map(Option::unwrap_or_default).collect();
            cells.resize(ncols, Vec::new());
            cells
        })
        .collect();
    let header = rows.first().is_some_and(|r| {
        !content(r).is_empty() && content(r).iter().all(|c| ty(c) == "tableHeader")
    });
    if !header {
        out.insert(0, vec![Vec::new(); ncols]);
    }
    out
}

/// A table cell's blocks flattened to one line (§2.5 step 4): blocks and
/// list items joined by `<br>`, textual list markers, code spans per code
/// line, headings and labels in bold.
fn cell_inline(nodes: &[Value]) -> Inline {
    let mut segs = Vec::new();
    cell_segments(nodes, &mut segs);
    let mut out = Vec::new();
    for s in segs {
        out.push(Tok::Break);
        out.extend(s);
    }
    out
}

fn cell_segments(nodes: &[Value], segs: &mut Vec<Inline>) {
    for n in nodes {
        flat_block(n, segs);
    }
}

/// `lead` (a marker or label) joined to the first segment of `inner`, then
/// the other segments.
fn lead_segments(lead: Inline, mut inner: Vec<Inline>, segs: &mut Vec<Inline>) {
    let mut first = lead;
    if !inner.is_empty() {
        first.push(Tok::Ch(' ', Marks::default()));
        first.extend(trim_start(inner.remove(0)));
    }
    segs.push(first);
    segs.extend(inner);
}

fn flat_block(n: &Value, segs: &mut Vec<Inline>) {
    let plain = Marks::default();
    match ty(n) {
        // Blank paragraphs give no output (§2.2), in a cell too.
        "paragraph" | "heading" => {
            let add = if ty(n) == "heading" {
                Marks::strong()
            } else {
                plain
            };
            let t = inline(content(n), Flow::Cell, &add);
            if !is_blank(&t) {
                segs.push(t);
            }
        }
        "bulletList" | "orderedList" => {
            let start = match attr(n, "order").and_then(Value::as_f64) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(f) if f >= 0.0 => f.floor() as u64,
                _ => 1,
            };
            for (i, item) in (0u64..).zip(content(n)) {
                let marker = if ty(n) == "orderedList" {
                    format!("{}.", start + i)
                } else {
                    "-".to_owned()
                };
                let mut inner = Vec::new();
                cell_segments(content(item), &mut inner);
                lead_segments(text_run(&marker, &plain), inner, segs);
            }
        }
        "taskList" => {
            for item in content(n) {
                match ty(item) {
                    "taskList" => flat_block(item, segs),
                    t => {
                        let done = attr(item, "state").and_then(Value::as_str) == Some("DONE");
                        let marker = text_run(if done { "[x]" } else { "[ ]" }, &plain);
                        let mut inner = Vec::new();
                        if t == "taskItem" {
                            inner.push(inline(content(item), Flow::Cell, &plain));
                        } else {
                            cell_segments(content(item), &mut inner);
                        }
                        lead_segments(marker, inner, segs);
                    }
                }
            }
        }
        "decisionList" => {
            for item in content(n) {
                segs.push(decision(item, Flow::Cell));
            }
        }
        "codeBlock" => {
            let body: String = content(n)
                .iter()
                .filter_map(|t| t.get("text").and_then(Value::as_str))
                .collect();
            let code = Marks {
                code: true,
                ..Marks::default()
            };
            // A blank line cannot be a code span; it is left out.
            for line in body.split(['\n', '\r']).filter(|l| !l.trim().is_empty()) {
                segs.push(text_run(line, &code));
            }
        }
        "blockquote" => cell_segments(content(n), segs),
        "panel" => {
            // `**Info:** text`. LATITUDE: the reference names no label for
            // `custom`; the oracle takes `Panel`. The icon of a custom panel
            // must still be kept (§2.4), at the start of the text.
            let label = match attr(n, "panelType")
                .and_then(Value::as_str)
                .unwrap_or("info")
            {
                "info" => "Info",
                "note" => "Note",
                "tip" => "Tip",
                "warning" => "Warning",
                "error" => "Error",
                "success" => "Success",
                _ => "Panel",
            };
            let mut inner = Vec::new();
            if let Some(icon) = panel_icon(n) {
                inner.push(text_run(icon, &plain));
            }
            cell_segments(content(n), &mut inner);
            // The icon and the first block share the first line, where a
            // break the block starts with is dropped (§2.7).
            if panel_icon(n).is_some() && inner.len() > 1 {
                let first = inner.remove(1);
                inner[0].push(Tok::Ch(' ', plain.clone()));
                inner[0].extend(trim_start(first));
            }
            lead_segments(
                text_run(&format!("{label}:"), &Marks::strong()),
                inner,
                segs,
            );
        }
        "nestedExpand" => {
            // `**Title:** body`; LATITUDE: with no title, no label.
            let mut inner = Vec::new();
            cell_segments(content(n), &mut inner);
            match attr_text(n, "title") {
                Some(t) => {
                    lead_segments(
                        text_run(&format!("{}:", t.trim()), &Marks::strong()),
                        inner,
                        segs,
                    );
                }
                None => segs.extend(inner),
            }
        }
        // A rule carries no text: one more `<br>`.
        "rule" => segs.push(Vec::new()),
        "mediaSingle" => segs.push(media_single(n, Flow::Cell, &plain)),
        "mediaGroup" => {
            for m in content(n) {
                segs.push(media(m, false, None, &plain));
            }
        }
        "blockCard" | "embedCard" => {
            let url = attr_text(n, "url").unwrap_or("");
            segs.push(text_run(url, &Marks::link(url, "")));
        }
        other => panic!("the oracle does not model {other:?} in a table cell"),
    }
}

// ------------------------------------------------------------ comparison

/// Converts `adf` with the default options and compares the structure a
/// CommonMark+GFM parser reads from the Markdown with the structure the
/// reference prescribes. The error describes the first difference.
pub(crate) fn check(adf: &Value) -> Result<(), String> {
    let md = adf_md::to_markdown(adf);
    let want = canon(&expected(adf));
    let got = canon(&parsed(&md));
    if want == got {
        return Ok(());
    }
    let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
    let at = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    Err(format!(
        "structure differs at line {}\n  expected: {}\n  parsed:   {}\n\
         --- ADF ---\n{}\n--- markdown ---\n{md}--- expected ---\n{want}--- parsed ---\n{got}\
         --- outline ---\n{}",
        at + 1,
        w.get(at).unwrap_or(&"<end>"),
        g.get(at).unwrap_or(&"<end>"),
        serde_json::to_string(adf).unwrap_or_default(),
        outline(&md),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_inline_collapses_whitespace_and_counts_breaks() {
        let b = Marks::strong();
        let mut t = text_run("  a ", &b);
        t.push(Tok::Break);
        t.extend(text_run(" b\t c ", &Marks::default()));
        t.push(Tok::Break);
        assert_eq!(canon_inline(&t, true), "⟦b⟧a↵⟦⟧b c");
        assert_eq!(canon_inline(&t, false), "⟦b⟧a ⟦⟧b c");
    }

    #[test]
    fn html_tags_and_text_are_told_apart() {
        assert_eq!(
            canon_html("<details>\n<summary>a &lt;b&gt; &amp;  c</summary>"),
            "⟨details⟩⟨summary⟩a <b> & c⟨/summary⟩"
        );
        assert_eq!(
            canon_html("<summary><b></summary>"),
            "⟨summary⟩⟨b⟩⟨/summary⟩"
        );
    }

    #[test]
    fn dates_follow_the_reference() {
        assert_eq!(date_text("1582156800000"), "2020-02-20");
        assert_eq!(date_text("1582152559"), "2020-02-19");
        assert_eq!(date_text("0"), "1970-01-01");
        assert_eq!(date_text("-86400000"), "1967-04-07");
        assert_eq!(date_text("-86400"), "1969-12-31");
        assert_eq!(date_text("soon"), "soon");
    }
}
