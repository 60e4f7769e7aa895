//! Invocations of the real function against moto and the simulator.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use aws_sdk_s3::types::ServerSideEncryption;
use jira_sim::{IssueEdit, JiraSim, OAuthConfig, SimConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::{
    moto::Moto,
    runtime_api::{Outcome, RuntimeApi},
};

const CLIENT_SECRET: &str = "cs-SECRET-lambda";
const FIRST_REFRESH: &str = "rt-SECRET-lambda-0";
const PREFIX: &str = "corpus";

async fn sim(issues: usize, latency: Duration) -> JiraSim {
    JiraSim::start(SimConfig {
        issues,
        seed: 5,
        latency,
        oauth: Some(OAuthConfig {
            client_id: "lambda-client".into(),
            client_secret: CLIENT_SECRET.into(),
            initial_refresh_token: FIRST_REFRESH.into(),
            // Reusing any rotated-out token revokes the family at once: a
            // token that was not written back fails the next invocation.
            reuse_leeway: Duration::ZERO,
            ..OAuthConfig::default()
        }),
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts")
}

/// The AWS side of one deployment: bucket, KMS key, secret, parameter.
struct Stack {
    moto: Moto,
    s3: aws_sdk_s3::Client,
    ssm: aws_sdk_ssm::Client,
    secrets: aws_sdk_secretsmanager::Client,
    bucket: String,
    key_arn: String,
    secret_id: String,
    parameter: String,
}

impl Stack {
    async fn new(name: &str, sim: &JiraSim) -> Stack {
        let moto = Moto::get().await;
        let sdk = moto.sdk().await;
        let unique = format!(
            "{name}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let bucket = format!("jira-it-{unique}");
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket created");
        let key_arn = moto.create_kms_key().await;
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let secret_id = format!("jira-ingest/{unique}");
        secrets
            .create_secret()
            .name(&secret_id)
            .secret_string(bundle(sim, FIRST_REFRESH).to_string())
            .send()
            .await
            .expect("secret created");
        Stack {
            ssm: aws_sdk_ssm::Client::new(&sdk),
            moto,
            s3,
            secrets,
            bucket,
            key_arn,
            secret_id,
            parameter: format!("/rag/jira/it-{unique}"),
        }
    }

    async fn keys(&self, under: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(format!("{PREFIX}/{under}"))
                .set_continuation_token(token)
                .send()
                .await
                .expect("list objects");
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(t) => token = Some(t.to_owned()),
                None => return keys,
            }
        }
    }

    async fn secret(&self) -> Value {
        let got = self
            .secrets
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .expect("secret readable");
        serde_json::from_str(got.secret_string().unwrap()).unwrap()
    }

    async fn cursor(&self) -> Option<Value> {
        match self
            .ssm
            .get_parameter()
            .name(&self.parameter)
            .with_decryption(true)
            .send()
            .await
        {
            Ok(p) => Some(serde_json::from_str(p.parameter().unwrap().value().unwrap()).unwrap()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_parameter_not_found()) =>
            {
                None
            }
            Err(e) => panic!("get-parameter: {e:?}"),
        }
    }
}

fn bundle(sim: &JiraSim, refresh: &str) -> Value {
    json!({
        "client_id": "lambda-client",
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh,
        "base_url": sim.base_url(),
        "owner": "team-rag",
    })
}

/// A running `bootstrap` process and everything it logged on stdout.
struct Function {
    api: RuntimeApi,
    child: tokio::process::Child,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Function {
    async fn start(stack: &Stack, sim: &JiraSim, extra: &[(&str, &str)]) -> Function {
        let api = RuntimeApi::start().await;
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"));
        cmd.env_clear()
            .envs([
                ("AWS_LAMBDA_RUNTIME_API", api.addr.as_str()),
                ("AWS_LAMBDA_FUNCTION_NAME", "jira-ingest"),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
                ("AWS_LAMBDA_LOG_LEVEL", "DEBUG"),
                ("AWS_ENDPOINT_URL", stack.moto.endpoint.as_str()),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_REGION", "us-east-1"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("JIRA_INGEST_S3_BUCKET", stack.bucket.as_str()),
                ("JIRA_INGEST_S3_PREFIX", PREFIX),
                ("JIRA_INGEST_KMS_KEY_ID", stack.key_arn.as_str()),
                ("JIRA_OAUTH_SECRET_ID", stack.secret_id.as_str()),
                ("JIRA_INGEST_SSM_PARAMETER", stack.parameter.as_str()),
                ("JIRA_BACKFILL_DAYS", "400"),
                ("JIRA_INDEX_LAG", "0s"),
                ("JIRA_OAUTH_TOKEN_URL", sim.token_url().as_str()),
                ("JIRA_API_GATEWAY", sim.api_gateway().as_str()),
            ])
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("bootstrap starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let logs = Arc::clone(&logs);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    logs.lock().unwrap().push(line);
                }
            });
        }
        Function { api, child, logs }
    }

    async fn invoke(&mut self, payload: Value, budget: Duration) -> Outcome {
        self.api.invoke(payload, budget).await
    }

    async fn ok(&mut self, payload: Value, budget: Duration) -> Value {
        match self.invoke(payload, budget).await {
            Outcome::Response(v) => v,
            other => panic!(
                "expected a response, got {other:?}\nlogs:\n{}",
                self.logs().join("\n")
            ),
        }
    }

    fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_into_s3_ssm_and_secrets_manager() {
    let sim = sim(80, Duration::ZERO).await;
    let stack = Stack::new("sync", &sim).await;
    let mut f = Function::start(&stack, &sim, &[]).await;

    // First invocation: the backfill.
    let first = f.ok(json!({}), Duration::from_secs(120)).await;
    assert_eq!(first["status"], "complete", "{first}");
    assert_eq!(first["written"], 80, "{first}");
    for field in [
        "reason",
        "issues_seen",
        "unchanged",
        "deleted",
        "cursor",
        "requests",
        "duration_ms",
    ] {
        assert!(
            first.get(field).is_some(),
            "the response is the run summary: {first}"
        );
    }

    let normalized = stack.keys("normalized/jira/").await;
    assert_eq!(normalized.len(), 80);
    assert_eq!(stack.keys("raw/jira/").await.len(), 80);
    assert_eq!(stack.keys("manifests/jira/runs/").await.len(), 1);
    // Every kind of object is encrypted with the stack's own key.
    let some_objects = [
        normalized[0].clone(),
        stack.keys("raw/jira/").await[0].clone(),
        stack.keys("manifests/").await[0].clone(),
        stack.keys("state/jira/index").await[0].clone(),
    ];
    let key_id = stack.key_arn.rsplit('/').next().unwrap();
    for key in some_objects {
        let head = stack
            .s3
            .head_object()
            .bucket(&stack.bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::AwsKms),
            "{key}"
        );
        let used = head.ssekms_key_id().unwrap_or_default();
        assert!(
            used.contains(key_id),
            "{key} is encrypted with {used}, not {}",
            stack.key_arn
        );
    }

    // The cursor is in SSM, at the window's upper bound.
    let cursor = stack.cursor().await.expect("the cursor is in SSM");
    let cursor_ms = cursor["last_sync_ms"].as_i64().unwrap();
    let reported = time::OffsetDateTime::parse(
        first["cursor"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        i128::from(cursor_ms),
        reported.unix_timestamp_nanos() / 1_000_000
    );

    // The rotated refresh token is in Secrets Manager, the rest unchanged.
    let secret = stack.secret().await;
    let rotated = secret["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, FIRST_REFRESH);
    assert_eq!(secret["client_secret"], CLIENT_SECRET);
    assert_eq!(secret["base_url"], sim.base_url());
    assert_eq!(secret["owner"], "team-rag");

    // An edit, then the next scheduled run (EventBridge's envelope is
    // ignored): incremental, with the token rotated again.
    let key = normalized[5]
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".json")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.update_issue(
        &key,
        IssueEdit {
            summary: Some("edited".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let scheduled = json!({
        "version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-29T05:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/jira-ingest"], "detail": {}
    });
    let second = f.ok(scheduled, Duration::from_secs(120)).await;
    assert_eq!(second["status"], "complete", "{second}");
    assert_eq!(second["written"], 1, "{second}");
    assert!(second["issues_seen"].as_u64().unwrap() < 80, "{second}");
    let again = stack.secret().await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        again, rotated,
        "every run refreshes once and stores the new token"
    );
    assert!(
        stack.cursor().await.unwrap()["last_sync_ms"]
            .as_i64()
            .unwrap()
            > cursor_ms
    );
    assert!(!sim.oauth_family_revoked());

    // Bad input is the caller's fault: not retryable.
    match f
        .invoke(json!({"since": "yesterday"}), Duration::from_secs(60))
        .await
    {
        Outcome::Error { error_type, .. } => assert_eq!(error_type, "NonRetryable.InvalidInput"),
        other => panic!("{other:?}"),
    }

    // A revoked refresh token needs a person: NonRetryable.InvalidGrant.
    stack
        .secrets
        .put_secret_value()
        .secret_id(&stack.secret_id)
        .secret_string(bundle(&sim, FIRST_REFRESH).to_string())
        .send()
        .await
        .unwrap();
    match f.invoke(json!({}), Duration::from_secs(60)).await {
        Outcome::Error { error_type, body } => {
            assert_eq!(error_type, "NonRetryable.InvalidGrant", "{body}");
            assert!(
                body["errorMessage"].as_str().unwrap().contains("authorize"),
                "{body}"
            );
        }
        other => panic!("{other:?}"),
    }

    // Logs are JSON lines (CloudWatch parses them) and hold no secret.
    let logs = f.logs();
    assert!(logs.len() > 5, "{logs:?}");
    for line in &logs {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "a log line is not JSON: {line}"
        );
        for secret in [
            CLIENT_SECRET,
            FIRST_REFRESH,
            rotated.as_str(),
            again.as_str(),
        ] {
            assert!(
                !line.contains(secret),
                "a secret leaked into the logs: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_deadline_gives_a_partial_run_that_the_next_invocation_completes() {
    let sim = sim(300, Duration::from_millis(250)).await;
    let stack = Stack::new("deadline", &sim).await;
    let mut f = Function::start(&stack, &sim, &[("JIRA_CONCURRENCY", "1")]).await;

    let partial = f.ok(json!({}), Duration::from_millis(1500)).await;
    assert_eq!(partial["status"], "partial", "{partial}");
    assert!(
        partial["reason"].as_str().unwrap().contains("time"),
        "{partial}"
    );
    let done_first = stack.keys("normalized/jira/").await.len();
    assert!(done_first < 300, "{partial}");
    assert!(
        stack.cursor().await.is_none(),
        "no cursor before the window is complete"
    );
    assert!(
        !stack.keys("state/jira/checkpoint").await.is_empty(),
        "progress is checkpointed"
    );

    let complete = f.ok(json!({}), Duration::from_secs(120)).await;
    assert_eq!(complete["status"], "complete", "{complete}");
    assert_eq!(
        usize::try_from(complete["written"].as_u64().unwrap()).unwrap() + done_first,
        300,
        "the second run writes only what the first did not: {complete}"
    );
    assert_eq!(stack.keys("normalized/jira/").await.len(), 300);
    assert!(stack.cursor().await.is_some());
    assert!(stack.keys("state/jira/checkpoint").await.is_empty());
}
