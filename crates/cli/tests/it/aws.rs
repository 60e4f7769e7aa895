//! The AWS switches (`--s3-bucket`, `--kms-key-id`, `--ssm-parameter`,
//! `--oauth-secret-id`) against moto's server (see the `moto-harness`
//! crate: the one `cargo xtask test` started, or one per test process).
//! The few emulator calls the test itself needs are raw HTTP, which keeps
//! the AWS SDK out of this crate's dev-dependencies.

use std::time::Duration;

use jira_sim::OAuthConfig;
use moto_harness::authorization as auth;
use serde_json::{Value, json};

use crate::support::{run, sim};

struct Moto {
    endpoint: String,
    http: reqwest::Client,
}

impl Moto {
    async fn get() -> Moto {
        // Starting moto blocks while it boots: keep that off the runtime.
        let endpoint = tokio::task::spawn_blocking(moto_harness::endpoint)
            .await
            .expect("moto start-up task");
        Moto {
            endpoint: endpoint.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn json_call(&self, service: &str, target: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(&self.endpoint)
            .header("X-Amz-Target", target)
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("Authorization", auth(service))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{target}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn create_bucket(&self, bucket: &str) {
        let resp = self
            .http
            .put(format!("{}/{bucket}", self.endpoint))
            .header("Authorization", auth("s3"))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "CreateBucket: {}",
            resp.status()
        );
    }

    /// The encryption headers of an object.
    async fn encryption(&self, bucket: &str, key: &str) -> (String, String) {
        let resp = self
            .http
            .head(format!("{}/{bucket}/{key}", self.endpoint))
            .header("Authorization", auth("s3"))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "HeadObject {key}: {}",
            resp.status()
        );
        let h = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        (
            h("x-amz-server-side-encryption"),
            h("x-amz-server-side-encryption-aws-kms-key-id"),
        )
    }

    fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_ssm_and_secrets_manager_replace_the_local_backends() {
    let sim = sim(40, |c| {
        c.oauth = Some(OAuthConfig {
            client_id: "cli-aws".into(),
            client_secret: "cs-SECRET-aws".into(),
            initial_refresh_token: "rt-SECRET-aws-0".into(),
            reuse_leeway: Duration::ZERO,
            ..OAuthConfig::default()
        })
    })
    .await;
    let moto = Moto::get().await;
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let bucket = format!("cli-it-{unique}");
    moto.create_bucket(&bucket).await;
    let key = moto
        .json_call(
            "kms",
            "TrentService.CreateKey",
            json!({"Description": "cli test"}),
        )
        .await;
    let key_arn = key["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let secret_id = format!("jira-ingest/cli-{unique}");
    let bundle = json!({
        "client_id": "cli-aws",
        "client_secret": "cs-SECRET-aws",
        "refresh_token": "rt-SECRET-aws-0",
        "base_url": sim.base_url(),
    });
    moto.json_call(
        "secretsmanager",
        "secretsmanager.CreateSecret",
        json!({"Name": secret_id, "SecretString": bundle.to_string()}),
    )
    .await;
    let parameter = format!("/rag/jira/cli-{unique}");

    let dir = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.extend(
        [
            ("JIRA_OAUTH_SECRET_ID", secret_id.as_str()),
            ("JIRA_OAUTH_TOKEN_URL", &sim.token_url()),
            ("JIRA_API_GATEWAY", &sim.api_gateway()),
            ("JIRA_INGEST_S3_BUCKET", bucket.as_str()),
            ("JIRA_INGEST_S3_PREFIX", "team/jira"),
            ("JIRA_INGEST_KMS_KEY_ID", key_arn.as_str()),
            ("JIRA_INGEST_SSM_PARAMETER", parameter.as_str()),
            ("JIRA_BACKFILL_DAYS", "400"),
            ("JIRA_INDEX_LAG", "0s"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );

    let out = run(dir.path(), &["sync", "--json"], &env, None).await;
    let v = out.assert_code(0).json();
    assert_eq!(v["written"], 40, "{v}");
    assert!(
        !dir.path().join("jira-data").exists(),
        "nothing is written locally"
    );
    assert!(!out.stderr.contains("SECRET"), "{}", out.stderr);

    // The objects are in the bucket under the prefix, encrypted with the key.
    let manifest = v["manifest_key"].as_str().unwrap();
    for object in [
        format!("team/jira/{manifest}"),
        "team/jira/state/jira/index.json".to_owned(),
    ] {
        let (sse, kms) = moto.encryption(&bucket, &object).await;
        assert_eq!(sse, "aws:kms", "{object}");
        let key_id = key_arn.rsplit('/').next().unwrap();
        assert!(
            !key_id.is_empty() && kms.contains(key_id),
            "{object}: {kms} is not {key_arn}"
        );
    }

    // The rotated refresh token went back to Secrets Manager.
    let stored = moto
        .json_call(
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            json!({"SecretId": secret_id}),
        )
        .await;
    let stored: Value = serde_json::from_str(stored["SecretString"].as_str().unwrap()).unwrap();
    assert_ne!(stored["refresh_token"], "rt-SECRET-aws-0");
    assert_eq!(stored["client_secret"], "cs-SECRET-aws");

    // status and doctor read the same backends; the cursor is in SSM.
    let status = run(dir.path(), &["status", "--json"], &env, None).await;
    let s = status.assert_code(0).json();
    assert_eq!(s["issues"], 40, "{s}");
    assert_eq!(s["cursor"], v["cursor"]);
    assert!(
        s["cursor_location"].as_str().unwrap().contains(&parameter),
        "{s}"
    );
    assert_eq!(s["storage"], format!("s3://{bucket}/team/jira"));

    let doctor = run(dir.path(), &["doctor", "--json"], &env, None).await;
    let d = doctor.assert_code(0).json();
    assert_eq!(d["passed"], true, "{d}");

    // An incremental run continues from the SSM cursor with the new token.
    let again = run(dir.path(), &["sync", "--json"], &env, None).await;
    assert_eq!(again.assert_code(0).json()["written"], 0);
    assert!(!sim.oauth_family_revoked());
}
