//! The object-storage trait, its value types and the convenience extension.

use std::{collections::BTreeMap, fmt};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use serde::{Serialize, de::DeserializeOwned};
use time::OffsetDateTime;

use crate::{Error, ObjectKey, Result};

/// Total size of user metadata S3 accepts (names plus values), in bytes.
const MAX_METADATA_BYTES: usize = 2048;

/// How a put treats an existing object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PutMode {
    /// Replace whatever is there.
    #[default]
    Overwrite,
    /// Write only if no object exists (S3 `If-None-Match: *`); otherwise
    /// [`Error::AlreadyExists`].
    Create,
    /// Write only if the stored object still has this etag (S3 `If-Match`);
    /// otherwise [`Error::PreconditionFailed`]. This is compare-and-swap.
    Update(String),
}

/// Options of a put.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// MIME type, e.g. `application/json`.
    pub content_type: Option<String>,
    /// User metadata. Names are lowercase ASCII letters, digits and `-`;
    /// values printable ASCII; at most 2 KiB in total (the S3 limits, applied
    /// on every backend so a local run never writes what S3 would refuse).
    pub metadata: BTreeMap<String, String>,
    /// Conditional-write mode.
    pub mode: PutMode,
}

impl PutOptions {
    /// Options with just a content type.
    pub fn content_type(content_type: impl Into<String>) -> Self {
        PutOptions {
            content_type: Some(content_type.into()),
            ..PutOptions::default()
        }
    }

    /// These options with one more metadata entry.
    pub fn with_metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(name.into(), value.into());
        self
    }

    /// These options with another mode.
    pub fn with_mode(mut self, mode: PutMode) -> Self {
        self.mode = mode;
        self
    }

    /// Checks the metadata against the limits every backend shares.
    pub fn validate(&self) -> Result<()> {
        let mut total = 0;
        for (name, value) in &self.metadata {
            let bad = |reason| {
                Err(Error::InvalidMetadata {
                    name: name.clone(),
                    reason,
                })
            };
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return bad("names must be lowercase ASCII letters, digits and `-`");
            }
            if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return bad("values must be printable ASCII");
            }
            total += name.len() + value.len();
        }
        if total > MAX_METADATA_BYTES {
            return Err(Error::InvalidMetadata {
                name: "*".into(),
                reason: "metadata exceeds 2 KiB in total",
            });
        }
        if let Some(ct) = &self.content_type
            && !ct.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(Error::InvalidMetadata {
                name: "content-type".into(),
                reason: "content type must be printable ASCII",
            });
        }
        Ok(())
    }
}

/// What a successful put returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// The new version's etag, usable with [`PutMode::Update`].
    pub etag: String,
}

/// Everything known about a stored object except its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The object's key (relative to the store, also behind [`crate::Prefixed`]).
    pub key: ObjectKey,
    /// Size in bytes.
    pub size: u64,
    /// Opaque version tag; changes on every write.
    pub etag: String,
    /// When it was last written, as the backend reports it.
    pub last_modified: Option<OffsetDateTime>,
    /// The content type given at put time.
    pub content_type: Option<String>,
    /// The user metadata given at put time.
    pub metadata: BTreeMap<String, String>,
}

/// An object's bytes and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetResult {
    /// The bytes.
    pub body: Bytes,
    /// The metadata, from the same version as the bytes.
    pub meta: ObjectMeta,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The object's key.
    pub key: ObjectKey,
    /// Size in bytes.
    pub size: u64,
    /// When it was last written.
    pub last_modified: Option<OffsetDateTime>,
}

/// Object storage: the narrow, object-safe core every backend implements.
///
/// Keys are the same on every backend, so a local directory and an S3 bucket
/// written by the same calls hold the same layout.
#[async_trait]
pub trait ObjectStore: fmt::Debug + Send + Sync + 'static {
    /// Stores `body` under `key`, honouring `opts.mode`.
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult>;

    /// Reads an object; [`Error::NotFound`] when missing.
    async fn get(&self, key: &ObjectKey) -> Result<GetResult>;

    /// Reads an object's metadata; [`Error::NotFound`] when missing.
    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta>;

    /// Deletes an object; deleting a missing object succeeds.
    async fn delete(&self, key: &ObjectKey) -> Result<()>;

    /// Every object whose key starts with `prefix` (plain string prefix, as
    /// on S3), in ascending key order, fetched page by page as the stream is
    /// polled. An invalid prefix yields one error.
    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>>;

    /// Where `key` lives, for messages: a path, an `s3://` URL.
    fn location(&self, key: &ObjectKey) -> String {
        key.to_string()
    }
}

/// Conveniences on top of [`ObjectStore`], for every store including `dyn ObjectStore`.
#[async_trait]
pub trait ObjectStoreExt: ObjectStore {
    /// Unconditional put without metadata.
    async fn put(&self, key: &ObjectKey, body: Bytes) -> Result<PutResult> {
        self.put_opts(key, body, PutOptions::default()).await
    }

    /// Serialises `value` as pretty JSON with a trailing newline and stores
    /// it as `application/json`.
    async fn put_json<T: Serialize + Sync + ?Sized>(
        &self,
        key: &ObjectKey,
        value: &T,
        mode: PutMode,
    ) -> Result<PutResult> {
        let mut body = serde_json::to_vec_pretty(value).map_err(|e| Error::Corrupt {
            location: key.to_string(),
            reason: format!("could not serialise JSON: {e}"),
        })?;
        body.push(b'\n');
        let opts = PutOptions::content_type("application/json").with_mode(mode);
        self.put_opts(key, Bytes::from(body), opts).await
    }

    /// Reads and parses a JSON object; `None` when missing. Unparsable JSON
    /// is [`Error::Corrupt`], never treated as missing.
    async fn get_json<T: DeserializeOwned>(
        &self,
        key: &ObjectKey,
    ) -> Result<Option<(T, ObjectMeta)>> {
        let Some(got) = self.get_opt(key).await? else {
            return Ok(None);
        };
        let value = serde_json::from_slice(&got.body).map_err(|e| Error::Corrupt {
            location: key.to_string(),
            reason: format!("invalid JSON: {e}"),
        })?;
        Ok(Some((value, got.meta)))
    }

    /// Like [`ObjectStore::get`] but `None` when missing.
    async fn get_opt(&self, key: &ObjectKey) -> Result<Option<GetResult>> {
        match self.get(key).await {
            Ok(got) => Ok(Some(got)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Like [`ObjectStore::head`] but `None` when missing.
    async fn head_opt(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        match self.head(key).await {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether an object exists.
    async fn exists(&self, key: &ObjectKey) -> Result<bool> {
        Ok(self.head_opt(key).await?.is_some())
    }

    /// The whole listing, collected.
    async fn list_all(&self, prefix: &str) -> Result<Vec<ListEntry>> {
        self.list(prefix).try_collect().await
    }

    /// Just the keys of the listing, collected.
    async fn list_keys(&self, prefix: &str) -> Result<Vec<ObjectKey>> {
        self.list(prefix).map_ok(|e| e.key).try_collect().await
    }

    /// Deletes every object under `prefix`; returns how many were deleted.
    async fn delete_prefix(&self, prefix: &str) -> Result<usize> {
        let keys = self.list_keys(prefix).await?;
        let n = keys.len();
        futures::stream::iter(keys)
            .map(|k| async move { self.delete(&k).await })
            .buffer_unordered(8)
            .try_collect::<()>()
            .await?;
        Ok(n)
    }
}

impl<T: ObjectStore + ?Sized> ObjectStoreExt for T {}

#[async_trait]
impl<T: ObjectStore + ?Sized> ObjectStore for std::sync::Arc<T> {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        (**self).put_opts(key, body, opts).await
    }
    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        (**self).get(key).await
    }
    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        (**self).head(key).await
    }
    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        (**self).delete(key).await
    }
    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        (**self).list(prefix)
    }
    fn location(&self, key: &ObjectKey) -> String {
        (**self).location(key)
    }
}

#[async_trait]
impl<T: ObjectStore + ?Sized> ObjectStore for Box<T> {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        (**self).put_opts(key, body, opts).await
    }
    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        (**self).get(key).await
    }
    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        (**self).head(key).await
    }
    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        (**self).delete(key).await
    }
    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        (**self).list(prefix)
    }
    fn location(&self, key: &ObjectKey) -> String {
        (**self).location(key)
    }
}

/// A stream that yields one error; for invalid list prefixes.
pub(crate) fn error_stream(err: Error) -> BoxStream<'static, Result<ListEntry>> {
    futures::stream::once(async move { Err(err) }).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_follows_s3_rules() {
        let ok = PutOptions::content_type("application/json")
            .with_metadata("issue-id", "10001")
            .with_metadata("content-sha256", "ab12");
        ok.validate().unwrap();
        for (name, value) in [
            ("Issue-Id", "1"),
            ("issue_id", "1"),
            ("", "1"),
            ("x", "caf\u{e9}"),
            ("x", "a\nb"),
        ] {
            let bad = PutOptions::default().with_metadata(name, value);
            assert!(bad.validate().is_err(), "{name:?}={value:?}");
        }
        let big = PutOptions::default().with_metadata("x", "v".repeat(2100));
        assert!(big.validate().is_err());
    }
}
