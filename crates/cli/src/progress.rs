//! Progress of a running sync: a status line redrawn on a terminal, or a
//! plain log line every few seconds otherwise.
//!
//! The engine reports only at the end of a run, so progress is observed
//! from the outside: a store decorator counts what is written and deleted,
//! and the Jira client's request statistics show search pages, bulk fetches
//! and rate-limit waits. No dependency on a progress-bar crate is needed for
//! one redrawn line.

use std::{
    io::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt as _, stream::BoxStream};
use jira_client::JiraClient;
use state_store::{
    GetResult, ListEntry, ObjectKey, ObjectMeta, ObjectStore, PutOptions, PutResult, Result,
};

/// Counters shared between the store decorator and the display.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    raw_written: AtomicU64,
    docs_written: AtomicU64,
    docs_deleted: AtomicU64,
    manifests: AtomicU64,
}

/// An [`ObjectStore`] that counts writes by kind of object.
#[derive(Debug)]
pub(crate) struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    counters: Arc<Counters>,
}

impl CountingStore {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>, counters: Arc<Counters>) -> Self {
        CountingStore { inner, counters }
    }
}

#[async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        let result = self.inner.put_opts(key, body, opts).await?;
        let k = key.as_str();
        let counter = if k.starts_with("raw/") {
            Some(&self.counters.raw_written)
        } else if k.starts_with("normalized/") {
            Some(&self.counters.docs_written)
        } else if k.starts_with("manifests/") {
            Some(&self.counters.manifests)
        } else {
            None
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        Ok(result)
    }

    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        self.inner.get(key).await
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.inner.head(key).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        self.inner.delete(key).await?;
        if key.as_str().starts_with("normalized/") {
            self.counters.docs_deleted.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        self.inner.list(prefix).boxed()
    }

    fn location(&self, key: &ObjectKey) -> String {
        self.inner.location(key)
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Display {
    /// A status line on stderr, redrawn in place.
    Terminal,
    /// A log line now and then.
    Log,
}

/// A running progress display; [`Progress::finish`] stops it.
pub(crate) struct Progress {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    pub(crate) fn start(
        what: &'static str,
        display: Display,
        jira: JiraClient,
        counters: Arc<Counters>,
    ) -> Progress {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let period = match display {
            Display::Terminal => Duration::from_millis(200),
            Display::Log => Duration::from_secs(10),
        };
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let line = status_line(what, started.elapsed(), &jira, &counters);
                match display {
                    Display::Terminal => {
                        let mut err = std::io::stderr().lock();
                        // Clear the line, then draw; no newline so it is redrawn.
                        let _ = write!(err, "\r\x1b[2K{line}");
                        let _ = err.flush();
                    }
                    Display::Log => tracing::info!("{line}"),
                }
            }
            if display == Display::Terminal {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        });
        Progress { stop, task }
    }

    pub(crate) async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn status_line(what: &str, elapsed: Duration, jira: &JiraClient, c: &Counters) -> String {
    let stats = jira.stats();
    let count = |needle: &str| -> u64 {
        stats
            .requests
            .iter()
            .filter(|((endpoint, _), _)| endpoint.contains(needle))
            .map(|(_, n)| n)
            .sum()
    };
    let mut line = format!(
        "{what} {:>4}s | search pages {} | bulk fetches {} | raw written {} | documents written {} | deleted {} | requests {}",
        elapsed.as_secs(),
        count("/search/jql"),
        count("/bulkfetch"),
        c.raw_written.load(Ordering::Relaxed),
        c.docs_written.load(Ordering::Relaxed),
        c.docs_deleted.load(Ordering::Relaxed),
        stats.total_requests(),
    );
    if stats.throttled > 0 || !stats.rate_limit_wait.is_zero() {
        line.push_str(&format!(
            " | rate-limited {}x, waited {:.1}s",
            stats.throttled,
            stats.rate_limit_wait.as_secs_f64()
        ));
    }
    line
}
