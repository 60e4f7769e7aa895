//! Starting the simulator and running the built binary.

use std::{collections::BTreeMap, path::Path, process::Stdio, time::Duration};

use jira_sim::{JiraSim, SimConfig, SimDeployment};
use serde_json::Value;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use tokio::io::AsyncWriteExt as _;

pub(crate) const EMAIL: &str = "bot@example.com";
pub(crate) const TOKEN: &str = "tok-SECRET-4f1d9";
pub(crate) const PAT: &str = "pat-SECRET-dc";

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

/// [`sim`] playing Jira Data Center, accepting [`PAT`], with a search page
/// cap of 25 so that a sync pages by `startAt`, and a user in Los Angeles so
/// that timestamps carry an offset.
pub(crate) async fn data_center_sim(issues: usize) -> JiraSim {
    sim(issues, |c| {
        c.deployment = SimDeployment::DataCenter {
            search_max_results: 25,
        };
        c.pat = Some(PAT.into());
        c.user_time_zone = "America/Los_Angeles".into();
    })
    .await
}

/// Environment for API-token auth against `sim`, reading the whole dataset.
pub(crate) fn basic_env(sim: &JiraSim) -> Vec<(String, String)> {
    site_env(
        sim,
        [
            ("JIRA_EMAIL", EMAIL.into()),
            ("JIRA_API_TOKEN", TOKEN.into()),
        ],
    )
}

/// Environment for Data Center PAT auth against `sim`, reading the whole dataset.
pub(crate) fn pat_env(sim: &JiraSim) -> Vec<(String, String)> {
    site_env(sim, [("JIRA_PAT", PAT.into())])
}

fn site_env<const N: usize>(sim: &JiraSim, auth: [(&str, String); N]) -> Vec<(String, String)> {
    let mut env = vec![("JIRA_SITE".into(), sim.base_url().to_owned())];
    env.extend(auth.map(|(k, v)| (k.to_owned(), v)));
    env.extend([
        ("JIRA_BACKFILL_DAYS".into(), "400".into()),
        // The simulator's edits are searchable at once.
        ("JIRA_INDEX_LAG".into(), "0s".into()),
    ]);
    env
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

/// Normalized documents under the data directory `data`, by issue key.
pub(crate) fn documents(data: &Path) -> BTreeMap<String, Value> {
    let dir = data.join("normalized/jira");
    files(data, "normalized/jira")
        .into_iter()
        .map(|f| {
            (
                f.trim_end_matches(".json").to_owned(),
                read_json(&dir.join(&f)),
            )
        })
        .collect()
}

/// Asserts the documents under `data` are exactly the simulator's visible
/// issues, each at its current version and with all of its comments (so the
/// sync must have run with `JIRA_INCLUDE_RESTRICTED_COMMENTS`).
#[track_caller]
pub(crate) fn assert_matches_ground_truth(data: &Path, sim: &JiraSim) {
    let docs = documents(data);
    let truth = sim.issues_snapshot();
    let mut want: Vec<&str> = truth.iter().map(|i| i.key.as_str()).collect();
    want.sort_unstable();
    assert_eq!(docs.keys().collect::<Vec<_>>(), want, "document keys");
    for issue in &truth {
        let doc = &docs[&issue.key];
        assert_eq!(doc["id"], issue.id.as_str(), "id of {}", issue.key);
        let updated = OffsetDateTime::parse(doc["updated"].as_str().unwrap(), &Rfc3339).unwrap();
        assert_eq!(updated, issue.updated, "updated of {}", issue.key);
        let facts = sim.issue_facts(&issue.key).unwrap();
        let comments = doc["comments"].as_array().unwrap();
        assert_eq!(
            comments.len(),
            facts.comment_total,
            "comments of {}",
            issue.key
        );
        assert_eq!(doc["comments_complete"], true, "{}", issue.key);
    }
}
