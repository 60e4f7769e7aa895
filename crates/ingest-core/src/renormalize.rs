//! Renormalize: rebuild every normalized document from stored raw objects,
//! without calling Jira (after `normalize` improves, or to change options
//! such as restricted comments).

use std::{collections::BTreeMap, sync::Arc};

use futures::{StreamExt, TryStreamExt, stream};
use normalize::{FieldCatalogue, IssueKey, RawRecord};
use state_store::ObjectStoreExt;
use tokio::time::Instant;

use crate::{
    Engine, Error, Result, RunSummary,
    engine::{epoch_ms, from_epoch_ms, new_run_id},
    manifest::Manifest,
    state::{FIELDS_KEY, IdIndex, IndexEntry, Sha256Hex, object_key},
    writer::{put_normalized, upsert_line},
};

impl Engine {
    /// Rebuilds every normalized document from raw. The newest raw version
    /// of each indexed issue is used; with no index (state lost), the newest
    /// raw version under each key is, and the index is rebuilt from it.
    ///
    /// # Errors
    ///
    /// [`Error::Precondition`] when no sync has stored a field catalogue yet,
    /// [`Error::Busy`], storage failures.
    #[tracing::instrument(skip_all)]
    pub async fn renormalize(&self) -> Result<RunSummary> {
        let started = Instant::now();
        let run_id = new_run_id(self.now());
        let (lease, guard) = self.acquire(&run_id).await?;
        let result = self.renormalize_locked(&run_id, started).await;
        self.release(lease, guard).await;
        result
    }

    async fn renormalize_locked(&self, run_id: &str, started: Instant) -> Result<RunSummary> {
        let fields_key = object_key(FIELDS_KEY)?;
        let Some(fields) = self.store.get_opt(&fields_key).await? else {
            return Err(Error::Precondition(format!(
                "no stored field catalogue at {}; run `jira-ingest sync` once first",
                self.store.location(&fields_key)
            )));
        };
        let value: serde_json::Value =
            serde_json::from_slice(&fields.body).map_err(|e| Error::CorruptState {
                what: "field catalogue",
                location: self.store.location(&fields_key),
                reason: e.to_string(),
            })?;
        let catalogue = FieldCatalogue::from_json(&value).map_err(|e| Error::CorruptState {
            what: "field catalogue",
            location: self.store.location(&fields_key),
            reason: e.to_string(),
        })?;

        let mut index = IdIndex::load(self.store.as_ref()).await?;
        // (id or None, key, raw object key) of each document to rebuild.
        let targets: Vec<(Option<String>, String, String)> = if index.is_empty() {
            self.latest_raw_per_key().await?
        } else {
            index
                .iter()
                .filter_map(|(id, e)| {
                    let key = IssueKey::parse(&e.key).ok()?;
                    let raw = normalize::raw_object_key(&key, from_epoch_ms(e.updated_ms));
                    Some((Some(id.clone()), e.key.clone(), raw))
                })
                .collect()
        };

        let (catalogue, options) = (Arc::new(catalogue), Arc::new(self.normalize_options()));
        let cpu = crate::writer::cpu_slots();
        let mut summary = RunSummary::new(run_id);
        let mut manifest = Manifest::new(run_id);
        let results: Vec<Result<Option<(String, IndexEntry, bool)>>> = stream::iter(targets)
            .map(|(id, key, raw_key)| {
                let (catalogue, options, cpu) = (&catalogue, &options, &cpu);
                let prior = id.as_ref().and_then(|id| index.get(id).cloned());
                async move {
                    let Some(raw) = self.store.get_opt(&object_key(&raw_key)?).await? else {
                        tracing::warn!(%key, %raw_key, "raw object missing; document left as is");
                        return Ok(None);
                    };
                    // Parsing and normalizing are CPU-bound: on the
                    // blocking pool, one per core, so the runtime keeps
                    // reading and writing objects meanwhile.
                    let built = {
                        let _slot = cpu.acquire().await.map_err(|e| {
                            Error::Internal(format!("the normalization slots closed: {e}"))
                        })?;
                        let (catalogue, options, raw_key) =
                            (Arc::clone(catalogue), Arc::clone(options), raw_key.clone());
                        tokio::task::spawn_blocking(move || {
                            let record = RawRecord::parse(&raw.body)
                                .map_err(|e| ("unreadable raw object", e))?;
                            let doc = normalize::normalize(&record, &catalogue, &raw_key, &options)
                                .map_err(|e| ("could not normalize", e))?;
                            let bytes = doc.to_json_bytes();
                            Ok((doc, bytes))
                        })
                        .await
                        .map_err(|e| Error::Internal(format!("a normalization task failed: {e}")))?
                    };
                    let (doc, bytes) = match built {
                        Ok(built) => built,
                        Err((what, e)) => {
                            tracing::error!(%raw_key, error = %e, "{what}");
                            return Ok(None);
                        }
                    };
                    let issue_key =
                        IssueKey::parse(&doc.key).map_err(|e| Error::Internal(e.to_string()))?;
                    let updated = normalize::parse_jira_timestamp(&doc.updated)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    let entry = IndexEntry {
                        key: doc.key.clone(),
                        updated_ms: epoch_ms(updated),
                        doc_sha256: Sha256Hex::digest(&bytes),
                        content_sha256: Sha256Hex::parse(&doc.content_sha256).ok_or_else(|| {
                            Error::Internal("normalize returned a malformed content_sha256".into())
                        })?,
                    };
                    let changed = prior.is_none_or(|p| p.doc_sha256 != entry.doc_sha256);
                    // A document deleted or edited by hand is restored too,
                    // without a manifest line when its bytes are unchanged.
                    let doc_key = object_key(&normalize::normalized_object_key(&issue_key))?;
                    let stored_matches = match self.store.get_opt(&doc_key).await? {
                        Some(got) => Sha256Hex::digest(&got.body) == entry.doc_sha256,
                        None => false,
                    };
                    if changed || !stored_matches {
                        put_normalized(self.store.as_ref(), &issue_key, &doc.id, &entry, bytes)
                            .await?;
                    }
                    Ok(Some((doc.id, entry, changed)))
                }
            })
            .buffer_unordered(self.config.write_concurrency.max(1))
            .collect()
            .await;
        let mut rebuilt = BTreeMap::new();
        for result in results {
            summary.issues_seen += 1;
            match result? {
                Some((id, entry, changed)) => {
                    if changed {
                        summary.written += 1;
                        manifest.push(&upsert_line(&id, &entry));
                    } else {
                        summary.unchanged += 1;
                    }
                    rebuilt.insert(id, entry);
                }
                None => summary.rejected += 1,
            }
        }
        for (id, entry) in rebuilt {
            index.insert(id, entry);
        }
        manifest.save(self.store.as_ref()).await?;
        index.save(self.store.as_ref()).await?;
        if !manifest.is_empty() {
            summary.manifest_key = Some(manifest.key().to_owned());
        }
        summary.cursor = self.cursor_text().await?;
        summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(summary)
    }

    /// The newest raw object under each `raw/jira/<KEY>/`.
    async fn latest_raw_per_key(&self) -> Result<Vec<(Option<String>, String, String)>> {
        let entries: Vec<state_store::ListEntry> =
            self.store.list("raw/jira/").try_collect().await?;
        let mut latest: BTreeMap<String, String> = BTreeMap::new();
        for entry in entries {
            let path = entry.key.as_str();
            let mut parts = path.trim_start_matches("raw/jira/").split('/');
            let (Some(key), Some(_)) = (parts.next(), parts.next()) else {
                continue;
            };
            if IssueKey::parse(key).is_err() {
                continue;
            }
            // `<UPDATED>` sorts by time, so the largest name is the newest.
            let slot = latest.entry(key.to_owned()).or_default();
            if path > slot.as_str() {
                *slot = path.to_owned();
            }
        }
        Ok(latest.into_iter().map(|(k, raw)| (None, k, raw)).collect())
    }
}
