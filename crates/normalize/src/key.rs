//! The validated issue key and the object keys built from it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::timestamp::updated_key;

/// Longest key accepted; Jira's own limit is far lower, and a bound keeps
/// object keys within every store's limits.
const MAX_KEY_LEN: usize = 255;

/// A Jira issue key such as `ENG-42`, validated against
/// `^[A-Z][A-Z0-9_]*-[1-9][0-9]*$` (and at most 255 bytes, the number
/// fitting in a `u64`).
///
/// Keys come from Jira and end up in object keys and file paths, so they are
/// parsed once here and nothing else is ever used in a path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssueKey(String);

impl IssueKey {
    /// Validates `text` as an issue key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidIssueKey`] when it does not match the grammar.
    pub fn parse(text: &str) -> Result<IssueKey> {
        if is_valid(text) {
            Ok(IssueKey(text.to_owned()))
        } else {
            Err(Error::InvalidIssueKey {
                value: text.to_owned(),
            })
        }
    }

    /// The key as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The project part, e.g. `ENG` for `ENG-42`.
    #[must_use]
    pub fn project(&self) -> &str {
        self.split().0
    }

    /// The number part, e.g. `42` for `ENG-42`.
    #[must_use]
    pub fn number(&self) -> u64 {
        // Validation proved the suffix is digits that fit in a u64.
        self.split().1.parse().unwrap_or_default()
    }

    fn split(&self) -> (&str, &str) {
        // The project part cannot contain '-', so the last one separates.
        self.0.rsplit_once('-').unwrap_or((&self.0, ""))
    }
}

fn is_valid(text: &str) -> bool {
    if text.len() > MAX_KEY_LEN {
        return false;
    }
    let Some((project, number)) = text.rsplit_once('-') else {
        return false;
    };
    let mut p = project.bytes();
    let project_ok = p.next().is_some_and(|b| b.is_ascii_uppercase())
        && p.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let number_ok = number
        .bytes()
        .next()
        .is_some_and(|b| matches!(b, b'1'..=b'9'))
        && number.bytes().all(|b| b.is_ascii_digit())
        && number.parse::<u64>().is_ok();
    project_ok && number_ok
}

impl fmt::Display for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for IssueKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<IssueKey> {
        IssueKey::parse(text)
    }
}

impl AsRef<str> for IssueKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for IssueKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IssueKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IssueKey, D::Error> {
        let text = String::deserialize(deserializer)?;
        IssueKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The raw object key of one issue version (contracts §1):
/// `raw/jira/<KEY>/<UPDATED>.json`, e.g.
/// `raw/jira/ENG-42/20261129T014502.123Z.json`.
#[must_use]
pub fn raw_object_key(key: &IssueKey, updated: OffsetDateTime) -> String {
    format!("raw/jira/{key}/{}.json", updated_key(updated))
}

/// The normalized document's object key (contracts §1):
/// `normalized/jira/<KEY>.json`.
#[must_use]
pub fn normalized_object_key(key: &IssueKey) -> String {
    format!("normalized/jira/{key}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_grammar() {
        for good in [
            "ENG-42",
            "A-1",
            "AB_9-1000",
            "X1-9",
            "Q-18446744073709551615",
        ] {
            let key = IssueKey::parse(good).unwrap();
            assert_eq!(key.as_str(), good);
        }
        let key = IssueKey::parse("AB_9-1000").unwrap();
        assert_eq!((key.project(), key.number()), ("AB_9", 1000));
    }

    #[test]
    fn rejects_everything_else() {
        let long = format!("{}-1", "A".repeat(300));
        for bad in [
            "",
            "ENG",
            "ENG-",
            "-1",
            "eng-1",
            "1ENG-1",
            "_ENG-1",
            "ENG-0",
            "ENG-01",
            "ENG-1a",
            "ENG-1 ",
            " ENG-1",
            "EN-G-1",
            "ENG-1/../x",
            "../ENG-1",
            "ÉNG-1",
            "Q-18446744073709551616",
            long.as_str(),
        ] {
            assert!(
                matches!(IssueKey::parse(bad), Err(Error::InvalidIssueKey { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn serde_validates() {
        let key: IssueKey = serde_json::from_str("\"ENG-42\"").unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"ENG-42\"");
        assert!(serde_json::from_str::<IssueKey>("\"eng-42\"").is_err());
    }

    #[test]
    fn object_keys_follow_the_contract() {
        let key = IssueKey::parse("ENG-42").unwrap();
        let at = crate::parse_jira_timestamp("2026-11-29T01:45:02.123+0000").unwrap();
        assert_eq!(
            raw_object_key(&key, at),
            "raw/jira/ENG-42/20261129T014502.123Z.json"
        );
        assert_eq!(normalized_object_key(&key), "normalized/jira/ENG-42.json");
    }
}
