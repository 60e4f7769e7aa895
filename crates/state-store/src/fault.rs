//! A fault-injecting decorator for crash and outage tests.

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::{
    Error, GetResult, ListEntry, ObjectKey, ObjectMeta, ObjectStore, PutOptions, PutResult, Result,
    object::error_stream,
};

/// When an injected failure strikes relative to the real operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTiming {
    /// The operation never reaches the inner store (a crash or outage before
    /// the write).
    Before,
    /// The operation is applied, then the caller gets an error (a crash right
    /// after the rename or after S3 accepted the put, before the caller
    /// could record it).
    After,
}

#[derive(Debug, Default)]
struct Plan {
    /// Writes (puts and deletes) seen so far.
    writes: u64,
    /// Fail the write with this 1-based number.
    fail_write: Option<(u64, FaultTiming)>,
    /// Fail every write from this 1-based number on (a process that died).
    fail_from: Option<(u64, FaultTiming)>,
    /// Fail writes whose key starts with this prefix.
    fail_prefix: Option<(String, FaultTiming)>,
    /// Fail every read and list.
    fail_reads: bool,
    /// Keys of the writes seen, in order.
    log: Vec<(&'static str, String)>,
}

/// Wraps a store and fails chosen operations, so tests can kill a run at
/// every write and prove the next run recovers.
///
/// Counting is by *write* (every put and delete, in call order). Typical
/// use: run once cleanly and read [`FaultyStore::writes`], then for every
/// `n` in `1..=writes` run again with [`FaultyStore::fail_nth_write`].
#[derive(Debug, Clone)]
pub struct FaultyStore<S> {
    inner: S,
    plan: Arc<Mutex<Plan>>,
}

impl<S: ObjectStore> FaultyStore<S> {
    /// Wraps `inner` with no faults planned.
    pub fn new(inner: S) -> Self {
        FaultyStore {
            inner,
            plan: Arc::default(),
        }
    }

    /// The wrapped store (to inspect what really got written).
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Fails the `n`th write from now (1-based) only.
    pub fn fail_nth_write(&self, n: u64, timing: FaultTiming) {
        let mut plan = self.plan();
        plan.writes = 0;
        plan.fail_write = Some((n, timing));
    }

    /// Fails the `n`th write from now and every write after it, as if the
    /// process had died there.
    pub fn fail_from_write(&self, n: u64, timing: FaultTiming) {
        let mut plan = self.plan();
        plan.writes = 0;
        plan.fail_from = Some((n, timing));
    }

    /// Fails every write under `prefix`.
    pub fn fail_writes_under(&self, prefix: impl Into<String>, timing: FaultTiming) {
        self.plan().fail_prefix = Some((prefix.into(), timing));
    }

    /// Fails every read (get, head, list) while `on`.
    pub fn fail_reads(&self, on: bool) {
        self.plan().fail_reads = on;
    }

    /// Removes every planned fault (the counter keeps running).
    pub fn heal(&self) {
        let mut plan = self.plan();
        plan.fail_write = None;
        plan.fail_from = None;
        plan.fail_prefix = None;
        plan.fail_reads = false;
    }

    /// How many writes were attempted since the wrapper was made or the
    /// last plan was set.
    pub fn writes(&self) -> u64 {
        self.plan().writes
    }

    /// Every write attempted so far, as `(operation, key)`.
    pub fn write_log(&self) -> Vec<(&'static str, String)> {
        self.plan().log.clone()
    }

    fn plan(&self) -> MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a write and says whether and when it fails.
    fn on_write(&self, op: &'static str, key: &ObjectKey) -> Option<FaultTiming> {
        let mut plan = self.plan();
        plan.writes += 1;
        let n = plan.writes;
        plan.log.push((op, key.to_string()));
        if let Some((at, t)) = plan.fail_write
            && at == n
        {
            return Some(t);
        }
        if let Some((from, t)) = plan.fail_from
            && n >= from
        {
            return Some(t);
        }
        match &plan.fail_prefix {
            Some((p, t)) if key.as_str().starts_with(p.as_str()) => Some(*t),
            _ => None,
        }
    }

    fn check_read(&self, op: &'static str, key: &str) -> Result<()> {
        if self.plan().fail_reads {
            return Err(Error::Injected {
                op,
                key: key.to_owned(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for FaultyStore<S> {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        let injected = || Error::Injected {
            op: "put",
            key: key.to_string(),
        };
        match self.on_write("put", key) {
            Some(FaultTiming::Before) => Err(injected()),
            Some(FaultTiming::After) => {
                self.inner.put_opts(key, body, opts).await?;
                Err(injected())
            }
            None => self.inner.put_opts(key, body, opts).await,
        }
    }

    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        self.check_read("get", key.as_str())?;
        self.inner.get(key).await
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.check_read("head", key.as_str())?;
        self.inner.head(key).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        let injected = || Error::Injected {
            op: "delete",
            key: key.to_string(),
        };
        match self.on_write("delete", key) {
            Some(FaultTiming::Before) => Err(injected()),
            Some(FaultTiming::After) => {
                self.inner.delete(key).await?;
                Err(injected())
            }
            None => self.inner.delete(key).await,
        }
    }

    fn location(&self, key: &ObjectKey) -> String {
        self.inner.location(key)
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        if let Err(e) = self.check_read("list", prefix) {
            return error_stream(e);
        }
        self.inner.list(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemory, ObjectStoreExt};

    fn key(k: &str) -> ObjectKey {
        ObjectKey::new(k).unwrap()
    }

    #[tokio::test]
    async fn nth_write_fails_before_or_after() {
        let store = FaultyStore::new(InMemory::new());
        store.fail_nth_write(2, FaultTiming::Before);
        store
            .put(&key("a"), Bytes::from_static(b"1"))
            .await
            .unwrap();
        let err = store
            .put(&key("b"), Bytes::from_static(b"2"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Injected { .. }));
        assert!(!store.inner().exists(&key("b")).await.unwrap());
        store
            .put(&key("c"), Bytes::from_static(b"3"))
            .await
            .unwrap();

        store.fail_nth_write(1, FaultTiming::After);
        store.delete(&key("a")).await.unwrap_err();
        assert!(
            !store.inner().exists(&key("a")).await.unwrap(),
            "applied, then failed"
        );
        assert_eq!(store.writes(), 1);
        assert_eq!(store.write_log().len(), 4);
    }

    #[tokio::test]
    async fn a_dead_process_fails_every_later_write_and_reads_can_fail() {
        let store = FaultyStore::new(InMemory::new());
        store.fail_from_write(2, FaultTiming::Before);
        store.put(&key("a"), Bytes::new()).await.unwrap();
        for k in ["b", "c", "d"] {
            store.put(&key(k), Bytes::new()).await.unwrap_err();
        }
        store.heal();
        store.put(&key("e"), Bytes::new()).await.unwrap();
        store.fail_writes_under("state/", FaultTiming::Before);
        store.put(&key("state/x"), Bytes::new()).await.unwrap_err();
        store.put(&key("raw/x"), Bytes::new()).await.unwrap();
        store.fail_reads(true);
        assert!(store.get(&key("a")).await.is_err());
        assert!(store.list_all("").await.is_err());
        store.fail_reads(false);
        assert_eq!(store.list_keys("").await.unwrap().len(), 3);
    }
}
