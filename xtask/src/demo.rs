//! `cargo xtask demo`: the first command a newcomer runs. It builds the
//! simulator and the CLI, starts `jira-sim` on loopback with a few thousand
//! issues, syncs it into `./jira-data` with `jira-ingest`, runs the sync a
//! second time to show an incremental run, and prints what was written,
//! where, and how long each step took.
//!
//! xtask depends on no workspace crate, so the demo runs the built binaries.
//! Between the two runs the demo edits a few issues through the simulator's
//! control channel, so the second run shows an incremental sync picking up
//! exactly what changed.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::{
    sim_process::{SimOptions, SimProcess},
    util,
};

const ISSUES: usize = 3000;
/// Issues edited between the two runs.
const EDITS: usize = 30;
const EMAIL: &str = "demo@example.com";
const TOKEN: &str = "demo-token";
/// Marks a directory the demo created, so it may reset it next time and
/// never deletes a corpus a user synced from a real site.
const MARKER: &str = ".jira-ingest-demo";

pub(crate) fn main(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask demo` takes no arguments (got `{arg}`)");
    }
    let root = util::workspace_root()?;
    std::env::set_current_dir(&root)?;
    let started = Instant::now();

    util::step("cargo build -p jira-sim -p cli");
    let t = Instant::now();
    util::cargo(&["build", "-p", "jira-sim", "-p", "cli"])?;
    let build_time = t.elapsed();
    let bin = root.join("target").join("debug");
    let sim_bin = bin.join("jira-sim");
    let cli_bin = bin.join("jira-ingest");
    for b in [&sim_bin, &cli_bin] {
        if !b.is_file() {
            bail!(
                "{} was not built; check the cargo output above",
                b.display()
            );
        }
    }

    let out = root.join("jira-data");
    prepare_output(&out)?;

    util::step(&format!(
        "starting jira-sim with {ISSUES} issues on 127.0.0.1"
    ));
    let mut sim = start_sim(&sim_bin, &root)?;
    eprintln!("xtask: jira-sim listening on {}", sim.url());

    util::step("jira-ingest sync (first run: backfill of everything the site has)");
    let (first, first_time) = sync(&cli_bin, sim.url(), &out)?;

    util::step(&format!(
        "editing {EDITS} issues in the simulator, as users of the site would"
    ));
    sim.control(&format!("edit {EDITS}"))?;

    util::step("jira-ingest sync (second run: incremental, picks up the edits)");
    let (second, second_time) = sync(&cli_bin, sim.url(), &out)?;

    util::step("jira-ingest status");
    util::run(
        cli_command(&cli_bin, sim.url())
            .args(["status", "--out"])
            .arg(&out),
        "jira-ingest status",
    )?;
    drop(sim);

    report(&out, &first, first_time, &second, second_time)?;
    eprintln!(
        "\nxtask: demo finished in {:.1}s (build {:.1}s)",
        started.elapsed().as_secs_f64(),
        build_time.as_secs_f64()
    );
    Ok(())
}

/// `./jira-data` is (re)created for the demo, but a directory the demo did
/// not create is left alone: it may hold a real corpus.
fn prepare_output(out: &Path) -> Result<()> {
    if out.exists() {
        let empty = std::fs::read_dir(out)?.next().is_none();
        if out.join(MARKER).is_file() {
            std::fs::remove_dir_all(out)
                .with_context(|| format!("could not reset {}", out.display()))?;
        } else if !empty {
            bail!(
                "{} exists and was not created by the demo; move it away (it may hold a real \
                 corpus) and run `cargo xtask demo` again",
                out.display()
            );
        }
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join(MARKER),
        "created by `cargo xtask demo`; the demo resets this directory on its next run\n",
    )?;
    Ok(())
}

fn start_sim(sim_bin: &Path, root: &Path) -> Result<SimProcess> {
    let opts = SimOptions {
        issues: ISSUES,
        seed: 42,
        email: EMAIL.to_owned(),
        api_token: TOKEN.to_owned(),
        latency_ms: 0,
        burst_limit: None,
        anchor: None,
    };
    SimProcess::start(sim_bin, &root.join("target/xtask/jira-sim.log"), &opts)
}

/// `jira-ingest` with the demo's credentials and none of the caller's own
/// Jira settings, which could point it at another site or auth mode.
fn cli_command(cli_bin: &Path, site: &str) -> Command {
    let mut cmd = Command::new(cli_bin);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JIRA_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("JIRA_SITE", site)
        .env("JIRA_EMAIL", EMAIL)
        .env("JIRA_API_TOKEN", TOKEN);
    cmd
}

/// Runs one sync with the terminal attached (progress line and human
/// summary), then reads its summary back with `status --json`.
fn sync(cli_bin: &Path, site: &str, out: &Path) -> Result<(serde_json::Value, Duration)> {
    let t = Instant::now();
    util::run(
        cli_command(cli_bin, site)
            .args([
                "sync",
                "--backfill-days",
                "400",
                "--index-lag",
                "0s",
                "--out",
            ])
            .arg(out)
            .stdin(Stdio::null()),
        "jira-ingest sync",
    )?;
    let elapsed = t.elapsed();
    let output = cli_command(cli_bin, site)
        .args(["status", "--json", "--out"])
        .arg(out)
        .stderr(Stdio::inherit())
        .output()
        .context("could not run jira-ingest status")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "jira-ingest status failed ({}): {}",
            output.status,
            stdout.trim()
        );
    }
    let status: serde_json::Value = serde_json::from_str(stdout.trim())
        .with_context(|| format!("jira-ingest status printed no JSON: {stdout}"))?;
    let summary = status["last_run"].clone();
    if summary.is_null() {
        bail!(
            "jira-ingest sync succeeded but recorded no run summary in {}",
            out.display()
        );
    }
    Ok((summary, elapsed))
}

fn first_file(dir: &Path) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries.into_iter().find(|p| p.is_file())
}

fn report(
    out: &Path,
    first: &serde_json::Value,
    first_time: Duration,
    second: &serde_json::Value,
    second_time: Duration,
) -> Result<()> {
    let written = first["written"].as_u64().unwrap_or(0);
    if first["status"] != "complete" || written == 0 {
        bail!("the first sync did not write the site: {first}");
    }
    println!("\nWhat was written, under {}:", out.display());
    for (sub, what) in [
        (
            "raw/jira",
            "raw JSON of every issue version, as Jira returned it",
        ),
        (
            "normalized/jira",
            "one normalized document per issue (schema v1)",
        ),
        (
            "manifests/jira/runs",
            "one change manifest per run (JSON lines)",
        ),
        ("state/jira", "the cursor and private sync state"),
    ] {
        let (files, bytes) = util::tally(&out.join(sub));
        println!(
            "  {sub:<22} {files:>6} files {:>9.1} MiB  {what}",
            bytes as f64 / 1_048_576.0
        );
    }
    println!("\nTimings:");
    println!(
        "  first sync   {:>6.1}s  {} issues, {} requests ({:.0} issues/s)",
        first_time.as_secs_f64(),
        written,
        first["requests"],
        written as f64 / first_time.as_secs_f64().max(0.001)
    );
    println!(
        "  second sync  {:>6.1}s  {} issues edited or in the overlap window, {} written, {} requests",
        second_time.as_secs_f64(),
        second["issues_seen"],
        second["written"],
        second["requests"]
    );
    if let Some(doc) = first_file(&out.join("normalized/jira")) {
        let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&doc)?)?;
        println!(
            "\nA normalized document ({}), its `content` for embedding:",
            doc.display()
        );
        let content = value["content"].as_str().unwrap_or_default();
        for line in content.lines().take(16) {
            println!("  | {line}");
        }
        if content.lines().count() > 16 {
            println!("  | ...");
        }
    }
    if let Some(manifest) = first_file(&out.join("manifests/jira/runs")) {
        let text = std::fs::read_to_string(&manifest)?;
        println!(
            "\nThe first run's manifest ({}), first line:",
            manifest.display()
        );
        println!("  {}", text.lines().next().unwrap_or_default());
    }
    println!(
        "\nNext: `target/debug/jira-ingest --help`, or point it at your site with JIRA_SITE, \
         JIRA_EMAIL and JIRA_API_TOKEN."
    );
    Ok(())
}
