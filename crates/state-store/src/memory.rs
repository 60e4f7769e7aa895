//! An in-memory object store for tests and dry runs.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};
use time::OffsetDateTime;

use crate::{
    Error, GetResult, ListEntry, ObjectKey, ObjectMeta, ObjectStore, PutMode, PutOptions,
    PutResult, Result, key::validate_prefix, object::error_stream,
};

#[derive(Debug, Clone)]
struct Entry {
    body: Bytes,
    meta: ObjectMeta,
}

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<ObjectKey, Entry>,
    /// Every write gets a fresh generation, so etags never repeat (no ABA).
    generation: u64,
}

/// Objects in a `BTreeMap` behind a mutex. Clones share the same contents.
///
/// Conditional writes are exact: the check and the write happen under one
/// lock.
#[derive(Clone, Default)]
pub struct InMemory {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for InMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The contents would flood logs; the count is what matters.
        f.debug_struct("InMemory")
            .field("objects", &self.lock().objects.len())
            .finish()
    }
}

impl InMemory {
    /// An empty store.
    pub fn new() -> Self {
        InMemory::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map half-updated
        // (every mutation is a single insert or remove), so poison is ignored.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl ObjectStore for InMemory {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        opts.validate()?;
        let mut state = self.lock();
        let current = state.objects.get(key);
        match (&opts.mode, current) {
            (PutMode::Overwrite, _) | (PutMode::Create, None) => {}
            (PutMode::Create, Some(_)) => {
                return Err(Error::AlreadyExists {
                    key: key.to_string(),
                });
            }
            (PutMode::Update(etag), Some(cur)) if cur.meta.etag == *etag => {}
            (PutMode::Update(_), _) => {
                return Err(Error::PreconditionFailed {
                    key: key.to_string(),
                });
            }
        }
        state.generation += 1;
        let etag = format!("\"mem-{}\"", state.generation);
        let meta = ObjectMeta {
            key: key.clone(),
            size: body.len() as u64,
            etag: etag.clone(),
            last_modified: Some(OffsetDateTime::now_utc()),
            content_type: opts.content_type,
            metadata: opts.metadata,
        };
        state.objects.insert(key.clone(), Entry { body, meta });
        Ok(PutResult { etag })
    }

    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        let state = self.lock();
        let entry = state.objects.get(key).ok_or_else(|| Error::NotFound {
            key: key.to_string(),
        })?;
        Ok(GetResult {
            body: entry.body.clone(),
            meta: entry.meta.clone(),
        })
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        Ok(self.get(key).await?.meta)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        self.lock().objects.remove(key);
        Ok(())
    }

    fn location(&self, key: &ObjectKey) -> String {
        format!("memory:{key}")
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        if let Err(e) = validate_prefix(prefix) {
            return error_stream(e);
        }
        // A snapshot: later writes do not disturb a listing in progress.
        let entries: Vec<Result<ListEntry>> = self
            .lock()
            .objects
            .values()
            .filter(|e| e.meta.key.as_str().starts_with(prefix))
            .map(|e| {
                Ok(ListEntry {
                    key: e.meta.key.clone(),
                    size: e.meta.size,
                    last_modified: e.meta.last_modified,
                })
            })
            .collect();
        futures::stream::iter(entries).boxed()
    }
}
