//! The sync cursor: how far the last complete run got, with compare-and-swap.
//!
//! Persisted format, version 1 (one JSON object; unknown fields are ignored
//! so later minor additions stay readable by this build):
//!
//! ```json
//! {"version":1,"last_sync_ms":1764380702123,"updated_at":"2026-11-29T01:45:02.123Z","run_id":"r-20261129T014502Z"}
//! ```
//!
//! `last_sync_ms` is the epoch-millisecond upper bound of the last window
//! whose issues were all durably written.

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{Error, ObjectKey, ObjectStore, ObjectStoreExt, PutMode, PutOptions, Result};

/// The newest cursor format this build writes and reads.
pub const CURSOR_FORMAT_VERSION: u64 = 1;

/// Where the filesystem and S3 backends keep the cursor by default.
pub const DEFAULT_CURSOR_KEY: &str = "state/jira/cursor.json";

/// How far the sync got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Epoch-ms upper bound of the last complete window.
    pub last_sync_ms: i64,
    /// When the cursor was written.
    pub updated_at: OffsetDateTime,
    /// The run that wrote it.
    pub run_id: String,
}

#[derive(Serialize, Deserialize)]
struct WireV1 {
    version: u64,
    last_sync_ms: i64,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    run_id: String,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<u64>,
}

impl Cursor {
    /// A cursor written now.
    pub fn new(last_sync_ms: i64, run_id: impl Into<String>) -> Self {
        Cursor {
            last_sync_ms,
            updated_at: OffsetDateTime::now_utc(),
            run_id: run_id.into(),
        }
    }

    /// The version-1 JSON form (one line, no trailing newline).
    pub fn to_json(&self) -> String {
        let wire = WireV1 {
            version: CURSOR_FORMAT_VERSION,
            last_sync_ms: self.last_sync_ms,
            updated_at: self.updated_at,
            run_id: self.run_id.clone(),
        };
        // Serialising plain integers and strings cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Parses any supported format version. `location` names where the bytes
    /// came from, for the error message.
    pub fn from_json(bytes: &[u8], location: &str) -> Result<Self> {
        let corrupt = |reason: String| Error::Corrupt {
            location: location.to_owned(),
            reason,
        };
        let probe: VersionOnly = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("not a cursor JSON object: {e}")))?;
        match probe.version {
            Some(1) => {
                let w: WireV1 = serde_json::from_slice(bytes)
                    .map_err(|e| corrupt(format!("invalid version-1 cursor: {e}")))?;
                Ok(Cursor {
                    last_sync_ms: w.last_sync_ms,
                    updated_at: w.updated_at,
                    run_id: w.run_id,
                })
            }
            Some(v) if v > CURSOR_FORMAT_VERSION => Err(Error::UnsupportedVersion {
                location: location.to_owned(),
                found: v,
                supported: CURSOR_FORMAT_VERSION,
            }),
            Some(v) => Err(corrupt(format!("unknown cursor format version {v}"))),
            None => Err(corrupt("the `version` field is missing".into())),
        }
    }

    /// The cursor time as a timestamp.
    pub fn last_sync(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.last_sync_ms) * 1_000_000).ok()
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last_sync().and_then(|t| t.format(&Rfc3339).ok()) {
            Some(t) => write!(f, "{t} (run {})", self.run_id),
            None => write!(f, "{} ms (run {})", self.last_sync_ms, self.run_id),
        }
    }
}

/// An opaque version of the stored cursor, for [`CursorStore::compare_and_swap`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CursorVersion(pub(crate) String);

impl CursorVersion {
    /// The backend's version token (an etag, an SSM version number).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CursorVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Durable cursor storage with compare-and-swap.
///
/// Two overlapping runs cannot both win, and no write moves the cursor
/// backwards: [`Error::CursorConflict`] and [`Error::CursorBackwards`].
#[async_trait]
pub trait CursorStore: fmt::Debug + Send + Sync + 'static {
    /// The stored cursor and its version; `None` when no cursor exists yet.
    /// A corrupt cursor is [`Error::Corrupt`], never `None`.
    async fn load(&self) -> Result<Option<(Cursor, CursorVersion)>>;

    /// Stores `new` if the stored version is still `expected` (`None`: no
    /// cursor may exist yet) and `new` is not older than the stored cursor.
    /// Returns the new version, for the next swap in the same run.
    async fn compare_and_swap(
        &self,
        expected: Option<&CursorVersion>,
        new: &Cursor,
    ) -> Result<CursorVersion>;

    /// Where the cursor lives, for messages (`s3://b/state/...`, a path, an SSM name).
    fn location(&self) -> String;
}

/// A cursor kept as one JSON object in any [`ObjectStore`], using its
/// conditional writes: the local file cursor (over [`crate::LocalFileSystem`]),
/// the S3 cursor, and the in-memory cursor for tests.
#[derive(Debug, Clone)]
pub struct ObjectCursorStore {
    store: Arc<dyn ObjectStore>,
    key: ObjectKey,
}

impl ObjectCursorStore {
    /// A cursor at [`DEFAULT_CURSOR_KEY`] in `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        ObjectCursorStore {
            store,
            key: ObjectKey::new(DEFAULT_CURSOR_KEY).unwrap_or_else(|_| unreachable!()),
        }
    }

    /// A cursor at another key.
    pub fn with_key(store: Arc<dyn ObjectStore>, key: ObjectKey) -> Self {
        ObjectCursorStore { store, key }
    }

    /// A cursor in a fresh in-memory store.
    pub fn in_memory() -> Self {
        ObjectCursorStore::new(Arc::new(crate::InMemory::new()))
    }

    async fn read(&self) -> Result<Option<(Cursor, CursorVersion)>> {
        let Some(got) = self.store.get_opt(&self.key).await? else {
            return Ok(None);
        };
        let cursor = Cursor::from_json(&got.body, &self.location())?;
        Ok(Some((cursor, CursorVersion(got.meta.etag))))
    }
}

#[async_trait]
impl CursorStore for ObjectCursorStore {
    async fn load(&self) -> Result<Option<(Cursor, CursorVersion)>> {
        self.read().await
    }

    async fn compare_and_swap(
        &self,
        expected: Option<&CursorVersion>,
        new: &Cursor,
    ) -> Result<CursorVersion> {
        let current = self.read().await?;
        let conflict = |found: Option<&CursorVersion>| Error::CursorConflict {
            location: self.location(),
            expected: expected.map(|v| v.0.clone()),
            found: found.map(|v| v.0.clone()),
        };
        let mode = match (&current, expected) {
            (None, None) => PutMode::Create,
            (Some((stored, version)), Some(exp)) if version == exp => {
                if new.last_sync_ms < stored.last_sync_ms {
                    return Err(Error::CursorBackwards {
                        location: self.location(),
                        stored_ms: stored.last_sync_ms,
                        attempted_ms: new.last_sync_ms,
                    });
                }
                PutMode::Update(exp.0.clone())
            }
            (cur, _) => return Err(conflict(cur.as_ref().map(|(_, v)| v))),
        };
        let mut body = new.to_json().into_bytes();
        body.push(b'\n');
        let opts = PutOptions::content_type("application/json").with_mode(mode);
        match self
            .store
            .put_opts(&self.key, Bytes::from(body), opts)
            .await
        {
            Ok(put) => Ok(CursorVersion(put.etag)),
            // The conditional write lost a race that started after our read.
            Err(Error::AlreadyExists { .. } | Error::PreconditionFailed { .. }) => {
                let found = self.read().await.ok().flatten().map(|(_, v)| v);
                Err(conflict(found.as_ref()))
            }
            Err(e) => Err(e),
        }
    }

    fn location(&self) -> String {
        self.store.location(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// Golden strings of every released format: they must stay readable.
    #[test]
    fn format_guard_v1_stays_readable() {
        let golden = r#"{"version":1,"last_sync_ms":1764380702123,"updated_at":"2026-11-29T01:45:02.123Z","run_id":"r-1"}"#;
        let c = Cursor::from_json(golden.as_bytes(), "golden").unwrap();
        assert_eq!(c.last_sync_ms, 1_764_380_702_123);
        assert_eq!(c.updated_at, datetime!(2026-11-29 01:45:02.123 UTC));
        assert_eq!(c.run_id, "r-1");
        // Written by a later build with an extra field, and pretty-printed.
        let extended = "{\n  \"version\": 1, \"last_sync_ms\": 5, \"updated_at\": \"2026-01-01T00:00:00+02:00\", \"run_id\": \"x\", \"prev_version\": 3\n}\n";
        assert_eq!(
            Cursor::from_json(extended.as_bytes(), "x")
                .unwrap()
                .last_sync_ms,
            5
        );
    }

    #[test]
    fn format_guard_v1_is_written_exactly_so() {
        let c = Cursor {
            last_sync_ms: 1_764_380_702_123,
            updated_at: datetime!(2026-11-29 01:45:02.123 UTC),
            run_id: "r-1".into(),
        };
        assert_eq!(
            c.to_json(),
            r#"{"version":1,"last_sync_ms":1764380702123,"updated_at":"2026-11-29T01:45:02.123Z","run_id":"r-1"}"#
        );
        assert_eq!(Cursor::from_json(c.to_json().as_bytes(), "rt").unwrap(), c);
    }

    #[test]
    fn corrupt_and_future_cursors_are_errors_not_resets() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"last_sync_ms":1}"#,
            r#"{"version":1,"last_sync_ms":"soon","updated_at":"2026-11-29T01:45:02Z","run_id":"r"}"#,
            r#"{"version":0}"#,
        ] {
            let err = Cursor::from_json(bad.as_bytes(), "loc").unwrap_err();
            assert!(matches!(err, Error::Corrupt { .. }), "{bad}: {err}");
            assert!(err.to_string().contains("loc"));
        }
        let err = Cursor::from_json(br#"{"version":2,"whatever":true}"#, "loc").unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedVersion { found: 2, .. }),
            "{err}"
        );
    }
}
