//! Atlassian Document Format (ADF) to GitHub-flavoured Markdown.
//!
//! Jira Cloud returns descriptions, comments and multi-line custom fields as
//! ADF JSON. This crate turns such a document into Markdown without losing
//! text: every node and mark of the published ADF schema is rendered, unknown
//! nodes fall back to their text content, and escaping depends on context.
//!
//! # Design
//!
//! * **No text is lost.** Every `text` leaf and every human-meaningful
//!   attribute (mention name, status, date, emoji, card URL, media alt,
//!   caption, expand title, panel type, extension text) reaches the output.
//! * **Structure survives a CommonMark/GFM parse.** Text that looks like
//!   block syntax at a line start is escaped, tables keep every cell in its
//!   column (colspan and rowspan included), code fences are longer than any
//!   backtick run inside, and marks are merged across adjacent text nodes so
//!   the output is `**a *b***`, never `**a****b**`.
//! * **Degrade, never fail.** Unknown nodes render their children and text
//!   attributes, unknown marks are ignored, malformed input renders what it
//!   can, and problems are reported as [`Warning`]s beside the Markdown.
//! * **Deterministic and pure.** The same input gives the same bytes; no I/O,
//!   no global state, no async runtime. [`Options`] and [`Output`] are
//!   `Send + Sync`, so callers can convert batches in parallel.
//!
//! # Example
//!
//! ```
//! let adf = serde_json::json!({
//!     "version": 1,
//!     "type": "doc",
//!     "content": [
//!         {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
//!         {"type": "paragraph", "content": [
//!             {"type": "text", "text": "bold ", "marks": [{"type": "strong"}]},
//!             {"type": "text", "text": "both", "marks": [{"type": "em"}, {"type": "strong"}]},
//!             {"type": "text", "text": " and # not a heading"}
//!         ]}
//!     ]
//! });
//! assert_eq!(adf_md::to_markdown(&adf), "## Steps\n\n**bold *both*** and # not a heading\n");
//!
//! // Richer entry point: options and out-of-band warnings.
//! let out = adf_md::convert(&adf, &adf_md::Options::new().html(false));
//! assert!(out.warnings.is_empty());
//!
//! // A JSON string works too; only input that is not JSON is an error.
//! assert!(adf_md::convert_str("{not json", &adf_md::Options::new()).is_err());
//! ```
#![warn(missing_docs)]

mod escape;
mod inline;
mod render;

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value;

/// Converts an ADF document (or any ADF node, or an array of nodes) to
/// GitHub-flavoured Markdown with the default [`Options`].
///
/// Never panics. A document that contains text never yields an empty string.
/// A plain JSON string (Jira Data Center wiki markup) is returned unchanged.
/// Warnings are discarded; use [`convert`] to see them.
pub fn to_markdown(doc: &Value) -> String {
    convert(doc, &Options::default()).markdown
}

/// Converts an ADF value with the given options, returning the Markdown and
/// the problems met on the way.
pub fn convert(doc: &Value, options: &Options) -> Output {
    render::convert(doc, options)
}

/// Parses `json` and converts it like [`convert`].
///
/// # Errors
///
/// [`Error::InvalidJson`] when `json` is not JSON at all. Every JSON value is
/// accepted; a JSON string is passed through unchanged.
pub fn convert_str(json: &str, options: &Options) -> Result<Output, Error> {
    let value: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            // Documents written by JavaScript can hold lone UTF-16 surrogates
            // (`"\ud83d"`), which serde_json rejects; decode them leniently
            // as U+FFFD rather than failing the whole document.
            let retry =
                replace_lone_surrogates(json).and_then(|fixed| serde_json::from_str(&fixed).ok());
            retry.ok_or_else(|| Error::InvalidJson {
                line: e.line(),
                column: e.column(),
                reason: e.to_string(),
            })?
        }
    };
    Ok(convert(&value, options))
}

/// Rewrites `\uD800`-`\uDFFF` escapes that do not form a valid pair as
/// `\uFFFD`. Returns `None` when there was nothing to rewrite.
fn replace_lone_surrogates(json: &str) -> Option<String> {
    fn hex_at(b: &[u8], i: usize) -> Option<u32> {
        let h = b.get(i..i + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }
    let b = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let mut changed = false;
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b.get(i + 1) != Some(&b'u') {
            // Any other escape (including `\\`) is two bytes long.
            i += 2;
            continue;
        }
        let Some(cp) = hex_at(b, i + 2) else {
            i += 2;
            continue;
        };
        let paired_low = |j: usize| {
            b.get(j) == Some(&b'\\')
                && b.get(j + 1) == Some(&b'u')
                && hex_at(b, j + 2).is_some_and(|c| (0xDC00..=0xDFFF).contains(&c))
        };
        if (0xD800..=0xDBFF).contains(&cp) && paired_low(i + 6) {
            i += 12;
        } else if (0xD800..=0xDFFF).contains(&cp) {
            out.push_str(&json[last..i]);
            out.push_str("\\uFFFD");
            changed = true;
            i += 6;
            last = i;
        } else {
            i += 6;
        }
    }
    out.push_str(&json[last..]);
    changed.then_some(out)
}

/// Parses `json` and converts it with the default options, like
/// [`to_markdown`].
///
/// # Errors
///
/// [`Error::InvalidJson`] when `json` is not JSON at all.
pub fn to_markdown_str(json: &str) -> Result<String, Error> {
    convert_str(json, &Options::default()).map(|o| o.markdown)
}

/// The only failure: input that is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input text could not be parsed as JSON.
    #[error(
        "adf input is not valid json at line {line} column {column} ({reason}); pass the raw ADF document as JSON"
    )]
    InvalidJson {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// The parser's description.
        reason: String,
    },
}

/// The result of a conversion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Output {
    /// GitHub-flavoured Markdown, ending in exactly one `\n` (or empty).
    pub markdown: String,
    /// Problems met, in document order. Never mixed into the Markdown.
    pub warnings: Vec<Warning>,
}

/// A problem met while converting; the Markdown is still produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// JSON Pointer to the node, e.g. `/content/2/content/0`.
    pub path: String,
    /// What kind of problem.
    pub kind: WarningKind,
    /// The node's (or mark's) `type`, empty when it had none.
    pub node_type: String,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// A node type this crate does not know; its children and text
    /// attributes were rendered.
    UnknownNode,
    /// A mark type this crate does not know; it was ignored, the text kept.
    UnknownMark,
    /// A malformed node (not an object, no `type`, bad attribute); rendered
    /// as well as possible.
    Invalid,
    /// Something was rendered with less fidelity than the input had (a
    /// dropped delimiter, a clamped value, a replaced NUL character).
    Lossy,
    /// Nesting deeper than [`Options::max_depth`]; the subtree was flattened
    /// to its text.
    DepthLimit,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            WarningKind::UnknownNode => "unknown node type, rendered its content",
            WarningKind::UnknownMark => "unknown mark, ignored",
            WarningKind::Invalid => "malformed node, rendered what it could",
            WarningKind::Lossy => "rendered with some loss of formatting",
            WarningKind::DepthLimit => "nesting too deep, flattened to text",
            #[allow(unreachable_patterns)]
            _ => "problem",
        };
        write!(f, "{} ({:?}): {what}", self.path, self.node_type)
    }
}

/// How panels (info, note, warning, ...) are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PanelStyle {
    /// A GitHub alert: `> [!NOTE]`, `> [!WARNING]`, ... (success and tip
    /// both map to `[!TIP]`, custom to `[!NOTE]`).
    #[default]
    GithubAlert,
    /// A blockquote starting with the exact type: `> **Success:** ...`.
    Labelled,
    /// A plain blockquote; the type is dropped.
    Blockquote,
}

/// How expand and nestedExpand nodes are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExpandStyle {
    /// `<details><summary>Title</summary>` around the body (needs HTML; with
    /// [`Options::html`] off, [`ExpandStyle::Plain`] is used).
    #[default]
    Details,
    /// `**Title**` followed by the body, no HTML.
    Plain,
}

/// How user mentions are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MentionStyle {
    /// `@Display Name` (the account id when the name is missing).
    #[default]
    Text,
    /// `[@Display Name](mention:ACCOUNT_ID)`.
    Link,
}

/// How attachments (`media` nodes) are rendered. ADF stores only an
/// attachment id, written as the destination `attachment:ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MediaStyle {
    /// Images as `![alt](attachment:ID)`, files as `[name](attachment:ID)`.
    #[default]
    Image,
    /// Always a link: `[alt](attachment:ID)`.
    Link,
    /// Only the alt text or file name, no destination.
    Text,
}

/// How smart links (`inlineCard`, `blockCard`, `embedCard`) are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CardStyle {
    /// `<https://…>` (an autolink), or `[url](<url>)` when that is not valid.
    #[default]
    Url,
    /// For Jira `…/browse/KEY-123` URLs, `[KEY-123](url)`; otherwise as
    /// [`CardStyle::Url`]. The issue key is the most useful token for search.
    IssueKey,
}

/// How tables are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TableStyle {
    /// A GFM pipe table; block content in cells is flattened to one line
    /// joined with `<br>`.
    #[default]
    Pipe,
    /// Always an HTML `<table>` with `<thead>`/`<tbody>` and real `colspan`
    /// and `rowspan` attributes. A cell whose content is one line of plain
    /// text is written inline (`<td>text</td>`); any other cell holds its
    /// content as Markdown between blank lines, which GFM parses inside the
    /// HTML, so lists and code blocks keep their structure. Needs
    /// [`Options::html`]; without it, [`TableStyle::Pipe`] is used.
    Html,
    /// [`TableStyle::Html`] for tables with a cell that holds a list, a code
    /// block or more than one block, [`TableStyle::Pipe`] otherwise.
    Auto,
}

/// What a table without a header row (its first row is not all
/// `tableHeader` cells) gets as the header that GFM requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HeaderlessTables {
    /// An empty header row (`|  |  |`); every ADF row stays a data row. HTML
    /// tables get no `<thead>` at all.
    #[default]
    EmptyHeader,
    /// The first row becomes the header.
    PromoteFirstRow,
}

/// What the grid slots covered by a `colspan` or `rowspan` hold in pipe
/// tables (HTML tables use real spans and need neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SpanFill {
    /// The content goes into the top-left slot; the other slots are empty.
    #[default]
    Empty,
    /// Every covered slot repeats the spanning cell's content, so that each
    /// row reads on its own (row-wise chunking).
    Repeat,
}

/// What happens to whitespace at the edge of a marked span
/// (`"bold "` + strong), which CommonMark does not allow next to a
/// delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhitespaceMode {
    /// The whitespace moves outside the delimiters:
    /// `Before **spaced bold** after`.
    #[default]
    Hoist,
    /// The whitespace stays inside, written as a numeric character
    /// reference; an alphanumeric neighbour outside the delimiter is written
    /// as a reference too, so the delimiter still flanks:
    /// `Befor&#101;**&#32;spaced bold&#32;**&#97;fter`. Exact, but costs
    /// tokens. Spans of only whitespace still lose their marks.
    Exact,
}

/// Whether a presentational mark is written as HTML or dropped (its text
/// is always kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MarkStyle {
    /// The mark is dropped; the text stays.
    Drop,
    /// The mark becomes HTML (`<ins>`, `<mark>`, `<span style>`, `<sub>`,
    /// `<sup>`). Only when [`Options::html`] is on; otherwise dropped.
    Html,
}

/// How a hard break in paragraph or list text is written. Headings and
/// captions always use a space, table cells `<br>` (a space without HTML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HardBreakStyle {
    /// `\` at the end of the line: visible and never stripped.
    #[default]
    Backslash,
    /// Two trailing spaces (CommonMark's other hard break); editors and
    /// pipelines that strip trailing whitespace lose it.
    TwoSpaces,
    /// `<br>` at the end of the line; falls back to
    /// [`HardBreakStyle::Backslash`] when [`Options::html`] is off.
    Html,
}

/// A callback giving the URL of an attachment: `(id, collection, type)`,
/// where `type` is the media `type` attribute (`file`, `link`, `image`...).
type ResolverFn = dyn Fn(&str, &str, &str) -> Option<String> + Send + Sync;

/// The optional media resolver; compared by identity.
#[derive(Clone)]
struct MediaResolver(Arc<ResolverFn>);

impl std::fmt::Debug for MediaResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MediaResolver(..)")
    }
}

impl PartialEq for MediaResolver {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for MediaResolver {}

/// Conversion options. Build with [`Options::new`] and the setters.
///
/// Two `Options` are equal when every setting is; a media resolver is equal
/// only to a clone of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    html: bool,
    panel_style: PanelStyle,
    expand_style: ExpandStyle,
    mention_style: MentionStyle,
    media_style: MediaStyle,
    card_style: CardStyle,
    placeholders: bool,
    extension_markers: bool,
    /// Borrowed for the default, so that [`to_markdown`] allocates no
    /// options.
    decision_label: Cow<'static, str>,
    max_depth: usize,
    table_style: TableStyle,
    header_less_tables: HeaderlessTables,
    span_fill: SpanFill,
    whitespace_mode: WhitespaceMode,
    underline: MarkStyle,
    colors: MarkStyle,
    subsup: MarkStyle,
    media_resolver: Option<MediaResolver>,
    hard_break: HardBreakStyle,
}

/// The default of [`Options::max_depth`].
const DEFAULT_MAX_DEPTH: usize = 256;

impl Default for Options {
    fn default() -> Self {
        Self {
            html: true,
            panel_style: PanelStyle::default(),
            expand_style: ExpandStyle::default(),
            mention_style: MentionStyle::default(),
            media_style: MediaStyle::default(),
            card_style: CardStyle::default(),
            placeholders: true,
            extension_markers: true,
            decision_label: Cow::Borrowed("Decision"),
            max_depth: DEFAULT_MAX_DEPTH,
            table_style: TableStyle::default(),
            header_less_tables: HeaderlessTables::default(),
            span_fill: SpanFill::default(),
            whitespace_mode: WhitespaceMode::default(),
            underline: MarkStyle::Drop,
            colors: MarkStyle::Drop,
            subsup: MarkStyle::Html,
            media_resolver: None,
            hard_break: HardBreakStyle::default(),
        }
    }
}

impl Options {
    /// The defaults: HTML allowed where GFM has no construct, GitHub alerts
    /// for panels, `<details>` for expands, `@Name` mentions, image
    /// placeholders for media, autolinks for cards.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allow the little HTML GFM needs: `<br>` in table cells, `<sub>` and
    /// `<sup>`, `<details>` for expands, `<strong>`/`<em>`/`<del>` where a
    /// delimiter would not parse, and `<!-- extension -->` markers. With
    /// `false`, cell breaks become spaces, sub/sup and unparseable emphasis
    /// keep their text but lose the mark, and expands use
    /// [`ExpandStyle::Plain`]. Default `true`.
    pub fn html(mut self, allow: bool) -> Self {
        self.html = allow;
        self
    }

    /// How panels are rendered. Default [`PanelStyle::GithubAlert`].
    pub fn panel_style(mut self, style: PanelStyle) -> Self {
        self.panel_style = style;
        self
    }

    /// How expands are rendered. Default [`ExpandStyle::Details`].
    pub fn expand_style(mut self, style: ExpandStyle) -> Self {
        self.expand_style = style;
        self
    }

    /// How mentions are rendered. Default [`MentionStyle::Text`].
    pub fn mention_style(mut self, style: MentionStyle) -> Self {
        self.mention_style = style;
        self
    }

    /// How media are rendered. Default [`MediaStyle::Image`].
    pub fn media_style(mut self, style: MediaStyle) -> Self {
        self.media_style = style;
        self
    }

    /// How smart-link cards are rendered. Default [`CardStyle::Url`].
    pub fn card_style(mut self, style: CardStyle) -> Self {
        self.card_style = style;
        self
    }

    /// Keep `placeholder` hint text (as `*hint*`). Default `true`.
    pub fn placeholders(mut self, keep: bool) -> Self {
        self.placeholders = keep;
        self
    }

    /// Write `<!-- extension: KEY -->` for macros without fallback text.
    /// Default `true` (and only when HTML is allowed).
    pub fn extension_markers(mut self, keep: bool) -> Self {
        self.extension_markers = keep;
        self
    }

    /// The label of decision items: `- **Decision:** text`. Default
    /// `"Decision"`.
    pub fn decision_label(mut self, label: impl Into<String>) -> Self {
        self.decision_label = Cow::Owned(label.into());
        self
    }

    /// Nesting depth below which subtrees are flattened to their text, so
    /// hostile input cannot exhaust the stack. Clamped to 1..=512.
    /// Default 256, the reference's value: a debug build converts a
    /// 256-deep document (and a 10,000-deep one, flattened below the limit)
    /// on a thread with a 2 MiB stack, the default for spawned threads. At
    /// 512 an unoptimised build needs more stack than that; raise the limit
    /// only for optimised code or bigger stacks.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.clamp(1, 512);
        self
    }

    /// How tables are rendered. Default [`TableStyle::Pipe`].
    pub fn table_style(mut self, style: TableStyle) -> Self {
        self.table_style = style;
        self
    }

    /// What header a table without a header row gets. Default
    /// [`HeaderlessTables::EmptyHeader`].
    pub fn header_less_tables(mut self, mode: HeaderlessTables) -> Self {
        self.header_less_tables = mode;
        self
    }

    /// What pipe-table slots covered by a span hold. Default
    /// [`SpanFill::Empty`].
    pub fn span_fill(mut self, fill: SpanFill) -> Self {
        self.span_fill = fill;
        self
    }

    /// What happens to whitespace at the edges of marked spans. Default
    /// [`WhitespaceMode::Hoist`].
    pub fn whitespace_mode(mut self, mode: WhitespaceMode) -> Self {
        self.whitespace_mode = mode;
        self
    }

    /// The `underline` mark: dropped, or `<ins>…</ins>` (GitHub keeps
    /// `<ins>`). Default [`MarkStyle::Drop`].
    pub fn underline(mut self, style: MarkStyle) -> Self {
        self.underline = style;
        self
    }

    /// The `backgroundColor` and `textColor` marks: dropped, or
    /// `<mark>…</mark>` and `<span style="color:#rrggbb">…</span>` (a colour
    /// that is not `#rrggbb` is dropped). Default [`MarkStyle::Drop`].
    pub fn colors(mut self, style: MarkStyle) -> Self {
        self.colors = style;
        self
    }

    /// The `subsup` mark: `<sub>`/`<sup>`, or dropped (text kept). Default
    /// [`MarkStyle::Html`].
    pub fn subsup(mut self, style: MarkStyle) -> Self {
        self.subsup = style;
        self
    }

    /// Gives attachments a URL. ADF stores only an attachment id; the
    /// callback receives `(id, collection, type)` (`collection` is empty
    /// when absent; `type` is the node's `type` attribute, `file` when
    /// absent) and returns the URL to link, or `None` to keep the default
    /// `attachment:ID`. Used for `media` and `mediaInline` nodes that have
    /// an id. Default: none.
    ///
    /// ```
    /// let o = adf_md::Options::new().media_resolver(|id, _collection, _type| {
    ///     Some(format!("https://example.atlassian.net/rest/api/3/attachment/content/{id}"))
    /// });
    /// # let _ = o;
    /// ```
    pub fn media_resolver(
        mut self,
        resolve: impl Fn(&str, &str, &str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.media_resolver = Some(MediaResolver(Arc::new(resolve)));
        self
    }

    /// How hard breaks in paragraphs and list items are written. Default
    /// [`HardBreakStyle::Backslash`].
    pub fn hard_break(mut self, style: HardBreakStyle) -> Self {
        self.hard_break = style;
        self
    }

    /// The URL the resolver gives for a media node, if any.
    pub(crate) fn resolve_media(&self, id: &str, collection: &str, kind: &str) -> Option<String> {
        self.media_resolver
            .as_ref()
            .and_then(|r| (r.0)(id, collection, kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Options>();
        check::<Output>();
        check::<Error>();
    }

    #[test]
    fn error_message_says_what_to_do() {
        let e = convert_str("nope", &Options::new()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("adf input is not valid json at line 1"),
            "{msg}"
        );
    }

    #[test]
    fn lone_surrogates_decode_leniently() {
        let json = r#"{"type":"paragraph","content":[{"type":"text","text":"a\ud83d b \ud83d\ude80 \\ud800 \udc00"}]}"#;
        assert_eq!(
            to_markdown_str(json).unwrap(),
            "a\u{FFFD} b \u{1F680} \\ud800 \u{FFFD}\n"
        );
        assert!(replace_lone_surrogates(r#""\ud83d\ude80""#).is_none());
    }

    #[test]
    fn plain_strings_pass_through() {
        let v = Value::String("h1. Wiki *markup*".into());
        assert_eq!(to_markdown(&v), "h1. Wiki *markup*");
    }
}
