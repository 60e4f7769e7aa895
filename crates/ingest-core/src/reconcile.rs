//! Reconcile: an id census over the scope, diffed against the index.
//!
//! No Jira endpoint lists deleted issues, so the only way to notice a
//! deletion is to enumerate every id in scope and compare. Losing
//! permission looks exactly like deletion, hence the guards: a share limit
//! on deletions and a check that no whole project vanished.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use normalize::IssueKey;
use tokio::time::Instant;

use crate::{
    Engine, Error, Result, RunOptions, RunSummary,
    engine::{epoch_ms, new_run_id},
    manifest::Manifest,
    state::{IdIndex, object_key},
    sync::hydrate,
    window::census_jql,
    writer::{self, WriteContext, delete_line},
};

impl Engine {
    /// Deletes the normalized documents of issues that are no longer in
    /// Jira (or no longer visible), and moves documents of issues whose key
    /// changed. Refuses mass deletions unless `opts.force`.
    ///
    /// # Errors
    ///
    /// [`Error::MassDeleteRefused`] when the guard trips, [`Error::Busy`],
    /// Jira and storage failures.
    #[tracing::instrument(skip_all, fields(site = %self.config.site_url))]
    pub async fn reconcile(&self, opts: RunOptions) -> Result<RunSummary> {
        let started = Instant::now();
        let now = self.now();
        let run_id = new_run_id(now);
        let (lease, guard) = self.acquire(&run_id).await?;
        let result = self.reconcile_locked(&run_id, now, &opts, started).await;
        self.release(lease, guard).await;
        result
    }

    async fn reconcile_locked(
        &self,
        run_id: &str,
        now: time::OffsetDateTime,
        opts: &RunOptions,
        started: Instant,
    ) -> Result<RunSummary> {
        self.jira.myself().await?;
        let scope = opts.jql.clone().or_else(|| self.config.jql_scope.clone());
        let jql = census_jql(scope.as_deref(), epoch_ms(now));
        let mut census: BTreeMap<String, String> = BTreeMap::new();
        let mut pages = std::pin::pin!(self.jira.search_ids(jql));
        while let Some(page) = pages.next().await {
            for issue in page?.issues {
                census.insert(issue.id, issue.key);
            }
        }
        let mut index = IdIndex::load(self.store.as_ref()).await?;
        let mut summary = RunSummary::new(run_id);
        summary.issues_seen = census.len() as u64;

        let gone: Vec<String> = index
            .iter()
            .filter(|(id, _)| !census.contains_key(*id))
            .map(|(id, _)| id.clone())
            .collect();
        let moved: Vec<String> = index
            .iter()
            .filter(|(id, e)| {
                census
                    .get(*id)
                    .is_some_and(|k| !k.is_empty() && *k != e.key)
            })
            .map(|(id, _)| id.clone())
            .collect();

        if !gone.is_empty() && !opts.force {
            self.check_guard(&index, &census, gone.len())?;
        }

        let mut manifest = Manifest::new(run_id);
        for id in &gone {
            let Some(entry) = index.get(id).cloned() else {
                continue;
            };
            if let Ok(key) = IssueKey::parse(&entry.key) {
                self.store
                    .delete(&object_key(&normalize::normalized_object_key(&key))?)
                    .await?;
            }
            tracing::info!(issue.id = %id, issue.key = %entry.key, "issue gone from jira; document deleted");
            manifest.push(&delete_line(id, &entry));
            index.remove(id);
            summary.deleted += 1;
        }

        // Moved issues are fetched again and written under their new key,
        // which removes the old key's document.
        if !moved.is_empty() {
            let catalogue = std::sync::Arc::new(self.load_fields().await?);
            // The same read as the sync's: changelog expanded, truncated
            // comment and changelog lists completed.
            let hydrated = hydrate(self.jira.clone(), moved, self.config.concurrency).await?;
            let options = std::sync::Arc::new(self.normalize_options());
            let cpu = writer::cpu_slots();
            let cx = WriteContext {
                store: self.store.as_ref(),
                catalogue: &catalogue,
                options: &options,
                site_url: &self.config.site_url,
                fetched_at: now,
                cpu: &cpu,
            };
            for h in hydrated {
                let prior = index.get(&h.issue.id).cloned();
                let outcome = writer::write_issue(&cx, h, prior).await?;
                writer::apply(outcome, &mut index, &mut manifest, &mut summary);
            }
        }

        manifest.save(self.store.as_ref()).await?;
        index.save(self.store.as_ref()).await?;
        if !manifest.is_empty() {
            summary.manifest_key = Some(manifest.key().to_owned());
        }
        summary.cursor = self.cursor_text().await?;
        summary.requests = self.jira.stats().total_requests();
        summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(summary)
    }

    /// Refuses deletions that look like lost permissions.
    fn check_guard(
        &self,
        index: &IdIndex,
        census: &BTreeMap<String, String>,
        would_delete: usize,
    ) -> Result<()> {
        let indexed = index.len();
        let share = would_delete as f64 / indexed.max(1) as f64;
        let limit = self.config.max_delete_share;
        let project = |key: &str| key.split('-').next().unwrap_or_default().to_owned();
        // Without keys the census cannot tell projects apart; the share
        // limit alone applies then.
        let vanished: Vec<String> = if census.values().any(String::is_empty) {
            Vec::new()
        } else {
            let visible: BTreeSet<String> = census.values().map(|k| project(k)).collect();
            let stored: BTreeSet<String> = index.iter().map(|(_, e)| project(&e.key)).collect();
            stored.difference(&visible).cloned().collect()
        };
        if share <= limit && vanished.is_empty() {
            return Ok(());
        }
        let reason = if vanished.is_empty() {
            "more issues than the limit look deleted".to_owned()
        } else {
            format!(
                "no issue of project(s) {} is visible any more",
                vanished.join(", ")
            )
        };
        Err(Error::MassDeleteRefused {
            would_delete,
            indexed,
            share: share * 100.0,
            limit: limit * 100.0,
            reason,
        })
    }
}
