//! `cargo xtask bench`: the end-to-end benchmark, in one run.
//!
//! Builds release binaries, starts `jira-sim` (a separate process, fixed
//! dataset, fixed latency per request, Jira's burst limit) and measures:
//! full and incremental syncs by `jira-ingest` into the filesystem backend,
//! the request lower bound of each, the same sync by singer tap-jira, a
//! concurrency and a latency sweep, the criterion benches of `adf-md` and
//! `normalize`, and the Lambda package and its cold-start init. The report
//! replaces the generated part of `docs/benchmarks.md` and the plot
//! `docs/benchmarks-sync.svg`; the raw figures go to
//! `target/bench/results.json`.

mod bound;
mod criterion;
mod lambda_init;
mod measure;
mod plot;
mod report;
mod tap_jira;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::{
    dist,
    sim_process::{SimOptions, SimProcess},
    util,
};

use self::{bound::Requests, measure::Measured, tap_jira::TapRun};

const USAGE: &str = "\
usage: cargo xtask bench [--quick] [--sizes N,N,..] [--tap-jira-max N] [--skip-tap-jira] [--skip-criterion]

Runs the end-to-end benchmark and writes the report into docs/benchmarks.md
(between the `xtask bench` markers) and the plot docs/benchmarks-sync.svg.

  --quick           small sizes and short criterion runs: checks the whole
                    command in a few minutes (figures are not representative)
  --sizes           full-sync sizes (default 1000,10000,100000)
  --tap-jira-max    largest size tap-jira is run on (default 10000; it is
                    far slower, and 100,000 issues would take most of an hour)
  --skip-tap-jira   do not install or run tap-jira
  --skip-criterion  do not run the criterion benches
";

const EMAIL: &str = "bench@example.com";
const TOKEN: &str = "bench-token";
const SEED: u64 = 7;
/// Jira Cloud's documented burst limit (requests per second per endpoint),
/// enforced by the simulator so no run can beat it by flooding.
const BURST_LIMIT: u32 = 100;
/// The CLI's default concurrency; at 50 ms it stays under the burst limit.
const CONCURRENCY: u32 = 4;
const LATENCIES_MS: [u64; 2] = [0, 50];
const SWEEP_CONCURRENCY: [u32; 5] = [1, 2, 4, 8, 16];
const SWEEP_LATENCY_MS: [u64; 5] = [0, 25, 50, 100, 200];
const SWEEP_LATENCY_CONCURRENCY: u32 = 4;
const SWEEP_CONCURRENCY_LATENCY_MS: u64 = 50;
/// Share of issues edited before the incremental run.
const CHANGED_PERCENT: usize = 1;

#[derive(Clone, Debug)]
struct Settings {
    quick: bool,
    sizes: Vec<usize>,
    sweep_issues: usize,
    tap_jira_max: Option<usize>,
    criterion: bool,
    lambda_samples: usize,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Option<Settings>> {
        let mut s = Settings {
            quick: false,
            sizes: vec![1_000, 10_000, 100_000],
            sweep_issues: 10_000,
            tap_jira_max: Some(10_000),
            criterion: true,
            lambda_samples: 10,
        };
        let mut sizes_given = false;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "-h" | "--help" => {
                    print!("{USAGE}");
                    return Ok(None);
                }
                "--quick" => s.quick = true,
                "--skip-tap-jira" => s.tap_jira_max = None,
                "--skip-criterion" => s.criterion = false,
                "--sizes" => {
                    let v = it
                        .next()
                        .context("--sizes needs a value, e.g. 1000,10000")?;
                    s.sizes = parse_sizes(v)?;
                    sizes_given = true;
                }
                "--tap-jira-max" => {
                    let v = it.next().context("--tap-jira-max needs a number")?;
                    s.tap_jira_max = Some(v.parse().with_context(|| {
                        format!("--tap-jira-max takes a number of issues, got `{v}`")
                    })?);
                }
                other => {
                    eprint!("{USAGE}");
                    bail!("unknown argument `{other}` for `cargo xtask bench`");
                }
            }
        }
        if s.quick {
            if !sizes_given {
                s.sizes = vec![300];
            }
            s.sweep_issues = 300;
            s.tap_jira_max = s.tap_jira_max.map(|_| 300);
            s.lambda_samples = 3;
        }
        Ok(Some(s))
    }
}

fn parse_sizes(v: &str) -> Result<Vec<usize>> {
    let sizes: Vec<usize> = v
        .split(',')
        .map(|n| n.trim().replace('_', "").parse::<usize>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--sizes takes numbers separated by commas, got `{v}`"))?;
    if sizes.is_empty() || sizes.contains(&0) {
        bail!("--sizes needs at least one size above zero");
    }
    Ok(sizes)
}

/// One `jira-ingest sync` run.
#[derive(Clone, Debug)]
pub(crate) struct SyncRun {
    pub(crate) issues: usize,
    pub(crate) latency_ms: u64,
    pub(crate) concurrency: u32,
    /// Issues edited before this run (incremental runs).
    pub(crate) changed: usize,
    pub(crate) measured: Measured,
    pub(crate) summary: serde_json::Value,
    pub(crate) requests: Requests,
    pub(crate) bytes_written: u64,
    pub(crate) sim_cpu: Duration,
    /// Where the corpus was written: the durable disk, or tmpfs.
    pub(crate) storage: &'static str,
}

impl SyncRun {
    /// The CPU the run cost both processes, spread over every core: no
    /// schedule on this machine finishes sooner.
    pub(crate) fn cpu_bound(&self) -> f64 {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        (self.measured.cpu() + self.sim_cpu).as_secs_f64() / cores as f64
    }

    pub(crate) fn issues_per_second(&self) -> f64 {
        self.summary["issues_seen"].as_u64().unwrap_or(0) as f64
            / self.measured.wall.as_secs_f64().max(1e-9)
    }

    pub(crate) fn lower_bound(&self) -> f64 {
        self.requests
            .lower_bound(self.latency_ms as f64 / 1000.0, self.concurrency)
    }
}

/// tap-jira next to our full sync of the same site.
#[derive(Clone, Debug)]
pub(crate) struct TapComparison {
    pub(crate) issues: usize,
    pub(crate) latency_ms: u64,
    pub(crate) ours: Duration,
    pub(crate) theirs: TapRun,
}

/// The Lambda package and its cold start.
#[derive(Clone, Debug)]
pub(crate) struct LambdaFigures {
    pub(crate) zip_bytes: u64,
    pub(crate) bootstrap_bytes: u64,
    pub(crate) init_times: Vec<Duration>,
    pub(crate) init_rss_bytes: u64,
}

/// Everything one bench run measured.
#[derive(Clone, Debug, Default)]
pub(crate) struct Results {
    pub(crate) command: String,
    pub(crate) machine: Vec<(String, String)>,
    pub(crate) full: Vec<SyncRun>,
    pub(crate) incremental: Vec<SyncRun>,
    pub(crate) sweep_concurrency: Vec<SyncRun>,
    pub(crate) sweep_latency: Vec<SyncRun>,
    /// The sweep size synced into tmpfs: what durable writes cost.
    pub(crate) tmpfs: Vec<SyncRun>,
    pub(crate) tap_jira: Vec<TapComparison>,
    pub(crate) adf: Vec<criterion::Estimate>,
    pub(crate) normalize: Vec<criterion::Estimate>,
    pub(crate) lambda: Option<LambdaFigures>,
    pub(crate) duration: Duration,
}

struct Binaries {
    sim: PathBuf,
    cli: PathBuf,
}

pub(crate) fn main(args: &[String]) -> Result<()> {
    let Some(settings) = Settings::parse(args)? else {
        return Ok(());
    };
    let root = util::workspace_root()?;
    std::env::set_current_dir(&root)?;
    let started = Instant::now();
    let work = root.join("target").join("bench");
    std::fs::create_dir_all(&work)?;

    util::step("cargo build --release -p jira-sim -p cli");
    util::cargo(&[
        "build",
        "--release",
        "--locked",
        "-p",
        "jira-sim",
        "-p",
        "cli",
    ])?;
    let bin = root.join("target").join("release");
    let bins = Binaries {
        sim: bin.join("jira-sim"),
        cli: bin.join("jira-ingest"),
    };
    let package = dist::package(&root, dist::Options::default())?;

    let mut results = Results {
        command: std::iter::once("cargo xtask bench".to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        machine: machine(),
        ..Results::default()
    };
    // Every run writes a corpus of its own, and all are deleted at the end:
    // ext4 skips recently freed inodes when it allocates new ones, so a run
    // right after a large deletion pays for it (several times the system
    // time), which would make each figure depend on the run before it.
    let corpora = work.join("corpus");
    let old_corpora = work.join(format!("old-corpus-{}", std::process::id()));
    if corpora.exists() {
        std::fs::rename(&corpora, &old_corpora)?;
    }
    std::fs::create_dir_all(&corpora)?;
    let tap = match settings.tap_jira_max {
        Some(_) => Some(tap_jira::TapJira::install(&root)?),
        None => None,
    };

    for &latency_ms in &LATENCIES_MS {
        for &issues in &settings.sizes {
            util::step(&format!(
                "{issues} issues at {latency_ms} ms: full sync, {CHANGED_PERCENT}% edited, incremental sync"
            ));
            let mut sim = start_sim(&bins, &work, issues, latency_ms)?;
            let out = fresh_dir(&corpora.join(format!("{issues}-{latency_ms}ms")))?;
            let full = sync_run(
                &bins,
                &mut sim,
                &out,
                issues,
                latency_ms,
                CONCURRENCY,
                0,
                &work,
            )?;
            print_run("full", &full);
            let changed = (issues * CHANGED_PERCENT / 100).max(1);
            sim.control(&format!("edit {changed}"))?;
            let incremental = sync_run(
                &bins,
                &mut sim,
                &out,
                issues,
                latency_ms,
                CONCURRENCY,
                changed,
                &work,
            )?;
            print_run("incremental", &incremental);
            if let Some(tap) = &tap
                && settings.tap_jira_max.is_some_and(|max| issues <= max)
            {
                util::step(&format!(
                    "tap-jira 2.6.0: {issues} issues at {latency_ms} ms"
                ));
                let start_date = backfill_start();
                let theirs = tap.sync(
                    sim.url(),
                    EMAIL,
                    TOKEN,
                    &start_date,
                    &format!("{issues}-{latency_ms}ms"),
                )?;
                eprintln!(
                    "xtask: tap-jira {:.1}s ({:.0} issues/s), records {:?}",
                    theirs.measured.wall.as_secs_f64(),
                    issues as f64 / theirs.measured.wall.as_secs_f64(),
                    theirs.records
                );
                results.tap_jira.push(TapComparison {
                    issues,
                    latency_ms,
                    ours: full.measured.wall,
                    theirs,
                });
            }
            results.full.push(full);
            results.incremental.push(incremental);
        }
    }

    util::step(&format!(
        "sweep: {} issues at {SWEEP_CONCURRENCY_LATENCY_MS} ms, concurrency {SWEEP_CONCURRENCY:?}",
        settings.sweep_issues
    ));
    for &c in &SWEEP_CONCURRENCY {
        let run = fresh_full_sync(
            &bins,
            &work,
            &corpora.join(format!("concurrency-{c}")),
            settings.sweep_issues,
            SWEEP_CONCURRENCY_LATENCY_MS,
            c,
        )?;
        print_run(&format!("concurrency {c}"), &run);
        results.sweep_concurrency.push(run);
    }
    util::step(&format!(
        "sweep: {} issues at concurrency {SWEEP_LATENCY_CONCURRENCY}, latency {SWEEP_LATENCY_MS:?} ms",
        settings.sweep_issues
    ));
    for &l in &SWEEP_LATENCY_MS {
        let run = fresh_full_sync(
            &bins,
            &work,
            &corpora.join(format!("latency-{l}ms")),
            settings.sweep_issues,
            l,
            SWEEP_LATENCY_CONCURRENCY,
        )?;
        print_run(&format!("latency {l} ms"), &run);
        results.sweep_latency.push(run);
    }

    let tmpfs = Path::new("/dev/shm");
    if tmpfs.is_dir() {
        util::step(&format!(
            "storage: {} issues into tmpfs (no durable writes), at {LATENCIES_MS:?} ms",
            settings.sweep_issues
        ));
        let corpus = tmpfs.join(format!("jira-ingest-bench-{}", std::process::id()));
        for &l in &LATENCIES_MS {
            let run = fresh_full_sync(&bins, &work, &corpus, settings.sweep_issues, l, CONCURRENCY);
            std::fs::remove_dir_all(&corpus).ok();
            let mut run = run?;
            run.storage = "tmpfs";
            print_run(&format!("tmpfs, latency {l} ms"), &run);
            results.tmpfs.push(run);
        }
    }

    if settings.criterion {
        let short: &[&str] = if settings.quick {
            &["--warm-up-time", "0.5", "--measurement-time", "1"]
        } else {
            &["--warm-up-time", "2", "--measurement-time", "5"]
        };
        util::step("criterion: adf-md (ADF to Markdown, MiB/s)");
        results.adf = criterion::run(&root, "adf-md", "convert", "adf-to-markdown", short)?;
        util::step("criterion: normalize (issues/s)");
        results.normalize = criterion::run(&root, "normalize", "normalize", "normalize", short)?;
    }

    util::step("Lambda: package size and cold-start init of bootstrap");
    let (init_times, init_rss_bytes) =
        lambda_init::measure(&package.bootstrap, settings.lambda_samples)?;
    results.lambda = Some(LambdaFigures {
        zip_bytes: std::fs::metadata(&package.zip)?.len(),
        bootstrap_bytes: std::fs::metadata(&package.bootstrap)?.len(),
        init_times,
        init_rss_bytes,
    });

    results.duration = started.elapsed();
    let doc = root.join("docs").join("benchmarks.md");
    let svg = root.join("docs").join("benchmarks-sync.svg");
    report::write(&results, &doc, &svg, &work.join("results.json"))?;
    util::step("removing the corpora the runs wrote");
    std::fs::remove_dir_all(&corpora).ok();
    std::fs::remove_dir_all(&old_corpora).ok();
    eprintln!(
        "\nxtask: bench finished in {:.1} min; report in {} and {}",
        results.duration.as_secs_f64() / 60.0,
        doc.display(),
        svg.display()
    );
    Ok(())
}

fn start_sim(bins: &Binaries, work: &Path, issues: usize, latency_ms: u64) -> Result<SimProcess> {
    SimProcess::start(
        &bins.sim,
        &work.join("jira-sim.log"),
        &SimOptions {
            issues,
            seed: SEED,
            email: EMAIL.to_owned(),
            api_token: TOKEN.to_owned(),
            latency_ms,
            burst_limit: Some(BURST_LIMIT),
            anchor: None,
        },
    )
}

fn fresh_full_sync(
    bins: &Binaries,
    work: &Path,
    corpus: &Path,
    issues: usize,
    latency_ms: u64,
    concurrency: u32,
) -> Result<SyncRun> {
    let mut sim = start_sim(bins, work, issues, latency_ms)?;
    let out = fresh_dir(corpus)?;
    sync_run(
        bins,
        &mut sim,
        &out,
        issues,
        latency_ms,
        concurrency,
        0,
        work,
    )
}

fn fresh_dir(dir: &Path) -> Result<PathBuf> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("could not clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(dir.to_path_buf())
}

/// The first day every generated issue falls after (they span a year).
fn backfill_start() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(now.saturating_sub(400 * 86_400))
}

/// `YYYY-MM-DDT00:00:00Z` of a Unix time (Howard Hinnant's civil_from_days).
fn civil_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T00:00:00Z")
}

#[allow(clippy::too_many_arguments)]
fn sync_run(
    bins: &Binaries,
    sim: &mut SimProcess,
    out: &Path,
    issues: usize,
    latency_ms: u64,
    concurrency: u32,
    changed: usize,
    work: &Path,
) -> Result<SyncRun> {
    let before = sim.control("stats")?;
    let sim_cpu_before = measure::cpu_of(sim.pid()).unwrap_or_default();
    let bytes_before = util::tally(out).1;
    let mut cmd = Command::new(&bins.cli);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JIRA_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("JIRA_SITE", sim.url())
        .env("JIRA_EMAIL", EMAIL)
        .env("JIRA_API_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .args([
            "sync",
            "--json",
            "--backfill-days",
            "400",
            "--index-lag",
            "0s",
        ])
        .args(["--concurrency", &concurrency.to_string()])
        .arg("--out")
        .arg(out);
    let measured = measure::run(
        &mut cmd,
        "jira-ingest sync",
        &work.join("jira-ingest.log"),
        None,
    )?;
    let summary: serde_json::Value =
        serde_json::from_str(measured.stdout.trim()).with_context(|| {
            format!(
                "jira-ingest sync printed no JSON summary: {}",
                measured.stdout
            )
        })?;
    if summary["status"] != "complete" {
        bail!("the benchmark sync did not complete: {summary}");
    }
    let after = sim.control("stats")?;
    let sim_cpu = measure::cpu_of(sim.pid())
        .unwrap_or_default()
        .saturating_sub(sim_cpu_before);
    Ok(SyncRun {
        issues,
        latency_ms,
        concurrency,
        changed,
        measured,
        summary,
        requests: Requests::between(&before, &after),
        bytes_written: util::tally(out).1.saturating_sub(bytes_before),
        sim_cpu,
        storage: "disk",
    })
}

fn print_run(what: &str, run: &SyncRun) {
    eprintln!(
        "xtask: {what}: {} issues seen, {} written in {:.2}s ({:.0} issues/s), {} requests, \
         bound {:.2}s, peak RSS {:.1} MiB, CPU ingest {:.1}s sim {:.1}s",
        run.summary["issues_seen"],
        run.summary["written"],
        run.measured.wall.as_secs_f64(),
        run.issues_per_second(),
        run.requests.total,
        run.lower_bound(),
        run.measured.peak_rss_bytes as f64 / 1_048_576.0,
        run.measured.cpu().as_secs_f64(),
        run.sim_cpu.as_secs_f64()
    );
}

/// CPU model, cores, memory, kernel, filesystem, toolchain.
fn machine() -> Vec<(String, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| measure::kib_field(&m, "MemTotal"))
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let fs = Command::new("stat")
        .args(["-f", "-c", "%T", "target"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    vec![
        ("CPU".to_owned(), format!("{model}, {cores} cores")),
        (
            "memory".to_owned(),
            format!("{:.1} GiB", mem_kib as f64 / 1_048_576.0),
        ),
        ("kernel".to_owned(), format!("Linux {kernel}")),
        ("filesystem of target/".to_owned(), fs),
        ("toolchain".to_owned(), rustc),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_quick_shrinks_everything() {
        let s = Settings::parse(&[]).unwrap().unwrap();
        assert_eq!(s.sizes, [1_000, 10_000, 100_000]);
        assert_eq!(s.tap_jira_max, Some(10_000));
        let q = Settings::parse(&["--quick".to_owned()]).unwrap().unwrap();
        assert_eq!((q.sizes.as_slice(), q.sweep_issues), (&[300][..], 300));
        let args = ["--sizes", "1_000,5000", "--skip-tap-jira"].map(String::from);
        let s = Settings::parse(&args).unwrap().unwrap();
        assert_eq!((s.sizes, s.tap_jira_max), (vec![1_000, 5_000], None));
        assert!(Settings::parse(&["--sizes".to_owned(), "0".to_owned()]).is_err());
        assert!(Settings::parse(&["--nope".to_owned()]).is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(civil_date(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(civil_date(1_795_910_400 + 86_399), "2026-11-29T00:00:00Z");
    }
}
