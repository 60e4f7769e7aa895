//! The JQL subset the sync and its tests use: `project` and `key`/`id`
//! filters, `updated`/`created` comparisons, `AND`/`OR`/`NOT` with
//! parentheses, and `ORDER BY`. Date literals are read in the user's time
//! zone at minute granularity and numbers are epoch milliseconds, as Jira
//! does; anything outside the subset is rejected with Jira's 400 wording
//! rather than silently matched, so a client bug cannot hide behind it.

use time::{Date, Month, PrimitiveDateTime, Time};

use crate::tz::UserTimeZone;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeField {
    Updated,
    Created,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Self::Eq => left == right,
            Self::Ne => left != right,
            Self::Lt => left < right,
            Self::Le => left <= right,
            Self::Gt => left > right,
            Self::Ge => left >= right,
        }
    }
}

/// A compiled predicate: names are already resolved to project indexes and
/// issue indexes, so evaluation over 100k issues is a tight loop.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Project(Vec<u16>),
    Issue(Vec<u32>),
    Time(TimeField, CmpOp, i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortField {
    Updated,
    Created,
    Key,
    Id,
}

#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) pred: Option<Pred>,
    /// Field and whether descending.
    pub(crate) order: Vec<(SortField, bool)>,
}

/// What compiling needs to resolve names and literals.
pub(crate) struct Ctx<'a> {
    pub(crate) project: &'a dyn Fn(&str) -> Option<u16>,
    pub(crate) issue: &'a dyn Fn(&str) -> Option<u32>,
    pub(crate) tz: &'a UserTimeZone,
    pub(crate) now_ms: i64,
}

/// A JQL error: the message Jira would put in `errorMessages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JqlError(pub(crate) String);

fn err<T>(msg: impl Into<String>) -> Result<T, JqlError> {
    Err(JqlError(msg.into()))
}

fn tokenize(s: &str) -> Result<Vec<Tok>, JqlError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b'"' | b'\'' => {
                let end = s[i + 1..].find(c as char).ok_or_else(|| {
                    JqlError(format!("Error in the JQL Query: The quoted string starting at character {i} is not terminated."))
                })?;
                out.push(Tok::Quoted(s[i + 1..i + 1 + end].to_owned()));
                i += end + 2;
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Op("!="));
                i += 2;
            }
            b'<' | b'>' => {
                let eq = b.get(i + 1) == Some(&b'=');
                out.push(Tok::Op(match (c, eq) {
                    (b'<', true) => "<=",
                    (b'<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                }));
                i += if eq { 2 } else { 1 };
            }
            b'=' => {
                out.push(Tok::Op("="));
                i += 1;
            }
            b'~' => {
                out.push(Tok::Op("~"));
                i += 1;
            }
            _ => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-' | b'.' | b'+'))
                {
                    i += 1;
                }
                if i == start {
                    return err(format!(
                        "Error in the JQL Query: The character '{}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead. (line 1, character {})",
                        c as char,
                        c,
                        i + 1
                    ));
                }
                out.push(Tok::Word(s[start..i].to_owned()));
            }
        }
    }
    Ok(out)
}

struct Parser<'a, 'c> {
    toks: Vec<Tok>,
    pos: usize,
    ctx: &'a Ctx<'c>,
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Pred, JqlError> {
        let mut items = vec![self.and()?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Pred::Or(items)
        })
    }

    fn and(&mut self) -> Result<Pred, JqlError> {
        let mut items = vec![self.not()?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Pred::And(items)
        })
    }

    fn not(&mut self) -> Result<Pred, JqlError> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            return Ok(Pred::Not(Box::new(self.not()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let p = self.or()?;
            if self.next() != Some(Tok::RParen) {
                return err("Error in the JQL Query: Expecting ')' before the end of the query.");
            }
            return Ok(p);
        }
        self.clause()
    }

    fn value(&mut self) -> Result<String, JqlError> {
        match self.next() {
            Some(Tok::Word(w) | Tok::Quoted(w)) => Ok(w),
            _ => err(
                "Error in the JQL Query: Expecting either a value, list or function but got the end of the query.",
            ),
        }
    }

    fn values(&mut self) -> Result<Vec<String>, JqlError> {
        if self.next() != Some(Tok::LParen) {
            return err("Error in the JQL Query: Expecting '(' after 'in'.");
        }
        let mut out = Vec::new();
        loop {
            out.push(self.value()?);
            match self.next() {
                Some(Tok::Comma) => {}
                Some(Tok::RParen) => return Ok(out),
                _ => {
                    return err(
                        "Error in the JQL Query: Expecting ')' before the end of the query.",
                    );
                }
            }
        }
    }

    fn clause(&mut self) -> Result<Pred, JqlError> {
        let field = match self.next() {
            Some(Tok::Word(w) | Tok::Quoted(w)) => w,
            _ => {
                return err(
                    "Error in the JQL Query: Expecting a field name but got the end of the query.",
                );
            }
        };
        // The operator: =, !=, <, <=, >, >=, in, not in.
        let (op, list) = match self.next() {
            Some(Tok::Op(o)) => (o, false),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => ("in", true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") && is_kw(self.peek(), "in") => {
                self.pos += 1;
                ("not in", true)
            }
            _ => {
                return err(format!(
                    "Error in the JQL Query: Expecting operator but got the end of the query after '{field}'."
                ));
            }
        };
        let vals = if list {
            self.values()?
        } else {
            vec![self.value()?]
        };
        let lower = field.to_ascii_lowercase();
        let negate = matches!(op, "!=" | "not in");
        let pred = match lower.as_str() {
            "project" => {
                if !matches!(op, "=" | "!=" | "in" | "not in") {
                    return err(format!(
                        "The operator '{op}' is not supported by the 'project' field."
                    ));
                }
                let mut ids = Vec::new();
                for v in &vals {
                    ids.push((self.ctx.project)(v).ok_or_else(|| {
                        JqlError(format!(
                            "The value '{v}' does not exist for the field 'project'."
                        ))
                    })?);
                }
                Pred::Project(ids)
            }
            "key" | "issuekey" | "id" | "issue" => {
                if !matches!(op, "=" | "!=" | "in" | "not in") {
                    return err(format!(
                        "The operator '{op}' is not supported by the '{field}' field in this simulator."
                    ));
                }
                let mut ids = Vec::new();
                for v in &vals {
                    match (self.ctx.issue)(v) {
                        Some(i) => ids.push(i),
                        // Jira rejects a single unknown key but drops unknown ones in a list.
                        None if !list => {
                            return err(format!(
                                "An issue with key '{v}' does not exist for field '{field}'."
                            ));
                        }
                        None => {}
                    }
                }
                Pred::Issue(ids)
            }
            "updated" | "updateddate" | "created" | "createddate" => {
                let tf = if lower.starts_with("updated") {
                    TimeField::Updated
                } else {
                    TimeField::Created
                };
                let cmp = match op {
                    "=" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" => CmpOp::Ge,
                    _ => {
                        return err(format!(
                            "The operator '{op}' is not supported by the '{field}' field."
                        ));
                    }
                };
                let ms = self.time_value(&vals[0], &field)?;
                return Ok(Pred::Time(tf, cmp, ms));
            }
            _ => {
                return err(format!(
                    "Field '{field}' does not exist or you do not have permission to view it."
                ));
            }
        };
        Ok(if negate {
            Pred::Not(Box::new(pred))
        } else {
            pred
        })
    }

    fn time_value(&self, v: &str, field: &str) -> Result<i64, JqlError> {
        let bad = || {
            JqlError(format!(
                "Date value '{v}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
            ))
        };
        if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) {
            return v.parse().map_err(|_| bad());
        }
        if let Some(rel) = relative_ms(v) {
            return Ok(self.ctx.now_ms + rel);
        }
        parse_date_literal(v)
            .map(|local| self.ctx.tz.local_to_utc_ms(local))
            .ok_or_else(bad)
    }
}

/// `-5d`, `+2h`, `-30m`, `-1w`: a period relative to now.
fn relative_ms(v: &str) -> Option<i64> {
    let (sign, rest) = match v.as_bytes().first()? {
        b'-' => (-1, &v[1..]),
        b'+' => (1, &v[1..]),
        _ => (1, v),
    };
    let unit = rest.chars().last()?;
    let n: i64 = rest[..rest.len() - 1].parse().ok()?;
    let ms = match unit {
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    Some(sign * n * ms)
}

/// `yyyy-MM-dd HH:mm`, `yyyy/MM/dd HH:mm`, `yyyy-MM-dd`, `yyyy/MM/dd`.
fn parse_date_literal(v: &str) -> Option<PrimitiveDateTime> {
    let v = v.trim();
    let (date, time) = match v.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (v, None),
    };
    let mut parts = date.split(['-', '/']);
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let date = Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()?;
    let time = match time {
        None => Time::MIDNIGHT,
        Some(t) => {
            let (h, mi) = t.split_once(':')?;
            Time::from_hms(h.parse().ok()?, mi.parse().ok()?, 0).ok()?
        }
    };
    Some(PrimitiveDateTime::new(date, time))
}

pub(crate) const UNBOUNDED: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";

/// Parses and compiles a query.
pub(crate) fn compile(jql: &str, ctx: &Ctx<'_>) -> Result<Query, JqlError> {
    let toks = tokenize(jql)?;
    // Split off ORDER BY.
    let order_at = toks
        .windows(2)
        .position(|w| is_kw(w.first(), "order") && is_kw(w.get(1), "by"));
    let (where_toks, order_toks) = match order_at {
        Some(i) => (toks[..i].to_vec(), toks[i + 2..].to_vec()),
        None => (toks, Vec::new()),
    };
    let pred = if where_toks.is_empty() {
        None
    } else {
        let mut p = Parser {
            toks: where_toks,
            pos: 0,
            ctx,
        };
        let pred = p.or()?;
        if let Some(t) = p.peek() {
            return err(format!(
                "Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{t:?}'."
            ));
        }
        Some(pred)
    };
    let mut order = Vec::new();
    let mut it = order_toks.into_iter().peekable();
    while let Some(t) = it.next() {
        let name = match t {
            Tok::Word(w) | Tok::Quoted(w) => w,
            Tok::Comma => continue,
            _ => {
                return err(
                    "Error in the JQL Query: Expecting a field name in the ORDER BY clause.",
                );
            }
        };
        let f = match name.to_ascii_lowercase().as_str() {
            "updated" | "updateddate" => SortField::Updated,
            "created" | "createddate" => SortField::Created,
            "key" | "issuekey" => SortField::Key,
            "id" => SortField::Id,
            _ => {
                return err(format!(
                    "Field '{name}' does not exist or you do not have permission to view it."
                ));
            }
        };
        let mut desc = false;
        if let Some(Tok::Word(w)) = it.peek() {
            if w.eq_ignore_ascii_case("desc") {
                desc = true;
                it.next();
            } else if w.eq_ignore_ascii_case("asc") {
                it.next();
            }
        }
        order.push((f, desc));
    }
    if order.len() > 7 {
        return err("The ORDER BY clause can contain at most 7 fields.");
    }
    Ok(Query { pred, order })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ctx_compile(jql: &str, tz: &str) -> Result<Query, JqlError> {
        let tz = UserTimeZone::parse(tz).unwrap();
        let project = |s: &str| match s {
            "ENG" | "10000" => Some(0),
            "OPS" => Some(1),
            _ => None,
        };
        let issue = |s: &str| (s == "ENG-1").then_some(0);
        let ctx = Ctx {
            project: &project,
            issue: &issue,
            tz: &tz,
            now_ms: 1_000_000_000,
        };
        compile(jql, &ctx)
    }

    #[test]
    fn parses_window_query_with_order() {
        let q = ctx_compile(
            "(project = ENG OR project in (OPS)) AND updated >= 1700000000000 AND updated <= \"2026-11-29 01:45\" ORDER BY updated ASC, key DESC",
            "Pacific/Kiritimati",
        )
        .unwrap();
        assert_eq!(
            q.order,
            vec![(SortField::Updated, false), (SortField::Key, true)]
        );
        let Some(Pred::And(parts)) = q.pred else {
            panic!("expected AND")
        };
        assert!(matches!(parts[0], Pred::Or(_)));
        assert!(matches!(
            parts[1],
            Pred::Time(TimeField::Updated, CmpOp::Ge, 1_700_000_000_000)
        ));
        // 01:45 at +14:00 is 11:45 UTC the day before.
        let expected = datetime!(2026-11-28 11:45 UTC).unix_timestamp() * 1000;
        assert!(
            matches!(parts[2], Pred::Time(TimeField::Updated, CmpOp::Le, ms) if ms == expected)
        );
    }

    #[test]
    fn relative_dates_and_errors() {
        let q = ctx_compile("updated > -1d", "UTC").unwrap();
        assert!(
            matches!(q.pred, Some(Pred::Time(_, CmpOp::Gt, ms)) if ms == 1_000_000_000 - 86_400_000)
        );
        assert!(
            ctx_compile("ORDER BY updated", "UTC")
                .unwrap()
                .pred
                .is_none()
        );
        assert!(
            ctx_compile("project = NOPE", "UTC")
                .unwrap_err()
                .0
                .contains("'NOPE' does not exist")
        );
        assert!(ctx_compile("key = ENG-9", "UTC").is_err());
        assert!(ctx_compile("key in (ENG-1, ENG-9)", "UTC").is_ok());
        assert!(ctx_compile("summary ~ foo", "UTC").is_err());
        assert!(ctx_compile("updated >= \"yesterday\"", "UTC").is_err());
        assert!(ctx_compile("(project = ENG", "UTC").is_err());
        assert!(
            ctx_compile(
                "project = ENG ORDER BY id, id, id, id, id, id, id, id",
                "UTC"
            )
            .is_err()
        );
    }
}
