//! Writing one issue version: raw object, normalized document, and the
//! bookkeeping (index entry, manifest lines, counters) that follows.
//!
//! The I/O of many issues runs concurrently ([`write_issue`] only reads the
//! index), and the outcomes are applied one by one ([`apply`]) so the index
//! and manifest need no locking.

use std::sync::Arc;

use bytes::Bytes;
use jira_client::RawIssue;
use normalize::{FieldCatalogue, IssueKey, RawRecord};
use serde_json::value::RawValue;
use state_store::{ObjectStore, PutMode, PutOptions};
use time::OffsetDateTime;

use crate::{
    Error, Result,
    engine::{epoch_ms, from_epoch_ms},
    manifest::{Manifest, ManifestLine, Op},
    state::{IdIndex, IndexEntry, Sha256Hex, object_key},
    summary::RunSummary,
};

/// An issue as read from Jira, with its complete comment pages and
/// changelog entries when the embedded lists were truncated (see
/// [`RawRecord`] for what each holds).
#[derive(Debug)]
pub(crate) struct Hydrated {
    pub(crate) issue: RawIssue,
    pub(crate) comment_pages: Vec<Box<RawValue>>,
    pub(crate) changelog_pages: Vec<Box<RawValue>>,
}

/// Everything `write_issue` needs besides the issue.
pub(crate) struct WriteContext<'a> {
    pub(crate) store: &'a dyn ObjectStore,
    pub(crate) catalogue: &'a Arc<FieldCatalogue>,
    pub(crate) options: &'a Arc<normalize::Options>,
    pub(crate) site_url: &'a str,
    pub(crate) fetched_at: OffsetDateTime,
    /// Normalizations running at once: one per core, since more only adds
    /// memory (see [`cpu_slots`]).
    pub(crate) cpu: &'a tokio::sync::Semaphore,
}

/// One slot per core for CPU-bound work.
pub(crate) fn cpu_slots() -> tokio::sync::Semaphore {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
}

/// What happened to one issue.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The stored version is current; nothing written.
    Unchanged { id: String, updated_ms: i64 },
    /// The document was written (and possibly moved from another key).
    Written {
        id: String,
        entry: IndexEntry,
        raw_written: bool,
        /// The document's bytes were identical to the stored ones.
        same_document: bool,
        moved_from: Option<IndexEntry>,
    },
    /// Not written: invalid key or unreadable issue (raw kept if possible).
    Rejected {
        id: String,
        key: String,
        reason: String,
    },
}

impl Outcome {
    /// The issue id.
    pub(crate) fn id(&self) -> &str {
        match self {
            Outcome::Unchanged { id, .. }
            | Outcome::Written { id, .. }
            | Outcome::Rejected { id, .. } => id,
        }
    }

    /// `fields.updated` of what was processed, epoch ms.
    pub(crate) fn updated_ms(&self) -> Option<i64> {
        match self {
            Outcome::Unchanged { updated_ms, .. } => Some(*updated_ms),
            Outcome::Written { entry, .. } => Some(entry.updated_ms),
            Outcome::Rejected { .. } => None,
        }
    }
}

/// Writes one issue version unless the stored one is current.
pub(crate) async fn write_issue(
    cx: &WriteContext<'_>,
    h: Hydrated,
    prior: Option<IndexEntry>,
) -> Result<Outcome> {
    let id = h.issue.id.clone();
    // The key is validated before it is used in any object key.
    let key = match IssueKey::parse(&h.issue.key) {
        Ok(key) => key,
        Err(e) => {
            return Ok(Outcome::Rejected {
                id,
                key: h.issue.key.clone(),
                reason: e.to_string(),
            });
        }
    };
    let Some(updated) = h.issue.updated else {
        return Ok(Outcome::Rejected {
            id,
            key: key.to_string(),
            reason: "the issue has no fields.updated".into(),
        });
    };
    let updated_ms = epoch_ms(updated);
    if let Some(prior) = &prior
        && prior.key == key.as_str()
        && prior.updated_ms == updated_ms
    {
        return Ok(Outcome::Unchanged { id, updated_ms });
    }

    let comment_pages: Vec<&RawValue> = h.comment_pages.iter().map(AsRef::as_ref).collect();
    let changelog_pages: Vec<&RawValue> = h.changelog_pages.iter().map(AsRef::as_ref).collect();
    // `Bytes` so the put and the parse below share one buffer.
    let raw_bytes = Bytes::from(RawRecord::to_bytes(
        cx.site_url,
        cx.fetched_at,
        h.issue.raw(),
        &comment_pages,
        &changelog_pages,
    ));
    let raw_key = normalize::raw_object_key(&key, updated);
    // Normalizing is the CPU-heavy part of a write: it runs on the blocking
    // pool, one issue per core at a time, so a batch normalizes on every
    // core and while its raw objects are being written.
    let raw_for_normalize = raw_bytes.clone();
    let normalized = async {
        let _slot = cx
            .cpu
            .acquire()
            .await
            .map_err(|e| Error::Internal(format!("the normalization slots closed: {e}")))?;
        let (raw, catalogue, options, raw_key) = (
            raw_for_normalize,
            Arc::clone(cx.catalogue),
            Arc::clone(cx.options),
            raw_key.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let document = RawRecord::parse(&raw)
                .and_then(|record| normalize::normalize(&record, &catalogue, &raw_key, &options))?;
            let bytes = document.to_json_bytes();
            let sha256 = Sha256Hex::digest(&bytes);
            Ok::<_, normalize::Error>((document.content_sha256, bytes, sha256))
        })
        .await
        .map_err(|e| Error::Internal(format!("a normalization task failed: {e}")))
    };
    let (raw_written, normalized) = tokio::join!(
        put_raw(cx.store, &raw_key, &id, updated, raw_bytes),
        normalized
    );
    let raw_written = raw_written?;
    let (content_sha256, doc_bytes, doc_sha256) = match normalized? {
        Ok(done) => done,
        Err(e) => {
            return Ok(Outcome::Rejected {
                id,
                key: key.to_string(),
                reason: format!("could not normalize (raw kept at {raw_key}): {e}"),
            });
        }
    };
    let content_sha256 = Sha256Hex::parse(&content_sha256)
        .ok_or_else(|| Error::Internal("normalize returned a malformed content_sha256".into()))?;
    let entry = IndexEntry {
        key: key.to_string(),
        updated_ms,
        doc_sha256,
        content_sha256,
    };
    let same_key = prior.as_ref().is_some_and(|p| p.key == entry.key);
    let same_document = same_key
        && prior
            .as_ref()
            .is_some_and(|p| p.doc_sha256 == entry.doc_sha256);
    if !same_document {
        put_normalized(cx.store, &key, &id, &entry, doc_bytes).await?;
    }
    // A known id under a new key is a move: the old key's document goes,
    // after the new one is safely written.
    let moved_from = match prior {
        Some(p) if p.key != entry.key => {
            let old = IssueKey::parse(&p.key).map_err(|e| Error::Internal(e.to_string()))?;
            cx.store
                .delete(&object_key(&normalize::normalized_object_key(&old))?)
                .await?;
            Some(p)
        }
        _ => None,
    };
    Ok(Outcome::Written {
        id,
        entry,
        raw_written,
        same_document,
        moved_from,
    })
}

/// Stores a raw version once: an existing object with this key is the same
/// version and is never overwritten.
async fn put_raw(
    store: &dyn ObjectStore,
    raw_key: &str,
    id: &str,
    updated: OffsetDateTime,
    bytes: Bytes,
) -> Result<bool> {
    let opts = PutOptions::content_type("application/json")
        .with_metadata("issue-id", id)
        .with_metadata("updated", normalize::updated_key(updated))
        .with_mode(PutMode::Create);
    match store.put_opts(&object_key(raw_key)?, bytes, opts).await {
        Ok(_) => Ok(true),
        Err(state_store::Error::AlreadyExists { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn put_normalized(
    store: &dyn ObjectStore,
    key: &IssueKey,
    id: &str,
    entry: &IndexEntry,
    bytes: Vec<u8>,
) -> Result<()> {
    let opts = PutOptions::content_type("application/json")
        .with_metadata("issue-id", id)
        .with_metadata(
            "updated",
            normalize::updated_key(from_epoch_ms(entry.updated_ms)),
        )
        .with_metadata("content-sha256", entry.content_sha256.to_string());
    store
        .put_opts(
            &object_key(&normalize::normalized_object_key(key))?,
            Bytes::from(bytes),
            opts,
        )
        .await?;
    Ok(())
}

/// Folds one outcome into the index, the manifest and the counters.
pub(crate) fn apply(
    outcome: Outcome,
    index: &mut IdIndex,
    manifest: &mut Manifest,
    summary: &mut RunSummary,
) {
    match outcome {
        Outcome::Unchanged { .. } => summary.unchanged += 1,
        Outcome::Rejected { id, key, reason } => {
            tracing::error!(issue.id = %id, issue.key = %key, %reason, "issue rejected");
            summary.rejected += 1;
        }
        Outcome::Written {
            id,
            entry,
            raw_written,
            same_document,
            moved_from,
        } => {
            if raw_written {
                summary.raw_written += 1;
            }
            if let Some(old) = moved_from {
                tracing::info!(issue.id = %id, from = %old.key, to = %entry.key, "issue moved");
                manifest.push(&delete_line(&id, &old));
                summary.moved += 1;
                summary.deleted += 1;
            }
            if same_document {
                summary.unchanged += 1;
            } else {
                summary.written += 1;
                manifest.push(&upsert_line(&id, &entry));
            }
            index.insert(id, entry);
        }
    }
}

pub(crate) fn upsert_line(id: &str, entry: &IndexEntry) -> ManifestLine {
    ManifestLine {
        op: Op::Upsert,
        id: id.to_owned(),
        key: entry.key.clone(),
        updated: Some(normalize::format_rfc3339_utc(from_epoch_ms(
            entry.updated_ms,
        ))),
        normalized_key: format!("normalized/jira/{}.json", entry.key),
        content_sha256: Some(entry.content_sha256.to_string()),
    }
}

pub(crate) fn delete_line(id: &str, entry: &IndexEntry) -> ManifestLine {
    ManifestLine {
        op: Op::Delete,
        id: id.to_owned(),
        key: entry.key.clone(),
        updated: Some(normalize::format_rfc3339_utc(from_epoch_ms(
            entry.updated_ms,
        ))),
        normalized_key: format!("normalized/jira/{}.json", entry.key),
        content_sha256: None,
    }
}
