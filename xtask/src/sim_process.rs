//! The `jira-sim` binary as a child process, for the demo and the benchmark.
//!
//! The simulator runs with `--control-stdin`: xtask holds its stdin, sends
//! control commands (`stats`, `edit N`) and reads one JSON line back for
//! each. When xtask ends for any reason (error, Ctrl-C, even SIGKILL) the
//! pipe closes and the simulator stops on end of input, so it never
//! outlives the command that started it.

use std::{
    io::{BufRead as _, BufReader, Write as _},
    path::Path,
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{Receiver, RecvTimeoutError},
    time::Duration,
};

use anyhow::{Context, Result, bail};

/// How the simulator is started.
#[derive(Clone, Debug)]
pub(crate) struct SimOptions {
    pub(crate) issues: usize,
    pub(crate) seed: u64,
    pub(crate) email: String,
    pub(crate) api_token: String,
    /// Added to every REST call.
    pub(crate) latency_ms: u64,
    /// Requests per second per endpoint before a `jira-burst-based` 429.
    pub(crate) burst_limit: Option<u32>,
    /// RFC 3339 "now" of the generated dataset; `None` is the start time.
    pub(crate) anchor: Option<String>,
}

/// A running simulator; stopped on drop.
pub(crate) struct SimProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    url: String,
}

impl SimProcess {
    /// Starts `sim_bin`, logging its stderr to `log_path`, and waits for
    /// the base URL it prints once listening.
    pub(crate) fn start(sim_bin: &Path, log_path: &Path, opts: &SimOptions) -> Result<Self> {
        if let Some(dir) = log_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let log = std::fs::File::create(log_path)
            .with_context(|| format!("could not create {}", log_path.display()))?;
        let mut cmd = Command::new(sim_bin);
        cmd.args(["--addr", "127.0.0.1:0", "--control-stdin"])
            .args(["--issues", &opts.issues.to_string()])
            .args(["--seed", &opts.seed.to_string()])
            .args(["--email", &opts.email])
            .args(["--api-token", &opts.api_token])
            .args(["--latency-ms", &opts.latency_ms.to_string()]);
        if let Some(limit) = opts.burst_limit {
            cmd.args(["--burst-limit", &limit.to_string()]);
        }
        if let Some(anchor) = &opts.anchor {
            cmd.args(["--anchor", anchor]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("could not start {}", sim_bin.display()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("jira-sim stdout")?;
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // From here on the guard stops the simulator on every early return.
        let mut sim = SimProcess {
            child,
            stdin,
            lines,
            url: String::new(),
        };
        let url = sim.read_line(Duration::from_secs(120)).with_context(|| {
            format!("jira-sim did not print its URL; see {}", log_path.display())
        })?;
        if !url.starts_with("http://127.0.0.1:") {
            bail!(
                "jira-sim did not start (first line {url:?}); see {}",
                log_path.display()
            );
        }
        sim.url = url;
        Ok(sim)
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one control command and returns its JSON answer.
    pub(crate) fn control(&mut self, command: &str) -> Result<serde_json::Value> {
        let stdin = self
            .stdin
            .as_mut()
            .context("the simulator's stdin is closed")?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .with_context(|| format!("could not send `{command}` to jira-sim (did it exit?)"))?;
        let line = self
            .read_line(Duration::from_secs(600))
            .with_context(|| format!("jira-sim did not answer `{command}`"))?;
        let value: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("jira-sim answered `{command}` with {line:?}"))?;
        if let Some(e) = value.get("error") {
            bail!("jira-sim refused `{command}`: {e}");
        }
        Ok(value)
    }

    fn read_line(&self, timeout: Duration) -> Result<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line.trim().to_owned()),
            Err(RecvTimeoutError::Timeout) => bail!("no answer within {}s", timeout.as_secs()),
            Err(RecvTimeoutError::Disconnected) => bail!("jira-sim exited"),
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        // Closing stdin asks it to stop; kill covers a wedged process.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
