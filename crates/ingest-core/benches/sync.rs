//! Sync throughput against the simulator with per-request latency, next to
//! the lower bound implied by the requests the sync must make.
//!
//! `cargo bench -p ingest-core --bench sync` (env: `BENCH_ISSUES`, default
//! 10000; `BENCH_LATENCY_MS`, default 50; `BENCH_CONCURRENCY`, default 8).
//! Prints one Markdown table row per run. Peak RSS is the whole process,
//! simulator included, so the 1k/10k pair shows whether the sync's memory
//! grows with the number of issues.

use std::{sync::Arc, time::Duration};

use ingest_core::{Engine, RunOptions, SyncConfig};
use jira_client::{Auth, JiraClient, Secret};
use jira_sim::{JiraSim, SimConfig};
use state_store::{LocalFileSystem, ObjectCursorStore, ObjectStore};
use time::macros::datetime;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn run(issues: usize, latency: Duration, concurrency: usize) {
    let anchor = datetime!(2026-11-29 12:00:00 UTC);
    let sim = Arc::new(
        JiraSim::start(SimConfig {
            issues,
            seed: 42,
            anchor: Some(anchor),
            latency,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts"),
    );
    sim.set_now(anchor);
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new(dir.path()).expect("store"));
    let cursor = Arc::new(ObjectCursorStore::new(store.clone()));
    let client = JiraClient::builder(sim.base_url())
        .auth(Auth::Basic {
            email: "sim@example.com".into(),
            api_token: Secret::new("sim-token"),
        })
        .concurrency(concurrency * 2)
        .build()
        .expect("client");
    let mut config = SyncConfig::new(sim.base_url());
    config.backfill_days = 400;
    config.concurrency = concurrency;
    let clock = sim.clone();
    let engine = Engine::new(client, store, cursor, config).with_clock(move || clock.now());
    let started = std::time::Instant::now();
    let summary = engine.sync(RunOptions::default()).await.expect("sync");
    let wall = started.elapsed();

    // The requests a sync must make: id pages (up to 5000 ids), one bulk
    // fetch per 100 issues, and the extra comment pages of long threads.
    let stats = sim.stats();
    let id_pages = issues.div_ceil(5000) as f64;
    let bulk = issues.div_ceil(100) as f64;
    let comment_pages = stats.total("GET /rest/api/3/issue/{issueIdOrKey}/comment") as f64;
    let fixed = 2.0; // myself, field
    let lat = latency.as_secs_f64();
    // Id pages are sequential; hydration runs `concurrency` calls at once.
    let bound = (fixed + id_pages) * lat + (bulk + comment_pages) * lat / concurrency as f64;
    let bytes: u64 = walk_bytes(dir.path());
    println!(
        "| {issues} | {} ms | {concurrency} | {:.2} s | {:.0} | {} | {:.3} | {:.2} s | {:.2} | {:.1} MB | {} MiB |",
        latency.as_millis(),
        wall.as_secs_f64(),
        summary.issues_seen as f64 / wall.as_secs_f64(),
        summary.requests,
        summary.requests as f64 / issues as f64,
        bound,
        if bound > 0.0 {
            wall.as_secs_f64() / bound
        } else {
            f64::NAN
        },
        bytes as f64 / 1e6,
        peak_rss_kib() / 1024,
    );
}

fn walk_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                total += walk_bytes(&path);
            } else if let Ok(m) = e.metadata() {
                total += m.len();
            }
        }
    }
    total
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run
    // (which also passes flags) should stay quick.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let issues = env_num("BENCH_ISSUES", 10_000);
    let latency = Duration::from_millis(env_num("BENCH_LATENCY_MS", 50) as u64);
    let concurrency = env_num("BENCH_CONCURRENCY", 8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| issues | latency | concurrency | wall | issues/s | requests | requests/issue | lower bound | wall/bound | bytes written | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    runtime.block_on(run(issues, latency, concurrency));
}
