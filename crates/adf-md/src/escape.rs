//! Context-aware escaping of text, code spans, link destinations and HTML.
//!
//! The rules escape as little as possible: every needless backslash is a
//! token in an embedding, so a character is escaped only where CommonMark or
//! GFM could read it as syntax.

/// How a parser may classify a character next to a delimiter run, as a set
/// of [`SPACE`], [`PUNCT`] and [`OTHER`] (letter-like) bits. Parsers
/// disagree: CommonMark 0.31 (pulldown-cmark, cmark) counts Unicode
/// punctuation *and symbols* as punctuation, GitHub's cmark-gfm only
/// punctuation (so an emoji is letter-like there), and parsers ship
/// different Unicode versions. A character is given every class some
/// parser may give it; flanking must then hold under each (§3.2 step 4).
pub(crate) const SPACE: u8 = 1;
/// See [`SPACE`].
pub(crate) const PUNCT: u8 = 2;
/// See [`SPACE`].
pub(crate) const OTHER: u8 = 4;

/// The classes `c` may have for delimiter flanking; see [`SPACE`].
#[inline(always)]
pub(crate) fn class(c: char) -> u8 {
    if c.is_ascii() {
        return if c.is_ascii_punctuation() {
            PUNCT
        } else if matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r') {
            SPACE
        } else if c == '\x0b' {
            // Whitespace to Rust-based parsers, a control (letter-like) to
            // CommonMark.
            SPACE | OTHER
        } else {
            OTHER
        };
    }
    unicode_class(c)
}

/// [`class`] beyond ASCII (kept apart so that the ASCII case inlines).
fn unicode_class(c: char) -> u8 {
    if c.is_whitespace() {
        // CommonMark's whitespace is Zs (plus ASCII); NEL and the line and
        // paragraph separators are whitespace only to some parsers.
        return if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
            SPACE | OTHER
        } else {
            SPACE
        };
    }
    if in_ranges(c, PUNCTUATION) {
        PUNCT
    } else if in_ranges(c, LETTER_LIKE) || (c.is_alphanumeric() && !in_ranges(c, SYMBOL_LETTERS)) {
        OTHER
    } else {
        // Symbols (punctuation to CommonMark 0.31, letters to cmark-gfm),
        // punctuation of scripts not listed, unassigned code points.
        PUNCT | OTHER
    }
}

fn in_ranges(c: char, table: &[(u32, u32)]) -> bool {
    let c = u32::from(c);
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Non-ASCII characters of Unicode category P that every CommonMark parser
/// counts as punctuation (cmark-gfm's table included): the common blocks
/// only; other punctuation counts as both classes.
const PUNCTUATION: &[(u32, u32)] = &[
    (0x00A1, 0x00A1), // ¡
    (0x00A7, 0x00A7), // §
    (0x00AB, 0x00AB), // «
    (0x00B6, 0x00B7), // ¶ ·
    (0x00BB, 0x00BB), // »
    (0x00BF, 0x00BF), // ¿
    (0x037E, 0x037E), // Greek question mark
    (0x0387, 0x0387), // Greek ano teleia
    (0x2010, 0x2027), // dashes, quotes, bullets, ellipsis
    (0x2030, 0x2043), // ‰ ′ ‹ › ※ ‼ ‽ …
    (0x2045, 0x2051),
    (0x2053, 0x205E),
    (0x207D, 0x207E), // superscript parentheses
    (0x208D, 0x208E), // subscript parentheses
    (0x2308, 0x230B), // ceilings and floors
    (0x2329, 0x232A), // angle brackets
    (0x2768, 0x2775), // ornamental brackets
    (0x27C5, 0x27C6),
    (0x27E6, 0x27EF), // mathematical brackets
    (0x2983, 0x2998),
    (0x29D8, 0x29DB),
    (0x29FC, 0x29FD),
    (0x2E00, 0x2E2E), // supplemental punctuation
    (0x2E30, 0x2E42),
    (0x3001, 0x3003), // 、。〃
    (0x3008, 0x3011), // CJK brackets
    (0x3014, 0x301F),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x30A0, 0x30A0),
    (0x30FB, 0x30FB), // katakana middle dot
    (0xFE10, 0xFE19), // vertical forms
    (0xFE30, 0xFE52), // CJK compatibility and small forms
    (0xFE54, 0xFE61),
    (0xFE63, 0xFE63),
    (0xFE68, 0xFE68),
    (0xFE6A, 0xFE6B),
    (0xFF01, 0xFF03), // fullwidth punctuation
    (0xFF05, 0xFF0A),
    (0xFF0C, 0xFF0F),
    (0xFF1A, 0xFF1B),
    (0xFF1F, 0xFF20),
    (0xFF3B, 0xFF3D),
    (0xFF3F, 0xFF3F),
    (0xFF5B, 0xFF5B),
    (0xFF5D, 0xFF5D),
    (0xFF5F, 0xFF65),
];

/// Non-alphanumeric characters that no parser counts as punctuation or
/// whitespace: format characters (Cf: soft hyphen, zero-width space and
/// joiners, bidi marks, BOM, tags), combining-mark blocks, variation
/// selectors and private use.
const LETTER_LIKE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0300, 0x036F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x20D0, 0x20FF),
    (0xE000, 0xF8FF),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xE0100, 0xE01EF),
    (0xF0000, 0x10FFFF),
];

/// Symbols (So) that Rust counts as alphabetic: circled and squared Latin
/// letters.
const SYMBOL_LETTERS: &[(u32, u32)] = &[
    (0x24B6, 0x24E9),
    (0x1F130, 0x1F149),
    (0x1F150, 0x1F169),
    (0x1F170, 0x1F189),
];

/// Escapes text for an inline context. `before` and `after` are the raw
/// characters that surround `s` in the same line (`None` at a boundary that is
/// not known, which makes the rules conservative).
pub(crate) fn inline(s: &str, before: Option<char>, after: Option<char>, out: &mut String) {
    out.reserve(s.len() + 4);
    // Every character that may need escaping is ASCII, so the text is copied
    // in chunks between those bytes.
    let b = s.as_bytes();
    let mut last = 0;
    let mut i = 0;
    loop {
        i = next_special(b, i);
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if last < i {
            out.push_str(&s[last..i]);
        }
        last = i + 1;
        i += 1;
        let rest = &s[last..];
        // The neighbours are decoded only by the rules that look at them.
        let prev = || s[..last - 1].chars().next_back().or(before);
        let next = || rest.chars().next().or(after);
        // Whether the character needs a backslash; the output is pushed as
        // characters, which costs less than copying short strings.
        let escaped = match c {
            b'*' | b'`' | b'[' | b']' => true,
            // A backslash escapes only ASCII punctuation and ends a line as
            // a hard break; whitespace after it may be hoisted away later,
            // and an unknown neighbour may be a delimiter, so those cases
            // are escaped too.
            b'\\' => match rest.chars().next() {
                Some(n) => n.is_ascii_punctuation() || rest.trim_end().is_empty(),
                None => true,
            },
            // Underscore emphasis cannot open or close inside a word.
            b'_' => {
                !(prev().is_some_and(char::is_alphanumeric)
                    && next().is_some_and(char::is_alphanumeric))
            }
            b'<' => match next() {
                // Raw HTML, or an autolink (its scheme starts with a letter).
                Some(n) if n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?') => true,
                Some(n) if email_local(n) => email_ahead(rest, after),
                Some(_) => false,
                None => true,
            },
            b'&' => entity_like(rest),
            // cmark-gfm strikes through between single tildes too.
            // Whitespace at the edge of the text may be hoisted outside a
            // delimiter later, so only inner whitespace counts.
            b'~' => {
                let free = prev().is_some_and(char::is_whitespace)
                    && next().is_some_and(char::is_whitespace)
                    && !s[..last - 1].trim_end().is_empty()
                    && !rest.trim_start().is_empty();
                !free
            }
            b'\0' => {
                out.push('\u{FFFD}');
                continue;
            }
            // A line break.
            _ => {
                out.push(' ');
                continue;
            }
        };
        if escaped {
            out.push('\\');
        }
        out.push(char::from(c));
    }
    out.push_str(&s[last..]);
}

/// Whether `c` may appear in the local part of an e-mail autolink
/// (`<local@domain>`); `*` and `` ` `` are left out, as they are always
/// escaped and a backslash cannot appear there.
fn email_local(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '.' | '!'
                | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '+'
                | '/'
                | '='
                | '?'
                | '^'
                | '_'
                | '{'
                | '|'
                | '}'
                | '~'
                | '-'
        )
}

/// Whether `rest`, the text after a `<`, may start an e-mail autolink: its
/// local-part characters run into an `@`, or into the end of the text
/// when the character after it (`after`) is unknown or could go on.
fn email_ahead(rest: &str, after: Option<char>) -> bool {
    match rest.bytes().find(|&b| !email_local(char::from(b))) {
        Some(b) => b == b'@',
        None => after.is_none_or(|a| a == '@' || email_local(a)),
    }
}

/// The bytes that may need escaping in inline text (see [`inline`]).
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let bytes = b"*`[]\\_<&~\0\r\n";
    let mut k = 0;
    while k < bytes.len() {
        t[bytes[k] as usize] = true;
        k += 1;
    }
    t
};

/// Whether a window may hold a byte of [`SPECIAL`]. A superset is tested
/// (every control character up to `\r`, and `[` to `` ` ``), which takes
/// fewer comparisons; written as plain comparisons over the whole window
/// so that it compiles to vector code. Always inlined: the call would cost
/// as much as the test.
#[inline(always)]
fn maybe_special(w: &[u8; 16]) -> bool {
    let mut any = 0u8;
    for &c in w {
        any |= u8::from(
            (c <= b'\r')
                | (c == b'&')
                | (c == b'*')
                | (c == b'<')
                | (c.wrapping_sub(b'[') <= b'`' - b'[')
                | (c == b'~'),
        );
    }
    any != 0
}

/// The index of the first byte at or after `i` that may need escaping, or
/// `b.len()`: windows of 16 bytes are skipped while they hold none, and
/// the bytes are looked up one by one only in the window that does.
#[inline]
fn next_special(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = b[i..].first_chunk::<16>() {
        if maybe_special(w)
            && let Some(k) = w.iter().position(|&c| SPECIAL[usize::from(c)])
        {
            return i + k;
        }
        i += 16;
    }
    // The tail: one overlapping window, when the text is long enough.
    if i < b.len()
        && let Some(w) = b.last_chunk::<16>()
        && !maybe_special(w)
    {
        return b.len();
    }
    while i < b.len() && !SPECIAL[usize::from(b[i])] {
        i += 1;
    }
    i
}

/// Whether `s` holds the byte `x`; vectorised like [`has_newline`], which
/// beats a `memchr` call on the short strings met here.
pub(crate) fn has_byte(s: &str, x: u8) -> bool {
    let window = |w: &[u8; 16]| {
        let mut any = 0u8;
        for &c in w {
            any |= u8::from(c == x);
        }
        any != 0
    };
    let b = s.as_bytes();
    if b.len() < 16 {
        return b.contains(&x);
    }
    let mut chunks = b.chunks_exact(16);
    for chunk in &mut chunks {
        if <&[u8; 16]>::try_from(chunk).is_ok_and(window) {
            return true;
        }
    }
    !chunks.remainder().is_empty() && <&[u8; 16]>::try_from(&b[b.len() - 16..]).is_ok_and(window)
}

/// Whether `s` holds a line feed or carriage return.
pub(crate) fn has_newline(s: &str) -> bool {
    controls(s).newline
}

/// The control characters a text node may hold that need attention.
#[derive(Clone, Copy, Default)]
pub(crate) struct Controls {
    /// A line feed or carriage return.
    pub(crate) newline: bool,
    /// A NUL character.
    pub(crate) nul: bool,
}

/// Which of `\n`, `\r` and `\0` `s` holds, in one pass (vectorised: the
/// common text has none of them).
pub(crate) fn controls(s: &str) -> Controls {
    // A control character at all (tabs included) is rare, and one
    // comparison per byte vectorises best; the exact bytes are looked for
    // only then.
    #[inline(always)]
    fn window(w: &[u8; 16]) -> bool {
        w.iter().fold(0u8, |any, &c| any | u8::from(c <= b'\r')) != 0
    }
    let b = s.as_bytes();
    let (chunks, rest) = b.as_chunks::<16>();
    let any = if chunks.is_empty() {
        rest.iter().any(|&c| c <= b'\r')
    } else {
        // The tail: one overlapping window.
        chunks.iter().any(window) || (!rest.is_empty() && b.last_chunk().is_some_and(window))
    };
    if !any {
        return Controls::default();
    }
    Controls {
        newline: b.iter().any(|&c| c == b'\n' || c == b'\r'),
        nul: b.contains(&0),
    }
}

/// `s` without leading spaces and tabs, the blanks that CommonMark strips
/// from a line's edges. Bytewise: both are ASCII.
#[inline]
pub(crate) fn trim_blank_start(s: &str) -> &str {
    let n = s
        .bytes()
        .position(|c| c != b' ' && c != b'\t')
        .unwrap_or(s.len());
    &s[n..]
}

/// `s` without trailing spaces and tabs (see [`trim_blank_start`]).
#[inline]
pub(crate) fn trim_blank_end(s: &str) -> &str {
    let n = s
        .bytes()
        .rposition(|c| c != b' ' && c != b'\t')
        .map_or(0, |i| i + 1);
    &s[..n]
}

/// `s.trim().is_empty()`, answered from the first byte when that is ASCII.
#[inline]
pub(crate) fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(&c) if c.is_ascii() && !is_ascii_space(c) => false,
        _ => s.trim().is_empty(),
    }
}

/// Whether an ASCII byte is whitespace to `char::is_whitespace` (which,
/// unlike `u8::is_ascii_whitespace`, includes the vertical tab).
#[inline]
pub(crate) fn is_ascii_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t'..=b'\r')
}

/// The length of the whitespace (Unicode, as `str::trim_start` sees it) at
/// the start of `s`, counted bytewise while it is ASCII.
pub(crate) fn leading_space(s: &str) -> usize {
    let b = s.as_bytes();
    let ascii = b.iter().take_while(|&&c| is_ascii_space(c)).count();
    match b.get(ascii) {
        // A non-ASCII character may be whitespace too.
        Some(c) if !c.is_ascii() => s.len() - s.trim_start().len(),
        _ => ascii,
    }
}

/// The length of the whitespace at the end of `s` (see [`leading_space`]).
pub(crate) fn trailing_space(s: &str) -> usize {
    let b = s.as_bytes();
    let ascii = b.iter().rev().take_while(|&&c| is_ascii_space(c)).count();
    match b.len().checked_sub(ascii + 1).map(|i| b[i]) {
        Some(c) if !c.is_ascii() => s.len() - s.trim_end().len(),
        _ => ascii,
    }
}

/// Whether the text after an `&` would be read as an entity or numeric
/// character reference.
fn entity_like(rest: &str) -> bool {
    let b = rest.as_bytes();
    if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let mut j = start;
        while j < b.len()
            && j - start < 8
            && (if hex {
                b[j].is_ascii_hexdigit()
            } else {
                b[j].is_ascii_digit()
            })
        {
            j += 1;
        }
        return j > start && b.get(j) == Some(&b';');
    }
    let mut j = 0;
    while j < b.len() && j < 40 && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    j > 0 && b[0].is_ascii_alphabetic() && b.get(j) == Some(&b';')
}

/// Where a backslash must be inserted so that a line of paragraph text is not
/// read as block syntax (heading, list item, quote, thematic break, setext
/// underline). The line has no leading spaces or tabs. Our own inline syntax
/// never starts with one of these characters, so the check can run on the
/// rendered line.
pub(crate) fn line_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let first = *b.first()?;
    // Some parsers (pulldown-cmark) accept any Unicode whitespace, NBSP
    // included, after a block marker; escaping for those too costs little.
    let blank_after = |j: usize| {
        line.get(j..)
            .is_none_or(|r| r.chars().next().is_none_or(char::is_whitespace))
    };
    match first {
        b'#' => {
            let n = b.iter().take_while(|&&c| c == b'#').count();
            (n <= 6 && blank_after(n)).then_some(0)
        }
        b'+' => blank_after(1).then_some(0),
        b'-' => {
            // Bullet, thematic break (`- - -`) or setext underline (`--`).
            let only = line.chars().all(|c| c == '-' || c.is_whitespace());
            (blank_after(1) || only).then_some(0)
        }
        b'=' => {
            let t = line.trim_end();
            t.bytes().all(|c| c == b'=').then_some(0)
        }
        b'>' => Some(0),
        b'0'..=b'9' => {
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            (n <= 9 && matches!(b.get(n), Some(b'.' | b')')) && blank_after(n + 1)).then_some(n)
        }
        _ => None,
    }
}

/// Whether a line of paragraph text (no leading spaces or tabs) reads as a
/// GFM table delimiter row (`|---|:-:`, `--|--`), which turns the line above
/// into a table header. Checked loosely: only `|`, `-`, `:`, spaces and
/// tabs, with a `-` and a `|` or `:`. (Rows of only dashes are thematic
/// breaks or setext underlines, which [`line_start`] handles.)
pub(crate) fn delimiter_row(line: &str) -> bool {
    let (mut dash, mut other) = (false, false);
    for c in line.bytes() {
        match c {
            b'-' => dash = true,
            b'|' | b':' => other = true,
            b' ' | b'\t' => {}
            _ => return false,
        }
    }
    dash && other
}

/// Renders a code span whose delimiter is longer than any backtick run in
/// the content, with padding where CommonMark would otherwise strip or merge.
pub(crate) fn code_span(content: &str, out: &mut String) {
    let odd = controls(content);
    let odd = odd.newline || odd.nul;
    let content: std::borrow::Cow<'_, str> = if odd {
        content
            .replace("\r\n", " ")
            .replace(['\n', '\r'], " ")
            .replace('\0', "\u{FFFD}")
            .into()
    } else {
        content.into()
    };
    let fence = longest_run(&content, '`') + 1;
    let pad = content.starts_with('`')
        || content.ends_with('`')
        || (content.starts_with(' ')
            && content.ends_with(' ')
            && !content.bytes().all(|c| c == b' '));
    out.reserve(content.len() + 2 * fence + 2);
    push_backticks(fence, out);
    if pad {
        out.push(' ');
    }
    out.push_str(&content);
    if pad {
        out.push(' ');
    }
    push_backticks(fence, out);
}

/// Appends `n` backticks.
fn push_backticks(n: usize, out: &mut String) {
    const TICKS: &str = "````````````````";
    match TICKS.get(..n) {
        Some(t) => out.push_str(t),
        None => out.extend(std::iter::repeat_n('`', n)),
    }
}

/// Length of the longest run of `c` in `s`.
pub(crate) fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut cur = 0;
    if let Ok(a) = u8::try_from(c)
        && a.is_ascii()
    {
        // An ASCII character is never part of a multi-byte sequence.
        for &x in s.as_bytes() {
            if x == a {
                cur += 1;
                best = best.max(cur);
            } else {
                cur = 0;
            }
        }
        return best;
    }
    for x in s.chars() {
        if x == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// A link or image destination: raw when safe, else in `<…>` form.
pub(crate) fn destination(url: &str, out: &mut String) {
    // Fast path: printable ASCII without `<`, `>` or `\\` and with balanced
    // parentheses is written as it is.
    let mut depth: i64 = 0;
    let plain = !url.is_empty()
        && url.bytes().all(|c| {
            if PLAIN_URL[usize::from(c)] {
                return true;
            }
            match c {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => return false,
            }
            depth >= 0
        });
    if plain && depth == 0 {
        out.push_str(url);
        return;
    }
    let mut depth: i64 = 0;
    let mut balanced = true;
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    balanced = false;
                }
            }
            _ => {}
        }
    }
    let needs_angle = url.is_empty()
        || !balanced
        || depth != 0
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if needs_angle {
        out.push('<');
        for c in url.chars() {
            match c {
                '<' | '>' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' | '\r' => out.push_str("%0A"),
                '\0' => out.push('\u{FFFD}'),
                _ => out.push(c),
            }
        }
        out.push('>');
    } else {
        escape_backslash_punct(url, out);
    }
}

/// The bytes a link destination may hold as they are, apart from
/// parentheses (which must balance): printable ASCII except `<`, `>` and
/// `\`.
const PLAIN_URL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = b'!';
    while c <= b'~' {
        t[c as usize] = !matches!(c, b'<' | b'>' | b'\\' | b'(' | b')');
        c += 1;
    }
    t
};

/// Doubles a backslash that precedes ASCII punctuation, where it would
/// otherwise act as an escape inside a destination or title.
fn escape_backslash_punct(s: &str, out: &mut String) {
    let mut iter = s.chars().peekable();
    while let Some(c) = iter.next() {
        if c == '\\' && iter.peek().is_none_or(char::is_ascii_punctuation) {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
}

/// A link title in double quotes.
pub(crate) fn title(t: &str, out: &mut String) {
    out.push_str(" \"");
    for c in t.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            '\0' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Whether `url` can be written as an autolink `<url>`: an absolute URI with
/// a scheme and no whitespace, `<`, `>` or control characters.
pub(crate) fn is_autolink(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let scheme_ok = (2..=32).contains(&scheme.len())
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'));
    scheme_ok
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        // Backslashes are literal in autolinks but some renderers disagree.
        && !url.contains('\\')
}

/// Escapes `&`, `<` and `>` for text inside HTML we emit ourselves.
pub(crate) fn html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\0' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
}

/// Escapes text for an attribute value in double quotes of HTML we emit.
pub(crate) fn html_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\0' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut o = String::new();
        inline(s, None, None, &mut o);
        o
    }

    #[test]
    fn leaves_harmless_characters_alone() {
        assert_eq!(esc("snake_case and a_b"), "snake_case and a_b");
        assert_eq!(esc("C:\\path"), "C:\\path");
        assert_eq!(esc("R&D a < b ~ c"), "R&D a < b ~ c");
        assert_eq!(esc(" ~ "), " \\~ ");
        assert_eq!(esc(":smile: @me #1"), ":smile: @me #1");
    }

    #[test]
    fn escapes_syntax_characters() {
        assert_eq!(esc("*a* [b] `c`"), "\\*a\\* \\[b\\] \\`c\\`");
        assert_eq!(esc("_x_"), "\\_x\\_");
        assert_eq!(esc("&copy; &#169;"), "\\&copy; \\&#169;");
        assert_eq!(esc("<div> ~5"), "\\<div> \\~5");
        assert_eq!(esc("a\\*"), "a\\\\\\*");
        assert_eq!(esc("end\\"), "end\\\\");
        assert_eq!(esc("sp\\ "), "sp\\\\ ");
    }

    #[test]
    fn angle_brackets_before_autolinks() {
        assert_eq!(esc("<1@b.c> <&x@b.c>"), "\\<1@b.c> \\<&x@b.c>");
        assert_eq!(esc("x<5 and a <- b, 1<2>3"), "x<5 and a <- b, 1<2>3");
        let mut o = String::new();
        inline("<1", None, Some('@'), &mut o);
        assert_eq!(o, "\\<1");
        o.clear();
        inline("<1", None, Some(' '), &mut o);
        assert_eq!(o, "<1");
    }

    #[test]
    fn flanking_classes() {
        assert_eq!(class('*'), PUNCT);
        assert_eq!(class('a'), OTHER);
        assert_eq!(class(' '), SPACE);
        assert_eq!(class('\u{a0}'), SPACE);
        assert_eq!(class('\u{2028}'), SPACE | OTHER);
        assert_eq!(class('“'), PUNCT);
        assert_eq!(class('…'), PUNCT);
        assert_eq!(class('。'), PUNCT);
        assert_eq!(class('é'), OTHER);
        assert_eq!(class('日'), OTHER);
        for c in [
            '\u{200b}', '\u{200d}', '\u{ad}', '\u{301}', '\u{fe0f}', '\u{e000}',
        ] {
            assert_eq!(class(c), OTHER, "{c:?}");
        }
        // Symbols: punctuation to CommonMark 0.31, letters to cmark-gfm.
        for c in ['🎉', '©', '→', '€', 'Ⓐ'] {
            assert_eq!(class(c), PUNCT | OTHER, "{c:?}");
        }
        for t in [PUNCTUATION, LETTER_LIKE, SYMBOL_LETTERS] {
            assert!(t.windows(2).all(|w| w[0].1 < w[1].0), "sorted, disjoint");
        }
    }

    #[test]
    fn delimiter_rows() {
        for row in ["|-", "--|--", ":-: | :--", "| --- |", "-:"] {
            assert!(delimiter_row(row), "{row}");
        }
        for row in ["---", "- -", "|", "a|-", "-- x"] {
            assert!(!delimiter_row(row), "{row}");
        }
    }

    #[test]
    fn line_start_rules() {
        assert_eq!(line_start("# foo"), Some(0));
        assert_eq!(line_start("#\u{a0}nbsp"), Some(0));
        assert_eq!(line_start("#hashtag"), None);
        assert_eq!(line_start("####### seven"), None);
        assert_eq!(line_start("- item"), Some(0));
        assert_eq!(line_start("-x"), None);
        assert_eq!(line_start("--"), Some(0));
        assert_eq!(line_start("+ x"), Some(0));
        assert_eq!(line_start("2024. year"), Some(4));
        assert_eq!(line_start("1) paren"), Some(1));
        assert_eq!(line_start("1.5 liters"), None);
        assert_eq!(line_start("> quote"), Some(0));
        assert_eq!(line_start("==="), Some(0));
        assert_eq!(line_start("=> arrow"), None);
    }

    #[test]
    fn code_spans_pick_safe_fences() {
        let mut o = String::new();
        code_span("use `npm` here", &mut o);
        assert_eq!(o, "``use `npm` here``");
        o.clear();
        code_span(" padded ", &mut o);
        assert_eq!(o, "`  padded  `");
        o.clear();
        code_span("`x", &mut o);
        assert_eq!(o, "`` `x ``");
    }

    #[test]
    fn destinations() {
        let mut o = String::new();
        destination("https://e.com/a_(b)", &mut o);
        assert_eq!(o, "https://e.com/a_(b)");
        o.clear();
        destination("a b)", &mut o);
        assert_eq!(o, "<a b)>");
        assert!(is_autolink("https://x.y/z"));
        assert!(!is_autolink("x y"));
        assert!(!is_autolink("/relative"));
    }
}
