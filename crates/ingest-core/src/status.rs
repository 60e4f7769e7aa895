//! `status`: what is stored, without calling Jira.

use serde::Serialize;
use state_store::ObjectStoreExt;

use crate::{
    Engine, Result, RunSummary,
    engine::cursor_text,
    state::{Checkpoint, IdIndex, LAST_RUN_KEY, object_key},
};

/// The state of a corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Where the cursor lives.
    pub cursor_location: String,
    /// The cursor (upper bound of the last complete window), RFC 3339.
    pub cursor: Option<String>,
    /// An unfinished window, if a run stopped early.
    pub checkpoint: Option<Checkpoint>,
    /// Issues with a stored document.
    pub issues: usize,
    /// Stored documents per project key, in key order.
    pub projects: std::collections::BTreeMap<String, usize>,
    /// The last run's summary.
    pub last_run: Option<RunSummary>,
    /// Who holds the run lease now, if anyone.
    pub lease_holder: Option<String>,
}

impl Engine {
    /// Reads the cursor, checkpoint, index and last run summary.
    ///
    /// # Errors
    ///
    /// Storage failures and corrupt state.
    pub async fn status(&self) -> Result<Status> {
        let cursor = self.cursor.load().await?;
        let index = IdIndex::load(self.store.as_ref()).await?;
        let mut projects = std::collections::BTreeMap::new();
        for (_, entry) in index.iter() {
            let project = entry.key.split('-').next().unwrap_or_default().to_owned();
            *projects.entry(project).or_insert(0) += 1;
        }
        let last_run = self
            .store
            .get_opt(&object_key(LAST_RUN_KEY)?)
            .await?
            .and_then(|got| serde_json::from_slice(&got.body).ok());
        let lease_holder = self.lease()?.current().await?.and_then(|info| {
            (info.expires_at > self.now() && !info.released).then_some(info.owner)
        });
        Ok(Status {
            cursor_location: self.cursor.location(),
            cursor: cursor.map(|(c, _)| cursor_text(&c)),
            checkpoint: Checkpoint::load(self.store.as_ref()).await?,
            issues: index.len(),
            projects,
            last_run,
            lease_holder,
        })
    }
}
