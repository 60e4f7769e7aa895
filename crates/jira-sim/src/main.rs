//! `jira-sim`: runs the Jira simulator on 127.0.0.1 (Jira Cloud, or Jira
//! Data Center with `--data-center`).
//!
//! The basic invocation is a fixed contract that scripts rely on:
//! `jira-sim --addr 127.0.0.1:0 --issues N --seed S --email E --api-token T`
//! prints the base URL as the first stdout line once listening, and stops
//! cleanly on SIGTERM or Ctrl-C.
//!
//! With `--control-stdin`, a driver (the benchmark) sends one command per
//! stdin line and reads one JSON line back on stdout: `stats` (requests per
//! endpoint and status), `edit N` (edits N issues spread evenly over the
//! dataset, bumping `updated` to now, as users editing the site would).
//! End of stdin stops the simulator, so it never outlives its driver.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use jira_sim::{DC_SEARCH_MAX_RESULTS, Faults, JiraSim, OAuthConfig, SimConfig, SimDeployment};

#[derive(Debug, Parser)]
#[command(
    name = "jira-sim",
    about = "A Jira Cloud (or Data Center) simulator on loopback for tests, demos and benchmarks"
)]
struct Args {
    /// Play Jira Data Center: /rest/api/2 only, startAt/total search, no OAuth or gateway.
    #[arg(long, conflicts_with = "oauth_client_id")]
    data_center: bool,
    /// Data Center's page cap for search (jira.search.views.default.max).
    #[arg(long, requires = "data_center", default_value_t = DC_SEARCH_MAX_RESULTS)]
    search_max_results: usize,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Number of generated issues.
    #[arg(long, default_value_t = 1000)]
    issues: usize,
    /// Seed of the generated dataset.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Email accepted for basic auth.
    #[arg(long, default_value = "sim@example.com")]
    email: String,
    /// API token accepted for basic auth.
    #[arg(long, default_value = "sim-token")]
    api_token: String,
    /// Comma-separated project keys.
    #[arg(long, default_value = "ENG,OPS,SUP", value_delimiter = ',')]
    projects: Vec<String>,
    /// Personal access token accepted as `Authorization: Bearer` on the site.
    #[arg(long)]
    pat: Option<String>,
    /// The user's profile time zone (UTC, +14:00, America/Los_Angeles, ...).
    #[arg(long, default_value = "UTC")]
    time_zone: String,
    /// Enable OAuth 3LO emulation with this client id.
    #[arg(long)]
    oauth_client_id: Option<String>,
    #[arg(long, default_value = "sim-secret")]
    oauth_client_secret: String,
    #[arg(long, default_value = "sim-refresh-0")]
    oauth_refresh_token: String,
    /// Seconds a rotated refresh token stays usable.
    #[arg(long, default_value_t = 600)]
    oauth_reuse_leeway_secs: u64,
    /// Latency added to every REST call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Requests per second per endpoint (per user on Data Center) before 429.
    #[arg(long)]
    burst_limit: Option<u32>,
    /// Hourly points quota (OAuth traffic, or all with --quota-all).
    #[arg(long)]
    quota_points: Option<u64>,
    #[arg(long)]
    quota_all: bool,
    /// Probability of a 500/503 per REST call.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Probability of a dropped connection per REST call.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Probability that a bulk fetch lists an issue in `issueErrors` with a
    /// retriable message instead of returning it.
    #[arg(long, default_value_t = 0.0)]
    bulk_issue_error_rate: f64,
    /// Answer 404 to `changelog/bulkfetch`, as a site or proxy without it.
    #[arg(long)]
    no_changelog_bulkfetch: bool,
    /// Comma-separated keys bulk fetch always lists in `issueErrors` as too
    /// large for a bulk response (a single GET returns them).
    #[arg(long, value_delimiter = ',')]
    bulk_oversized_issues: Vec<String>,
    /// Comma-separated keys no read returns: listed as retriable in bulk,
    /// 503 on a single GET.
    #[arg(long, value_delimiter = ',')]
    unavailable_issues: Vec<String>,
    /// Probability that a search page after the first leaves out one of its
    /// issues (a positional page over a result that shifted).
    #[arg(long, default_value_t = 0.0)]
    search_omit_rate: f64,
    /// Cloud search pages smaller than Jira's usual (ids or issues per page).
    #[arg(long)]
    search_page_cap: Option<usize>,
    /// Data Center's result window: a `startAt + maxResults` past it is a 500.
    #[arg(long, requires = "data_center")]
    search_result_window: Option<usize>,
    /// Search index lag in milliseconds.
    #[arg(long, default_value_t = 0)]
    index_lag_ms: u64,
    /// The dataset's "now" (RFC 3339): issues were created in the year
    /// before it. Default: the start time. The clock follows the wall clock
    /// either way, so edits made later are newer than every generated issue.
    #[arg(long, value_parser = parse_anchor)]
    anchor: Option<time::OffsetDateTime>,
    /// Read control commands from stdin (see the module docs); stop at its end.
    #[arg(long)]
    control_stdin: bool,
}

fn parse_anchor(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("expected RFC 3339 like 2026-01-01T00:00:00Z: {e}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let config = SimConfig {
        addr: a.addr,
        deployment: if a.data_center {
            SimDeployment::DataCenter {
                search_max_results: a.search_max_results,
            }
        } else {
            SimDeployment::Cloud
        },
        issues: a.issues,
        seed: a.seed,
        projects: a.projects,
        email: a.email,
        api_token: a.api_token,
        pat: a.pat,
        oauth: a.oauth_client_id.map(|client_id| OAuthConfig {
            client_id,
            client_secret: a.oauth_client_secret,
            initial_refresh_token: a.oauth_refresh_token,
            reuse_leeway: Duration::from_secs(a.oauth_reuse_leeway_secs),
            ..OAuthConfig::default()
        }),
        user_time_zone: a.time_zone,
        latency: Duration::from_millis(a.latency_ms),
        faults: Faults {
            burst_limit: a.burst_limit,
            quota_points_per_hour: a.quota_points,
            quota_applies_to_all: a.quota_all,
            error_rate_5xx: a.error_rate,
            drop_rate: a.drop_rate,
            bulk_issue_error_rate: a.bulk_issue_error_rate,
            no_changelog_bulkfetch: a.no_changelog_bulkfetch,
            bulk_oversized_issues: a
                .bulk_oversized_issues
                .iter()
                .map(|k| k.to_ascii_uppercase())
                .collect(),
            unavailable_issues: a
                .unavailable_issues
                .iter()
                .map(|k| k.to_ascii_uppercase())
                .collect(),
            search_omit_rate: a.search_omit_rate,
            search_page_cap: a.search_page_cap,
            search_result_window: a.search_result_window,
            index_lag: Duration::from_millis(a.index_lag_ms),
            ..Faults::default()
        },
        anchor: a.anchor,
        ..SimConfig::default()
    };
    let sim = JiraSim::start(config)
        .await
        .context("starting the simulator")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", sim.base_url())?;
        out.flush()?;
    }
    if a.data_center {
        eprintln!(
            "jira-sim: Jira Data Center listening on {}; Ctrl-C or SIGTERM stops it",
            sim.base_url()
        );
    } else {
        eprintln!(
            "jira-sim: listening on {} (cloud id {}, token url {}); Ctrl-C or SIGTERM stops it",
            sim.base_url(),
            sim.cloud_id(),
            sim.token_url()
        );
    }
    let sim = std::sync::Arc::new(sim);
    if a.control_stdin {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let control = std::sync::Arc::clone(&sim);
        std::thread::spawn(move || {
            serve_control(&control);
            let _ = done_tx.send(());
        });
        tokio::select! {
            r = wait_for_signal() => r?,
            _ = done_rx => {}
        }
    } else {
        wait_for_signal().await?;
    }
    if let Ok(sim) = std::sync::Arc::try_unwrap(sim) {
        sim.shutdown().await;
    }
    Ok(())
}

/// Answers control commands from stdin until it ends (see the module docs).
fn serve_control(sim: &JiraSim) {
    use std::io::BufRead as _;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = control_command(sim, line.trim());
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}

fn control_command(sim: &JiraSim, line: &str) -> serde_json::Value {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("stats"), None) => {
            let stats = sim.stats();
            serde_json::json!({ "requests": stats.requests, "points_used": stats.points_used })
        }
        (Some("edit"), Some(n)) => match n.parse::<usize>() {
            Ok(n) => match edit_spread(sim, n) {
                Ok(edited) => serde_json::json!({ "edited": edited }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            },
            Err(_) => serde_json::json!({ "error": format!("`edit` takes a count, got {n:?}") }),
        },
        _ => serde_json::json!({
            "error": format!("unknown command {line:?}; expected `stats` or `edit N`")
        }),
    }
}

/// Edits `n` issues evenly spaced over the dataset (by id order), so the
/// changed set is the same for a given dataset and spread over all projects.
fn edit_spread(sim: &JiraSim, n: usize) -> Result<usize, jira_sim::Error> {
    let issues = sim.issues_snapshot();
    let n = n.min(issues.len());
    if n == 0 {
        return Ok(0);
    }
    let step = issues.len() / n;
    for (i, issue) in issues.iter().step_by(step).take(n).enumerate() {
        sim.update_issue(
            &issue.id,
            jira_sim::IssueEdit {
                summary: Some(format!("Edited by the control channel ({i})")),
                description: Some(format!("Edit number {i} from the control channel.")),
            },
        )?;
    }
    Ok(n)
}

#[cfg(unix)]
async fn wait_for_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> anyhow::Result<()> {
    tokio::signal::ctrl_c().await?;
    Ok(())
}
