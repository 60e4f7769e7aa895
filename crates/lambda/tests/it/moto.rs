//! moto's server (see the `moto-harness` crate: the one `cargo xtask test`
//! started, or one per test process).

pub(crate) struct Moto {
    pub(crate) endpoint: String,
}

impl Moto {
    pub(crate) async fn get() -> Moto {
        // Starting moto blocks while it boots: keep that off the runtime.
        let endpoint = tokio::task::spawn_blocking(moto_harness::endpoint)
            .await
            .expect("moto start-up task");
        Moto {
            endpoint: endpoint.to_owned(),
        }
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
            .header("Authorization", moto_harness::authorization("kms"))
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
