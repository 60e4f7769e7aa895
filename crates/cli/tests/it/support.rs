//! Starting the simulator and running the built binary.

use std::{path::Path, process::Stdio, time::Duration};

use jira_sim::{JiraSim, SimConfig};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

pub(crate) const EMAIL: &str = "bot@example.com";
pub(crate) const TOKEN: &str = "tok-SECRET-4f1d9";

/// A simulator on the wall clock (the binary reads the wall clock too), with
/// `issues` issues updated during the last year.
pub(crate) async fn sim(issues: usize, tweak: impl FnOnce(&mut SimConfig)) -> JiraSim {
    let mut config = SimConfig {
        issues,
        seed: 11,
        email: EMAIL.into(),
        api_token: TOKEN.into(),
        ..SimConfig::default()
    };
    tweak(&mut config);
    JiraSim::start(config).await.expect("the simulator starts")
}

/// Environment for API-token auth against `sim`, reading the whole dataset.
pub(crate) fn basic_env(sim: &JiraSim) -> Vec<(String, String)> {
    vec![
        ("JIRA_SITE".into(), sim.base_url().to_owned()),
        ("JIRA_EMAIL".into(), EMAIL.into()),
        ("JIRA_API_TOKEN".into(), TOKEN.into()),
        ("JIRA_BACKFILL_DAYS".into(), "400".into()),
        // The simulator's edits are searchable at once.
        ("JIRA_INDEX_LAG".into(), "0s".into()),
    ]
}

#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON value ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub(crate) fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `jira-ingest` in `dir` with exactly `env` (nothing inherited, so a
/// developer's own JIRA_* variables cannot leak into a test).
pub(crate) async fn run(
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_jira-ingest"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("jira-ingest starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes())
            .await
            .expect("stdin accepts input");
        drop(pipe);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("jira-ingest finishes within 2 minutes")
        .expect("jira-ingest runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Files under `dir/sub`, relative names, sorted.
pub(crate) fn files(dir: &Path, sub: &str) -> Vec<String> {
    let mut out = Vec::new();
    let root = dir.join(sub);
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

pub(crate) fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}
