//! `jira-sim`: runs the Jira Cloud simulator on 127.0.0.1.
//!
//! The basic invocation is a fixed contract that scripts rely on:
//! `jira-sim --addr 127.0.0.1:0 --issues N --seed S --email E --api-token T`
//! prints the base URL as the first stdout line once listening, and stops
//! cleanly on SIGTERM or Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use jira_sim::{Faults, JiraSim, OAuthConfig, SimConfig};

#[derive(Debug, Parser)]
#[command(
    name = "jira-sim",
    about = "A Jira Cloud simulator on loopback for tests, demos and benchmarks"
)]
struct Args {
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
    /// Requests per second per endpoint before 429 jira-burst-based.
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
    /// Search index lag in milliseconds.
    #[arg(long, default_value_t = 0)]
    index_lag_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let config = SimConfig {
        addr: a.addr,
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
            index_lag: Duration::from_millis(a.index_lag_ms),
            ..Faults::default()
        },
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
    eprintln!(
        "jira-sim: listening on {} (cloud id {}, token url {}); Ctrl-C or SIGTERM stops it",
        sim.base_url(),
        sim.cloud_id(),
        sim.token_url()
    );
    wait_for_signal().await?;
    sim.shutdown().await;
    Ok(())
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
