//! Runs a child process to completion and measures it from outside: wall
//! time, CPU time and peak resident memory, read from `/proc` (Linux).
//!
//! Peak memory is the kernel's own high-water mark (`VmHWM`), read while
//! the process runs, every 10 ms; CPU time is read from the finished
//! process before it is reaped, so both are exact up to the last 10 ms.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

/// What one run cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Measured {
    pub(crate) wall: Duration,
    pub(crate) cpu_user: Duration,
    pub(crate) cpu_system: Duration,
    pub(crate) peak_rss_bytes: u64,
    pub(crate) stdout: String,
}

impl Measured {
    pub(crate) fn cpu(&self) -> Duration {
        self.cpu_user + self.cpu_system
    }
}

/// Runs `cmd` with stderr written to `log` and stdout captured (or
/// written to `stdout_file` when given, for large outputs); fails with the
/// log's tail when the command fails.
pub(crate) fn run(
    cmd: &mut Command,
    name: &str,
    log: &Path,
    stdout_file: Option<&Path>,
) -> Result<Measured> {
    let log_file = std::fs::File::create(log)
        .with_context(|| format!("could not create {}", log.display()))?;
    let stdout_to = match stdout_file {
        Some(path) => Stdio::from(
            std::fs::File::create(path)
                .with_context(|| format!("could not create {}", path.display()))?,
        ),
        None => Stdio::piped(),
    };
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout_to)
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("could not start `{name}`"))?;
    let pid = child.id();
    let reader = child.stdout.take().map(|mut stdout| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
            text
        })
    });
    let ticks = clock_ticks_per_second();
    let mut peak_kib = 0u64;
    let mut cpu = (0u64, 0u64);
    let wall;
    loop {
        if let Some(kib) = read_vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        match read_stat(pid) {
            // Finished but not yet reaped: its CPU times are final.
            Some(stat) if stat.state == 'Z' || stat.state == 'X' => {
                wall = started.elapsed();
                cpu = (stat.utime, stat.stime);
                break;
            }
            Some(stat) => cpu = (stat.utime, stat.stime),
            None => {
                wall = started.elapsed();
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = child.wait()?;
    let stdout = reader
        .map(|r| r.join().unwrap_or_default())
        .unwrap_or_default();
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "`{name}` failed ({status}); last lines of {}:\n{}",
            log.display(),
            tail.join("\n")
        );
    }
    let secs = |t: u64| Duration::from_secs_f64(t as f64 / ticks as f64);
    Ok(Measured {
        wall,
        cpu_user: secs(cpu.0),
        cpu_system: secs(cpu.1),
        peak_rss_bytes: peak_kib * 1024,
        stdout,
    })
}

/// CPU time (user, system) a live process has used so far.
pub(crate) fn cpu_of(pid: u32) -> Option<Duration> {
    let stat = read_stat(pid)?;
    let ticks = clock_ticks_per_second() as f64;
    Some(Duration::from_secs_f64(
        (stat.utime + stat.stime) as f64 / ticks,
    ))
}

#[derive(Debug, PartialEq)]
struct Stat {
    state: char,
    utime: u64,
    stime: u64,
}

fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Parses `/proc/<pid>/stat`; the command name may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        utime: fields.get(11)?.parse().ok()?,
        stime: fields.get(12)?.parse().ok()?,
    })
}

/// The process's peak resident memory so far (`VmHWM`), KiB.
pub(crate) fn read_vm_hwm_kib(pid: u32) -> Option<u64> {
    kib_field(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        "VmHWM",
    )
}

/// A `Name:   1234 kB` line of a `/proc` file such as `status` or `meminfo`.
pub(crate) fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `getconf CLK_TCK`; 100 on every Linux this runs on, used if it fails.
fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let line = "4242 (tap (jira) x) Z 1 2 3 4 5 6 7 8 9 10 250 31 0 0 20 0 1 0";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                state: 'Z',
                utime: 250,
                stime: 31
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn vm_hwm_is_read_in_kib() {
        let status =
            "Name:\tjira-ingest\nVmPeak:\t  900 kB\nVmHWM:\t   45123 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(kib_field(status, "VmHWM"), Some(45_123));
        assert_eq!(kib_field("Name:\tzombie\n", "VmHWM"), None);
    }

    #[test]
    fn a_real_child_is_measured() {
        let dir = std::env::temp_dir().join(format!("xtask-measure-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let m = run(
            Command::new("sh").args([
                "-c",
                "echo hello; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done",
            ]),
            "sh",
            &dir.join("log"),
            None,
        )
        .unwrap();
        assert_eq!(m.stdout.trim(), "hello");
        assert!(m.peak_rss_bytes > 0, "{m:?}");
        assert!(m.wall > Duration::ZERO);
        let e = run(
            Command::new("sh").args(["-c", "echo oops >&2; exit 3"]),
            "sh",
            &dir.join("log"),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("oops") && e.contains("exit status: 3"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
