//! Block-level rendering: dispatch on node type, containers, lists, tables,
//! media and the fallback ladder for unknown nodes.

use serde_json::{Map, Value};

use crate::escape;
use crate::inline::{self, Ctx, Marks, Mk, Piece, Run, Style};
use crate::{
    CardStyle, ExpandStyle, HeaderlessTables, MarkStyle, MediaStyle, MentionStyle, Options, Output,
    PanelStyle, SpanFill, TableStyle, Warning, WarningKind, WhitespaceMode,
};

/// Widest span honoured; hostile colspans must not allocate huge grids.
const MAX_COLSPAN: usize = 256;
/// Largest ordered-list start CommonMark accepts (at most nine digits).
const MAX_ORDER: u64 = 999_999_999;

pub(crate) fn convert(doc: &Value, o: &Options) -> Output {
    let mut r = R {
        o,
        warnings: Vec::new(),
        path: Path::default(),
        scratch: inline::Scratch::default(),
        segs: Vec::new(),
        cell_buf: String::new(),
        st: Style {
            html: o.html,
            exact: o.whitespace_mode == WhitespaceMode::Exact,
            hard_break: o.hard_break,
            html_link: None,
        },
    };
    let blocks = match doc {
        // Jira Data Center and REST v2 return wiki markup as a plain string.
        Value::String(s) => {
            return Output {
                markdown: s.clone(),
                warnings: Vec::new(),
            };
        }
        Value::Null => Vec::new(),
        Value::Array(a) => r.blocks(a, 0, Seg::Index),
        Value::Object(_) => match node_parts(doc) {
            ("doc", _, children) => r.blocks(children, 0, Seg::Content),
            _ => r.blocks(std::slice::from_ref(doc), 0, Seg::Root),
        },
        _ => {
            r.warn(WarningKind::Invalid, "");
            Vec::new()
        }
    };
    let mut markdown = join(blocks, false);
    let end = markdown.trim_end().len();
    markdown.truncate(end);
    if !markdown.is_empty() {
        markdown.push('\n');
    }
    Output {
        markdown,
        warnings: r.warnings,
    }
}

// ---------------------------------------------------------------- helpers

/// `map.get(key)` by a scan that compares lengths first: node and attribute
/// maps are small, and this avoids an ordered string comparison per key.
#[inline]
fn lookup<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.iter().find_map(|(k, v)| (k.as_str() == key).then_some(v))
}

/// `v.get(key)` for an object, via [`lookup`].
#[inline]
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => lookup(m, key),
        _ => None,
    }
}

fn ty(v: &Value) -> &str {
    field(v, "type").and_then(Value::as_str).unwrap_or("")
}

fn content(v: &Value) -> &[Value] {
    field(v, "content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn attrs(v: &Value) -> Option<&Map<String, Value>> {
    field(v, "attrs").and_then(Value::as_object)
}

fn attr<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    attrs(v).and_then(|a| lookup(a, key))
}

/// A non-empty string attribute.
fn attr_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    str_in(attrs(v), key)
}

/// [`attr`] on an already looked-up attribute map.
fn attr_in<'a>(attrs: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a Value> {
    lookup(attrs?, key)
}

/// [`attr_str`] on an already looked-up attribute map.
fn str_in<'a>(attrs: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a str> {
    attr_in(attrs, key)
        .and_then(Value::as_str)
        .filter(|s| !escape::is_blank(s))
}

/// A numeric attribute, also accepted as a numeric string (`"level": "2"`).
fn attr_num(v: &Value, key: &str) -> Option<f64> {
    num_in(attrs(v), key)
}

/// [`attr_num`] on an already looked-up attribute map.
fn num_in(attrs: Option<&Map<String, Value>>, key: &str) -> Option<f64> {
    as_num(lookup(attrs?, key)?)
}

/// Floors a finite float into `lo..=hi`.
fn clamp_int(f: f64, lo: u64, hi: u64) -> u64 {
    let f = f.floor();
    if f <= lo as f64 {
        lo
    } else if f >= hi as f64 {
        hi
    } else {
        // In range by the checks above, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = f as u64;
        n
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// An integer attribute clamped to `lo..=hi`, as [`clamp_int`] would give
/// it from [`as_num`], without going through a float for plain integers.
fn clamped(v: &Value, lo: u64, hi: u64) -> Option<u64> {
    if let Value::Number(n) = v
        && let Some(u) = n.as_u64()
    {
        return Some(u.clamp(lo, hi));
    }
    as_num(v).map(|f| clamp_int(f, lo, hi))
}

/// A number given as a JSON number or a numeric string, if finite.
fn as_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// A node's type, attributes and children.
type Parts<'a> = (&'a str, Option<&'a Map<String, Value>>, &'a [Value]);

/// A node's type, attributes and children, found in one pass over its keys.
fn node_parts(v: &Value) -> Parts<'_> {
    let (mut t, mut a, mut c) = ("", None, &[][..]);
    if let Value::Object(m) = v {
        for (k, v) in m {
            match k.as_str() {
                "type" => t = v.as_str().unwrap_or(""),
                "attrs" => a = v.as_object(),
                "content" => c = v.as_array().map_or(&[][..], Vec::as_slice),
                _ => {}
            }
        }
    }
    (t, a, c)
}

/// The text of a `text` node that renders as nothing but its escaped text:
/// no marks, no line break, no NUL character, not blank.
fn plain_text(node: &Value) -> Option<&str> {
    let Value::Object(m) = node else {
        return None;
    };
    let (mut t, mut text) = ("", None);
    for (k, v) in m {
        match k.as_str() {
            "type" => t = v.as_str().unwrap_or(""),
            "text" => text = v.as_str(),
            "marks" if v.as_array().is_some_and(|a| !a.is_empty()) => return None,
            _ => {}
        }
    }
    // Blank text renders as nothing (see `Run::is_blank`).
    let text = text.filter(|s| !escape::is_blank(s))?;
    let ctl = escape::controls(text);
    (t == "text" && !ctl.newline && !ctl.nul).then_some(text)
}

/// A cell's `(colspan, rowspan)`, clamped to `1..=MAX_COLSPAN` and to the
/// rows left, in one pass over its attributes.
fn spans_of(attrs: Option<&Map<String, Value>>, rows_left: usize) -> (usize, usize) {
    let (mut colspan, mut rowspan) = (1, 1);
    let Some(attrs) = attrs else {
        return (colspan, rowspan);
    };
    // When no value could give a span above 1 (the usual `1`s, widths,
    // colours), the keys need not be read: they live apart from the map in
    // memory, and a big table would fetch two more cache lines per cell.
    if attrs
        .values()
        .all(|v| clamped(v, 1, u64::MAX).is_none_or(|n| n == 1))
    {
        return (colspan, rowspan);
    }
    for (k, v) in attrs {
        match k.as_str() {
            "colspan" => {
                if let Some(n) = clamped(v, 1, MAX_COLSPAN as u64) {
                    colspan = to_usize(n);
                }
            }
            "rowspan" => {
                let max_rows = u64::try_from(rows_left).unwrap_or(1);
                if let Some(n) = clamped(v, 1, max_rows) {
                    rowspan = to_usize(n);
                }
            }
            _ => {}
        }
    }
    (colspan, rowspan)
}

/// The cells of a table row (a node that is not a row counts as its own
/// single cell) and how their paths are written.
fn row_cells(row: &Value) -> (&[Value], Seg) {
    if matches!(ty(row), "tableRow" | "") && field(row, "content").is_some() {
        (content(row), Seg::Content)
    } else {
        (std::slice::from_ref(row), Seg::Root)
    }
}

/// Whether a cell holds a list, a code block or more than one block, which
/// [`crate::TableStyle::Auto`] renders as an HTML table.
fn cell_needs_html(cell: &Value) -> bool {
    let children = content(cell);
    let mut blocks = 0;
    for c in children {
        if is_inline(c) {
            continue;
        }
        blocks += 1;
        let simple = matches!(
            ty(c),
            "paragraph"
                | "heading"
                | "mediaSingle"
                | "blockCard"
                | "embedCard"
                | "extension"
                | "rule"
        );
        if !simple || blocks > 1 {
            return true;
        }
    }
    false
}

/// The bytes of a pipe-table cell that need a rewrite, as flags of
/// [`CELL_BYTES`]: looked up per byte, without branches.
const PIPE: u8 = 1;
const NEWLINE: u8 = 2;
const ANGLE: u8 = 4;
const CELL_BYTES: [u8; 256] = {
    let mut t = [0; 256];
    t[b'|' as usize] = PIPE;
    t[b'\n' as usize] = NEWLINE;
    t[b'<' as usize] = ANGLE;
    t
};

/// A grid slot no cell has claimed yet.
const FREE: u32 = u32::MAX;

const INLINE_TYPES: &[&str] = &[
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "date",
    "status",
    "placeholder",
    "inlineCard",
    "inlineExtension",
    "mediaInline",
    "unsupportedInline",
    "confluenceUnsupportedInline",
    "confluenceJiraIssue",
    "image",
];

const BLOCK_TYPES: &[&str] = &[
    "doc",
    "paragraph",
    "heading",
    "blockquote",
    "rule",
    "codeBlock",
    "bulletList",
    "orderedList",
    "listItem",
    "taskList",
    "taskItem",
    "blockTaskItem",
    "decisionList",
    "decisionItem",
    "panel",
    "expand",
    "nestedExpand",
    "layoutSection",
    "layoutColumn",
    "bodiedExtension",
    "extension",
    "multiBodiedExtension",
    "extensionFrame",
    "syncBlock",
    "bodiedSyncBlock",
    "bodiedRule",
    "table",
    "tableRow",
    "tableCell",
    "tableHeader",
    "mediaSingle",
    "mediaGroup",
    "media",
    "caption",
    "blockCard",
    "embedCard",
    "unsupportedBlock",
    "confluenceUnsupportedBlock",
    "unknownBlock",
];

fn is_known(t: &str) -> bool {
    is_inline_type(t) || is_block_type(t)
}

/// `INLINE_TYPES.contains(&t)`, as a match the compiler can dispatch on.
fn is_inline_type(t: &str) -> bool {
    let known = matches!(
        t,
        "text"
            | "hardBreak"
            | "mention"
            | "emoji"
            | "date"
            | "status"
            | "placeholder"
            | "inlineCard"
            | "inlineExtension"
            | "mediaInline"
            | "unsupportedInline"
            | "confluenceUnsupportedInline"
            | "confluenceJiraIssue"
            | "image"
    );
    debug_assert_eq!(known, INLINE_TYPES.contains(&t));
    known
}

/// `BLOCK_TYPES.contains(&t)`, as a match the compiler can dispatch on.
fn is_block_type(t: &str) -> bool {
    let known = matches!(
        t,
        "doc"
            | "paragraph"
            | "heading"
            | "blockquote"
            | "rule"
            | "codeBlock"
            | "bulletList"
            | "orderedList"
            | "listItem"
            | "taskList"
            | "taskItem"
            | "blockTaskItem"
            | "decisionList"
            | "decisionItem"
            | "panel"
            | "expand"
            | "nestedExpand"
            | "layoutSection"
            | "layoutColumn"
            | "bodiedExtension"
            | "extension"
            | "multiBodiedExtension"
            | "extensionFrame"
            | "syncBlock"
            | "bodiedSyncBlock"
            | "bodiedRule"
            | "table"
            | "tableRow"
            | "tableCell"
            | "tableHeader"
            | "mediaSingle"
            | "mediaGroup"
            | "media"
            | "caption"
            | "blockCard"
            | "embedCard"
            | "unsupportedBlock"
            | "confluenceUnsupportedBlock"
            | "unknownBlock"
    );
    debug_assert_eq!(known, BLOCK_TYPES.contains(&t));
    known
}

/// `n` followed by `delim` (an ordered-list marker), written into `buf`.
fn ordinal(buf: &mut [u8; 24], mut n: u64, delim: u8) -> &str {
    let mut i = buf.len() - 1;
    buf[i] = delim;
    loop {
        i -= 1;
        buf[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("1.")
}

/// Whether a node belongs in an inline run when met in block context.
fn is_inline(node: &Value) -> bool {
    is_inline_typed(node, ty(node))
}

/// [`is_inline`] for a node whose type `t` is known.
fn is_inline_typed(node: &Value, t: &str) -> bool {
    match node {
        Value::String(_) => true,
        Value::Object(_) => {
            if is_inline_type(t) {
                true
            } else if is_block_type(t) {
                false
            } else {
                // Unknown: a node with children is a container; one without
                // is rendered from its text attributes, inline.
                !field(node, "content").is_some_and(Value::is_array)
            }
        }
        _ => false,
    }
}

/// Every text string in a subtree, without recursion (used below the depth
/// limit and for code blocks with odd children).
fn flat_text(node: &Value) -> String {
    let mut out = String::new();
    let mut stack = vec![node];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for key in ["text"] {
                    if let Some(Value::String(t)) = m.get(key) {
                        push_word(&mut out, t);
                    }
                }
                if let Some(a) = m.get("attrs").and_then(Value::as_object) {
                    for key in ["text", "title", "alt", "shortName", "url", "issueKey"] {
                        if let Some(Value::String(t)) = a.get(key) {
                            push_word(&mut out, t);
                        }
                    }
                }
                if let Some(Value::Array(c)) = m.get("content") {
                    stack.extend(c.iter().rev());
                }
            }
            Value::Array(a) => stack.extend(a.iter().rev()),
            Value::String(s) => push_word(&mut out, s),
            _ => {}
        }
    }
    out
}

fn push_word(out: &mut String, t: &str) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
    out.push_str(t);
}

/// Strips tags and decodes the basic entities of Confluence storage XHTML.
fn strip_tags(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    let mut in_tag = false;
    for c in x.chars() {
        match c {
            '<' => {
                in_tag = true;
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}");
    out.replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `YYYY-MM-DD` in UTC from a millisecond (or second) timestamp; the raw
/// string when it is not numeric.
fn date_text(ts: Option<&Value>) -> String {
    let raw = match ts {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return String::new(),
    };
    let v = match raw.parse::<i64>() {
        Ok(v) => v,
        Err(_) => match raw.parse::<f64>() {
            Ok(f) if f.is_finite() && f.abs() < 9.0e15 => {
                // Bounded above, so the cast cannot truncate.
                #[allow(clippy::cast_possible_truncation)]
                let v = f.floor() as i64;
                v
            }
            _ => return raw,
        },
    };
    // The editor stores milliseconds; Atlassian's own examples use seconds.
    let secs = if v.unsigned_abs() >= 100_000_000_000 {
        v.div_euclid(1000)
    } else {
        v
    };
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        raw
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, UTC).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `0xRRGGBB` from `#rrggbb`.
fn hex_color(s: &str) -> Option<u32> {
    let h = s.strip_prefix('#')?;
    (h.len() == 6 && h.bytes().all(|c| c.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(h, 16).ok())
        .flatten()
}

/// `KEY-123` from a Jira browse URL.
fn issue_key(url: &str) -> Option<&str> {
    let rest = &url[url.find("/browse/")? + 8..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let key = &rest[..end];
    let (proj, num) = key.split_once('-')?;
    let ok = proj.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && proj
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && !num.is_empty()
        && !num.starts_with('0')
        && num.bytes().all(|c| c.is_ascii_digit());
    ok.then_some(key)
}

/// A safe HTML comment for a macro key.
fn comment(kind: &str, key: &str) -> String {
    let mut k: String = key
        .chars()
        .filter(|c| !c.is_control() && *c != '>' && *c != '<')
        .collect();
    while k.contains("--") {
        k = k.replace("--", "-");
    }
    format!("<!-- {kind}: {} -->", k.trim_matches('-').trim())
}

fn inline_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    escape::inline(s, None, None, &mut o);
    o
}

/// Prefixes every line (`> ` for quotes; blank lines get the bare marker).
fn prefix_lines(body: &str, prefix: &str, blank: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8 * prefix.len());
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            out.push_str(blank);
        } else {
            out.push_str(prefix);
            out.push_str(line);
        }
    }
    out
}

/// Whether a list item's marker goes alone on its line, the body below it:
/// when the body is empty, or when the marker line would read as a
/// thematic break (`- - -`: an item whose body starts with a nested item
/// holding an empty one), which would end the list.
fn marker_alone(marker: &str, body: &str) -> bool {
    if body.is_empty() {
        return true;
    }
    let Some(c) = marker
        .bytes()
        .next()
        .filter(|c| matches!(c, b'-' | b'*' | b'_'))
    else {
        return false;
    };
    // Cheap first: the body must start with the marker character.
    if body.as_bytes()[0] != c {
        return false;
    }
    let first = body.split('\n').next().unwrap_or_default();
    let mut n = 0;
    for b in marker.bytes().chain(first.bytes()) {
        if b == c {
            n += 1;
        } else if b != b' ' && b != b'\t' {
            return false;
        }
    }
    n >= 3
}

/// Appends a list item: the marker line and the body indented to `indent`.
fn push_item(out: &mut String, marker: &str, indent: usize, body: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    if body.is_empty() {
        out.push_str(marker);
        return;
    }
    let alone = marker_alone(marker, body);
    if !alone && !escape::has_byte(body, b'\n') {
        out.reserve(marker.len() + body.len() + 1);
        out.push_str(marker);
        out.push(' ');
        out.push_str(body);
        return;
    }
    let mut lines = body.split('\n');
    out.push_str(marker);
    if !alone
        && let Some(first) = lines.next()
        && !first.is_empty()
    {
        out.push(' ');
        out.push_str(first);
    }
    const SPACES: &str = "                                ";
    for l in lines {
        out.push('\n');
        if !l.is_empty() {
            match SPACES.get(..indent) {
                Some(sp) => out.push_str(sp),
                None => out.extend(std::iter::repeat_n(' ', indent)),
            }
            out.push_str(l);
        }
    }
}

// ---------------------------------------------------------------- blocks

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Para,
    /// `bullet` lists share `-`/`*`; `alt` is the marker variant in use;
    /// `interrupts` says whether it may follow a paragraph line directly.
    List {
        bullet: bool,
        alt: bool,
        interrupts: bool,
    },
    Other,
}

struct Blk {
    kind: Kind,
    text: String,
}

impl Blk {
    fn other(text: String) -> Self {
        Self {
            kind: Kind::Other,
            text,
        }
    }
}

/// Joins blocks with blank lines; `tight` keeps a list directly under the
/// paragraph before it, when that cannot change the parse.
///
/// A lone block (a big table, say) is returned without a copy.
fn join(mut blocks: Vec<Blk>, tight: bool) -> String {
    if blocks.len() == 1
        && let Some(b) = blocks.pop()
    {
        return b.text;
    }
    let mut out = String::with_capacity(blocks.iter().map(|b| b.text.len() + 2).sum());
    for (i, b) in blocks.iter().enumerate() {
        if i == 0 {
            out.push_str(&b.text);
            continue;
        }
        let keep_tight = tight
            && matches!(
                b.kind,
                Kind::List {
                    interrupts: true,
                    ..
                }
            );
        out.push_str(if keep_tight { "\n" } else { "\n\n" });
        out.push_str(&b.text);
    }
    out
}

#[derive(Clone, Copy)]
enum Seg {
    Content,
    Index,
    Root,
}

#[derive(Clone, Copy)]
enum PSeg {
    Content(usize),
    Index(usize),
    Original,
}

/// The segments of the JSON Pointer of the node being rendered. The first
/// ones are kept inline, so that documents of ordinary depth need no
/// allocation for a path that only warnings read.
struct Path {
    head: [PSeg; Path::INLINE],
    len: usize,
    rest: Vec<PSeg>,
}

impl Default for Path {
    fn default() -> Self {
        Self {
            head: [PSeg::Original; Path::INLINE],
            len: 0,
            rest: Vec::new(),
        }
    }
}

impl Path {
    const INLINE: usize = 16;

    fn push(&mut self, seg: PSeg) {
        match self.head.get_mut(self.len) {
            Some(slot) => *slot = seg,
            None => self.rest.push(seg),
        }
        self.len += 1;
    }

    /// Replaces the last segment (a cheaper pop and push).
    fn set_last(&mut self, seg: PSeg) {
        match self.len.checked_sub(1) {
            Some(i) if i < Self::INLINE => self.head[i] = seg,
            Some(_) => {
                if let Some(last) = self.rest.last_mut() {
                    *last = seg;
                }
            }
            None => {}
        }
    }

    fn pop(&mut self) {
        if self.len > Self::INLINE {
            self.rest.pop();
        }
        self.len = self.len.saturating_sub(1);
    }

    fn iter(&self) -> impl Iterator<Item = &PSeg> {
        self.head[..self.len.min(Self::INLINE)]
            .iter()
            .chain(&self.rest)
    }
}

struct R<'o> {
    o: &'o Options,
    warnings: Vec<Warning>,
    path: Path,
    scratch: inline::Scratch,
    /// The segments of the table cell being rendered, reused.
    segs: Vec<String>,
    /// The cell texts of the pipe table being rendered, reused.
    cell_buf: String,
    /// How inline runs are written.
    st: Style,
}

impl R<'_> {
    fn warn(&mut self, kind: WarningKind, node_type: &str) {
        use std::fmt::Write as _;
        let mut path = String::new();
        for s in self.path.iter() {
            let _ = match s {
                PSeg::Content(i) => write!(path, "/content/{i}"),
                PSeg::Index(i) => write!(path, "/{i}"),
                PSeg::Original => write!(path, "/attrs/originalValue"),
            };
        }
        self.warnings.push(Warning {
            path,
            kind,
            node_type: node_type.to_owned(),
        });
    }

    fn enter(&mut self, seg: Seg, i: usize) {
        match seg {
            Seg::Content => self.path.push(PSeg::Content(i)),
            Seg::Index => self.path.push(PSeg::Index(i)),
            Seg::Root => {}
        }
    }

    fn leave(&mut self, seg: Seg) {
        if !matches!(seg, Seg::Root) {
            self.path.pop();
        }
    }

    /// Renders a sequence of block-context nodes. Inline nodes met here are
    /// gathered into paragraphs.
    fn blocks(&mut self, nodes: &[Value], depth: usize, seg: Seg) -> Vec<Blk> {
        let mut out = Vec::with_capacity(nodes.len());
        self.blocks_into(nodes, depth, seg, &mut out);
        out
    }

    /// [`Self::blocks`] appended to `out`: containers whose blocks stand as
    /// siblings of the blocks around them render through this, so that a
    /// list inside sees the list before it and alternates its marker.
    fn blocks_into(&mut self, nodes: &[Value], depth: usize, seg: Seg, out: &mut Vec<Blk>) {
        let mut pending: Option<Run<'_>> = None;
        for (i, node) in nodes.iter().enumerate() {
            self.enter(seg, i);
            // One pass over the node's keys serves the test and the block.
            let parts = node_parts(node);
            if is_inline_typed(node, parts.0) {
                let run = pending.get_or_insert_with(Run::default);
                self.inline(node, run, Marks::NONE, depth + 1);
            } else {
                if let Some(run) = pending.take() {
                    self.flush_para(run, out);
                }
                self.block(node, parts, depth + 1, out);
            }
            self.leave(seg);
        }
        if let Some(run) = pending.take() {
            self.flush_para(run, out);
        }
    }

    fn flush_para(&mut self, run: Run<'_>, out: &mut Vec<Blk>) {
        if let Some(text) = self.render_run(run, Ctx::Para) {
            out.push(Blk {
                kind: Kind::Para,
                text,
            });
        }
    }

    fn render_run(&mut self, run: Run<'_>, ctx: Ctx) -> Option<String> {
        if run.is_empty() {
            return None;
        }
        let r = inline::render_with(run, ctx, self.st, &mut self.scratch);
        if r.lossy {
            self.warn(WarningKind::Lossy, "text");
        }
        (!r.text.is_empty()).then_some(r.text)
    }

    fn inline_children<'a>(&mut self, node: &'a Value, depth: usize, marks: Marks) -> Run<'a> {
        self.inline_nodes(content(node), depth, marks)
    }

    /// A run of the given inline nodes (a node's `content`).
    fn inline_nodes<'a>(&mut self, children: &'a [Value], depth: usize, marks: Marks) -> Run<'a> {
        let mut run = Run::reusing(&mut self.scratch, children.len());
        self.path.push(PSeg::Content(0));
        for (i, c) in children.iter().enumerate() {
            self.path.set_last(PSeg::Content(i));
            self.inline(c, &mut run, marks, depth + 1);
        }
        self.path.pop();
        run
    }

    fn prev_list(out: &[Blk], bullet: bool) -> bool {
        // Adjacent lists of the same kind would merge: alternate markers.
        matches!(out.last(), Some(Blk { kind: Kind::List { bullet: b, alt, .. }, .. }) if *b == bullet && !*alt)
    }

    /// Renders a block node; `parts` are its [`node_parts`].
    fn block(&mut self, node: &Value, parts: Parts<'_>, depth: usize, out: &mut Vec<Blk>) {
        let (t, attrs, children) = parts;
        let Value::Object(_) = node else {
            self.warn(WarningKind::Invalid, "");
            return;
        };
        if depth > self.o.max_depth {
            self.warn(WarningKind::DepthLimit, t);
            let mut run = Run::default();
            run.push_text(flat_text(node), &[]);
            self.flush_para(run, out);
            return;
        }
        match t {
            "paragraph" | "unknownBlock" => {
                let run = self.inline_nodes(children, depth, Marks::NONE);
                self.flush_para(run, out);
            }
            "heading" => {
                if let Some(b) = self.heading(attrs, children, depth) {
                    out.push(b);
                }
            }
            "blockquote" => {
                let body = join(self.blocks(children, depth, Seg::Content), false);
                if !body.is_empty() {
                    out.push(Blk::other(prefix_lines(&body, "> ", ">")));
                }
            }
            "rule" => out.push(Blk::other("---".into())),
            "codeBlock" => out.push(Blk::other(self.code_block(node))),
            "bulletList" | "orderedList" => {
                let bullet = t == "bulletList";
                let alt = Self::prev_list(out, bullet);
                if let Some(b) = self.list(attrs, children, depth, !bullet, alt) {
                    out.push(b);
                }
            }
            "listItem" => {
                let alt = Self::prev_list(out, true);
                if let Some(b) =
                    self.list_of(std::slice::from_ref(node), depth, false, alt, 1, Seg::Root)
                {
                    out.push(b);
                }
            }
            "taskList" | "taskItem" | "blockTaskItem" => {
                let alt = Self::prev_list(out, true);
                let items = if t == "taskList" {
                    children
                } else {
                    std::slice::from_ref(node)
                };
                let seg = if t == "taskList" {
                    Seg::Content
                } else {
                    Seg::Root
                };
                let text = self.task_items(items, depth, alt, seg);
                if !text.is_empty() {
                    out.push(Blk {
                        kind: Kind::List {
                            bullet: true,
                            alt,
                            interrupts: true,
                        },
                        text,
                    });
                }
            }
            "decisionList" | "decisionItem" => {
                let alt = Self::prev_list(out, true);
                let items = if t == "decisionList" {
                    children
                } else {
                    std::slice::from_ref(node)
                };
                let seg = if t == "decisionList" {
                    Seg::Content
                } else {
                    Seg::Root
                };
                let text = self.decision_items(items, depth, alt, seg);
                if !text.is_empty() {
                    out.push(Blk {
                        kind: Kind::List {
                            bullet: true,
                            alt,
                            interrupts: true,
                        },
                        text,
                    });
                }
            }
            "panel" => {
                if let Some(b) = self.panel(node, depth) {
                    out.push(b);
                }
            }
            "expand" | "nestedExpand" => out.push(self.expand(node, depth)),
            "doc"
            | "layoutSection"
            | "layoutColumn"
            | "bodiedSyncBlock"
            | "extensionFrame"
            | "multiBodiedExtension"
            | "bodiedExtension"
            | "tableCell"
            | "tableHeader" => {
                // Containers whose blocks stand on their own: render them in
                // document order, as siblings of the surrounding blocks.
                self.blocks_into(children, depth, Seg::Content, out);
            }
            "extension" => {
                if let Some(text) = attr_str(node, "text") {
                    let mut run = Run::default();
                    run.push_text(text, &[]);
                    self.flush_para(run, out);
                } else if self.o.extension_markers && self.o.html {
                    let key = attr_str(node, "extensionKey").unwrap_or("unknown");
                    out.push(Blk::other(comment("extension", key)));
                }
            }
            "syncBlock" => {}
            "bodiedRule" => {
                out.push(Blk::other("---".into()));
                self.blocks_into(children, depth, Seg::Content, out);
            }
            "table" | "tableRow" => {
                let rows = if t == "table" {
                    children
                } else {
                    std::slice::from_ref(node)
                };
                if let Some(text) = self.table(rows, depth) {
                    out.push(Blk::other(text));
                }
            }
            "mediaSingle" => {
                if let Some(text) = self.media_single(node, depth) {
                    out.push(Blk::other(text));
                }
            }
            "mediaGroup" => {
                let alt = Self::prev_list(out, true);
                let marker = if alt { "*" } else { "-" };
                let mut text = String::new();
                for (i, m) in children.iter().enumerate() {
                    self.path.push(PSeg::Content(i));
                    let md = self.media_md(m, false, None);
                    self.path.pop();
                    if !md.is_empty() {
                        push_item(&mut text, marker, 2, &md);
                    }
                }
                if !text.is_empty() {
                    out.push(Blk {
                        kind: Kind::List {
                            bullet: true,
                            alt,
                            interrupts: true,
                        },
                        text,
                    });
                }
            }
            "media" => {
                let md = self.media_md(node, true, None);
                if !md.is_empty() {
                    out.push(Blk::other(md));
                }
            }
            "caption" => {
                let mut run = self.inline_nodes(children, depth, Marks::NONE);
                run.add_mark(Mk::Em);
                if let Some(text) = self.render_run(run, Ctx::Caption) {
                    out.push(Blk {
                        kind: Kind::Para,
                        text,
                    });
                }
            }
            "blockCard" | "embedCard" => {
                let mut run = Run::default();
                self.card(node, &mut run, Marks::NONE);
                if run.is_empty() {
                    self.warn(WarningKind::Invalid, t);
                }
                self.flush_para(run, out);
            }
            "unsupportedBlock" => self.original_blocks(node, depth, out),
            "confluenceUnsupportedBlock" => {
                let mut run = Run::default();
                if let Some(x) = attr(node, "cxhtml").and_then(Value::as_str) {
                    run.push_text(strip_tags(x), &[]);
                }
                self.flush_para(run, out);
            }
            _ => {
                // Unknown container: its children as blocks (inline children
                // become paragraphs), then any text attributes.
                if !is_known(t) {
                    self.warn(WarningKind::UnknownNode, t);
                }
                self.blocks_into(children, depth, Seg::Content, out);
                let mut run = Run::default();
                self.attr_fallback(node, &mut run, Marks::NONE, depth);
                self.flush_para(run, out);
            }
        }
    }

    fn original_blocks(&mut self, node: &Value, depth: usize, out: &mut Vec<Blk>) {
        if let Some(orig) = attr(node, "originalValue") {
            self.path.push(PSeg::Original);
            self.blocks_into(std::slice::from_ref(orig), depth, Seg::Root, out);
            self.path.pop();
        }
    }

    fn heading(
        &mut self,
        attrs: Option<&Map<String, Value>>,
        children: &[Value],
        depth: usize,
    ) -> Option<Blk> {
        let level = match num_in(attrs, "level") {
            Some(l) => to_usize(clamp_int(l, 1, 6)),
            None => {
                self.warn(WarningKind::Invalid, "heading");
                1
            }
        };
        let run = self.inline_nodes(children, depth, Marks::NONE);
        let mut text = self.render_run(run, Ctx::Heading)?;
        // A trailing run of `#` preceded by a space is a closing sequence and
        // would be dropped. Trailing Unicode whitespace (NBSP) is looked
        // past: it goes when the output is trimmed, and some parsers take it
        // for the spaces that may follow the sequence.
        let core = text.trim_end();
        let trimmed = core.trim_end_matches('#');
        if trimmed.len() < core.len()
            && (trimmed.is_empty() || trimmed.ends_with(char::is_whitespace))
        {
            text.insert(trimmed.len(), '\\');
        }
        let mut s = "#".repeat(level);
        s.push(' ');
        s.push_str(&text);
        Some(Blk::other(s))
    }

    fn code_body(node: &Value) -> String {
        let mut body = String::new();
        for c in content(node) {
            match field(c, "text") {
                Some(Value::String(t)) => body.push_str(t),
                _ => body.push_str(&flat_text(c)),
            }
        }
        if body.contains(['\r', '\0']) {
            body = body
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .replace('\0', "\u{FFFD}");
        }
        body
    }

    fn code_block(&mut self, node: &Value) -> String {
        let body = Self::code_body(node);
        let lang = attr(node, "language")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.contains(['`', '\n', '\r']))
            .unwrap_or("");
        let fence = "`".repeat(3.max(escape::longest_run(&body, '`') + 1));
        let mut s = String::with_capacity(body.len() + 2 * fence.len() + lang.len() + 2);
        s.push_str(&fence);
        s.push_str(lang);
        s.push('\n');
        s.push_str(&body);
        if !body.is_empty() && !body.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&fence);
        s
    }

    /// The blocks of one list item, joined tight when that is safe.
    fn item_body(&mut self, item: &Value, depth: usize) -> String {
        let (t, _, children) = node_parts(item);
        let blocks = match t {
            "listItem" | "blockTaskItem" => self.blocks(children, depth, Seg::Content),
            _ => self.blocks(std::slice::from_ref(item), depth, Seg::Root),
        };
        let non_list = blocks
            .iter()
            .filter(|b| !matches!(b.kind, Kind::List { .. }))
            .count();
        join(blocks, non_list < 2)
    }

    fn list(
        &mut self,
        attrs: Option<&Map<String, Value>>,
        items: &[Value],
        depth: usize,
        ordered: bool,
        alt: bool,
    ) -> Option<Blk> {
        let mut start = 1;
        if ordered && let Some(v) = attrs.and_then(|a| lookup(a, "order")) {
            match as_num(v) {
                Some(f) if f >= 0.0 => start = clamp_int(f, 0, MAX_ORDER),
                _ => self.warn(WarningKind::Invalid, "orderedList"),
            }
        }
        let len = u64::try_from(items.len()).unwrap_or(MAX_ORDER);
        if ordered && start.saturating_add(len) > MAX_ORDER + 1 {
            // CommonMark list numbers have at most nine digits.
            self.warn(WarningKind::Lossy, "orderedList");
            start = (MAX_ORDER + 1).saturating_sub(len);
        }
        self.list_of(items, depth, ordered, alt, start, Seg::Content)
    }

    fn list_of(
        &mut self,
        items: &[Value],
        depth: usize,
        ordered: bool,
        alt: bool,
        start: u64,
        seg: Seg,
    ) -> Option<Blk> {
        // The bodies first, so that the list is written into one string of
        // the right size.
        let mut bodies = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.enter(seg, i);
            bodies.push(self.item_body(item, depth + 1));
            self.leave(seg);
        }
        let size: usize = bodies
            .iter()
            // Continuation lines are indented: a quarter is ample room.
            .map(|b| b.len() + b.len() / 4 + 16)
            .sum();
        let mut text = String::with_capacity(size);
        // An item that starts with a blank line cannot interrupt a
        // paragraph.
        let mut first_empty = false;
        for (i, body) in bodies.iter().enumerate() {
            let mut num = [0u8; 24];
            let marker = if ordered {
                let n = start + u64::try_from(i).unwrap_or(0);
                ordinal(&mut num, n, if alt { b')' } else { b'.' })
            } else if alt {
                "*"
            } else {
                "-"
            };
            let indent = marker.len() + 1;
            if i == 0 {
                first_empty = marker_alone(marker, body);
            }
            push_item(&mut text, marker, indent, body);
        }
        if text.is_empty() {
            return None;
        }
        let interrupts = !first_empty && (!ordered || start == 1);
        Some(Blk {
            kind: Kind::List {
                bullet: !ordered,
                alt,
                interrupts,
            },
            text,
        })
    }

    fn task_items(&mut self, items: &[Value], depth: usize, alt: bool, seg: Seg) -> String {
        let marker = if alt { "*" } else { "-" };
        let mut text = String::new();
        for (i, item) in items.iter().enumerate() {
            self.enter(seg, i);
            match ty(item) {
                "taskList" => {
                    // Nesting is a sibling taskList: indent it under the
                    // preceding item, or under an empty one.
                    let nested = self.task_items(content(item), depth + 1, false, Seg::Content);
                    if !nested.is_empty() {
                        if text.is_empty() {
                            text.push_str(marker);
                            text.push_str(" [ ]");
                        }
                        text.push('\n');
                        text.push_str(&prefix_lines(&nested, "  ", ""));
                    }
                }
                t => {
                    let done = attr(item, "state").and_then(Value::as_str) == Some("DONE");
                    let m = format!("{marker} [{}]", if done { 'x' } else { ' ' });
                    let body = if t == "taskItem" {
                        let run = self.inline_children(item, depth + 1, Marks::NONE);
                        self.render_run(run, Ctx::Para).unwrap_or_default()
                    } else {
                        self.item_body(item, depth + 1)
                    };
                    push_item(&mut text, &m, 2, &body);
                }
            }
            self.leave(seg);
        }
        text
    }

    fn decision_items(&mut self, items: &[Value], depth: usize, alt: bool, seg: Seg) -> String {
        let marker = if alt { "*" } else { "-" };
        let mut text = String::new();
        for (i, item) in items.iter().enumerate() {
            self.enter(seg, i);
            let decided = attr(item, "state")
                .and_then(Value::as_str)
                .is_none_or(|s| s == "DECIDED");
            let mut label = inline_text(&self.o.decision_label);
            if !decided {
                label.push_str(" (undecided)");
            }
            let run = self.inline_children(item, depth + 1, Marks::NONE);
            let body = self.render_run(run, Ctx::Para).unwrap_or_default();
            let mut line = format!("**{label}:**");
            if !body.is_empty() {
                line.push(' ');
                line.push_str(&body);
            }
            push_item(&mut text, marker, 2, &line);
            self.leave(seg);
        }
        text
    }

    fn panel_label(&self, ptype: &str) -> String {
        match ptype {
            "info" => "Info".into(),
            "note" => "Note".into(),
            "tip" => "Tip".into(),
            "warning" => "Warning".into(),
            "error" => "Error".into(),
            "success" => "Success".into(),
            "custom" | "" => "Panel".into(),
            other => {
                let mut c = other.chars();
                let first = c
                    .next()
                    .map(|f| f.to_uppercase().collect::<String>())
                    .unwrap_or_default();
                inline_text(&(first + c.as_str()))
            }
        }
    }

    /// The icon of a custom panel (its emoji, or else its short name),
    /// escaped.
    fn panel_icon(node: &Value) -> Option<String> {
        let custom = attr(node, "panelType").and_then(Value::as_str) == Some("custom");
        custom
            .then(|| attr_str(node, "panelIconText").or_else(|| attr_str(node, "panelIcon")))
            .flatten()
            .map(inline_text)
    }

    fn panel(&mut self, node: &Value, depth: usize) -> Option<Blk> {
        let ptype = attr(node, "panelType")
            .and_then(Value::as_str)
            .unwrap_or("info");
        let mut blocks = self.blocks(content(node), depth, Seg::Content);
        if let Some(icon) = Self::panel_icon(node) {
            match blocks.first_mut() {
                Some(b) if b.kind == Kind::Para => b.text = format!("{icon} {}", b.text),
                _ => blocks.insert(
                    0,
                    Blk {
                        kind: Kind::Para,
                        text: icon,
                    },
                ),
            }
        }
        let starts_with_para = blocks.first().is_some_and(|b| b.kind == Kind::Para);
        let body = join(blocks, false);
        let label = match self.o.panel_style {
            PanelStyle::GithubAlert => Some(
                match ptype {
                    "note" => "[!IMPORTANT]",
                    "tip" | "success" => "[!TIP]",
                    "warning" => "[!WARNING]",
                    "error" => "[!CAUTION]",
                    _ => "[!NOTE]",
                }
                .to_owned(),
            ),
            PanelStyle::Labelled => Some(format!("**{}:**", self.panel_label(ptype))),
            PanelStyle::Blockquote => None,
        };
        let text = match label {
            None if body.is_empty() => return None,
            None => body,
            Some(l) if body.is_empty() => l,
            // An alert label shares its paragraph with the first paragraph;
            // anything else (a list above all) needs a blank line, or it
            // would be read as paragraph text.
            Some(l) if starts_with_para => {
                let sep = if matches!(self.o.panel_style, PanelStyle::Labelled) {
                    " "
                } else {
                    "\n"
                };
                format!("{l}{sep}{body}")
            }
            Some(l) => format!("{l}\n\n{body}"),
        };
        Some(Blk::other(prefix_lines(&text, "> ", ">")))
    }

    fn expand(&mut self, node: &Value, depth: usize) -> Blk {
        let title = attr(node, "title")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("");
        let body = join(self.blocks(content(node), depth, Seg::Content), false);
        if self.o.html && self.o.expand_style == ExpandStyle::Details {
            let mut s = String::from("<details>\n<summary>");
            escape::html(if title.is_empty() { "Details" } else { title }, &mut s);
            s.push_str("</summary>");
            if !body.is_empty() {
                s.push_str("\n\n");
                s.push_str(&body);
            }
            s.push_str("\n\n</details>");
            return Blk::other(s);
        }
        let mut s = String::new();
        if !title.is_empty() {
            let mut run = Run::default();
            run.push_text(title, &[Mk::Strong]);
            s = self.render_run(run, Ctx::Heading).unwrap_or_default();
        }
        if !body.is_empty() {
            if !s.is_empty() {
                s.push_str("\n\n");
            }
            s.push_str(&body);
        }
        Blk {
            kind: Kind::Other,
            text: s,
        }
    }

    // ------------------------------------------------------------ media

    /// The link mark of a node, if any.
    fn link_mark(node: &Value) -> Option<(String, Option<String>)> {
        field(node, "marks")?
            .as_array()?
            .iter()
            .find(|m| ty(m) == "link")
            .and_then(|m| {
                let href = attr_str(m, "href")?;
                Some((href.to_owned(), attr_str(m, "title").map(str::to_owned)))
            })
    }

    /// The destination of an attachment: the resolver's URL, or
    /// `attachment:ID`.
    fn media_dest(&self, node: &Value, id: &str, kind: &str) -> String {
        let collection = attr(node, "collection")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.o
            .resolve_media(id, collection, kind)
            .unwrap_or_else(|| format!("attachment:{id}"))
    }

    /// The Markdown placeholder of a `media` (or `mediaInline`) node.
    fn media_md(
        &mut self,
        node: &Value,
        image: bool,
        outer: Option<(String, Option<String>)>,
    ) -> String {
        let mtype = attr(node, "type").and_then(Value::as_str).unwrap_or("file");
        let id = attr_str(node, "id");
        let url = attr_str(node, "url");
        let dest = match (mtype, url, id) {
            ("external", Some(u), _) | (_, Some(u), None) => u.to_owned(),
            (_, _, Some(id)) => self.media_dest(node, id, mtype),
            _ => String::new(),
        };
        let label = attr_str(node, "alt")
            .map(str::to_owned)
            .or_else(|| (mtype == "link").then(|| id.map(str::to_owned)).flatten())
            .unwrap_or_else(|| {
                (if image && mtype != "link" {
                    "image"
                } else {
                    "file"
                })
                .to_owned()
            });
        if dest.is_empty() && attr_str(node, "alt").is_none() {
            self.warn(WarningKind::Invalid, ty(node));
        }
        let label_md = inline_text(&label);
        // A link mark on the media (or its mediaSingle) wins over the
        // attachment link: links cannot nest.
        let link = Self::link_mark(node).or(outer);
        let style = self.o.media_style;
        if style == MediaStyle::Text {
            return label_md;
        }
        let as_image = image && mtype != "link" && style == MediaStyle::Image && !dest.is_empty();
        let mut s = String::new();
        if as_image {
            if link.is_some() {
                s.push('[');
            }
            s.push_str("![");
            s.push_str(&label_md);
            s.push_str("](");
            escape::destination(&dest, &mut s);
            s.push(')');
            if let Some((href, title)) = &link {
                s.push_str("](");
                escape::destination(href, &mut s);
                if let Some(t) = title {
                    escape::title(t, &mut s);
                }
                s.push(')');
            }
            return s;
        }
        let (href, title) = match link {
            Some((h, t)) => (h, t),
            None if dest.is_empty() => return label_md,
            None => (dest, None),
        };
        s.push('[');
        s.push_str(&label_md);
        s.push_str("](");
        escape::destination(&href, &mut s);
        if let Some(t) = &title {
            escape::title(t, &mut s);
        }
        s.push(')');
        s
    }

    fn media_single(&mut self, node: &Value, depth: usize) -> Option<String> {
        let outer = Self::link_mark(node);
        let mut lines: Vec<String> = Vec::new();
        for (i, c) in content(node).iter().enumerate() {
            self.path.push(PSeg::Content(i));
            match ty(c) {
                "media" | "mediaInline" => {
                    let md = self.media_md(c, true, outer.clone());
                    if !md.is_empty() {
                        lines.push(md);
                    }
                }
                "caption" => {
                    let mut run = self.inline_children(c, depth, Marks::NONE);
                    run.add_mark(Mk::Em);
                    if let Some(t) = self.render_run(run, Ctx::Caption) {
                        lines.push(t);
                    }
                }
                _ => {
                    let mut run = Run::default();
                    self.inline(c, &mut run, Marks::NONE, depth + 1);
                    if let Some(t) = self.render_run(run, Ctx::Caption) {
                        lines.push(t);
                    }
                }
            }
            self.path.pop();
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    // ------------------------------------------------------------ inline

    /// Parses a node's marks into `marks`; returns whether `code` is set.
    fn marks<'a>(&mut self, list: Option<&'a Value>, run: &mut Run<'a>, marks: &mut Marks) -> bool {
        let Some(list) = list.and_then(Value::as_array) else {
            return false;
        };
        let mut code = false;
        for m in list {
            let (mt, mattrs, _) = node_parts(m);
            match mt {
                "strong" => *marks = marks.with(Mk::Strong),
                "em" => *marks = marks.with(Mk::Em),
                "strike" => *marks = marks.with(Mk::Strike),
                "code" => code = true,
                "link" => {
                    if let Some(href) = attr_in(mattrs, "href")
                        .and_then(Value::as_str)
                        .filter(|h| !h.is_empty())
                    {
                        // Links cannot nest: the innermost link wins.
                        let title = str_in(mattrs, "title");
                        *marks = marks.with_link(run.link(href, title));
                    }
                }
                "underline" if self.o.html && self.o.underline == MarkStyle::Html => {
                    *marks = marks.with(Mk::Ins);
                }
                "backgroundColor" if self.o.html && self.o.colors == MarkStyle::Html => {
                    *marks = marks.with(Mk::Mark);
                }
                "textColor" if self.o.html && self.o.colors == MarkStyle::Html => {
                    if let Some(c) = attr_in(mattrs, "color")
                        .and_then(Value::as_str)
                        .and_then(hex_color)
                    {
                        *marks = marks.with(Mk::Color(c));
                    }
                }
                "subsup" if self.o.html && self.o.subsup == MarkStyle::Html => {
                    match attr_in(mattrs, "type").and_then(Value::as_str) {
                        Some("sub") => *marks = marks.with(Mk::Sub),
                        Some("sup") => *marks = marks.with(Mk::Sup),
                        _ => {}
                    }
                }
                "subsup"
                | "underline"
                | "textColor"
                | "backgroundColor"
                | "annotation"
                | "border"
                | "alignment"
                | "indentation"
                | "fontSize"
                | "breakout"
                | "dataConsumer"
                | "fragment"
                | "typeAheadQuery"
                | "confluenceInlineComment"
                | "unsupportedMark"
                | "unsupportedNodeAttribute" => {}
                other => self.warn(WarningKind::UnknownMark, other),
            }
        }
        code
    }

    fn card<'a>(&mut self, node: &'a Value, run: &mut Run<'a>, marks: Marks) {
        let mut m = marks.without_link();
        if let Some(url) = attr_str(node, "url") {
            let text = match self.o.card_style {
                CardStyle::IssueKey => issue_key(url).unwrap_or(url),
                CardStyle::Url => url,
            };
            m = m.with(run.link(url, None));
            run.add_text(text, m);
        } else if let Some(data) = attr(node, "data").filter(|d| d.is_object()) {
            let name = data
                .get("name")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty());
            let url = data
                .get("url")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty());
            if let Some(u) = url {
                m = m.with(run.link(u, None));
            }
            if let Some(text) = name.or(url) {
                run.add_text(text, m);
            }
        } else if let Some(ds) = attr(node, "datasource").filter(|d| d.is_object()) {
            let jql = ds
                .pointer("/parameters/jql")
                .and_then(Value::as_str)
                .unwrap_or("");
            let label = if jql.is_empty() {
                "Jira issues".to_owned()
            } else {
                format!("Jira issues: {jql}")
            };
            run.add_text(label, m);
        }
    }

    /// Fallback ladder steps 2 and 3 for nodes without children.
    fn attr_fallback<'a>(
        &mut self,
        node: &'a Value,
        run: &mut Run<'a>,
        marks: Marks,
        depth: usize,
    ) {
        if let Some(Value::String(t)) = field(node, "text") {
            run.add_text(t, marks);
        } else if let Some(t) = attr_str(node, "text").or_else(|| attr_str(node, "title")) {
            run.add_text(t, marks);
        } else if let Some(u) = attr_str(node, "url") {
            // An enclosing link stays: the first link of a set wins.
            let m = marks.with(run.link(u, None));
            run.add_text(u, m);
        } else if let Some(orig) = attr(node, "originalValue") {
            self.path.push(PSeg::Original);
            self.inline(orig, run, marks, depth + 1);
            self.path.pop();
        }
    }

    /// Collects one node into an inline run.
    fn inline<'a>(&mut self, node: &'a Value, run: &mut Run<'a>, marks: Marks, depth: usize) {
        let Value::Object(_) = node else {
            if let Value::String(s) = node {
                run.add_text(s, marks);
            }
            self.warn(WarningKind::Invalid, "");
            return;
        };
        if depth > self.o.max_depth {
            self.warn(WarningKind::DepthLimit, ty(node));
            run.add_text(flat_text(node), marks);
            return;
        }
        // One pass over the node's keys finds the four that inline nodes
        // are asked for.
        let (mut t, mut mark_list, mut text_field, mut node_attrs) = ("", None, None, None);
        if let Value::Object(map) = node {
            for (k, v) in map {
                match k.as_str() {
                    "type" => t = v.as_str().unwrap_or(""),
                    "marks" => mark_list = Some(v),
                    "text" => text_field = Some(v),
                    "attrs" => node_attrs = v.as_object(),
                    _ => {}
                }
            }
        }
        let mut m = marks;
        let code = self.marks(mark_list, run, &mut m);
        match t {
            "text" => {
                let text = match text_field {
                    Some(Value::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
                    Some(Value::Number(n)) => {
                        self.warn(WarningKind::Invalid, t);
                        std::borrow::Cow::Owned(n.to_string())
                    }
                    _ => return,
                };
                let ctl = escape::controls(&text);
                if ctl.nul {
                    self.warn(WarningKind::Lossy, t);
                }
                if code {
                    run.push(Piece::Code(text), m);
                } else if ctl.newline {
                    run.add_text(text, m);
                } else if !text.is_empty() {
                    run.push(Piece::Text(text), m);
                }
            }
            "hardBreak" => run.push(Piece::Break, m),
            "mention" => {
                let id = str_in(node_attrs, "id");
                let name = str_in(node_attrs, "text")
                    .map(|s| s.trim_start_matches('@'))
                    .filter(|s| !escape::is_blank(s));
                let Some(shown) = name.or(id) else {
                    self.warn(WarningKind::Invalid, t);
                    return;
                };
                if self.o.mention_style == MentionStyle::Link
                    && let Some(id) = id
                {
                    m = m.with_link(run.link(format!("mention:{id}"), None));
                }
                // Two pieces with one mark set render as the text `@name`.
                run.push(Piece::Text("@".into()), m);
                run.add_text(shown, m);
            }
            "emoji" => {
                if let Some(e) =
                    str_in(node_attrs, "text").or_else(|| str_in(node_attrs, "shortName"))
                {
                    run.add_text(e, m);
                } else {
                    self.warn(WarningKind::Invalid, t);
                }
            }
            "date" => {
                let d = date_text(attr_in(node_attrs, "timestamp"));
                if d.is_empty() {
                    self.warn(WarningKind::Invalid, t);
                } else {
                    run.add_text(d, m);
                }
            }
            "status" => {
                if let Some(s) = str_in(node_attrs, "text") {
                    m = m.with(Mk::Strong);
                    run.add_text(format!("[{}]", s.trim()), m);
                }
            }
            "placeholder" => {
                if self.o.placeholders
                    && let Some(s) = str_in(node_attrs, "text")
                {
                    m = m.with(Mk::Em);
                    run.add_text(s, m);
                }
            }
            "inlineCard" | "blockCard" | "embedCard" => {
                self.card(node, run, m);
            }
            "inlineExtension" | "extension" => {
                if let Some(s) = str_in(node_attrs, "text") {
                    run.add_text(s, m);
                } else if self.o.extension_markers && self.o.html {
                    let key = str_in(node_attrs, "extensionKey").unwrap_or("unknown");
                    run.push(Piece::Comment(comment("extension", key)), m);
                }
            }
            "mediaInline" => {
                let label = str_in(node_attrs, "alt").unwrap_or("file").to_owned();
                let id = str_in(node_attrs, "id");
                if self.o.media_style != MediaStyle::Text
                    && !m.has_link()
                    && let Some(id) = id
                {
                    let kind = attr_in(node_attrs, "type")
                        .and_then(Value::as_str)
                        .unwrap_or("file");
                    m = m.with(run.link(self.media_dest(node, id, kind), None));
                }
                run.add_text(label, m);
            }
            "media" => {
                let md = self.media_md(node, true, None);
                if !md.is_empty() {
                    run.push(Piece::Raw(md), m);
                }
            }
            "image" => {
                let src = str_in(node_attrs, "src").unwrap_or("");
                let alt = str_in(node_attrs, "alt").unwrap_or("image");
                let mut s = String::from("![");
                s.push_str(&inline_text(alt));
                s.push_str("](");
                escape::destination(src, &mut s);
                if let Some(title) = str_in(node_attrs, "title") {
                    escape::title(title, &mut s);
                }
                s.push(')');
                run.push(Piece::Raw(s), m);
            }
            "unsupportedInline" | "unsupportedBlock" => {
                if let Some(orig) = attr_in(node_attrs, "originalValue") {
                    self.path.push(PSeg::Original);
                    self.inline(orig, run, m, depth + 1);
                    self.path.pop();
                }
            }
            "confluenceUnsupportedInline" | "confluenceUnsupportedBlock" => {
                if let Some(x) = attr_in(node_attrs, "cxhtml").and_then(Value::as_str) {
                    run.add_text(strip_tags(x), m);
                }
            }
            "confluenceJiraIssue" => {
                if let Some(k) = str_in(node_attrs, "issueKey") {
                    run.add_text(k, m);
                }
            }
            "codeBlock" => {
                let body = Self::code_body(node);
                if !body.is_empty() {
                    run.push(Piece::Code(body.into()), m);
                }
            }
            _ => {
                if !is_known(t) {
                    self.warn(WarningKind::UnknownNode, t);
                }
                let children = content(node);
                if children.is_empty() {
                    self.attr_fallback(node, run, m, depth);
                } else {
                    // Blocks met in inline context are flattened, separated
                    // by spaces.
                    let block = is_block_type(t);
                    for (i, c) in children.iter().enumerate() {
                        if block && i > 0 {
                            run.add_text(" ", m);
                        }
                        self.path.push(PSeg::Content(i));
                        self.inline(c, run, m, depth + 1);
                        self.path.pop();
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------ tables

    fn table(&mut self, rows: &[Value], depth: usize) -> Option<String> {
        if rows.is_empty() {
            return None;
        }
        let html = self.o.html
            && match self.o.table_style {
                TableStyle::Html => true,
                TableStyle::Auto => rows.iter().any(|row| {
                    let (cells, _) = row_cells(row);
                    cells.iter().any(cell_needs_html)
                }),
                _ => false,
            };
        if html {
            return Some(self.html_table(rows, depth));
        }
        // Cell texts go back to back into one buffer; the grid holds indexes
        // into `spans`, whose first entry is the empty cell.
        let mut buf = std::mem::take(&mut self.cell_buf);
        buf.clear();
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(rows.len() * 8 + 1);
        spans.push((0, 0));
        let mut grid: Vec<Vec<u32>> = Vec::with_capacity(rows.len());
        let repeat = self.o.span_fill == SpanFill::Repeat;
        let mut header = true;
        // The parts and spans of one row's cells, looked up before any is
        // rendered: the cells' maps are fetched from memory independently of
        // one another, so those loads overlap.
        let mut row_parts = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            self.path.push(PSeg::Content(r));
            let (cells, seg) = row_cells(row);
            if grid.len() <= r {
                grid.push(Vec::with_capacity(cells.len()));
            }
            row_parts.clear();
            row_parts.extend(cells.iter().map(|cell| {
                let (t, cell_attrs, children) = node_parts(cell);
                (t, children, spans_of(cell_attrs, rows.len() - r))
            }));
            let mut col = 0;
            for (ci, (cell, &(t, children, (colspan, rowspan)))) in
                cells.iter().zip(&row_parts).enumerate()
            {
                self.enter(seg, ci);
                while grid[r].get(col).is_some_and(|&s| s != FREE) {
                    col += 1;
                }
                if r == 0 && t != "tableHeader" {
                    header = false;
                }
                let range = self.cell_into(cell, t, children, depth + 1, &mut buf);
                let id = u32::try_from(spans.len()).unwrap_or(0);
                spans.push(range);
                let fill = if repeat { id } else { 0 };
                if colspan == 1 && rowspan == 1 && grid[r].len() == col {
                    // The usual cell: one new slot at the end of its row.
                    grid[r].push(id);
                    col += 1;
                    self.leave(seg);
                    continue;
                }
                for dr in 0..rowspan {
                    while grid.len() <= r + dr {
                        grid.push(Vec::new());
                    }
                    let line = &mut grid[r + dr];
                    if line.len() < col + colspan {
                        line.resize(col + colspan, FREE);
                    }
                    for (dc, slot) in line[col..col + colspan].iter_mut().enumerate() {
                        if *slot == FREE {
                            *slot = if dr == 0 && dc == 0 { id } else { fill };
                        }
                    }
                }
                col += colspan;
                self.leave(seg);
            }
            if cells.is_empty() && r == 0 {
                header = false;
            }
            self.path.pop();
        }
        let promote = self.o.header_less_tables == HeaderlessTables::PromoteFirstRow;
        let ncols = grid.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut out = String::with_capacity(buf.len() + (grid.len() + 2) * (3 * ncols + 2));
        let push_row = |out: &mut String, row: Option<&Vec<u32>>| {
            out.push('|');
            for c in 0..ncols {
                out.push(' ');
                if let Some(&id) = row.and_then(|r| r.get(c))
                    && let Some(&(a, b)) = spans.get(id as usize)
                {
                    out.push_str(&buf[a..b]);
                }
                out.push_str(" |");
            }
            out.push('\n');
        };
        let data_from = if header || promote {
            push_row(&mut out, grid.first());
            1
        } else {
            push_row(&mut out, None);
            0
        };
        out.push('|');
        for _ in 0..ncols {
            out.push_str(" --- |");
        }
        for row in grid.get(data_from..).unwrap_or_default() {
            out.push('\n');
            push_row(&mut out, Some(row));
            out.pop();
        }
        let end = out.trim_end_matches('\n').len();
        out.truncate(end);
        self.cell_buf = buf;
        Some(out)
    }

    /// An HTML table with real spans. Cells of one plain line are written
    /// inline; others hold Markdown between blank lines, which CommonMark
    /// parses between the HTML blocks of the tags.
    fn html_table(&mut self, rows: &[Value], depth: usize) -> String {
        let first_is_header = rows.first().is_some_and(|row| {
            let (cells, _) = row_cells(row);
            !cells.is_empty() && cells.iter().all(|c| ty(c) == "tableHeader")
        });
        let head =
            first_is_header || self.o.header_less_tables == HeaderlessTables::PromoteFirstRow;
        let mut out = String::from("<table>");
        for (r, row) in rows.iter().enumerate() {
            self.path.push(PSeg::Content(r));
            if r == 0 && head {
                out.push_str("\n<thead>");
            } else if r == usize::from(head) {
                out.push_str("\n<tbody>");
            }
            out.push_str("\n<tr>");
            let (cells, seg) = row_cells(row);
            for (ci, cell) in cells.iter().enumerate() {
                self.enter(seg, ci);
                let (t, cell_attrs, children) = node_parts(cell);
                let (colspan, rowspan) = spans_of(cell_attrs, rows.len() - r);
                let tag = if (r == 0 && head) || t == "tableHeader" {
                    "th"
                } else {
                    "td"
                };
                out.push_str("\n<");
                out.push_str(tag);
                for (name, n) in [("colspan", colspan), ("rowspan", rowspan)] {
                    if n > 1 {
                        use std::fmt::Write as _;
                        let _ = write!(out, " {name}=\"{n}\"");
                    }
                }
                out.push('>');
                let body = if matches!(t, "tableCell" | "tableHeader") {
                    join(self.blocks(children, depth + 1, Seg::Content), false)
                } else {
                    join(
                        self.blocks(std::slice::from_ref(cell), depth + 1, Seg::Root),
                        false,
                    )
                };
                let plain = !body.bytes().any(|c| {
                    matches!(
                        c,
                        b'\n' | b'\\' | b'*' | b'`' | b'[' | b']' | b'<' | b'>' | b'&' | b'~'
                    )
                });
                if !plain {
                    out.push_str("\n\n");
                }
                out.push_str(&body);
                if !plain {
                    out.push_str("\n\n");
                }
                out.push_str("</");
                out.push_str(tag);
                out.push('>');
                self.leave(seg);
            }
            out.push_str("\n</tr>");
            if r == 0 && head {
                out.push_str("\n</thead>");
            }
            self.path.pop();
        }
        if rows.len() > usize::from(head) {
            out.push_str("\n</tbody>");
        }
        out.push_str("\n</table>");
        out
    }

    /// Renders a cell's content as one line onto `buf` and returns its
    /// range there (not necessarily ending at `buf.len()`: the edges are
    /// trimmed by narrowing the range).
    fn cell_into(
        &mut self,
        cell: &Value,
        t: &str,
        children: &[Value],
        depth: usize,
        buf: &mut String,
    ) -> (usize, usize) {
        let start = buf.len();
        let br = if self.o.html { "<br>" } else { " " };
        let cell_node = matches!(t, "tableCell" | "tableHeader");
        // Cells of paragraphs only (nearly all of them) are rendered straight
        // into the buffer; anything else goes through the segment list.
        // A lone child (the usual case) is looked at only once.
        let lone = match children {
            [only] => Some(node_parts(only)),
            _ => None,
        };
        let fast = cell_node
            && depth < self.o.max_depth
            && match lone {
                Some((t, _, _)) => t == "paragraph" && children[0].is_object(),
                None => children
                    .iter()
                    .all(|c| matches!(c, Value::Object(_)) && ty(c) == "paragraph"),
            };
        if fast
            && let Some((_, _, [text])) = lone
            && depth + 2 <= self.o.max_depth
            && let Some(text) = plain_text(text)
        {
            // One paragraph of one unmarked text (most cells): the run would
            // be just this text, escaped, without blanks at its edges.
            let from = buf.len();
            escape::inline(text, None, None, buf);
            let end = from + escape::trim_blank_end(&buf[from..]).len();
            buf.truncate(end);
            let lead = end - from - escape::trim_blank_start(&buf[from..]).len();
            if lead > 0 {
                buf.drain(from..from + lead);
            }
        } else if fast {
            let mut any = false;
            for (i, node) in children.iter().enumerate() {
                self.path.push(PSeg::Content(i));
                let inner = match lone {
                    Some((_, _, c)) => c,
                    None => node_parts(node).2,
                };
                let run = self.inline_nodes(inner, depth + 1, Marks::NONE);
                if !run.is_empty() {
                    let mark = buf.len();
                    if any {
                        buf.push_str(br);
                    }
                    let from = buf.len();
                    if inline::render_cell_into(run, self.st, &mut self.scratch, buf) {
                        self.warn(WarningKind::Lossy, "text");
                    }
                    if buf.len() == from {
                        buf.truncate(mark);
                    } else {
                        any = true;
                    }
                }
                self.path.pop();
            }
        } else {
            let mut segs = std::mem::take(&mut self.segs);
            segs.clear();
            if cell_node {
                self.flat_blocks(children, depth, 0, &mut segs, Seg::Content);
            } else {
                self.flat_blocks(std::slice::from_ref(cell), depth, 0, &mut segs, Seg::Root);
            }
            for (i, s) in segs.iter().enumerate() {
                if i > 0 {
                    buf.push_str(br);
                }
                buf.push_str(s);
            }
            segs.clear();
            self.segs = segs;
        }
        // One pass tells which of the rewrites below can apply.
        let found = buf.as_bytes()[start..]
            .iter()
            .fold(0, |f, &c| f | CELL_BYTES[usize::from(c)]);
        let (pipe, newline, angle) = (found & PIPE != 0, found & NEWLINE != 0, found & ANGLE != 0);
        if pipe || newline {
            let mut s = buf[start..].to_owned();
            if pipe {
                s = s.replace('|', "\\|");
            }
            if newline {
                s = s.replace('\n', br);
            }
            buf.truncate(start);
            buf.push_str(&s);
        }
        let s = &buf[start..];
        let blank = |c: Option<&u8>| matches!(c, Some(b' ' | b'\t'));
        if !((angle || (newline && self.o.html)) && s.contains("<br>"))
            && !blank(s.as_bytes().first())
            && !blank(s.as_bytes().last())
        {
            return (start, buf.len());
        }
        // Only blanks and line breaks at the edges go: a cell's NBSP is text
        // (GFM trims spaces and tabs only), and so is an escaped `\<br>`.
        fn trim(t: &str) -> &str {
            escape::trim_blank_start(escape::trim_blank_end(t))
        }
        let mut t = trim(s);
        loop {
            let before = t.len();
            t = trim(t.strip_prefix("<br>").unwrap_or(t));
            if let Some(rest) = t.strip_suffix("<br>")
                && (rest.len() - rest.trim_end_matches('\\').len()) % 2 == 0
            {
                t = trim(rest);
            }
            if t.len() == before {
                break;
            }
        }
        // `t` is a subslice of `s`; find where it starts.
        let off = t.as_ptr() as usize - s.as_ptr() as usize;
        (start + off, start + off + t.len())
    }

    fn cell_run(&mut self, run: Run<'_>, segs: &mut Vec<String>) {
        if let Some(t) = self.render_run(run, Ctx::Cell) {
            segs.push(t);
        }
    }

    /// Flattens blocks into single-line cell segments.
    fn flat_blocks(
        &mut self,
        nodes: &[Value],
        depth: usize,
        level: usize,
        segs: &mut Vec<String>,
        seg: Seg,
    ) {
        let mut pending: Option<Run<'_>> = None;
        for (i, node) in nodes.iter().enumerate() {
            self.enter(seg, i);
            if is_inline(node) {
                let run = pending.get_or_insert_with(Run::default);
                self.inline(node, run, Marks::NONE, depth + 1);
            } else {
                if let Some(run) = pending.take() {
                    self.cell_run(run, segs);
                }
                self.flat_block(node, depth + 1, level, segs);
            }
            self.leave(seg);
        }
        if let Some(run) = pending.take() {
            self.cell_run(run, segs);
        }
    }

    fn flat_block(&mut self, node: &Value, depth: usize, level: usize, segs: &mut Vec<String>) {
        if depth > self.o.max_depth {
            self.warn(WarningKind::DepthLimit, ty(node));
            let mut run = Run::default();
            run.push_text(flat_text(node), &[]);
            self.cell_run(run, segs);
            return;
        }
        let t = ty(node);
        match t {
            "paragraph" | "unknownBlock" | "caption" => {
                let mut run = self.inline_children(node, depth, Marks::NONE);
                if t == "caption" {
                    run.add_mark(Mk::Em);
                }
                self.cell_run(run, segs);
            }
            "heading" => {
                let mut run = self.inline_children(node, depth, Marks::NONE);
                run.add_mark(Mk::Strong);
                self.cell_run(run, segs);
            }
            "bulletList" | "orderedList" | "taskList" | "decisionList" => {
                let start = if t == "orderedList" {
                    attr_num(node, "order").map_or(1, |f| clamp_int(f, 0, MAX_ORDER))
                } else {
                    1
                };
                for (i, item) in content(node).iter().enumerate() {
                    self.path.push(PSeg::Content(i));
                    if ty(item) == "taskList" {
                        self.flat_block(item, depth + 1, level + 1, segs);
                        self.path.pop();
                        continue;
                    }
                    let marker = match t {
                        "orderedList" => format!("{}. ", start + u64::try_from(i).unwrap_or(0)),
                        "taskList" => {
                            let done = attr(item, "state").and_then(Value::as_str) == Some("DONE");
                            (if done { "[x] " } else { "[ ] " }).to_owned()
                        }
                        "decisionList" => {
                            let decided = attr(item, "state")
                                .and_then(Value::as_str)
                                .is_none_or(|s| s == "DECIDED");
                            let undecided = if decided { "" } else { " (undecided)" };
                            format!("**{}{undecided}:** ", inline_text(&self.o.decision_label))
                        }
                        _ => "- ".to_owned(),
                    };
                    let mut inner = Vec::new();
                    if matches!(ty(item), "taskItem" | "decisionItem") {
                        let run = self.inline_children(item, depth + 1, Marks::NONE);
                        self.cell_run(run, &mut inner);
                    } else {
                        self.flat_blocks(
                            content(item),
                            depth + 1,
                            level + 1,
                            &mut inner,
                            Seg::Content,
                        );
                    }
                    let first = if inner.is_empty() {
                        String::new()
                    } else {
                        inner.remove(0)
                    };
                    let indent = "  ".repeat(level);
                    segs.push(format!("{indent}{marker}{first}").trim_end().to_owned());
                    segs.append(&mut inner);
                    self.path.pop();
                }
            }
            "codeBlock" => {
                for line in Self::code_body(node).split('\n') {
                    if !line.trim().is_empty() {
                        let mut s = String::new();
                        escape::code_span(line, &mut s);
                        segs.push(s);
                    }
                }
            }
            "panel" | "expand" | "nestedExpand" => {
                let label = if t == "panel" {
                    let p = attr(node, "panelType")
                        .and_then(Value::as_str)
                        .unwrap_or("info");
                    Some(self.panel_label(p))
                } else {
                    attr_str(node, "title").map(|s| inline_text(s.trim()))
                };
                let mut inner = Vec::new();
                self.flat_blocks(content(node), depth, level, &mut inner, Seg::Content);
                // A custom panel's icon leads its first line, as outside a
                // cell (§2.4).
                if let Some(icon) = Self::panel_icon(node).filter(|_| t == "panel") {
                    match inner.first_mut() {
                        Some(first) => *first = format!("{icon} {first}"),
                        None => inner.push(icon),
                    }
                }
                if let Some(l) = label {
                    let first = if inner.is_empty() {
                        String::new()
                    } else {
                        inner.remove(0)
                    };
                    segs.push(format!("**{l}:** {first}").trim_end().to_owned());
                }
                segs.append(&mut inner);
            }
            "rule" => segs.push(String::new()),
            "mediaSingle" => {
                let outer = Self::link_mark(node);
                for (i, c) in content(node).iter().enumerate() {
                    self.path.push(PSeg::Content(i));
                    if ty(c) == "media" {
                        let md = self.media_md(c, true, outer.clone());
                        segs.push(md);
                    } else {
                        self.flat_block(c, depth + 1, level, segs);
                    }
                    self.path.pop();
                }
            }
            "mediaGroup" => {
                for (i, c) in content(node).iter().enumerate() {
                    self.path.push(PSeg::Content(i));
                    let md = self.media_md(c, false, None);
                    segs.push(md);
                    self.path.pop();
                }
            }
            "media" => {
                let md = self.media_md(node, true, None);
                segs.push(md);
            }
            "table" => {
                // Nested tables (behind a ProseMirror flag): cells joined by
                // ` ; `, rows by line breaks.
                for (r, row) in content(node).iter().enumerate() {
                    self.path.push(PSeg::Content(r));
                    let mut cells = Vec::new();
                    for (c, cell) in content(row).iter().enumerate() {
                        self.path.push(PSeg::Content(c));
                        let mut inner = Vec::new();
                        self.flat_blocks(content(cell), depth + 1, level, &mut inner, Seg::Content);
                        cells.push(inner.join(" "));
                        self.path.pop();
                    }
                    segs.push(cells.join(" ; "));
                    self.path.pop();
                }
            }
            "extension"
            | "blockCard"
            | "embedCard"
            | "confluenceUnsupportedBlock"
            | "unsupportedBlock" => {
                let mut run = Run::default();
                self.inline(node, &mut run, Marks::NONE, depth);
                self.cell_run(run, segs);
            }
            "syncBlock" => {}
            _ => {
                if !is_known(t) {
                    self.warn(WarningKind::UnknownNode, t);
                }
                self.flat_blocks(content(node), depth, level, segs, Seg::Content);
                let mut run = Run::default();
                if content(node).is_empty() {
                    self.attr_fallback(node, &mut run, Marks::NONE, depth);
                }
                self.cell_run(run, segs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date_text(Some(&Value::from("1582152559"))), "2020-02-19");
        assert_eq!(date_text(Some(&Value::from("1582156800000"))), "2020-02-20");
        assert_eq!(date_text(Some(&Value::from("0"))), "1970-01-01");
        assert_eq!(date_text(Some(&Value::from("-86400000"))), "1967-04-07");
        assert_eq!(date_text(Some(&Value::from("tomorrow"))), "tomorrow");
        assert_eq!(
            date_text(Some(&serde_json::json!(1_582_156_800_000_i64))),
            "2020-02-20"
        );
    }

    #[test]
    fn issue_keys_from_browse_urls() {
        assert_eq!(
            issue_key("https://x.atlassian.net/browse/ENG-42?focused=1"),
            Some("ENG-42")
        );
        assert_eq!(issue_key("https://x.atlassian.net/browse/eng-42"), None);
        assert_eq!(issue_key("https://x.atlassian.net/wiki"), None);
    }

    #[test]
    fn tags_are_stripped() {
        assert_eq!(strip_tags("<p>a &amp; <b>b</b></p>"), "a & b");
    }

    #[test]
    fn comments_cannot_be_closed_early() {
        assert_eq!(comment("extension", "a-->b"), "<!-- extension: a-b -->");
    }
}
