//! The incremental sync.
//!
//! 1. Take the lease, load the cursor, check identity (`myself`), load the
//!    field catalogue.
//! 2. Freeze the window: resume an unfinished checkpointed window, or
//!    `cursor - overlap` (or `now - backfill_days`, or `since`) up to
//!    `run_start - index_lag`, in epoch ms.
//! 3. Enumerate ids with large id-only pages and hydrate them with bulk
//!    fetch (changelog expanded), batches in flight concurrently; complete
//!    truncated comments (paged endpoint) and changelogs (one changelog
//!    bulk fetch per batch).
//! 4. Write raw, normalized, index and manifest; persist progress
//!    (manifest, then index, then checkpoint) at intervals.
//! 5. Move the cursor to the window's upper bound only when the whole window
//!    is written.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::{StreamExt, TryStreamExt, stream, stream::BoxStream};
use jira_client::{
    BulkChangelogs, Deployment, ErrorKind, JiraClient, RawIssue, RawIssueChangelogs, SearchRequest,
};
use normalize::FieldCatalogue;
use serde_json::value::RawValue;
use state_store::{Cursor, CursorVersion, LeaseGuard, ObjectStoreExt};
use tokio::time::Instant;

use crate::{
    Engine, Error, Result, RunOptions, RunStatus, RunSummary,
    engine::{cursor_text, duration_ms, epoch_ms, from_epoch_ms, new_run_id},
    manifest::Manifest,
    state::{Checkpoint, FIELDS_KEY, IdIndex, LAST_RUN_KEY, object_key},
    window::Window,
    writer::{self, Hydrated, Outcome, WriteContext},
};

/// Issues per bulk-fetch call when comments and attachments are requested
/// and the changelog is expanded (either caps the batch at 100).
const HYDRATE_BATCH: usize = 100;
/// Full issues asked per Data Center search page (its default is 50).
const DC_PAGE: u32 = 100;
/// Whether this process has said that `changelog/bulkfetch` is missing
/// (once is enough: every batch would say it again).
static CHANGELOG_FALLBACK_LOGGED: AtomicBool = AtomicBool::new(false);

/// The complete changelogs of a batch's truncated issues: from
/// `changelog/bulkfetch`, or paged issue by issue where a site lacks it.
enum Changelogs {
    Bulk(BulkChangelogs),
    PerIssue(HashMap<String, Vec<Box<RawValue>>>),
}

/// One entry of a window page.
enum Item {
    /// An id to hydrate (Cloud).
    Id(String),
    /// A full issue (Data Center search).
    Issue(RawIssue),
}

impl Item {
    fn id(&self) -> &str {
        match self {
            Item::Id(id) => id,
            Item::Issue(issue) => &issue.id,
        }
    }
}

/// How a window read ended without an error.
enum Ending {
    Finished,
    Stopped {
        reason: String,
        retry_after: Option<Duration>,
    },
}

/// Mutable state of one run.
struct Run<'a> {
    checkpoint: Checkpoint,
    index: IdIndex,
    manifest: Manifest,
    summary: RunSummary,
    catalogue: Arc<FieldCatalogue>,
    deadline: Option<Instant>,
    last_persist: Instant,
    lease: &'a state_store::Lease,
    guard: &'a mut LeaseGuard,
}

impl Engine {
    /// Runs one incremental sync.
    ///
    /// Returns a complete or partial summary; a partial run (deadline,
    /// exhausted quota, burst limits that outlasted the retries) has
    /// checkpointed its progress and the next run continues from it.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] when another run holds the lease, Jira failures such as
    /// bad credentials (`myself` is checked first, so broken auth is never
    /// reported as zero issues), and storage failures. Whatever was written
    /// before a failure stays recorded in the manifest and index.
    #[tracing::instrument(skip_all, fields(site = %self.config.site_url))]
    pub async fn sync(&self, opts: RunOptions) -> Result<RunSummary> {
        let started = Instant::now();
        let run_start = self.now();
        let run_id = new_run_id(run_start);
        let (lease, mut guard) = self.acquire(&run_id).await?;
        let result = self
            .sync_locked(&run_id, run_start, &opts, &lease, &mut guard, started)
            .await;
        self.release(lease, guard).await;
        result
    }

    async fn sync_locked(
        &self,
        run_id: &str,
        run_start: time::OffsetDateTime,
        opts: &RunOptions,
        lease: &state_store::Lease,
        guard: &mut LeaseGuard,
        started: Instant,
    ) -> Result<RunSummary> {
        let stored = self.cursor.load().await?;
        let me = self.jira.myself().await?;
        let account = me
            .account_id
            .as_deref()
            .or(me.name.as_deref())
            .unwrap_or("?");
        tracing::info!(%account, time_zone = ?me.time_zone, "identity checked");
        let catalogue = self.load_fields().await?;

        let scope = opts
            .jql
            .clone()
            .or_else(|| self.config.jql_scope.clone())
            .filter(|s| !s.trim().is_empty());
        let resumable = !opts.full_resync && opts.since.is_none();
        let checkpoint = match Checkpoint::load(self.store.as_ref()).await? {
            Some(cp) if resumable && cp.scope == scope => {
                tracing::info!(from_run = %cp.run_id, "resuming a checkpointed window");
                cp
            }
            _ => {
                let upper_ms = epoch_ms(run_start) - duration_ms(self.config.index_lag);
                let lower_ms = if opts.full_resync {
                    None
                } else if let Some(since) = opts.since {
                    Some(epoch_ms(since))
                } else if let Some((cursor, _)) = &stored {
                    Some(cursor.last_sync_ms - duration_ms(self.config.overlap))
                } else {
                    let days = i64::from(self.config.backfill_days);
                    Some(upper_ms - days * 86_400_000)
                };
                Checkpoint::new(run_id, Window { lower_ms, upper_ms }, scope.clone())
            }
        };

        let mut summary = RunSummary::new(run_id);
        summary.window_lower_ms = checkpoint.window.lower_ms;
        summary.window_upper_ms = Some(checkpoint.window.upper_ms);
        let mut run = Run {
            index: IdIndex::load(self.store.as_ref()).await?,
            manifest: Manifest::new(run_id),
            summary,
            catalogue: Arc::new(catalogue),
            deadline: opts.deadline,
            last_persist: Instant::now(),
            checkpoint,
            lease,
            guard,
        };

        let ending = self.read_window(&mut run).await;
        let ending = match ending {
            Ok(e) => Ok(e),
            Err(Error::Jira(e)) if e.kind() == ErrorKind::QuotaExhausted => Ok(Ending::Stopped {
                reason: format!(
                    "jira's hourly rate-limit quota is exhausted; progress is checkpointed and the \
                     next run continues{}",
                    e.retry_after()
                        .map(|d| format!(" (retry after {} s)", d.as_secs()))
                        .unwrap_or_default()
                ),
                retry_after: e.retry_after(),
            }),
            Err(Error::Jira(e)) if e.kind() == ErrorKind::RateLimited => Ok(Ending::Stopped {
                reason: format!("jira kept rate-limiting requests ({e}); progress is checkpointed"),
                retry_after: e.retry_after(),
            }),
            Err(e) => Err(e),
        };

        // Whatever happened, record what was written: manifest first, then
        // the index (see `state`), then the checkpoint or the cursor.
        self.persist(&mut run).await?;
        let ending = ending.map_err(|e| {
            tracing::error!(error = %e, "sync failed; progress so far is recorded");
            e
        });
        let mut summary = std::mem::replace(&mut run.summary, RunSummary::new(run_id));
        match ending {
            Ok(Ending::Finished) => {
                let cursor_ms = self
                    .advance_cursor(run_id, &stored, run.checkpoint.window.upper_ms)
                    .await?;
                Checkpoint::clear(self.store.as_ref()).await?;
                summary.cursor = Some(normalize::format_rfc3339_utc(from_epoch_ms(cursor_ms)));
            }
            Ok(Ending::Stopped {
                reason,
                retry_after,
            }) => {
                tracing::warn!(%reason, "stopping early");
                summary.status = RunStatus::Partial;
                summary.reason = Some(reason);
                summary.retry_after_seconds = retry_after.map(|d| d.as_secs());
                summary.cursor = stored.as_ref().map(|(c, _)| cursor_text(c));
            }
            Err(e) => return Err(e),
        }
        if !run.manifest.is_empty() {
            summary.manifest_key = Some(run.manifest.key().to_owned());
        }
        let stats = self.jira.stats();
        summary.requests = stats.total_requests();
        summary.rate_limit_wait_ms =
            u64::try_from(stats.rate_limit_wait.as_millis()).unwrap_or(u64::MAX);
        summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.store
            .put_json(
                &object_key(LAST_RUN_KEY)?,
                &summary,
                state_store::PutMode::Overwrite,
            )
            .await?;
        tracing::info!(
            status = ?summary.status,
            issues_seen = summary.issues_seen,
            written = summary.written,
            unchanged = summary.unchanged,
            deleted = summary.deleted,
            requests = summary.requests,
            "sync finished"
        );
        Ok(summary)
    }

    /// Reads the field catalogue and keeps a copy for `renormalize`.
    pub(crate) async fn load_fields(&self) -> Result<FieldCatalogue> {
        let fields = self.jira.fields().await?;
        let value: serde_json::Value = serde_json::from_str(fields.raw.get())
            .map_err(|e| Error::Internal(format!("field catalogue is not JSON: {e}")))?;
        let catalogue = FieldCatalogue::from_json(&value)
            .map_err(|e| Error::Internal(format!("field catalogue: {e}")))?;
        self.store
            .put_opts(
                &object_key(FIELDS_KEY)?,
                bytes::Bytes::from(fields.raw.get().to_owned()),
                state_store::PutOptions::content_type("application/json"),
            )
            .await?;
        Ok(catalogue)
    }

    async fn advance_cursor(
        &self,
        run_id: &str,
        stored: &Option<(Cursor, CursorVersion)>,
        upper_ms: i64,
    ) -> Result<i64> {
        if let Some((cursor, _)) = stored
            && cursor.last_sync_ms >= upper_ms
        {
            // A window that ends before the stored cursor (a `since` run,
            // or a resumed older window) never moves the cursor back.
            return Ok(cursor.last_sync_ms);
        }
        let expected = stored.as_ref().map(|(_, v)| v);
        match self
            .cursor
            .compare_and_swap(expected, &Cursor::new(upper_ms, run_id))
            .await
        {
            Ok(_) => Ok(upper_ms),
            Err(state_store::Error::CursorBackwards { stored_ms, .. }) => Ok(stored_ms),
            Err(e) => Err(e.into()),
        }
    }

    /// Manifest, then index, then checkpoint; renews the lease.
    async fn persist(&self, run: &mut Run<'_>) -> Result<()> {
        run.manifest.save(self.store.as_ref()).await?;
        run.index.save(self.store.as_ref()).await?;
        run.checkpoint.save(self.store.as_ref()).await?;
        run.lease
            .renew(run.guard, self.config.lease_ttl)
            .await
            .map_err(Error::from)?;
        run.last_persist = Instant::now();
        Ok(())
    }

    fn out_of_time(&self, run: &Run<'_>) -> bool {
        run.deadline
            .is_some_and(|d| Instant::now() + self.config.finish_margin >= d)
    }

    /// Reads the rest of the window with keyset paging on `updated`.
    ///
    /// After each page, the next query starts again at the largest
    /// `updated` written so far (inclusive, skipping the ids already done
    /// at exactly that millisecond) instead of following `nextPageToken`.
    /// A token pages by position in a result that Jira re-evaluates, so an
    /// issue edited out of the window mid-run would shift its neighbours
    /// across a page boundary and one of them would never be read; a fresh
    /// query cannot skip anything. The token is followed only when a page
    /// did not move the bound (many issues in one millisecond).
    async fn read_window(&self, run: &mut Run<'_>) -> Result<Ending> {
        let scope = run.checkpoint.scope.clone();
        let upper_ms = run.checkpoint.window.upper_ms;
        let mut lower_ms = run.checkpoint.remaining().lower_ms;
        let mut done_at_lower: BTreeSet<String> = BTreeSet::new();
        let mut pages = self.window_pages(Window { lower_ms, upper_ms }.jql(scope.as_deref()));
        loop {
            if self.out_of_time(run) {
                return Ok(time_budget_reached());
            }
            let Some(page) = pages.next().await else {
                return Ok(Ending::Finished);
            };
            let (items, last) = page?;
            let items: Vec<Item> = items
                .into_iter()
                .filter(|item| !done_at_lower.contains(item.id()))
                .collect();
            let Some(written) = self.process_page(run, items).await? else {
                return Ok(time_budget_reached());
            };
            let page_max = written.iter().map(|(_, updated)| *updated).max();
            if let Some(max) = page_max {
                let at_max = written
                    .iter()
                    .filter(|(_, u)| *u == max)
                    .map(|(id, _)| id.clone());
                if Some(max) > lower_ms {
                    lower_ms = Some(max);
                    done_at_lower = at_max.collect();
                    run.checkpoint.resume_from_ms = Some(max);
                    if run.last_persist.elapsed() >= self.config.checkpoint_interval {
                        self.persist(run).await?;
                    }
                    if !last {
                        pages =
                            self.window_pages(Window { lower_ms, upper_ms }.jql(scope.as_deref()));
                    }
                } else {
                    done_at_lower.extend(at_max);
                }
            }
            if last {
                return Ok(Ending::Finished);
            }
        }
    }

    /// Pages of one window query: ids on Cloud (hydrated by bulk fetch),
    /// full issues with their changelog on Data Center (which has no bulk
    /// fetch).
    fn window_pages(&self, jql: String) -> BoxStream<'static, Result<(Vec<Item>, bool)>> {
        tracing::debug!(%jql, "window query");
        match self.jira.deployment() {
            Deployment::Cloud => self
                .jira
                .search_ids(jql)
                .map_ok(|page| {
                    let last = page.next_page_token.is_none();
                    (
                        page.issues.into_iter().map(|r| Item::Id(r.id)).collect(),
                        last,
                    )
                })
                .map_err(Error::from)
                .boxed(),
            _ => {
                let (fields, expand) = hydrate_request();
                self.jira
                    .search(
                        SearchRequest::new(jql, fields)
                            .expand(expand)
                            .max_results(DC_PAGE),
                    )
                    .map_ok(|page| {
                        let last = page.next_page_token.is_none();
                        (page.issues.into_iter().map(Item::Issue).collect(), last)
                    })
                    .map_err(Error::from)
                    .boxed()
            }
        }
    }

    /// Hydrates and writes one page. Returns `(id, updated)` of every issue
    /// written or found current inside the window, or `None` when the time
    /// budget ran out part-way (the page is then read again next time).
    async fn process_page(
        &self,
        run: &mut Run<'_>,
        items: Vec<Item>,
    ) -> Result<Option<Vec<(String, i64)>>> {
        let mut ids = Vec::new();
        let mut issues = Vec::new();
        for item in items {
            match item {
                Item::Id(id) => ids.push(id),
                Item::Issue(issue) => issues.push(issue),
            }
        }
        let mut written = Vec::new();
        if !issues.is_empty() {
            let batch = self.complete(issues).await?;
            written.extend(self.write_batch(run, batch).await?);
        }
        let batches: Vec<Vec<String>> = ids.chunks(HYDRATE_BATCH).map(<[String]>::to_vec).collect();
        let concurrency = self.config.concurrency.max(1);
        // Each batch is fetched in a task of its own, so fetching goes on
        // while earlier batches are written (a plain future would only
        // progress when polled, i.e. between writes).
        let mut hydrated = stream::iter(batches)
            .map(|batch| tokio::spawn(hydrate(self.jira.clone(), batch, concurrency)))
            .buffered(concurrency);
        while let Some(joined) = hydrated.next().await {
            let batch =
                joined.map_err(|e| Error::Internal(format!("a bulk-fetch task failed: {e}")))??;
            written.extend(self.write_batch(run, batch).await?);
            if self.out_of_time(run) {
                return Ok(None);
            }
        }
        Ok(Some(written))
    }

    async fn complete(&self, issues: Vec<RawIssue>) -> Result<Vec<Hydrated>> {
        complete(&self.jira, issues, self.config.concurrency).await
    }

    /// Writes a batch concurrently and folds the outcomes in. Returns
    /// `(id, updated)` of the issues inside the window, for keyset paging.
    async fn write_batch(
        &self,
        run: &mut Run<'_>,
        batch: Vec<Hydrated>,
    ) -> Result<Vec<(String, i64)>> {
        let options = Arc::new(self.normalize_options());
        let cpu = writer::cpu_slots();
        let cx = WriteContext {
            store: self.store.as_ref(),
            catalogue: &run.catalogue,
            options: &options,
            site_url: &self.config.site_url,
            fetched_at: self.now(),
            cpu: &cpu,
        };
        run.summary.issues_seen += batch.len() as u64;
        let index = &run.index;
        let outcomes: Vec<Result<Outcome>> = stream::iter(batch)
            .map(|h| {
                let prior = index.get(&h.issue.id).cloned();
                writer::write_issue(&cx, h, prior)
            })
            .buffer_unordered(self.config.write_concurrency.max(1))
            .collect()
            .await;
        let upper = run.checkpoint.window.upper_ms;
        let mut in_window = Vec::new();
        let mut first_error = None;
        for outcome in outcomes {
            match outcome {
                Ok(outcome) => {
                    // Issues edited after the window froze are newer than
                    // its upper bound; the next window reads them again.
                    if let Some(u) = outcome.updated_ms().filter(|u| *u <= upper) {
                        in_window.push((outcome.id().to_owned(), u));
                    }
                    writer::apply(outcome, &mut run.index, &mut run.manifest, &mut run.summary);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            // Successful writes of this batch are applied above, so they are
            // recorded even though the batch as a whole failed.
            Some(e) => Err(e),
            None => Ok(in_window),
        }
    }
}

fn time_budget_reached() -> Ending {
    Ending::Stopped {
        reason: "time budget reached; progress is checkpointed and the next run continues".into(),
        retry_after: None,
    }
}

/// What every issue is read with: all fields, and the changelog expanded
/// (its embedded list is truncated at 20 to 40 histories and completed by
/// [`complete`]).
fn hydrate_request() -> (Vec<String>, Vec<String>) {
    (vec!["*all".to_owned()], vec!["changelog".to_owned()])
}

/// Bulk-fetches a batch with its changelog and completes truncated comment
/// and changelog lists. A free function so it can run in its own task and
/// keep fetching while the previous batch is being written; the reconcile
/// re-fetches moved issues through it too.
pub(crate) async fn hydrate(
    jira: JiraClient,
    ids: Vec<String>,
    concurrency: usize,
) -> Result<Vec<Hydrated>> {
    let (fields, expand) = hydrate_request();
    // `*all` (multi-valued fields) and the changelog expand both keep the
    // batch at 100 issues per call; `bulk_fetch` splits larger id lists.
    let fetched = jira.bulk_fetch(&ids, &fields, &expand).await?;
    let (gone, unavailable): (Vec<_>, Vec<_>) =
        fetched.errors.iter().partition(|e| e.is_not_found());
    for err in gone {
        // Deleted or hidden between enumeration and fetch: the next
        // reconcile removes them if they are gone for good.
        tracing::debug!(id = %err.id, message = %err.error_message, "bulk fetch skipped an issue");
    }
    if let Some(first) = unavailable.first() {
        // Skipping them would let the cursor pass issues never written.
        return Err(Error::IssuesUnavailable {
            count: unavailable.len(),
            ids: unavailable.iter().take(10).map(|e| e.id.clone()).collect(),
            message: first.error_message.clone(),
        });
    }
    complete(&jira, fetched.issues, concurrency).await
}

/// Completes the truncated embedded lists of a batch of issues.
///
/// Comments come from the paged comment endpoint, issue by issue (Jira has
/// no bulk comment read). Changelogs of every truncated issue of the batch
/// come together from `changelog/bulkfetch` (one call per 1000 issues plus
/// its further pages), split into per-issue entries kept byte for byte;
/// that runs alongside the comment reads. Data Center has neither
/// changelog endpoint: its search embeds the changelog, and that is kept.
pub(crate) async fn complete(
    jira: &JiraClient,
    issues: Vec<RawIssue>,
    concurrency: usize,
) -> Result<Vec<Hydrated>> {
    let truncated_changelog = |issue: &RawIssue| issue.changelog.is_some_and(|c| c.is_truncated());
    let truncated: Vec<String> = issues
        .iter()
        .filter(|i| truncated_changelog(i))
        .map(|i| i.id.clone())
        .collect();
    let changelogs = async {
        if truncated.is_empty() {
            return Ok(Changelogs::Bulk(BulkChangelogs::default()));
        }
        if jira.deployment() != Deployment::Cloud {
            tracing::warn!(
                issues = truncated.len(),
                "embedded changelogs are truncated and data center has no endpoint to complete \
                 them; keeping what the search returned"
            );
            return Ok(Changelogs::Bulk(BulkChangelogs::default()));
        }
        match jira.changelogs_by_issue(&truncated).await {
            Ok(bulk) => Ok(Changelogs::Bulk(bulk)),
            Err(e) if matches!(e.status(), Some(404 | 405 | 501)) => {
                // A site or proxy without the bulk endpoint: page each
                // issue's changelog instead (more requests, same histories).
                if !CHANGELOG_FALLBACK_LOGGED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        status = e.status(),
                        "changelog/bulkfetch is not available on this site; reading each \
                         truncated issue's changelog pages instead"
                    );
                }
                let pages: Vec<(String, Vec<Box<RawValue>>)> = stream::iter(truncated.clone())
                    .map(|id| async move {
                        let pages = jira.changelog(&id).await?;
                        Ok::<_, Error>((id, pages))
                    })
                    .buffered(concurrency.max(1))
                    .try_collect()
                    .await?;
                Ok(Changelogs::PerIssue(pages.into_iter().collect()))
            }
            Err(e) => Err(e.into()),
        }
    };
    let comments = stream::iter(issues)
        .map(|issue| async move {
            let comment_pages = if issue.comments.is_some_and(|c| c.is_truncated()) {
                jira.comments(&issue.id).await?
            } else {
                Vec::new()
            };
            Ok::<_, Error>((issue, comment_pages))
        })
        .buffered(concurrency.max(1))
        .try_collect::<Vec<_>>();
    let (mut changelogs, with_comments) = futures::try_join!(changelogs, comments)?;
    Ok(with_comments
        .into_iter()
        .map(|(issue, comment_pages)| {
            let changelog_pages = match (issue.changelog, &mut changelogs) {
                (Some(totals), Changelogs::PerIssue(pages)) if totals.is_truncated() => {
                    pages.remove(&issue.id).unwrap_or_default()
                }
                (Some(totals), Changelogs::Bulk(changelogs)) if totals.is_truncated() => {
                    let entries = changelogs.remove(&issue.id);
                    let found: usize = entries.iter().map(|e| e.histories).sum();
                    if (found as u64) < totals.total {
                        // Deleted or hidden in between, or history removed:
                        // store what Jira returned; the next version reads it again.
                        tracing::warn!(
                            issue.id = %issue.id,
                            found,
                            total = totals.total,
                            "changelog bulk fetch returned fewer histories than the issue's total"
                        );
                    }
                    entries
                        .into_iter()
                        .map(RawIssueChangelogs::into_raw)
                        .collect()
                }
                _ => Vec::new(),
            };
            Hydrated {
                issue,
                comment_pages,
                changelog_pages,
            }
        })
        .collect())
}
