//! The engine's private, versioned state under `state/jira/`: the id-to-key
//! index, the in-window checkpoint and the stored field catalogue.
//!
//! The index and the run manifest are persisted together (manifest first):
//! a change that reached storage but not a persisted manifest is also
//! missing from the persisted index, so the next run sees it as new and
//! reports it again. Downstream stages therefore never miss a change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use state_store::{ObjectKey, ObjectStore, ObjectStoreExt, PutOptions};

use crate::{Error, Result, window::Window};

/// Where the id index lives.
pub const INDEX_KEY: &str = "state/jira/index.json";
/// Where an interrupted run leaves its checkpoint.
pub const CHECKPOINT_KEY: &str = "state/jira/checkpoint.json";
/// The field catalogue of the last run, for `renormalize`.
pub const FIELDS_KEY: &str = "state/jira/fields.json";
/// The summary of the last run, for `status`.
pub const LAST_RUN_KEY: &str = "state/jira/last-run.json";
/// The run lease.
pub const LEASE_KEY: &str = "state/jira/lease.json";

const INDEX_VERSION: u32 = 1;
const CHECKPOINT_VERSION: u32 = 1;

/// What is stored for one issue id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The key the issue is stored under.
    pub key: String,
    /// `fields.updated` of the stored version, epoch ms.
    pub updated_ms: i64,
    /// SHA-256 of the stored normalized document's bytes.
    pub doc_sha256: Sha256Hex,
    /// The document's `content_sha256`.
    pub content_sha256: Sha256Hex,
}

/// A SHA-256 digest, stored in the index file as 64 hex digits. Held as
/// bytes: the index of a 100,000-issue site keeps two per issue in memory.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Hex(pub [u8; 32]);

impl Sha256Hex {
    /// The digest of `bytes`.
    pub fn digest(bytes: &[u8]) -> Self {
        use sha2::Digest as _;
        Sha256Hex(sha2::Sha256::digest(bytes).into())
    }

    /// Parses 64 hex digits.
    pub fn parse(hex_text: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_text, &mut out).ok()?;
        Some(Sha256Hex(out))
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sha256Hex({self})")
    }
}

impl Serialize for Sha256Hex {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let mut buf = [0u8; 64];
        // Cannot fail: the buffer is exactly twice the digest's length.
        let _ = hex::encode_to_slice(self.0, &mut buf);
        serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Sha256Hex::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("expected a SHA-256 digest as 64 hex digits"))
    }
}

/// Issue id to what is stored for it. Ids are compared as numbers where
/// they are numbers, so the file reads in Jira's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IdIndex {
    entries: BTreeMap<String, IndexEntry>,
    dirty: bool,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    entries: BTreeMap<String, IndexEntry>,
}

impl IdIndex {
    /// Loads the index; an absent index is empty, a corrupt one an error.
    pub(crate) async fn load(store: &dyn ObjectStore) -> Result<IdIndex> {
        let key = object_key(INDEX_KEY)?;
        let Some(got) = store.get_opt(&key).await? else {
            return Ok(IdIndex::default());
        };
        let file: IndexFile =
            serde_json::from_slice(&got.body).map_err(|e| Error::CorruptState {
                what: "id index",
                location: store.location(&key),
                reason: e.to_string(),
            })?;
        if file.version != INDEX_VERSION {
            return Err(Error::CorruptState {
                what: "id index",
                location: store.location(&key),
                reason: format!(
                    "version {} is not supported by this build (expected {INDEX_VERSION}); \
                     upgrade jira-ingest",
                    file.version
                ),
            });
        }
        Ok(IdIndex {
            entries: file.entries,
            dirty: false,
        })
    }

    /// Writes the index if it changed since the last save.
    pub(crate) async fn save(&mut self, store: &dyn ObjectStore) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        // Serialized from a borrow: cloning 100,000 entries first would
        // double the index's memory at every save.
        #[derive(Serialize)]
        struct IndexFileRef<'a> {
            version: u32,
            entries: &'a BTreeMap<String, IndexEntry>,
        }
        let file = IndexFileRef {
            version: INDEX_VERSION,
            entries: &self.entries,
        };
        let body = serde_json::to_vec(&file).map_err(|e| Error::Internal(e.to_string()))?;
        store
            .put_opts(
                &object_key(INDEX_KEY)?,
                body.into(),
                PutOptions::content_type("application/json"),
            )
            .await?;
        self.dirty = false;
        Ok(())
    }

    /// The entry of an id.
    pub(crate) fn get(&self, id: &str) -> Option<&IndexEntry> {
        self.entries.get(id)
    }

    /// Records what is now stored for an id.
    pub(crate) fn insert(&mut self, id: String, entry: IndexEntry) {
        self.entries.insert(id, entry);
        self.dirty = true;
    }

    /// Forgets an id (deleted in Jira).
    pub(crate) fn remove(&mut self, id: &str) -> Option<IndexEntry> {
        let removed = self.entries.remove(id);
        if removed.is_some() {
            self.dirty = true;
        }
        removed
    }

    /// Every id and entry, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &IndexEntry)> {
        self.entries.iter()
    }

    /// How many issues are indexed.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is indexed.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Progress of a window that a run could not finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version.
    pub version: u32,
    /// The run that wrote it.
    pub run_id: String,
    /// The window being read, frozen when that run started.
    pub window: Window,
    /// The scope JQL of that window; a checkpoint is only resumed with the
    /// same scope.
    pub scope: Option<String>,
    /// Every issue of the window with `updated` below this (epoch ms) is
    /// durably written; the rest of the window starts here (inclusive, so
    /// issues sharing this millisecond are read again, never skipped).
    pub resume_from_ms: Option<i64>,
}

impl Checkpoint {
    /// A checkpoint for a window with no progress yet.
    pub fn new(run_id: &str, window: Window, scope: Option<String>) -> Self {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            run_id: run_id.to_owned(),
            window,
            scope,
            resume_from_ms: None,
        }
    }

    /// The part of the window still to read.
    pub fn remaining(&self) -> Window {
        Window {
            lower_ms: match (self.resume_from_ms, self.window.lower_ms) {
                (Some(resume), Some(lower)) => Some(resume.max(lower)),
                (Some(resume), None) => Some(resume),
                (None, lower) => lower,
            },
            upper_ms: self.window.upper_ms,
        }
    }

    /// Loads the checkpoint; absent is `None`, corrupt an error.
    pub async fn load(store: &dyn ObjectStore) -> Result<Option<Checkpoint>> {
        let key = object_key(CHECKPOINT_KEY)?;
        let Some(got) = store.get_opt(&key).await? else {
            return Ok(None);
        };
        let cp: Checkpoint =
            serde_json::from_slice(&got.body).map_err(|e| Error::CorruptState {
                what: "checkpoint",
                location: store.location(&key),
                reason: format!("{e}; delete it to restart the window from the cursor"),
            })?;
        if cp.version != CHECKPOINT_VERSION {
            return Err(Error::CorruptState {
                what: "checkpoint",
                location: store.location(&key),
                reason: format!("unsupported version {}", cp.version),
            });
        }
        Ok(Some(cp))
    }

    /// Persists the checkpoint.
    pub async fn save(&self, store: &dyn ObjectStore) -> Result<()> {
        store
            .put_json(
                &object_key(CHECKPOINT_KEY)?,
                self,
                state_store::PutMode::Overwrite,
            )
            .await
            .map(|_| ())
            .map_err(Error::from)
    }

    /// Removes the checkpoint once its window is complete.
    pub async fn clear(store: &dyn ObjectStore) -> Result<()> {
        store.delete(&object_key(CHECKPOINT_KEY)?).await?;
        Ok(())
    }
}

/// Parses one of the engine's own, known-good keys.
pub(crate) fn object_key(key: &str) -> Result<ObjectKey> {
    ObjectKey::new(key).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_format_v1_stays_readable() {
        let golden = r#"{"version":1,"run_id":"r1","window":{"lower_ms":10,"upper_ms":99},"scope":"project = ENG","resume_from_ms":50}"#;
        let cp: Checkpoint = serde_json::from_str(golden).unwrap();
        assert_eq!(
            cp.remaining(),
            Window {
                lower_ms: Some(50),
                upper_ms: 99
            }
        );
        assert_eq!(serde_json::to_string(&cp).unwrap(), golden);
    }

    #[test]
    fn a_fresh_checkpoint_resumes_the_whole_window() {
        let w = Window {
            lower_ms: None,
            upper_ms: 7,
        };
        assert_eq!(Checkpoint::new("r", w, None).remaining(), w);
    }

    #[test]
    fn index_format_v1_stays_readable() {
        let golden = r#"{"version":1,"entries":{"10001":{"key":"ENG-1","updated_ms":5,"doc_sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","content_sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}}"#;
        let file: IndexFile = serde_json::from_str(golden).unwrap();
        assert_eq!(file.entries["10001"].key, "ENG-1");
        assert_eq!(serde_json::to_string(&file).unwrap(), golden);
    }
}
