//! moto's server (a real AWS API emulator over HTTP) for the workspace's
//! AWS tests: state-store's backends, the CLI against S3/SSM/Secrets
//! Manager, and the Lambda end to end.
//!
//! `cargo xtask test` installs moto into `.venv/`, starts one server and
//! exports `MOTO_ENDPOINT_URL`. Without it (a developer running `cargo test
//! -p lambda`), the first test in a process that asks for the endpoint
//! starts `moto_server` on a free loopback port through a small `sh`
//! watchdog that kills moto as soon as the test process is gone, so no
//! server outlives the test binary (cargo test runs one per binary, nextest
//! one per test process). Without moto the tests fail with a message saying
//! how to get it; they never skip silently.

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

/// Runs moto on `$2` and kills it once process `$3` (the test binary) is gone.
const WATCHDOG: &str = r#"
"$1" -H 127.0.0.1 -p "$2" >/dev/null 2>&1 &
child=$!
trap 'kill "$child" 2>/dev/null; wait "$child" 2>/dev/null' EXIT INT TERM
while kill -0 "$3" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.2; done
"#;

/// The moto endpoint (`http://127.0.0.1:PORT`) for this test process,
/// started on first use unless `MOTO_ENDPOINT_URL` names one.
///
/// # Panics
///
/// When moto is not installed or does not start within 60 s.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("MOTO_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_moto(),
    })
}

/// A name unique within this moto server (tests share one per process, and
/// `cargo xtask test` shares one across processes).
pub fn unique(kind: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{kind}-{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// An `Authorization` header for a raw JSON call (KMS, Secrets Manager):
/// moto checks no signature but routes some services by the credential
/// scope, so the scope names the service.
pub fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=0"
    )
}

fn find_moto() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("moto_server"))
            .find(|p| p.is_file())
    })
}

// The watchdog must outlive this function (it runs as long as the test
// process does) and is reaped by init once it has stopped moto; waiting for
// it here would block forever.
#[allow(clippy::zombie_processes)]
fn start_moto() -> String {
    let moto = find_moto().unwrap_or_else(|| {
        panic!(
            "the AWS tests need moto's server, and MOTO_ENDPOINT_URL is unset and no \
             moto_server is in .venv/bin or on PATH; run `cargo xtask test` (it installs and \
             starts moto), or `pip install 'moto[server]'`"
        )
    });
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port for moto")
        .port();
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .arg(&moto)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", moto.display()));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return format!("http://127.0.0.1:{port}");
        }
        if let Ok(Some(status)) = watchdog.try_wait() {
            panic!("{} exited during start-up ({status})", moto.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{} did not listen on port {port} within 60 s",
        moto.display()
    );
}
