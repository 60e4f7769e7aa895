//! Reconcile: an id census over the scope, diffed against the index.
//!
//! No Jira endpoint lists deleted issues, so the only way to notice a
//! deletion is to enumerate every id in scope and compare. Losing
//! permission looks exactly like deletion, hence the guards: a share limit
//! on deletions and a check that no whole project vanished.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt, stream};
use jira_client::{Deployment, IssueRef, RawIssue, SearchRequest};
use normalize::IssueKey;
use tokio::time::Instant;

use crate::{
    Engine, Error, Result, RunOptions, RunSummary,
    engine::{epoch_ms, new_run_id},
    manifest::Manifest,
    state::{IdIndex, object_key},
    sync::hydrate,
    window::{census_from_jql, census_jql, in_scope_jql},
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
        let mut census = self.census(scope.as_deref(), epoch_ms(now)).await?;
        let mut index = IdIndex::load(self.store.as_ref()).await?;
        let mut summary = RunSummary::new(run_id);

        let missing: Vec<String> = index
            .iter()
            .filter(|(id, _)| !census.contains_key(*id))
            .map(|(id, _)| id.clone())
            .collect();
        // Paged enumeration can miss an issue that exists: pages are
        // positions in a result Jira re-evaluates, so an issue deleted or
        // moved mid-census shifts its neighbours (and Data Center's
        // `startAt` pages may repeat or skip issues that tie on the sort).
        // Each apparent deletion is therefore checked on its own first (on
        // Cloud 1000 per request; Data Center has no bulk read, so a site
        // that lost its permissions costs one read per issue before the
        // guard refuses).
        for found in self
            .still_in_scope(&missing, scope.as_deref(), epoch_ms(now))
            .await?
        {
            tracing::info!(issue.id = %found.id, issue.key = %found.key, "the census missed an issue that exists; kept");
            census.insert(found.id, found.key);
        }
        summary.issues_seen = census.len() as u64;
        let gone: Vec<String> = missing
            .into_iter()
            .filter(|id| !census.contains_key(id))
            .collect();
        if !gone.is_empty() && !opts.force {
            self.check_guard(&index, &census, gone.len())?;
        }
        let moved: Vec<String> = index
            .iter()
            .filter(|(id, e)| {
                census
                    .get(*id)
                    .is_some_and(|k| !k.is_empty() && *k != e.key)
            })
            .map(|(id, _)| id.clone())
            .collect();

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

    /// Every issue in scope, id to key.
    ///
    /// Cloud: the id-only search in pages of up to 5000. Data Center: keyset
    /// pages on `created`, a fresh query from the last page's newest
    /// `created` each time, because a `startAt` beyond the search
    /// platform's result window (10,000 on Data Center 10) is a 500; the
    /// `startAt` of one query is followed only while a page does not move
    /// the bound (more issues created in one millisecond than a page holds).
    async fn census(&self, scope: Option<&str>, now_ms: i64) -> Result<BTreeMap<String, String>> {
        let mut census = BTreeMap::new();
        if self.jira.deployment() == Deployment::Cloud {
            let mut pages = std::pin::pin!(self.jira.search_ids(census_jql(scope, now_ms)));
            while let Some(page) = pages.next().await {
                census.extend(page?.issues.into_iter().map(|i| (i.id, i.key)));
            }
            return Ok(census);
        }
        let mut from_ms: Option<i64> = None;
        'query: loop {
            let request =
                SearchRequest::new(census_from_jql(scope, now_ms, from_ms), ["key", "created"])
                    .max_results(1000);
            let mut pages = std::pin::pin!(self.jira.search(request));
            while let Some(page) = pages.next().await {
                let page = page?;
                let last = page.next_page_token.is_none();
                let mut newest = from_ms;
                for issue in page.issues {
                    newest = newest.max(created_ms(&issue));
                    census.insert(issue.id, issue.key);
                }
                if last {
                    break 'query;
                }
                if newest > from_ms {
                    // Issues at `newest` are read again by the next query;
                    // the census is a map, so that costs nothing.
                    from_ms = newest;
                    continue 'query;
                }
            }
            break;
        }
        Ok(census)
    }

    /// Which of `ids` Jira still has inside the scope, with their current
    /// keys. Cloud reads them with bulk fetch (1000 per request), Data
    /// Center one by one; those found are then matched against the scope's
    /// JQL, since an issue can exist but have left the scope. An issue
    /// Jira failed to return for a retriable reason counts as still there
    /// (with no key): a deletion must be certain.
    async fn still_in_scope(
        &self,
        ids: &[String],
        scope: Option<&str>,
        now_ms: i64,
    ) -> Result<Vec<IssueRef>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut unsure = Vec::new();
        let existing: Vec<IssueRef> = if self.jira.deployment() == Deployment::Cloud {
            let fetched = self
                .jira
                .bulk_fetch(ids, &["updated".to_owned()], &[])
                .await?;
            unsure.extend(
                fetched
                    .errors
                    .into_iter()
                    .filter(|e| !e.is_not_found())
                    .map(|e| IssueRef {
                        id: e.id,
                        key: String::new(),
                    }),
            );
            fetched
                .issues
                .into_iter()
                .map(|i| IssueRef {
                    id: i.id,
                    key: i.key,
                })
                .collect()
        } else {
            // Owned ids: a closure over borrowed ones makes the future
            // fail the `Send` check the Lambda runtime needs.
            stream::iter(ids.to_vec())
                .map(|id| async move { self.jira.issue_ref(&id).await })
                .buffered(self.config.concurrency.max(1))
                .try_filter_map(|found| async move { Ok(found) })
                .try_collect()
                .await?
        };
        let mut in_scope = unsure;
        for chunk in existing.chunks(100) {
            let mut wanted: BTreeMap<&str, &IssueRef> =
                chunk.iter().map(|r| (r.id.as_str(), r)).collect();
            // Pages after the first are positions in a result Jira
            // re-evaluates, so an issue can slip past when another leaves
            // the result mid-query, just as in the census. The ones not
            // returned are asked for again until a query returns none of
            // them: that query is one empty page, which cannot shift.
            while !wanted.is_empty() {
                let list: Vec<&str> = wanted.keys().copied().collect();
                let jql = in_scope_jql(scope, now_ms, &list);
                let mut pages = std::pin::pin!(self.jira.search_ids(jql));
                let mut found = false;
                while let Some(page) = pages.next().await {
                    for issue in page?.issues {
                        if let Some(r) = wanted.remove(issue.id.as_str()) {
                            in_scope.push(r.clone());
                            found = true;
                        }
                    }
                }
                if !found {
                    break;
                }
            }
        }
        Ok(in_scope)
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

/// `fields.created` of a census page's issue, in epoch milliseconds
/// (`None` if unreadable: the issue still counts, it just cannot move the
/// keyset bound).
fn created_ms(issue: &RawIssue) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Wire {
        fields: Fields,
    }
    #[derive(serde::Deserialize)]
    struct Fields {
        created: String,
    }
    let wire: Wire = serde_json::from_str(issue.raw().get()).ok()?;
    normalize::parse_jira_timestamp(&wire.fields.created)
        .ok()
        .map(epoch_ms)
}
