//! A decorator that puts every key under a fixed prefix.

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};

use crate::{
    Error, GetResult, ListEntry, ObjectKey, ObjectMeta, ObjectStore, PutOptions, PutResult, Result,
    key::validate_prefix, object::error_stream,
};

/// Stores every object of the inner store under `prefix`, and hands back
/// keys relative to it (like arrow-rs object_store's `PrefixStore`).
///
/// Used for the S3 key prefix and for giving tests their own namespace in a
/// shared bucket.
#[derive(Debug, Clone)]
pub struct Prefixed<S> {
    inner: S,
    /// Empty, or ends with `/`.
    prefix: String,
}

impl<S: ObjectStore> Prefixed<S> {
    /// Wraps `inner`. A missing trailing `/` is added, so `jira` and `jira/`
    /// mean the same; an empty prefix is allowed and changes nothing.
    pub fn new(inner: S, prefix: &str) -> Result<Self> {
        let mut prefix = prefix.trim_end_matches('/').to_owned();
        if !prefix.is_empty() {
            prefix.push('/');
            ObjectKey::new(prefix.trim_end_matches('/'))?;
            validate_prefix(&prefix)?;
        }
        Ok(Prefixed { inner, prefix })
    }

    /// The prefix, empty or ending with `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn full(&self, key: &ObjectKey) -> Result<ObjectKey> {
        key.with_prefix(&self.prefix)
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for Prefixed<S> {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(&self.full(key)?, body, opts).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        let mut got = self.inner.get(&self.full(key)?).await?;
        got.meta.key = key.clone();
        Ok(got)
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let mut meta = self.inner.head(&self.full(key)?).await?;
        meta.key = key.clone();
        Ok(meta)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        self.inner.delete(&self.full(key)?).await
    }

    fn location(&self, key: &ObjectKey) -> String {
        match self.full(key) {
            Ok(full) => self.inner.location(&full),
            Err(_) => format!("{}{key}", self.prefix),
        }
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        if let Err(e) = validate_prefix(prefix) {
            return error_stream(e);
        }
        let own = self.prefix.clone();
        self.inner
            .list(&format!("{}{prefix}", self.prefix))
            .map(move |entry| {
                let mut entry = entry?;
                entry.key = strip(&own, &entry.key)?;
                Ok(entry)
            })
            .boxed()
    }
}

fn strip(prefix: &str, key: &ObjectKey) -> Result<ObjectKey> {
    key.as_str()
        .strip_prefix(prefix)
        .ok_or_else(|| Error::InvalidKey {
            key: key.to_string(),
            reason: "the backend returned a key outside the store's prefix",
        })
        .and_then(ObjectKey::new)
}
