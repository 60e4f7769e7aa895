//! The incremental sync engine: fixes a window, enumerates and hydrates
//! issues from Jira, writes raw and normalized objects and the run manifest,
//! and advances the cursor only once everything in the window is durable.
//!
//! It knows nothing of AWS, the command line or Lambda: storage comes in
//! through the `state-store` traits (memory, filesystem, S3/SSM), Jira
//! through `jira-client`.
//!
//! # Guarantees
//!
//! - **No silent loss.** Windows are bounded in epoch milliseconds (never
//!   time-zone-dependent date literals), frozen for the run, end
//!   `index_lag` before the run started, and overlap the previous one. The
//!   cursor moves only after every issue of the window is written; an
//!   interrupted window resumes from a checkpoint on `updated`, inclusive.
//! - **Downstream never misses a change.** The manifest is persisted before
//!   the id index, so a change that reached storage but not a manifest is
//!   reported again by the next run.
//! - **Idempotent.** Raw versions are written once (create-only puts);
//!   documents only when their bytes change; reruns write nothing.
//! - **One run at a time.** A lease in the same storage refuses a second
//!   run; it expires by itself if a run is killed.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ingest_core::{Engine, RunOptions, SyncConfig};
//! use jira_client::{Auth, JiraClient, Secret};
//! use state_store::{LocalFileSystem, ObjectCursorStore};
//!
//! let site = "https://tenant.atlassian.net";
//! let jira = JiraClient::builder(site)
//!     .auth(Auth::Basic { email: "me@example.com".into(), api_token: Secret::new("token") })
//!     .build()?;
//! let store = Arc::new(LocalFileSystem::new("./jira-data")?);
//! let cursor = Arc::new(ObjectCursorStore::new(store.clone()));
//! let engine = Engine::new(jira, store, cursor, SyncConfig::new(site));
//! let summary = engine.sync(RunOptions::default()).await?;
//! println!("{} written, {} unchanged", summary.written, summary.unchanged);
//! # Ok(()) }
//! ```

mod config;
mod engine;
mod error;
mod manifest;
mod reconcile;
mod renormalize;
mod state;
mod status;
mod summary;
mod sync;
mod window;
mod writer;

pub use config::{RunOptions, SyncConfig};
pub use engine::{Clock, Engine};
pub use error::{Error, Result};
pub use manifest::{ManifestLine, Op};
pub use state::{Checkpoint, IndexEntry, Sha256Hex};
pub use status::Status;
pub use summary::{RunStatus, RunSummary};
pub use window::Window;

/// Object keys of the engine's state, for tools and tests.
pub mod layout {
    pub use crate::state::{CHECKPOINT_KEY, FIELDS_KEY, INDEX_KEY, LAST_RUN_KEY, LEASE_KEY};
}
