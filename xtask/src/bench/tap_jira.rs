//! The alternative a user would pick instead: singer `tap-jira` 2.6.0 from
//! PyPI, run against the same simulator, measured the same way.
//!
//! It is installed into its own virtualenv (`target/tap-jira/venv`, shared
//! with `crates/jira-sim/scripts/tap-jira-check.sh`), because its pinned
//! dependencies clash with moto's in `.venv/`.
//!
//! tap-jira's basic-auth client rewrites every base URL to `https://`
//! (`tap_jira/http.py`, `Client.url`), and the simulator serves plain HTTP
//! on loopback. A TLS proxy in front of the simulator would charge tap-jira
//! for a Python proxy's CPU on the same two cores, so instead a three-line
//! launcher keeps the configured scheme and then runs tap-jira's own `main`
//! unchanged.

use std::{
    collections::BTreeMap,
    io::BufRead as _,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};

use crate::util;

use super::measure::{self, Measured};

const REQUIREMENT: &str = "tap-jira==2.6.0";
/// The streams that hold what `jira-ingest` stores: issues with their
/// comments and change history.
const STREAMS: &[&str] = &["issues", "issue_comments", "changelogs"];

const LAUNCHER: &str = r#"
# Keeps the base URL's scheme (tap-jira forces https), then runs tap-jira.
import sys, tap_jira, tap_jira.http as http
http.Client.url = lambda self, path: self.base_url.rstrip("/") + "/" + path.lstrip("/")
sys.exit(tap_jira.main())
"#;

/// A tap-jira installation ready to run.
pub(crate) struct TapJira {
    python: PathBuf,
    launcher: PathBuf,
    work: PathBuf,
}

/// What one tap-jira sync produced.
#[derive(Clone, Debug)]
pub(crate) struct TapRun {
    pub(crate) measured: Measured,
    pub(crate) records: BTreeMap<String, u64>,
    pub(crate) bytes: u64,
}

impl TapJira {
    /// Installs tap-jira 2.6.0 into `target/tap-jira/venv` when missing.
    pub(crate) fn install(root: &Path) -> Result<TapJira> {
        let work = root.join("target").join("tap-jira");
        let venv = work.join("venv");
        let python = venv.join("bin").join("python");
        let installed = Command::new(&python)
            .args(["-c", "import tap_jira"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            eprintln!("xtask: installing {REQUIREMENT} into {}", venv.display());
            std::fs::create_dir_all(&work)?;
            util::run(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv target/tap-jira/venv",
            )
            .context("could not create tap-jira's virtualenv; install python3-venv")?;
            util::run(
                Command::new(venv.join("bin").join("pip")).args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    REQUIREMENT,
                ]),
                &format!("pip install {REQUIREMENT}"),
            )
            .with_context(|| {
                format!("could not install {REQUIREMENT}; check that PyPI is reachable")
            })?;
        }
        let launcher = work.join("run_tap_jira.py");
        std::fs::write(&launcher, LAUNCHER)?;
        Ok(TapJira {
            python,
            launcher,
            work,
        })
    }

    /// Discovery, then a measured sync of issues, comments and changelogs
    /// updated since `start_date`.
    pub(crate) fn sync(
        &self,
        site: &str,
        email: &str,
        token: &str,
        start_date: &str,
        name: &str,
    ) -> Result<TapRun> {
        let dir = self.work.join(name);
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("config.json");
        std::fs::write(
            &config,
            serde_json::to_vec_pretty(&serde_json::json!({
                "start_date": start_date,
                "username": email,
                "password": token,
                "base_url": site,
                "user_agent": "jira-ingest benchmark",
                "request_timeout": 300,
            }))?,
        )?;
        let output = Command::new(&self.python)
            .arg(&self.launcher)
            .arg("--config")
            .arg(&config)
            .arg("--discover")
            .output()
            .context("could not run tap-jira discovery")?;
        if !output.status.success() {
            bail!(
                "tap-jira discovery failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .rev()
                    .take(10)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        let mut catalog: serde_json::Value = serde_json::from_slice(&output.stdout)
            .context("tap-jira discovery printed no catalog")?;
        select_streams(&mut catalog)?;
        let catalog_path = dir.join("catalog.json");
        std::fs::write(&catalog_path, serde_json::to_vec(&catalog)?)?;

        let records_path = dir.join("records.jsonl");
        // tap-jira 2.6.0 reads the catalog from the legacy `--properties`.
        let measured = measure::run(
            Command::new(&self.python)
                .arg(&self.launcher)
                .arg("--config")
                .arg(&config)
                .arg("--properties")
                .arg(&catalog_path),
            "tap-jira sync",
            &dir.join("sync.log"),
            Some(&records_path),
        )?;
        let bytes = std::fs::metadata(&records_path)?.len();
        let records = count_records(&records_path)?;
        let _ = std::fs::remove_file(&records_path);
        Ok(TapRun {
            measured,
            records,
            bytes,
        })
    }
}

/// Marks the benchmark's streams selected (Singer catalogs come with
/// nothing selected).
fn select_streams(catalog: &mut serde_json::Value) -> Result<()> {
    let streams = catalog["streams"]
        .as_array_mut()
        .context("tap-jira's catalog has no streams")?;
    let mut found = 0;
    for stream in streams {
        let wanted = STREAMS.contains(&stream["tap_stream_id"].as_str().unwrap_or_default());
        found += usize::from(wanted);
        for m in stream["metadata"].as_array_mut().into_iter().flatten() {
            if m["breadcrumb"].as_array().is_some_and(Vec::is_empty) {
                m["metadata"]["selected"] = wanted.into();
            }
        }
    }
    if found != STREAMS.len() {
        bail!("tap-jira's catalog lacks some of the streams {STREAMS:?}");
    }
    Ok(())
}

/// Singer `RECORD` messages per stream.
fn count_records(path: &Path) -> Result<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    let file = std::fs::File::open(path)?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if msg["type"] == "RECORD"
            && let Some(stream) = msg["stream"].as_str()
        {
            *counts.entry(stream.to_owned()).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_benchmark_streams_are_selected() {
        let mut catalog = serde_json::json!({"streams": [
            {"tap_stream_id": "issues", "metadata": [{"breadcrumb": [], "metadata": {}}]},
            {"tap_stream_id": "issue_comments", "metadata": [{"breadcrumb": [], "metadata": {}}]},
            {"tap_stream_id": "changelogs", "metadata": [{"breadcrumb": [], "metadata": {}},
                {"breadcrumb": ["properties", "id"], "metadata": {}}]},
            {"tap_stream_id": "worklogs", "metadata": [{"breadcrumb": [], "metadata": {}}]},
        ]});
        select_streams(&mut catalog).unwrap();
        let selected: Vec<&str> = catalog["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["metadata"][0]["metadata"]["selected"] == true)
            .map(|s| s["tap_stream_id"].as_str().unwrap())
            .collect();
        assert_eq!(selected, ["issues", "issue_comments", "changelogs"]);
        assert!(catalog["streams"][2]["metadata"][1]["metadata"]["selected"].is_null());
        let mut missing = serde_json::json!({"streams": []});
        assert!(select_streams(&mut missing).is_err());
    }

    #[test]
    fn records_are_counted_per_stream() {
        let path = std::env::temp_dir().join(format!("xtask-tap-{}.jsonl", std::process::id()));
        std::fs::write(
            &path,
            "{\"type\": \"SCHEMA\", \"stream\": \"issues\"}\n\
             {\"type\": \"RECORD\", \"stream\": \"issues\", \"record\": {\"id\": \"1\"}}\n\
             {\"type\": \"RECORD\", \"stream\": \"issues\", \"record\": {}}\n\
             {\"type\": \"RECORD\", \"stream\": \"changelogs\", \"record\": {}}\n\
             {\"type\": \"STATE\", \"value\": {}}\nnot json\n",
        )
        .unwrap();
        let counts = count_records(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(counts.get("issues"), Some(&2));
        assert_eq!(counts.get("changelogs"), Some(&1));
        assert_eq!(counts.len(), 2);
    }
}
