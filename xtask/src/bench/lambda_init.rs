//! Cold-start init time of the Lambda's `bootstrap`: from exec to its first
//! `GET /2018-06-01/runtime/invocation/next`, which is exactly what Lambda
//! reports as "Init Duration". A minimal Runtime API on loopback stands in
//! for Lambda's; it answers nothing, so each sample measures init alone.
//!
//! Init builds the AWS SDK clients from the environment and reads the
//! function's configuration; it makes no network call, so no emulator is
//! needed behind it.

use std::{
    io::{BufRead as _, BufReader},
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

/// Init time of `samples` cold starts, sorted ascending, and the largest
/// resident memory seen at the end of init.
pub(crate) fn measure(bootstrap: &Path, samples: usize) -> Result<(Vec<Duration>, u64)> {
    let mut times = Vec::with_capacity(samples);
    let mut peak_rss = 0;
    for _ in 0..samples {
        let (t, rss) = one(bootstrap)?;
        times.push(t);
        peak_rss = peak_rss.max(rss);
    }
    times.sort();
    Ok((times, peak_rss))
}

fn one(bootstrap: &Path) -> Result<(Duration, u64)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The first request line the runtime sends, with when it came.
        if let Ok((stream, _)) = listener.accept() {
            let mut line = String::new();
            let _ = BufReader::new(stream).read_line(&mut line);
            let _ = tx.send((Instant::now(), line));
        }
    });
    let started = Instant::now();
    let mut child = Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "jira-ingest-bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/jira-ingest-bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("JIRA_INGEST_S3_BUCKET", "bench-bucket")
        .env("JIRA_OAUTH_SECRET_ID", "jira-ingest/oauth")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {}", bootstrap.display()))?;
    let got = rx.recv_timeout(Duration::from_secs(30));
    let rss = super::measure::read_vm_hwm_kib(child.id()).unwrap_or(0) * 1024;
    let _ = child.kill();
    let output = child.wait_with_output()?;
    let Ok((at, line)) = got else {
        bail!(
            "bootstrap never asked the Runtime API for an invocation; its log:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    if !line.starts_with("GET /2018-06-01/runtime/invocation/next") {
        bail!("bootstrap's first request was {line:?}, not invocation/next");
    }
    Ok((at - started, rss))
}
