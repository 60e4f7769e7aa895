//! Where the sync keeps its state: object storage, the cursor and secrets,
//! each behind a small object-safe trait with in-memory, local filesystem and
//! AWS (S3 with SSE-KMS, SSM Parameter Store, Secrets Manager) backends.
//!
//! - [`ObjectStore`] (+ [`ObjectStoreExt`]): put with content type, metadata
//!   and conditional modes ([`PutMode::Create`], [`PutMode::Update`] for
//!   compare-and-swap), get, head, idempotent delete, paged list.
//!   Backends: [`InMemory`], [`LocalFileSystem`], `S3Store` (feature `aws`).
//!   Decorators: [`Prefixed`], [`FaultyStore`].
//! - [`CursorStore`]: the sync cursor with compare-and-swap that never moves
//!   backwards. Backends: [`ObjectCursorStore`] (any object store: local
//!   file, S3 object, memory), `SsmCursorStore` (feature `aws`).
//! - [`SecretStore`]: the OAuth bundle. Backends: [`FileSecretStore`],
//!   [`EnvSecretStore`] (read-only), `SecretsManagerStore` (feature `aws`);
//!   [`SecretStoreSink`] plugs any of them into `jira-client` as its
//!   refresh-token sink.
//! - [`Lease`]: one run at a time, over any object store.
//!
//! The AWS backends sit behind the `aws` cargo feature so that crates which
//! must not depend on AWS (ingest-core) can use the traits.
//!
//! ```
//! # async fn demo() -> state_store::Result<()> {
//! use std::sync::Arc;
//! use state_store::{InMemory, ObjectKey, ObjectStore, ObjectStoreExt, PutMode, Cursor, CursorStore, ObjectCursorStore};
//!
//! let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
//! let key = ObjectKey::new("normalized/jira/ENG-1.json")?;
//! store.put_json(&key, &serde_json::json!({"key": "ENG-1"}), PutMode::Create).await?;
//! assert!(store.exists(&key).await?);
//!
//! let cursors = ObjectCursorStore::new(Arc::clone(&store));
//! let v1 = cursors.compare_and_swap(None, &Cursor::new(1_000, "run-1")).await?;
//! cursors.compare_and_swap(Some(&v1), &Cursor::new(2_000, "run-2")).await?;
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
//! ```

mod cursor;
mod error;
mod fault;
mod key;
mod lease;
mod local;
mod memory;
mod object;
mod prefix;
mod secret;

#[cfg(feature = "aws")]
pub mod aws;

pub use cursor::{
    CURSOR_FORMAT_VERSION, Cursor, CursorStore, CursorVersion, DEFAULT_CURSOR_KEY,
    ObjectCursorStore,
};
pub use error::{BoxError, Error, Result};
pub use fault::{FaultTiming, FaultyStore};
pub use key::{ObjectKey, validate_prefix};
pub use lease::{DEFAULT_LEASE_KEY, Lease, LeaseGuard, LeaseInfo};
pub use local::LocalFileSystem;
pub use memory::InMemory;
pub use object::{
    GetResult, ListEntry, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutResult,
};
pub use prefix::Prefixed;
pub use secret::{EnvSecretStore, FileSecretStore, OAuthBundle, SecretStore, SecretStoreSink};
