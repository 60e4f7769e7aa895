//! moto's server, the local AWS emulator the AWS backends are tested against.
//!
//! It is installed into a project-local virtualenv (`.venv/`) when no working
//! `moto_server` is on `PATH`, started on a free 127.0.0.1 port, and stopped
//! when the guard drops, when a step fails, or on Ctrl-C.

use std::{
    fs::File,
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::venv;

/// The version installed when the machine has none; any moto 5 works.
const MOTO_REQUIREMENT: &str = "moto[server]==5.2.1";

/// A running moto server, killed on drop.
pub(crate) struct Moto {
    child: Arc<Mutex<Option<Child>>>,
    endpoint: String,
}

impl Moto {
    pub(crate) fn start(root: &Path) -> Result<Self> {
        // `moto_server` has no `--version`; `--help` proves it runs.
        let program = venv::tool(root, "moto_server", "--help", MOTO_REQUIREMENT)?;
        let port = free_port()?;
        let log_dir = root.join("target").join("xtask");
        std::fs::create_dir_all(&log_dir)?;
        let log_path = log_dir.join("moto.log");
        let log = File::create(&log_path)?;
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Terraform attaches AWS-managed IAM policies; moto only knows
            // them when asked to load them.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("could not start {}", program.display()))?;
        let child = Arc::new(Mutex::new(Some(child)));
        install_ctrlc_handler(Arc::clone(&child));
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        moto.wait_ready(port, &log_path)?;
        eprintln!("xtask: moto listening on {}", moto.endpoint);
        Ok(moto)
    }

    /// Environment for test processes: the emulator endpoint under its own
    /// name and as the SDK's standard override, plus fake credentials so no
    /// test can ever reach a real AWS account.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        [
            ("MOTO_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn wait_ready(&self, port: u16, log_path: &Path) -> Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            let exited = self
                .child
                .lock()
                .ok()
                .and_then(|mut c| c.as_mut().and_then(|c| c.try_wait().ok().flatten()));
            if let Some(status) = exited {
                bail!(
                    "moto_server exited during start-up ({status}); see {}",
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "moto_server did not listen on port {port} within 60 s; see {}",
            log_path.display()
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        stop(&self.child);
    }
}

fn stop(child: &Mutex<Option<Child>>) {
    if let Ok(mut guard) = child.lock()
        && let Some(mut child) = guard.take()
    {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn install_ctrlc_handler(child: Arc<Mutex<Option<Child>>>) {
    let result = ctrlc::set_handler(move || {
        stop(&child);
        eprintln!("\nxtask: interrupted; moto stopped");
        std::process::exit(130);
    });
    if let Err(err) = result {
        eprintln!("xtask: warning: could not install the Ctrl-C handler: {err}");
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("no free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}
