//! Rendering a run of inline nodes: mark merging across adjacent nodes,
//! whitespace hoisting, delimiter flanking and escaping.
//!
//! ADF marks are flat per node while Markdown delimiters nest, so a run is
//! rendered as a whole: a stack of open marks is kept, marks that continue
//! stay open, and the marks that run longest open first (outermost).

use std::borrow::Cow;

use crate::escape;

/// A mark that renders to syntax. Marks that render to nothing are dropped
/// before they get here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mk {
    /// Index into [`Run::links`].
    Link(u32),
    Strong,
    Em,
    Strike,
    Sub,
    Sup,
    /// Underline as `<ins>`.
    Ins,
    /// Background colour as `<mark>`.
    Mark,
    /// Text colour `0xRRGGBB` as `<span style="color:#rrggbb">`.
    Color(u32),
}

impl Mk {
    fn rank(self) -> u32 {
        match self {
            Mk::Link(_) => 0,
            Mk::Strong => 1,
            Mk::Em => 2,
            Mk::Strike => 3,
            Mk::Sub => 4,
            Mk::Sup => 5,
            Mk::Ins => 6,
            Mk::Mark => 7,
            Mk::Color(_) => 8,
        }
    }

    fn bit(self) -> u16 {
        1 << self.rank()
    }

    /// The delimiter character for marks that follow CommonMark's flanking
    /// rules.
    fn delim(self) -> Option<char> {
        match self {
            Mk::Strong | Mk::Em => Some('*'),
            Mk::Strike => Some('~'),
            _ => None,
        }
    }
}

/// A set of marks, at most one of each kind (one link), iterated in rank
/// order. Copying it costs nothing, so no mark list is ever allocated.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Marks {
    bits: u16,
    /// The link id; 0 when there is no link, so that equality is exact.
    link: u32,
    /// The text colour; 0 when there is none.
    color: u32,
}

impl Marks {
    /// The empty set.
    pub(crate) const NONE: Marks = Marks {
        bits: 0,
        link: 0,
        color: 0,
    };

    /// Adds `m` unless a mark of its kind is already there (an existing
    /// link is kept: the first one wins).
    pub(crate) fn with(mut self, m: Mk) -> Self {
        if self.bits & m.bit() == 0 {
            self.bits |= m.bit();
            match m {
                Mk::Link(id) => self.link = id,
                Mk::Color(c) => self.color = c,
                _ => {}
            }
        }
        self
    }

    /// Replaces any link by `m` (links cannot nest: the innermost wins).
    pub(crate) fn with_link(self, m: Mk) -> Self {
        self.without_link().with(m)
    }

    /// The set without its link.
    pub(crate) fn without_link(mut self) -> Self {
        self.bits &= !1;
        self.link = 0;
        self
    }

    /// Whether a link is in the set.
    pub(crate) fn has_link(self) -> bool {
        self.bits & 1 != 0
    }

    fn contains(self, m: Mk) -> bool {
        match m {
            Mk::Link(id) => self.has_link() && self.link == id,
            Mk::Color(c) => self.bits & m.bit() != 0 && self.color == c,
            _ => self.bits & m.bit() != 0,
        }
    }

    fn is_empty(self) -> bool {
        self.bits == 0
    }

    fn first_is_link(self) -> Option<u32> {
        self.has_link().then_some(self.link)
    }

    fn iter(self) -> impl Iterator<Item = Mk> {
        let mut bits = self.bits;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let r = bits.trailing_zeros();
            bits &= bits - 1;
            Some(r)
        })
        .map(move |r| match r {
            0 => Mk::Link(self.link),
            1 => Mk::Strong,
            2 => Mk::Em,
            3 => Mk::Strike,
            4 => Mk::Sub,
            5 => Mk::Sup,
            6 => Mk::Ins,
            7 => Mk::Mark,
            _ => Mk::Color(self.color),
        })
    }

    fn from_slice(marks: &[Mk]) -> Self {
        marks.iter().fold(Marks::NONE, |s, &m| s.with(m))
    }
}

/// The text of a piece (empty for a break).
fn piece_text<'s>(p: &'s Piece<'_>) -> &'s str {
    match p {
        Piece::Text(t) | Piece::Code(t) => t,
        Piece::Raw(r) | Piece::Comment(r) => r,
        Piece::Break => "",
    }
}

/// One piece of inline content.
#[derive(Debug, Clone)]
pub(crate) enum Piece<'a> {
    /// Raw text, escaped when rendered.
    Text(Cow<'a, str>),
    /// Code-span content.
    Code(Cow<'a, str>),
    /// Markdown emitted verbatim (images, autolinks).
    Raw(String),
    /// An HTML comment, moved off the line start when rendered.
    Comment(String),
    /// A hard break.
    Break,
}

#[derive(Debug, Clone)]
pub(crate) struct Item<'a> {
    piece: Piece<'a>,
    marks: Marks,
}

type Link<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// A sequence of inline items with their mark sets.
#[derive(Debug, Default)]
pub(crate) struct Run<'a> {
    items: Vec<Item<'a>>,
    links: Vec<Link<'a>>,
    /// Whether an item is a hard break (the run then spans several lines).
    breaks: bool,
    /// The length of the items' text, to size the rendered line up front.
    text_len: usize,
}

impl<'a> Run<'a> {
    /// The mark for a link; adjacent nodes with the same link share it.
    pub(crate) fn link(&mut self, href: impl Into<Cow<'a, str>>, title: Option<&'a str>) -> Mk {
        let href = href.into();
        if let Some((h, t)) = self.links.last()
            && *h == href
            && t.as_deref() == title
        {
            return Mk::Link(index(self.links.len() - 1));
        }
        self.links.push((href, title.map(Cow::Borrowed)));
        Mk::Link(index(self.links.len() - 1))
    }

    /// Appends a piece with a mark set.
    pub(crate) fn push(&mut self, piece: Piece<'a>, marks: Marks) {
        self.breaks |= matches!(piece, Piece::Break);
        self.text_len += piece_text(&piece).len();
        self.items.push(Item { piece, marks });
    }

    /// Appends text with a mark list (any order, duplicates allowed).
    pub(crate) fn push_text(&mut self, text: impl Into<Cow<'a, str>>, marks: &[Mk]) {
        self.add_text(text, Marks::from_slice(marks));
    }

    /// Appends text, turning `\n` (and CR/CRLF) into hard breaks.
    pub(crate) fn add_text(&mut self, text: impl Into<Cow<'a, str>>, marks: Marks) {
        let text = text.into();
        if !escape::has_newline(&text) {
            if !text.is_empty() {
                self.push(Piece::Text(text), marks);
            }
            return;
        }
        let norm = text.replace("\r\n", "\n").replace('\r', "\n");
        for (i, part) in norm.split('\n').enumerate() {
            if i > 0 {
                self.push(Piece::Break, marks);
            }
            if !part.is_empty() {
                self.push(Piece::Text(Cow::Owned(part.to_owned())), marks);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the run holds no text: only whitespace (Unicode whitespace
    /// too, and in code spans) and breaks. Such a run gives no output
    /// (§2.2); a link of only whitespace is not blank, as it shows its href.
    fn is_blank(&self) -> bool {
        self.items.iter().all(|i| match &i.piece {
            Piece::Text(t) | Piece::Code(t) => !i.marks.has_link() && escape::is_blank(t),
            Piece::Break => true,
            Piece::Raw(_) | Piece::Comment(_) => false,
        })
    }

    /// An empty run with room for `n` items, reusing the item buffer that
    /// the last rendered run handed back to `sc`.
    pub(crate) fn reusing(sc: &mut Scratch, n: usize) -> Self {
        let mut items = recycle(std::mem::take(&mut sc.items));
        // Room for mentions, which take two items, and split text; at first
        // use, for a typical paragraph, so that the next one fits too (and
        // allocated directly, which costs less than growing an empty vector).
        let room = n + n / 2 + 4;
        if items.capacity() == 0 {
            items = Vec::with_capacity(room.max(16));
        } else {
            items.reserve(room);
        }
        Self {
            items,
            links: recycle(std::mem::take(&mut sc.links)),
            breaks: false,
            text_len: 0,
        }
    }

    /// Adds `mark` (not a link) to every item (used for heading text in
    /// table cells and for captions).
    pub(crate) fn add_mark(&mut self, mark: Mk) {
        debug_assert!(!matches!(mark, Mk::Link(_)));
        for it in &mut self.items {
            it.marks = it.marks.with(mark);
        }
    }
}

/// Empties a vector and gives its allocation to a vector of another type,
/// here the same type with another lifetime (the standard library collects
/// a mapped `IntoIter` in place when the layouts agree).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| -> U { unreachable!("the vector is empty") })
        .collect()
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Where the run is rendered; decides what a hard break becomes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ctx {
    /// Paragraph or list-item text: `\` + newline, line-start escaping.
    Para,
    /// Heading: a break is a space.
    Heading,
    /// Caption: a break is a space, line-start escaping applies.
    Caption,
    /// Table cell: a break is `<br>`.
    Cell,
}

/// The options that shape how a run is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Style {
    /// Whether HTML may be emitted.
    pub(crate) html: bool,
    /// [`crate::WhitespaceMode::Exact`] instead of hoisting.
    pub(crate) exact: bool,
    /// How a hard break is written in [`Ctx::Para`].
    pub(crate) hard_break: crate::HardBreakStyle,
    /// A link written as HTML (`<a href>`), set for one line only.
    pub(crate) html_link: Option<u32>,
}

impl Style {
    /// The defaults, with or without HTML.
    #[cfg(test)]
    pub(crate) fn plain(html: bool) -> Self {
        Self {
            html,
            exact: false,
            hard_break: crate::HardBreakStyle::Backslash,
            html_link: None,
        }
    }

    fn para_break(self) -> &'static str {
        match self.hard_break {
            crate::HardBreakStyle::TwoSpaces => "  \n",
            crate::HardBreakStyle::Html if self.html => "<br>\n",
            _ => "\\\n",
        }
    }
}

/// The rendered Markdown of a run and whether something had to be dropped.
pub(crate) struct Rendered {
    pub(crate) text: String,
    pub(crate) lossy: bool,
}

/// Buffers reused from one run to the next, so that rendering a run
/// allocates little more than its output.
pub(crate) struct Scratch {
    /// The unescaped text of the units, back to back.
    arena: String,
    units: Vec<Unit>,
    /// The escaped text of the tokens, in token order.
    buf: String,
    toks: Vec<Tok>,
    /// The spans that fall back to HTML, by id; only as long as the last
    /// such span needs (most lines have none, and then it stays empty).
    as_html: Vec<bool>,
    /// The failing spans of a [`fix_flanking`] round.
    fail: Vec<usize>,
    /// The item buffer of the last run rendered, kept for the next one.
    items: Vec<Item<'static>>,
    /// Its link buffer, likewise.
    links: Vec<Link<'static>>,
}

impl Default for Scratch {
    /// Sized for a typical paragraph, so that small documents do not pay
    /// for growing the buffers step by step; each buffer stays under 1 KiB,
    /// which the system allocator serves from its fast small-size bins.
    fn default() -> Self {
        Self {
            arena: String::with_capacity(512),
            units: Vec::with_capacity(16),
            buf: String::with_capacity(640),
            toks: Vec::with_capacity(40),
            as_html: Vec::new(),
            fail: Vec::new(),
            items: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// What CommonMark sees of a delimiter run.
#[derive(Clone, Copy, Default)]
struct RunInfo {
    len: usize,
    flanks: Flanks,
    has_close: bool,
}

/// Renders a run with fresh buffers.
#[cfg(test)]
pub(crate) fn render(run: Run<'_>, ctx: Ctx, st: Style) -> Rendered {
    render_with(run, ctx, st, &mut Scratch::default())
}

/// Renders a run. The result has no leading or trailing spaces and, outside
/// [`Ctx::Para`], no newline.
pub(crate) fn render_with(run: Run<'_>, ctx: Ctx, st: Style, sc: &mut Scratch) -> Rendered {
    let html = st.html;
    if run.is_blank() {
        sc.items = recycle(run.items);
        sc.links = recycle(run.links);
        return Rendered {
            text: String::new(),
            lossy: false,
        };
    }
    let Run {
        items,
        links,
        breaks,
        text_len,
    } = run;
    // Fast path for the common single-line run: no line splitting and no
    // copy of the rendered text.
    if !breaks {
        let mut lossy = false;
        // Room for the text and some syntax: one allocation in most cases.
        let mut text = String::with_capacity(text_len + text_len / 4 + 16);
        render_line(&items, &links, ctx, st, &mut lossy, sc, &mut text);
        // A paragraph that opens with a link may read as a link reference
        // definition: the general path below deals with that rare case.
        let para = matches!(ctx, Ctx::Para | Ctx::Caption);
        let ref_def = para
            && items.first().is_some_and(|i| i.marks.has_link())
            && items
                .iter()
                .find(|i| !matches!(&i.piece, Piece::Text(t) if t.is_empty()))
                .is_some_and(|i| i.marks.has_link())
            && looks_like_ref_def(escape::trim_blank_start(&text));
        if !ref_def {
            sc.items = recycle(items);
            sc.links = recycle(links);
            let end = escape::trim_blank_end(&text).len();
            text.truncate(end);
            let lead = text.len() - escape::trim_blank_start(&text).len();
            if lead > 0 {
                text.drain(..lead);
            }
            if para && let Some(at) = escape::line_start(&text) {
                text.insert(at, '\\');
            }
            return Rendered { text, lossy };
        }
    }
    let mut items = items;
    if matches!(ctx, Ctx::Para | Ctx::Cell) {
        unlink_blank_parts(&mut items);
    }
    let mut lines: Vec<Vec<Item<'_>>> = vec![Vec::new()];
    for it in items {
        match it.piece {
            Piece::Break if matches!(ctx, Ctx::Heading | Ctx::Caption) => {
                let line = lines.last_mut().expect("lines is never empty");
                let marks = line.last().map(|i| i.marks).unwrap_or_default();
                line.push(Item {
                    piece: Piece::Text(Cow::Borrowed(" ")),
                    marks,
                });
            }
            Piece::Break => lines.push(Vec::new()),
            Piece::Text(ref t) if t.is_empty() => {}
            _ => lines.last_mut().expect("lines is never empty").push(it),
        }
    }
    // A line of whitespace carries no text, unless it is a link's only
    // text: that shows the href (see `unlink_blank_parts`).
    let blank = |l: &Vec<Item<'_>>, unicode: bool| {
        l.iter().all(|i| {
            !i.marks.has_link()
                && matches!(&i.piece, Piece::Text(t) if if unicode {
                    t.trim().is_empty()
                } else {
                    escape::trim_blank_end(t).is_empty()
                })
        })
    };
    // A break at the start or end of a paragraph carries no text; a trailing
    // `\` would even show as a literal backslash. At the end, a line of
    // Unicode whitespace (NBSP) is blank too: it carries no text, and where
    // the output is trimmed (the end of the document, a cell) the `\` would
    // be left last.
    let start = lines
        .iter()
        .position(|l| !blank(l, false))
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !blank(l, true))
        .map_or(start, |e| e + 1);
    // A line that ends in a hard break written as `\` or `<br>` cannot be a
    // table delimiter row; one that ends in two spaces can.
    let open_line_ends = st.para_break() == "  \n";
    let mut lossy = false;
    let mut out = String::new();
    for (n, mut line) in lines.into_iter().enumerate().skip(start).take(end - start) {
        if n > start {
            match ctx {
                Ctx::Para => out.push_str(st.para_break()),
                _ if html => out.push_str("<br>"),
                _ => out.push(' '),
            }
        }
        let para = matches!(ctx, Ctx::Para | Ctx::Caption);
        // Checked only when a paragraph opens with a link.
        let link_start = para && n == start && line.first().is_some_and(|i| i.marks.has_link());
        let mut rendered = String::new();
        render_line(&line, &links, ctx, st, &mut lossy, sc, &mut rendered);
        if link_start && looks_like_ref_def(escape::trim_blank_start(&rendered)) {
            // Block parsing sees a `]` inside a code span in the link text
            // and reads `[`]:`](u)` as a link reference definition. The link
            // is written as HTML instead; without HTML, such code is escaped
            // as plain text.
            let link = line.first().and_then(|i| i.marks.first_is_link());
            let line_st = if html {
                Style {
                    html_link: link,
                    ..st
                }
            } else {
                for it in &mut line {
                    if let Piece::Code(c) = &mut it.piece
                        && c.contains(']')
                    {
                        it.piece = Piece::Text(std::mem::take(c));
                        lossy = true;
                    }
                }
                st
            };
            rendered.clear();
            render_line(&line, &links, ctx, line_st, &mut lossy, sc, &mut rendered);
        }
        let trimmed = escape::trim_blank_start(escape::trim_blank_end(&rendered));
        // After a break, a line that reads as a table delimiter row makes
        // the line above a table header (GFM tables may interrupt a
        // paragraph in cmark-gfm and markdown-it).
        let at = if para {
            escape::line_start(trimmed).or_else(|| {
                let row = n > start && (n + 1 == end || open_line_ends);
                (row && escape::delimiter_row(trimmed)).then_some(0)
            })
        } else {
            None
        };
        if let Some(at) = at {
            out.push_str(&trimmed[..at]);
            out.push('\\');
            out.push_str(&trimmed[at..]);
        } else {
            out.push_str(trimmed);
        }
    }
    Rendered { text: out, lossy }
}

/// A link's text may run across hard breaks, which split it into one link
/// per line (§3.2 step 6). A line's part of it that is only whitespace
/// would be written as an empty link, which shows the href (§3.1). That is
/// right when the link has no text at all (once: the first blank part),
/// but when it has text on another line the blank part is just whitespace,
/// so it loses the link here.
fn unlink_blank_parts(items: &mut [Item<'_>]) {
    let is_break = |it: &Item<'_>| matches!(it.piece, Piece::Break);
    let blank = |it: &Item<'_>| matches!(&it.piece, Piece::Text(t) if t.trim().is_empty());
    let mut i = 0;
    while i < items.len() {
        let Some(link) = items[i].marks.first_is_link().map(Mk::Link) else {
            i += 1;
            continue;
        };
        if is_break(&items[i]) {
            i += 1;
            continue;
        }
        // The link goes on over breaks that the same link follows.
        let mut end = i + 1;
        for (j, it) in items.iter().enumerate().skip(i + 1) {
            if is_break(it) {
                continue;
            }
            if !it.marks.contains(link) {
                break;
            }
            end = j + 1;
        }
        let span = &mut items[i..end];
        let mut shown = span.split(is_break).any(|p| !p.iter().all(blank));
        for part in span.split_mut(is_break) {
            if part.is_empty() || !part.iter().all(blank) {
                continue;
            }
            if shown {
                for it in part {
                    it.marks = it.marks.without_link();
                }
            }
            shown = true;
        }
        i = end;
    }
}

/// Renders a run for a table cell onto the end of `out`, with the same
/// bytes [`render_with`] gives in [`Ctx::Cell`]; returns whether something
/// had to be dropped. Single-line runs are written in place, with no string
/// of their own.
pub(crate) fn render_cell_into(
    run: Run<'_>,
    st: Style,
    sc: &mut Scratch,
    out: &mut String,
) -> bool {
    if run.breaks || run.is_blank() {
        let r = render_with(run, Ctx::Cell, st, sc);
        out.push_str(&r.text);
        return r.lossy;
    }
    let Run { items, links, .. } = run;
    let mut lossy = false;
    let base = out.len();
    render_line(&items, &links, Ctx::Cell, st, &mut lossy, sc, out);
    sc.items = recycle(items);
    sc.links = recycle(links);
    let end = escape::trim_blank_end(&out[base..]).len();
    out.truncate(base + end);
    let lead = end - escape::trim_blank_start(&out[base..]).len();
    if lead > 0 {
        out.drain(base..base + lead);
    }
    lossy
}

/// Whether a line would be read as a link reference definition label:
/// `[` ... first unescaped `]` directly followed by `:`.
fn looks_like_ref_def(line: &str) -> bool {
    // Bytewise: the characters looked for are ASCII, and skipping one byte
    // of an escaped multi-byte character only lands on continuation bytes.
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let mut bytes = rest.bytes();
    while let Some(c) = bytes.next() {
        match c {
            b'\\' => {
                bytes.next();
            }
            b'[' => return false,
            b']' => return bytes.next() == Some(b':'),
            _ => {}
        }
    }
    false
}

/// What a unit holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum UKind {
    Text,
    Code,
    Raw,
    Comment,
    Break,
}

/// Neighbouring items of one kind and mark set, merged; the text is
/// `arena[start..end]`.
#[derive(Clone, Copy, Debug)]
struct Unit {
    kind: UKind,
    marks: Marks,
    start: usize,
    end: usize,
}

/// A token of a rendered line; text is a range of [`Scratch::buf`].
#[derive(Debug, Clone, Copy)]
enum Tok {
    Open(Mk, usize),
    Close(Mk, usize),
    Text(usize, usize),
    Lit(usize, usize),
}

fn render_line(
    items: &[Item<'_>],
    links: &[Link<'_>],
    ctx: Ctx,
    st: Style,
    lossy: &mut bool,
    sc: &mut Scratch,
    out: &mut String,
) {
    let html = st.html;
    let base = out.len();
    // A single unmarked text (most table cells, many paragraphs) needs none
    // of the merging below: the result is its escaped text.
    if let [
        Item {
            piece: Piece::Text(t),
            marks,
        },
    ] = items
        && marks.is_empty()
    {
        escape::inline(t, None, None, out);
        if ctx == Ctx::Cell && escape::has_newline(&out[base..]) {
            newlines_to_spaces(out, base);
        }
        return;
    }
    let Scratch {
        arena,
        units,
        buf,
        toks,
        as_html,
        fail,
        items: _,
        links: _,
    } = sc;
    arena.clear();
    units.clear();
    // One allocation of the right size on first use, none after that.
    let text_len: usize = items
        .iter()
        .map(|it| match &it.piece {
            Piece::Text(t) | Piece::Code(t) => t.len(),
            Piece::Raw(r) | Piece::Comment(r) => r.len() + 2,
            Piece::Break => 0,
        })
        .sum();
    arena.reserve(text_len + 2);
    units.reserve(items.len());
    // 1. Merge neighbours with equal mark sets so escaping sees whole words
    //    and adjacent code nodes become one code span. Empty text is dropped.
    for it in items {
        let (kind, s) = match &it.piece {
            Piece::Text(t) if t.is_empty() => continue,
            Piece::Text(t) => (UKind::Text, &**t),
            Piece::Code(c) => (UKind::Code, &**c),
            Piece::Raw(r) => (UKind::Raw, r.as_str()),
            Piece::Comment(r) => (UKind::Comment, r.as_str()),
            Piece::Break => (UKind::Break, ""),
        };
        if let Some(last) = units.last_mut()
            && last.marks == it.marks
            && last.kind == kind
            && matches!(kind, UKind::Text | UKind::Code)
        {
            arena.push_str(s);
            last.end = arena.len();
            continue;
        }
        let start = arena.len();
        arena.push_str(s);
        units.push(Unit {
            kind,
            marks: it.marks,
            start,
            end: arena.len(),
        });
    }

    // 2. An HTML comment at the start of a line would open an HTML block that
    //    swallows the rest of the line, so move leading comments to the end.
    let lead = units
        .iter()
        .take_while(|u| u.kind == UKind::Comment)
        .count();
    if lead > 0 && lead < units.len() {
        units.rotate_left(lead);
    }

    // 3. Links whose text is the URL become autolinks; empty link text
    //    becomes the URL.
    let n = units.len();
    for i in 0..n {
        let Some(id) = units[i].marks.first_is_link() else {
            continue;
        };
        let alone = (i == 0 || !units[i - 1].marks.contains(Mk::Link(id)))
            && (i + 1 == n || !units[i + 1].marks.contains(Mk::Link(id)));
        if !alone {
            continue;
        }
        let Some((href, title)) = links.get(id as usize) else {
            continue;
        };
        let u = &mut units[i];
        if u.kind == UKind::Text {
            if escape::is_blank(&arena[u.start..u.end]) {
                u.start = arena.len();
                arena.push_str(href);
                u.end = arena.len();
            }
            if arena[u.start..u.end] == **href && title.is_none() && escape::is_autolink(href) {
                u.start = arena.len();
                arena.push('<');
                arena.push_str(href);
                arena.push('>');
                u.end = arena.len();
                u.kind = UKind::Raw;
                u.marks = u.marks.without_link();
            }
        }
    }

    // Fast path: without marks there is no delimiter to place, hoist or
    // check, so the pieces are written straight out.
    if units.iter().all(|u| u.marks.is_empty()) {
        out.reserve(arena.len());
        // Whether the output ends in a code span: escaped text never ends
        // in a bare backtick, and no other syntax we write does.
        let mut after_code = false;
        for u in units.iter() {
            let s = &arena[u.start..u.end];
            match u.kind {
                UKind::Text => {
                    escape::inline(s, None, None, out);
                    after_code = false;
                }
                UKind::Code if !s.is_empty() => {
                    if after_code {
                        out.push(' ');
                    }
                    escape::code_span(s, out);
                    after_code = true;
                }
                UKind::Raw | UKind::Comment => {
                    if s.starts_with('[') {
                        disarm_bang(out, base);
                    }
                    out.push_str(s);
                    after_code = false;
                }
                UKind::Code | UKind::Break => {}
            }
        }
        if ctx == Ctx::Cell && escape::has_newline(&out[base..]) {
            newlines_to_spaces(out, base);
        }
        return;
    }

    // 4. Tokens from a stack of open marks.
    buf.clear();
    toks.clear();
    buf.reserve(arena.len() + arena.len() / 8 + 16);
    // The open marks, outermost first, with their span ids. Every open mark
    // is in the current set, which holds at most one mark of each of the
    // nine kinds, so nine places are enough.
    let mut stack = [(Mk::Strong, 0usize); 9];
    let mut depth = 0;
    let mut next_id = 0usize;
    for i in 0..n {
        let set = units[i].marks;
        if let Some(p) = stack[..depth].iter().position(|(m, _)| !set.contains(*m)) {
            while depth > p {
                depth -= 1;
                let (m, id) = stack[depth];
                toks.push(Tok::Close(m, id));
            }
        }
        let mut to_open = [Mk::Strong; 9];
        let mut k = 0;
        for m in set.iter() {
            if !stack[..depth].iter().any(|(x, _)| *x == m) {
                to_open[k] = m;
                k += 1;
            }
        }
        let to_open = &mut to_open[..k];
        if to_open.len() > 1 {
            // The mark that runs furthest opens first and so is outermost;
            // a link wins ties because `[**x**](u)` reads better.
            let reach = |m: Mk| {
                units[i..]
                    .iter()
                    .take_while(|u| u.marks.contains(m))
                    .count()
            };
            to_open.sort_by_key(|&m| (std::cmp::Reverse(reach(m)), m.rank()));
        }
        for &m in to_open.iter() {
            toks.push(Tok::Open(m, next_id));
            stack[depth] = (m, next_id);
            depth += 1;
            next_id += 1;
        }
        let u = units[i];
        let s = &arena[u.start..u.end];
        let a = buf.len();
        match u.kind {
            UKind::Text => {
                // Neighbouring units always differ in marks, so some syntax
                // (or an HTML fallback) separates them: their characters are
                // not this text's neighbours, and the edges stay unknown.
                escape::inline(s, None, None, buf);
                toks.push(Tok::Text(a, buf.len()));
            }
            UKind::Code => {
                if !s.is_empty() {
                    escape::code_span(s, buf);
                    toks.push(Tok::Lit(a, buf.len()));
                }
            }
            UKind::Raw | UKind::Comment => {
                buf.push_str(s);
                toks.push(Tok::Lit(a, buf.len()));
            }
            UKind::Break => {}
        }
    }
    for &(m, id) in stack[..depth].iter().rev() {
        toks.push(Tok::Close(m, id));
    }

    // 5. Whitespace hoisting: an opener must be followed and a closer preceded
    //    by non-whitespace. In exact mode, edge whitespace is written as a
    //    character reference instead; spans of only whitespace still lose
    //    their marks.
    if st.exact {
        exact_edges(toks, buf);
    }
    for _ in 0..8 {
        let changed = hoist(toks, buf);
        // Another round can only find something when this cleanup dropped a
        // text or a span and so made new neighbours: merging texts keeps the
        // edges that hoisting looks at, and cleaning up is idempotent.
        let reshaped = cleanup(toks, buf);
        if !changed || !reshaped {
            break;
        }
    }

    // 6. Flanking: a delimiter that CommonMark would not read as one falls
    //    back to HTML (or is dropped when HTML is off).
    as_html.clear();
    fix_flanking(toks, buf, as_html, fail);

    // 7. Serialise.
    out.reserve(buf.len());
    // Whether the output ends in a code span (see the fast path above); a
    // literal starting with a backtick is one.
    let mut after_code = false;
    for t in toks.iter() {
        match *t {
            Tok::Text(a, b) | Tok::Lit(a, b) => {
                let s = &buf[a..b];
                if s.starts_with('[') {
                    disarm_bang(out, base);
                }
                // Two code spans that touch (only possible when a dropped
                // delimiter stood between them) would merge their backtick
                // runs; a space keeps them apart.
                let code = matches!(t, Tok::Lit(..)) && s.starts_with('`');
                if code && after_code {
                    out.push(' ');
                    *lossy = true;
                }
                out.push_str(s);
                if !s.is_empty() {
                    after_code = code;
                }
            }
            Tok::Open(m, id) | Tok::Close(m, id) => {
                let open = matches!(t, Tok::Open(..));
                if let Mk::Link(l) = m
                    && st.html_link == Some(l)
                {
                    push_html_link(links.get(l as usize), open, out);
                    after_code = false;
                    continue;
                }
                if matches!(t, Tok::Open(Mk::Link(_), _)) {
                    disarm_bang(out, base);
                }
                let fallback = as_html.get(id).copied().unwrap_or(false);
                if fallback && !html {
                    *lossy = true;
                    continue;
                }
                push_delim(m, open, fallback, links, out);
                after_code = false;
            }
        }
    }
    if ctx == Ctx::Cell && out[base..].contains('\n') {
        newlines_to_spaces(out, base);
    }
}

/// Replaces every `\n` after `base` with a space.
fn newlines_to_spaces(out: &mut String, base: usize) {
    let fixed = out[base..].replace('\n', " ");
    out.truncate(base);
    out.push_str(&fixed);
}

/// A literal `!` right before a link we open would turn it into an image.
/// Only text after `base` belongs to the line being written.
fn disarm_bang(out: &mut String, base: usize) {
    if out.len() > base && out.ends_with('!') {
        let body = &out[base..out.len() - 1];
        let slashes = body.len() - body.trim_end_matches('\\').len();
        if slashes.is_multiple_of(2) {
            out.insert(out.len() - 1, '\\');
        }
    }
}

fn delim_str(m: Mk, open: bool, fallback: bool) -> &'static str {
    match (m, open, fallback) {
        (Mk::Strong, _, false) => "**",
        (Mk::Em, _, false) => "*",
        (Mk::Strike, _, false) => "~~",
        (Mk::Strong, true, true) => "<strong>",
        (Mk::Strong, false, true) => "</strong>",
        (Mk::Em, true, true) => "<em>",
        (Mk::Em, false, true) => "</em>",
        (Mk::Strike, true, true) => "<del>",
        (Mk::Strike, false, true) => "</del>",
        (Mk::Sub, true, _) => "<sub>",
        (Mk::Sub, false, _) => "</sub>",
        (Mk::Sup, true, _) => "<sup>",
        (Mk::Sup, false, _) => "</sup>",
        (Mk::Ins, true, _) => "<ins>",
        (Mk::Ins, false, _) => "</ins>",
        (Mk::Mark, true, _) => "<mark>",
        (Mk::Mark, false, _) => "</mark>",
        // The real opening tag carries the colour (see `push_delim`); only
        // its first and last characters matter for flanking.
        (Mk::Color(_), true, _) => "<span>",
        (Mk::Color(_), false, _) => "</span>",
        (Mk::Link(_), true, _) => "[",
        (Mk::Link(_), false, _) => "]",
    }
}

/// A link as an HTML `<a>` tag (or its end tag).
fn push_html_link(link: Option<&Link<'_>>, open: bool, out: &mut String) {
    if !open {
        out.push_str("</a>");
        return;
    }
    out.push_str("<a href=\"");
    if let Some((href, title)) = link {
        escape::html_attr(href, out);
        if let Some(t) = title {
            out.push_str("\" title=\"");
            escape::html_attr(t, out);
        }
    }
    out.push_str("\">");
}

fn push_delim(m: Mk, open: bool, fallback: bool, links: &[Link<'_>], out: &mut String) {
    if let (Mk::Color(c), true) = (m, open) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push_str("<span style=\"color:#");
        for shift in [20u32, 16, 12, 8, 4, 0] {
            out.push(char::from(HEX[((c >> shift) & 0xf) as usize]));
        }
        out.push_str("\">");
        return;
    }
    // The common delimiters are written from literals, which are copied
    // inline; a string from `delim_str` goes through a `memcpy` call.
    match (m, fallback) {
        (Mk::Strong, false) => out.push_str("**"),
        (Mk::Em, false) => out.push('*'),
        (Mk::Strike, false) => out.push_str("~~"),
        (Mk::Link(_), _) => out.push(if open { '[' } else { ']' }),
        _ => out.push_str(delim_str(m, open, fallback)),
    }
    if let (Mk::Link(id), false) = (m, open) {
        out.push('(');
        if let Some((href, title)) = links.get(id as usize) {
            escape::destination(href, out);
            if let Some(t) = title {
                escape::title(t, out);
            }
        } else {
            out.push_str("<>");
        }
        out.push(')');
    }
}

/// Moves leading whitespace in front of opener groups and trailing
/// whitespace behind closer groups. Returns whether anything moved.
fn hoist(toks: &mut Vec<Tok>, buf: &str) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < toks.len() {
        if matches!(toks[i], Tok::Open(..)) {
            let g = i;
            let mut j = i;
            while j < toks.len() && matches!(toks[j], Tok::Open(..)) {
                j += 1;
            }
            let has_emph = toks[g..j]
                .iter()
                .any(|t| matches!(t, Tok::Open(m, _) if m.delim().is_some()));
            if has_emph && let Some(Tok::Text(a, b)) = toks.get(j).copied() {
                let lead = escape::leading_space(&buf[a..b]);
                if lead > 0 {
                    let cut = a + lead;
                    toks[j] = Tok::Text(cut, b);
                    toks.insert(g, Tok::Text(a, cut));
                    changed = true;
                    j += 1;
                }
            }
            i = j;
            continue;
        }
        if matches!(toks[i], Tok::Close(..)) {
            let g = i;
            let mut j = i;
            while j < toks.len() && matches!(toks[j], Tok::Close(..)) {
                j += 1;
            }
            let has_emph = toks[g..j]
                .iter()
                .any(|t| matches!(t, Tok::Close(m, _) if m.delim().is_some()));
            if has_emph
                && g > 0
                && let Tok::Text(a, b) = toks[g - 1]
            {
                let trail = escape::trailing_space(&buf[a..b]);
                if trail > 0 {
                    let cut = b - trail;
                    toks[g - 1] = Tok::Text(a, cut);
                    toks.insert(j, Tok::Text(cut, b));
                    changed = true;
                    j += 1;
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    changed
}

/// A numeric character reference for `c`.
fn push_entity(c: char, out: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(out, "&#{};", u32::from(c));
}

/// Rewrites text token `k` as `head` + the reference for `c` + `tail`
/// (appended to `buf`, which only grows).
fn rewrite(
    toks: &mut [Tok],
    k: usize,
    buf: &mut String,
    head: (usize, usize),
    c: char,
    tail: (usize, usize),
) {
    let start = buf.len();
    buf.extend_from_within(head.0..head.1);
    push_entity(c, buf);
    buf.extend_from_within(tail.0..tail.1);
    toks[k] = Tok::Text(start, buf.len());
}

/// [`crate::WhitespaceMode::Exact`]: whitespace just inside an emphasis
/// delimiter group becomes a character reference (`**&#32;x**`). The
/// reference starts or ends with punctuation, so an alphanumeric character
/// just outside the group becomes a reference too, or the delimiter would
/// not flank (`e**&#32;x**` is not emphasis; `&#101;**&#32;x**` is).
fn exact_edges(toks: &mut [Tok], buf: &mut String) {
    let is_emph = |t: &Tok| matches!(t, Tok::Open(m, _) | Tok::Close(m, _) if m.delim().is_some());
    let mut i = 0;
    while i < toks.len() {
        let open = matches!(toks[i], Tok::Open(..));
        if !matches!(toks[i], Tok::Open(..) | Tok::Close(..)) {
            i += 1;
            continue;
        }
        let g = i;
        let mut j = i;
        while j < toks.len()
            && matches!(toks[j], Tok::Open(..)) == open
            && matches!(toks[j], Tok::Open(..) | Tok::Close(..))
        {
            j += 1;
        }
        i = j;
        if !toks[g..j].iter().any(is_emph) {
            continue;
        }
        // The text inside the group and the text outside it.
        let (inside, outside) = if open {
            (Some(j), g.checked_sub(1))
        } else {
            (g.checked_sub(1), Some(j))
        };
        let Some(Tok::Text(a, b)) = inside.and_then(|k| toks.get(k)).copied() else {
            continue;
        };
        let s = &buf[a..b];
        if s.trim().is_empty() {
            continue;
        }
        let edge = if open {
            s.chars().next()
        } else {
            s.chars().next_back()
        };
        let Some(c) = edge.filter(|c| c.is_whitespace()) else {
            continue;
        };
        let k = inside.unwrap_or_default();
        if open {
            rewrite(toks, k, buf, (a, a), c, (a + c.len_utf8(), b));
        } else {
            rewrite(toks, k, buf, (a, b - c.len_utf8()), c, (b, b));
        }
        let Some(o) = outside else { continue };
        let Some(Tok::Text(a, b)) = toks.get(o).copied() else {
            continue;
        };
        let s = &buf[a..b];
        if open {
            // A backslash before the character would escape the `&`.
            if let Some(c) = s.chars().next_back().filter(|c| c.is_alphanumeric())
                && !s[..s.len() - c.len_utf8()].ends_with('\\')
            {
                rewrite(toks, o, buf, (a, b - c.len_utf8()), c, (b, b));
            }
        } else if let Some(c) = s.chars().next().filter(|c| c.is_alphanumeric()) {
            rewrite(toks, o, buf, (a, a), c, (a + c.len_utf8(), b));
        }
    }
}

/// Appends text `a..b` of `buf` to the text token `prev`. Text tokens keep
/// `buf` order, so touching ranges just join; otherwise both are copied.
fn join_text(prev: &mut Tok, a: usize, b: usize, buf: &mut String) {
    let Tok::Text(pa, pb) = *prev else {
        unreachable!("only text tokens are joined")
    };
    if pb == a {
        *prev = Tok::Text(pa, b);
    } else {
        let joined = format!("{}{}", &buf[pa..pb], &buf[a..b]);
        let start = buf.len();
        buf.push_str(&joined);
        *prev = Tok::Text(start, buf.len());
    }
}

/// Drops empty text, merges adjacent text and removes empty mark spans,
/// compacting `toks` in place (the write index never passes the read one).
/// Returns whether a text or a span was dropped (not just texts merged).
fn cleanup(toks: &mut Vec<Tok>, buf: &mut String) -> bool {
    let mut reshaped = false;
    let mut w = 0;
    for r in 0..toks.len() {
        let t = toks[r];
        match t {
            Tok::Text(a, b) if a == b => reshaped = true,
            Tok::Text(a, b) => {
                if w > 0 && matches!(toks[w - 1], Tok::Text(..)) {
                    join_text(&mut toks[w - 1], a, b, buf);
                } else {
                    toks[w] = t;
                    w += 1;
                }
            }
            Tok::Close(_, id) => {
                if w > 0 && matches!(toks[w - 1], Tok::Open(_, oid) if oid == id) {
                    reshaped = true;
                    w -= 1;
                    // Text on both sides of the removed span may now touch.
                    if w >= 2
                        && matches!(toks[w - 2], Tok::Text(..))
                        && let Tok::Text(a, b) = toks[w - 1]
                    {
                        w -= 1;
                        join_text(&mut toks[w - 1], a, b, buf);
                    }
                } else {
                    toks[w] = t;
                    w += 1;
                }
            }
            other => {
                toks[w] = other;
                w += 1;
            }
        }
    }
    toks.truncate(w);
    reshaped
}

/// Whether a delimiter run between `prev` and `next` (`None` at a line
/// edge) is left- and right-flanking, under every way a parser may class
/// the two characters (see [`escape::SPACE`]).
fn flanking(prev: Option<char>, next: Option<char>) -> Flanks {
    let class = |c: Option<char>| match c {
        Some(c) => escape::class(c),
        None => escape::SPACE,
    };
    let (pc, nc) = (class(prev), class(next));
    let one = |p: u8, n: u8| {
        (
            n != escape::SPACE && (n == escape::OTHER || p != escape::OTHER),
            p != escape::SPACE && (p == escape::OTHER || n != escape::OTHER),
        )
    };
    if pc.is_power_of_two() && nc.is_power_of_two() {
        // One class each (always for ASCII): no ambiguity.
        let (left, right) = one(pc, nc);
        return Flanks {
            left,
            right,
            left_maybe: left,
            right_maybe: right,
        };
    }
    let mut f = Flanks {
        left: true,
        right: true,
        left_maybe: false,
        right_maybe: false,
    };
    for p in [escape::SPACE, escape::PUNCT, escape::OTHER] {
        if pc & p == 0 {
            continue;
        }
        for n in [escape::SPACE, escape::PUNCT, escape::OTHER] {
            if nc & n == 0 {
                continue;
            }
            let (left, right) = one(p, n);
            f.left &= left;
            f.right &= right;
            f.left_maybe |= left;
            f.right_maybe |= right;
        }
    }
    f
}

/// See [`flanking`]: `left` and `right` hold for every parser, the
/// `_maybe` ones for some.
#[derive(Clone, Copy, Default)]
struct Flanks {
    left: bool,
    right: bool,
    left_maybe: bool,
    right_maybe: bool,
}

/// Marks the delimiter pairs that CommonMark would not parse as intended.
///
/// Checked per delimiter run (adjacent delimiters of one character): an
/// opener must be left-flanking, a closer right-flanking; a run must not both
/// close and open spans; an opener that could also close must not sit inside
/// another span of the same character (it would close that one instead); and
/// a pair must not fall foul of CommonMark's "multiple of 3" rule. Failing
/// pairs fall back to HTML, which changes neighbours, so this repeats until
/// nothing changes.
fn fix_flanking(toks: &[Tok], buf: &str, as_html: &mut Vec<bool>, fail: &mut Vec<usize>) {
    if !toks
        .iter()
        .any(|t| matches!(t, Tok::Open(m, _) if m.delim().is_some()))
    {
        return;
    }
    // Strong and em share `*`.
    let char_of = |kind: usize| if kind == 2 { '~' } else { '*' };
    let rule3 = |a: usize, b: usize| {
        (a + b).is_multiple_of(3) && !(a.is_multiple_of(3) && b.is_multiple_of(3))
    };
    for _round in 0..16 {
        let html = |id: usize| as_html.get(id).copied().unwrap_or(false);
        // A delimiter CommonMark will see: its kind (0 strong, 1 em, 2
        // strike), whether it opens, its span id and its width.
        let delim_of = |t: &Tok| -> Option<(usize, bool, usize, usize)> {
            let (m, id, is_open) = match *t {
                Tok::Open(m, id) => (m, id, true),
                Tok::Close(m, id) => (m, id, false),
                _ => return None,
            };
            let (kind, width) = match m {
                Mk::Strong => (0, 2),
                Mk::Em => (1, 1),
                Mk::Strike => (2, 2),
                _ => return None,
            };
            (!html(id)).then_some((kind, is_open, id, width))
        };
        // The first or last character a token stands for (for a delimiter,
        // as it is now); `None` for empty text.
        let edge = |t: &Tok, last: bool| -> Option<char> {
            let s = match *t {
                Tok::Text(a, b) | Tok::Lit(a, b) => &buf[a..b],
                Tok::Open(m, id) | Tok::Close(m, id) => {
                    delim_str(m, matches!(t, Tok::Open(..)), html(id))
                }
            };
            let byte = if last {
                s.as_bytes().last()
            } else {
                s.as_bytes().first()
            };
            match byte {
                Some(&c) if c.is_ascii() => Some(char::from(c)),
                Some(_) if last => s.chars().next_back(),
                Some(_) => s.chars().next(),
                None => None,
            }
        };
        fail.clear();
        // The open span of each kind: (its opener's run, id). Marks nest and
        // a mark set holds at most one mark of a kind, so a kind has at most
        // one open span at a time.
        let mut open: [Option<(RunInfo, usize)>; 3] = [None; 3];
        let mut k = 0;
        while k < toks.len() {
            let Some((kind, is_open, _, width)) = delim_of(&toks[k]) else {
                k += 1;
                continue;
            };
            // The delimiter run `a..=b`: adjacent delimiters of one character.
            let ch = char_of(kind);
            let a = k;
            let mut b = k;
            let mut len = width;
            let mut has_close = !is_open;
            while let Some((j, o, _, w)) = toks.get(b + 1).and_then(delim_of)
                && char_of(j) == ch
            {
                b += 1;
                len += w;
                has_close |= !o;
            }
            let prev = toks[..a].iter().rev().find_map(|t| edge(t, true));
            let next = toks[b + 1..].iter().find_map(|t| edge(t, false));
            let run = RunInfo {
                len,
                flanks: flanking(prev, next),
                has_close,
            };
            // A delimiter must flank for every parser; it must not be able
            // to do more (close as well as open) for any.
            let f = run.flanks;
            for t in &toks[a..=b] {
                let Some((kind, is_open, id, _)) = delim_of(t) else {
                    continue;
                };
                if is_open {
                    // An opener that can also close would close an enclosing
                    // span of the same character, unless the rule of 3
                    // forbids it.
                    let nested_closer = f.right_maybe
                        && open.iter().enumerate().any(|(j, o)| {
                            o.is_some_and(|(o, _)| char_of(j) == ch && !rule3(o.len, run.len))
                        });
                    if run.has_close || !f.left || nested_closer {
                        fail.push(id);
                    }
                    open[kind] = Some((run, id));
                } else {
                    let opener = match open[kind] {
                        Some((o, i)) if i == id => {
                            open[kind] = None;
                            o
                        }
                        _ => RunInfo::default(),
                    };
                    let o = opener.flanks;
                    let both = (o.left_maybe && o.right_maybe) || (f.left_maybe && f.right_maybe);
                    if !f.right || (both && rule3(opener.len, run.len)) {
                        fail.push(id);
                    }
                }
            }
            k = b + 1;
        }
        if fail.is_empty() {
            return;
        }
        for &id in fail.iter() {
            if as_html.len() <= id {
                as_html.resize(id + 1, false);
            }
            as_html[id] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(parts: &[(&str, &[Mk])]) -> String {
        let mut r = Run::default();
        for (t, m) in parts {
            r.push_text(*t, m);
        }
        render(r, Ctx::Para, Style::plain(true)).text
    }

    #[test]
    fn merges_marks_across_nodes() {
        assert_eq!(
            run(&[
                ("bold ", &[Mk::Strong]),
                ("bolditalic", &[Mk::Strong, Mk::Em])
            ]),
            "**bold *bolditalic***"
        );
        assert_eq!(
            run(&[
                ("emstrong", &[Mk::Em, Mk::Strong]),
                ("strongem", &[Mk::Strong, Mk::Em])
            ]),
            "***emstrongstrongem***"
        );
    }

    #[test]
    fn hoists_whitespace() {
        assert_eq!(
            run(&[
                ("Before", &[]),
                (" spaced bold ", &[Mk::Strong]),
                ("after", &[])
            ]),
            "Before **spaced bold** after"
        );
        assert_eq!(
            run(&[("a", &[]), ("  ", &[Mk::Strong]), ("b", &[])]),
            "a  b"
        );
    }

    #[test]
    fn punctuation_flanking_falls_back_to_html() {
        assert_eq!(
            run(&[("x", &[]), ("\"q\"", &[Mk::Strong]), ("y", &[])]),
            "x<strong>\"q\"</strong>y"
        );
    }

    #[test]
    fn breaks_and_line_starts() {
        assert_eq!(run(&[("a\n# b\n", &[])]), "a\\\n\\# b");
        assert_eq!(run(&[("\n\nx", &[])]), "x");
    }
}
