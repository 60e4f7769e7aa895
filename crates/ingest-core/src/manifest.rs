//! The per-run change manifest, `manifests/jira/runs/<RUN_ID>.jsonl`: one
//! line per change, so embedding stages work only on what changed.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use state_store::{ObjectStore, PutOptions};

use crate::{Result, state::object_key};

/// Whether a document appeared/changed or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// The normalized document was written.
    Upsert,
    /// The normalized document was deleted.
    Delete,
}

/// One manifest line (contracts §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestLine {
    /// What happened.
    pub op: Op,
    /// The issue id.
    pub id: String,
    /// The issue key the document is (or was) stored under.
    pub key: String,
    /// `fields.updated` of the version, RFC 3339 UTC (`null` when unknown).
    pub updated: Option<String>,
    /// The object key of the normalized document.
    pub normalized_key: String,
    /// The document's `content_sha256` (`null` for deletes).
    pub content_sha256: Option<String>,
}

/// The manifest of one run, kept in memory and rewritten whole at each
/// checkpoint so a partial or failed run still leaves one.
/// The run's manifest, kept as the JSON lines it is stored as: a 100,000
/// issue backfill holds 20 MB of text rather than twice that in structs.
#[derive(Debug)]
pub(crate) struct Manifest {
    key: String,
    body: Vec<u8>,
    lines: usize,
    saved: usize,
}

impl Manifest {
    /// The manifest of `run_id`.
    pub(crate) fn new(run_id: &str) -> Self {
        Manifest {
            key: format!("manifests/jira/runs/{run_id}.jsonl"),
            body: Vec::new(),
            lines: 0,
            saved: 0,
        }
    }

    /// Its object key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Records a change.
    pub(crate) fn push(&mut self, line: &ManifestLine) {
        // Writing plain strings and numbers into a Vec cannot fail.
        if serde_json::to_writer(&mut self.body, line).is_ok() {
            self.body.push(b'\n');
            self.lines += 1;
        }
    }

    /// Whether the run changed nothing so far.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// Writes the manifest when it has lines that are not stored yet. A run
    /// without changes writes no manifest.
    pub(crate) async fn save(&mut self, store: &dyn ObjectStore) -> Result<()> {
        if self.lines == self.saved {
            return Ok(());
        }
        let key = object_key(&self.key)?;
        // Lent to the store without a copy, and taken back once it is done
        // with it (then the only owner, so the Vec is reused as it is).
        let body = Bytes::from(std::mem::take(&mut self.body));
        let put = store
            .put_opts(
                &key,
                body.clone(),
                PutOptions::content_type("application/x-ndjson"),
            )
            .await;
        self.body = Vec::from(body);
        put?;
        self.saved = self.lines;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_contract_shape() {
        let line = ManifestLine {
            op: Op::Upsert,
            id: "10001".into(),
            key: "ENG-1".into(),
            updated: Some("2026-11-29T01:45:02.123Z".into()),
            normalized_key: "normalized/jira/ENG-1.json".into(),
            content_sha256: Some("ab".into()),
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"op":"upsert","id":"10001","key":"ENG-1","updated":"2026-11-29T01:45:02.123Z","normalized_key":"normalized/jira/ENG-1.json","content_sha256":"ab"}"#
        );
    }
}
