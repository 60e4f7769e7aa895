//! The cursor in SSM Parameter Store, with compare-and-swap.
//!
//! SSM has no conditional overwrite, so compare-and-swap is built on the
//! parameter's version history. Every value this store writes is the
//! version-1 cursor JSON plus `"prev_version": N`, the SSM version it
//! replaces (0 when it creates the parameter). Reading walks the history in
//! version order and accepts a version only when it is the first to name its
//! `prev_version` and that predecessor was accepted (see `resolve`); a value
//! without `prev_version` (set by hand with `aws ssm put-parameter`) is
//! accepted as a deliberate reset. The newest accepted version is the
//! cursor. So when two
//! runs swap from the same version, the one SSM numbered first wins and the
//! other's write is ignored by every reader, and its writer gets
//! [`Error::CursorConflict`]. Creation uses `Overwrite=false`, which SSM
//! refuses with `ParameterAlreadyExists` when it lost.
//!
//! Caveat: `aws ssm get-parameter` shows the newest value, which right after
//! a lost race is the loser's; the store itself never reads it that way.

use async_trait::async_trait;
use aws_sdk_ssm::{Client, types::ParameterType};

use super::{Failure, SdkConfig};
use crate::{Cursor, CursorStore, CursorVersion, Error, Result};

const SERVICE: &str = "ssm";

/// The contract's default parameter name.
pub const DEFAULT_SSM_PARAMETER: &str = "/rag/jira/last_sync";

/// The cursor in one SSM parameter.
#[derive(Clone)]
pub struct SsmCursorStore {
    client: Client,
    name: String,
    secure: Option<Option<String>>,
}

impl std::fmt::Debug for SsmCursorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SDK client's own Debug output is long and says nothing useful.
        f.debug_struct("SsmCursorStore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SsmCursorStore {
    /// The cursor at parameter `name` (e.g. [`DEFAULT_SSM_PARAMETER`]).
    pub fn new(config: &SdkConfig, name: impl Into<String>) -> Self {
        SsmCursorStore::from_client(Client::new(config), name)
    }

    /// The same over an existing client.
    pub fn from_client(client: Client, name: impl Into<String>) -> Self {
        SsmCursorStore {
            client,
            name: name.into(),
            secure: None,
        }
    }

    /// Writes the parameter as a `SecureString`, with this KMS key or the
    /// account default. Reads always decrypt.
    pub fn with_secure_string(mut self, kms_key_id: Option<String>) -> Self {
        self.secure = Some(kms_key_id);
        self
    }

    /// Every stored version, oldest first; empty when the parameter does not exist.
    async fn history(&self) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let resp = self
                .client
                .get_parameter_history()
                .name(&self.name)
                .with_decryption(true)
                .max_results(50)
                .set_next_token(token)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    let f = Failure::from_sdk(e);
                    if f.code == "ParameterNotFound" {
                        return Ok(Vec::new());
                    }
                    return Err(f.into_error(SERVICE, "GetParameterHistory", &self.name));
                }
            };
            for p in resp.parameters() {
                out.push((p.version(), p.value().unwrap_or_default().to_owned()));
            }
            match resp.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.sort_by_key(|(v, _)| *v);
        Ok(out)
    }

    async fn current(&self) -> Result<Option<(Cursor, i64)>> {
        resolve(&self.history().await?, &self.location())
    }

    fn conflict(&self, expected: Option<&CursorVersion>, found: Option<i64>) -> Error {
        Error::CursorConflict {
            location: self.location(),
            expected: expected.map(|v| v.0.clone()),
            found: found.map(|v| v.to_string()),
        }
    }
}

/// The accepted cursor and its SSM version, from the history (oldest first).
///
/// A version is accepted when it is the first to claim its `prev_version`
/// and that predecessor was accepted, is 0 (creation), or lies before the
/// oldest version SSM still keeps (it keeps 100). A version without
/// `prev_version`, or not JSON at all, was written by hand and is accepted
/// as a reset. The newest accepted version is the cursor; if it does not
/// parse, that is [`Error::Corrupt`].
fn resolve(history: &[(i64, String)], location: &str) -> Result<Option<(Cursor, i64)>> {
    let Some(window_start) = history.first().map(|(v, _)| *v) else {
        return Ok(None);
    };
    let mut claimed = std::collections::HashSet::new();
    let mut accepted = std::collections::HashSet::new();
    let mut head: Option<&(i64, String)> = None;
    for entry in history {
        let (version, value) = entry;
        let ok = match prev_version(value) {
            Ok(Some(p)) => {
                claimed.insert(p) && (p == 0 || p < window_start || accepted.contains(&p))
            }
            Ok(None) | Err(_) => true,
        };
        if ok {
            accepted.insert(*version);
            head = Some(entry);
        }
    }
    match head {
        None => Ok(None),
        Some((version, value)) => {
            let at = format!("{location} (version {version})");
            Cursor::from_json(value.as_bytes(), &at).map(|c| Some((c, *version)))
        }
    }
}

/// The `prev_version` field, if any; an error when the value is not JSON.
fn prev_version(value: &str) -> std::result::Result<Option<i64>, String> {
    let v: serde_json::Value =
        serde_json::from_str(value).map_err(|e| format!("not a cursor JSON object: {e}"))?;
    Ok(v.get("prev_version").and_then(serde_json::Value::as_i64))
}

fn encode(cursor: &Cursor, prev: i64) -> String {
    let json = cursor.to_json();
    // The v1 JSON is a flat object; append one field before the brace.
    let body = json.strip_suffix('}').unwrap_or(&json);
    format!("{body},\"prev_version\":{prev}}}")
}

#[async_trait]
impl CursorStore for SsmCursorStore {
    async fn load(&self) -> Result<Option<(Cursor, CursorVersion)>> {
        Ok(self
            .current()
            .await?
            .map(|(c, v)| (c, CursorVersion(v.to_string()))))
    }

    async fn compare_and_swap(
        &self,
        expected: Option<&CursorVersion>,
        new: &Cursor,
    ) -> Result<CursorVersion> {
        let current = self.current().await?;
        let prev = match (&current, expected) {
            (None, None) => 0,
            (Some((stored, version)), Some(exp)) if version.to_string() == exp.0 => {
                if new.last_sync_ms < stored.last_sync_ms {
                    return Err(Error::CursorBackwards {
                        location: self.location(),
                        stored_ms: stored.last_sync_ms,
                        attempted_ms: new.last_sync_ms,
                    });
                }
                *version
            }
            (cur, _) => return Err(self.conflict(expected, cur.as_ref().map(|(_, v)| *v))),
        };
        let (kind, key_id) = match &self.secure {
            Some(key) => (ParameterType::SecureString, key.clone()),
            None => (ParameterType::String, None),
        };
        let creating = prev == 0 && current.is_none();
        let sent = self
            .client
            .put_parameter()
            .name(&self.name)
            .value(encode(new, prev))
            .r#type(kind)
            .set_key_id(key_id)
            .overwrite(!creating)
            .send()
            .await;
        let written = match sent {
            Ok(out) => out.version(),
            Err(e) => {
                let f = Failure::from_sdk(e);
                if f.code == "ParameterAlreadyExists" {
                    let found = self.current().await.ok().flatten().map(|(_, v)| v);
                    return Err(self.conflict(expected, found));
                }
                return Err(f.into_error(SERVICE, "PutParameter", &self.name));
            }
        };
        // Did our version join the chain, or did another swap from the same
        // version get numbered first? Checked after creation too, so that an
        // emulator whose create-if-absent races still yields one winner.
        match self.current().await? {
            Some((_, head)) if head == written => Ok(CursorVersion(written.to_string())),
            other => Err(self.conflict(expected, other.map(|(_, v)| v))),
        }
    }

    fn location(&self) -> String {
        format!("ssm:{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(ms: i64, prev: Option<i64>) -> String {
        let c = Cursor::new(ms, format!("r{ms}"));
        match prev {
            Some(p) => encode(&c, p),
            None => c.to_json(),
        }
    }

    #[test]
    fn the_first_swap_from_a_version_wins() {
        let h = vec![
            (1, v(10, Some(0))),
            (2, v(20, Some(1))),
            (3, v(25, Some(1))), // lost the race against version 2
            (4, v(30, Some(2))),
        ];
        let (c, ver) = resolve(&h, "p").unwrap().unwrap();
        assert_eq!((c.last_sync_ms, ver), (30, 4));
        let (c, ver) = resolve(&h[..3], "p").unwrap().unwrap();
        assert_eq!((c.last_sync_ms, ver), (20, 2));
    }

    #[test]
    fn a_loser_at_the_edge_of_the_kept_window_does_not_hide_the_chain() {
        // Versions 10 (winner) and 11 (loser) both swapped from 9; version
        // 10 has since been dropped from SSM's 100-version window.
        let h = vec![
            (11, v(11, Some(9))),
            (12, v(12, Some(10))),
            (13, v(13, Some(12))),
        ];
        assert_eq!(resolve(&h, "p").unwrap().unwrap().1, 13);
        let h = vec![(10, v(10, Some(9))), (11, v(11, Some(9)))];
        assert_eq!(resolve(&h, "p").unwrap().unwrap().1, 10);
    }

    #[test]
    fn hand_written_values_reset_and_old_windows_anchor() {
        let h = vec![(7, v(10, Some(5))), (8, v(20, Some(7))), (9, v(5, None))];
        let (c, ver) = resolve(&h, "p").unwrap().unwrap();
        assert_eq!((c.last_sync_ms, ver), (5, 9));
        assert!(resolve(&[], "p").unwrap().is_none());
    }

    #[test]
    fn corrupt_values_are_errors_until_reset() {
        let h = vec![(1, v(10, Some(0))), (2, "garbage".to_owned())];
        let err = resolve(&h, "p").unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("version 2"), "{err}");
        let mut fixed = h.clone();
        fixed.push((3, v(40, None)));
        assert_eq!(resolve(&fixed, "p").unwrap().unwrap().1, 3);
    }

    #[test]
    fn encoded_values_are_v1_cursors_with_prev_version() {
        let c = Cursor::new(42, "r");
        let s = encode(&c, 7);
        assert_eq!(prev_version(&s).unwrap(), Some(7));
        assert_eq!(Cursor::from_json(s.as_bytes(), "x").unwrap(), c);
    }
}
