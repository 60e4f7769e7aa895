//! moto's server: the one `cargo xtask test` started (`MOTO_ENDPOINT_URL`),
//! or one started here on a free port and killed when the test ends.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub(crate) struct Moto {
    pub(crate) endpoint: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn program() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    if venv.is_file() {
        return venv;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|p| p.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "moto_server is needed for the Lambda end-to-end test and was not found in .venv/bin \
             or on PATH: run `cargo xtask test` (it installs it), or `pip install 'moto[server]'`"
        )
    })
}

impl Moto {
    pub(crate) async fn get() -> Moto {
        if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT_URL")
            && !endpoint.is_empty()
        {
            return Moto {
                endpoint,
                child: None,
            };
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let program = program();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", program.display()));
        let moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http
                .get(format!("{}/moto-api/", moto.endpoint))
                .send()
                .await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on {} within 60 s",
                moto.endpoint
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        moto
    }

    /// SDK configuration for the emulator with fake credentials.
    pub(crate) async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// Creates a customer-managed KMS key and returns its ARN. KMS is one
    /// JSON call; a raw request keeps aws-sdk-kms out of the build.
    pub(crate) async fn create_kms_key(&self) -> String {
        let resp = reqwest::Client::new()
            .post(&self.endpoint)
            .header("X-Amz-Target", "TrentService.CreateKey")
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kms/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(r#"{"Description":"jira-ingest lambda test"}"#)
            .send()
            .await
            .expect("moto answers CreateKey");
        assert!(resp.status().is_success(), "CreateKey: {}", resp.status());
        let body: serde_json::Value = resp.json().await.expect("CreateKey returns JSON");
        body["KeyMetadata"]["Arn"]
            .as_str()
            .expect("CreateKey returns an ARN")
            .to_owned()
    }
}
