//! Validated object keys.
//!
//! A key is parsed once, so no backend ever sees a key that could escape the
//! local root or mean different things on S3 and on disk.

use std::fmt;

use crate::{Error, Result};

/// The top-level directory the filesystem backend keeps for itself (temp
/// files, metadata sidecars, lock stripes); no object key may start with it.
pub(crate) const RESERVED_DIR: &str = ".state-store";

/// Longest key S3 accepts, in bytes.
const MAX_KEY_LEN: usize = 1024;

/// A relative, `/`-separated object key such as `raw/jira/ENG-1/20261129T014502.123Z.json`.
///
/// Rejected: empty keys, keys longer than 1024 bytes, a leading or trailing
/// `/`, empty segments (`a//b`), `.` and `..` segments, backslashes, NUL and
/// other control characters, and keys under the reserved `.state-store/`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Parses and validates a key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if let Err(reason) = check(&key, false) {
            return Err(Error::InvalidKey { key, reason });
        }
        Ok(ObjectKey(key))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This key under `prefix` (a valid prefix as accepted by [`validate_prefix`]).
    pub(crate) fn with_prefix(&self, prefix: &str) -> Result<Self> {
        ObjectKey::new(format!("{prefix}{}", self.0))
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for ObjectKey {
    type Error = Error;
    fn try_from(value: &str) -> Result<Self> {
        ObjectKey::new(value)
    }
}

impl TryFrom<String> for ObjectKey {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        ObjectKey::new(value)
    }
}

/// Validates a list prefix: like a key, but it may be empty, may end with
/// `/`, and its last segment may be a partial name (S3 semantics: `raw/EN`
/// matches `raw/ENG-1/...`).
pub fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    check(prefix, true).map_err(|reason| Error::InvalidKey {
        key: prefix.to_owned(),
        reason,
    })
}

fn check(key: &str, is_prefix: bool) -> std::result::Result<(), &'static str> {
    if key.is_empty() {
        return Err("key is empty");
    }
    if key.len() > MAX_KEY_LEN {
        return Err("key is longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return Err("absolute keys are not allowed");
    }
    if key.contains('\\') {
        return Err("backslashes are not allowed");
    }
    if key.chars().any(|c| c == '\0' || c.is_control()) {
        return Err("NUL and control characters are not allowed");
    }
    let body = if is_prefix {
        key.strip_suffix('/').unwrap_or(key)
    } else {
        if key.ends_with('/') {
            return Err("keys must not end with `/`");
        }
        key
    };
    let segments: Vec<&str> = body.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last_partial = is_prefix && i + 1 == segments.len() && !key.ends_with('/');
        if segment.is_empty() {
            return Err("empty path segments are not allowed");
        }
        if *segment == ".." || (*segment == "." && !last_partial) {
            return Err("`.` and `..` segments are not allowed");
        }
    }
    if segments[0] == RESERVED_DIR {
        return Err("`.state-store/` is reserved for the store's own files");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_product_keys() {
        for k in [
            "raw/jira/ENG-1/20261129T014502.123Z.json",
            "normalized/jira/ENG-1.json",
            "manifests/jira/runs/r-1.jsonl",
            "state/jira/cursor.json",
            "a",
            ".hidden/file",
            "a/.b",
        ] {
            ObjectKey::new(k).unwrap_or_else(|e| panic!("{k}: {e}"));
        }
    }

    #[test]
    fn rejects_escapes_and_ambiguity() {
        for k in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/..",
            "./a",
            "a/./b",
            "a\\b",
            "..\\x",
            "a\0b",
            "a\nb",
            "a//b",
            "a/",
            ".state-store/meta/x",
            ".state-store",
        ] {
            let err = ObjectKey::new(k).expect_err(k);
            assert!(matches!(err, Error::InvalidKey { .. }), "{k}: {err}");
        }
        let long = "a".repeat(1025);
        assert!(ObjectKey::new(long).is_err());
    }

    #[test]
    fn prefixes_may_be_partial() {
        for p in ["", "raw/", "raw/jira/EN", "raw/jira/ENG-1/", "r", "."] {
            validate_prefix(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        }
        for p in ["/", "../", "a//", "a/../", "a\\", ".state-store/", "a\0"] {
            assert!(validate_prefix(p).is_err(), "{p:?}");
        }
    }
}
