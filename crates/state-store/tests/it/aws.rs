//! The suites against S3, SSM Parameter Store and Secrets Manager on moto's
//! server (real HTTP, real SDK requests), plus AWS-only checks.

use std::sync::Arc;

use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use bytes::Bytes;
use state_store::{
    Cursor, CursorStore, Error, LocalFileSystem, ObjectCursorStore, ObjectStore, ObjectStoreExt,
    PutOptions, SecretStore,
    aws::{S3Store, SecretsManagerStore, SsmCursorStore},
};

use crate::{
    moto::{sdk_config, unique},
    support::{CursorFixture, INITIAL_BUNDLE, ObjectFixture, SecretFixture, key},
};

const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";

/// A fresh bucket with KMS default encryption, as the Terraform stack makes it.
async fn bucket() -> S3Store {
    let conf = sdk_config().await;
    let store = S3Store::new(&conf, unique("state-store"));
    let client = store.client();
    client
        .create_bucket()
        .bucket(store.bucket())
        .send()
        .await
        .unwrap();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(KMS_KEY)
                .build()
                .unwrap(),
        )
        .build();
    client
        .put_bucket_encryption()
        .bucket(store.bucket())
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    store.with_kms_key_id(Some(KMS_KEY.to_owned()))
}

async fn s3_objects() -> ObjectFixture {
    ObjectFixture {
        store: Arc::new(bucket().await),
        _keep: Box::new(()),
    }
}

async fn s3_prefixed_objects() -> ObjectFixture {
    ObjectFixture {
        store: Arc::new(bucket().await.prefixed("deployments/prod").unwrap()),
        _keep: Box::new(()),
    }
}

async fn s3_cursors() -> CursorFixture {
    CursorFixture {
        store: Arc::new(ObjectCursorStore::new(Arc::new(bucket().await))),
        _keep: Box::new(()),
    }
}

async fn ssm_store() -> SsmCursorStore {
    SsmCursorStore::new(
        &sdk_config().await,
        format!("/rag/jira/{}", unique("last_sync")),
    )
}

async fn ssm_cursors() -> CursorFixture {
    CursorFixture {
        store: Arc::new(ssm_store().await),
        _keep: Box::new(()),
    }
}

async fn ssm_secure_cursors() -> CursorFixture {
    CursorFixture {
        store: Arc::new(ssm_store().await.with_secure_string(None)),
        _keep: Box::new(()),
    }
}

async fn secret_id() -> String {
    let conf = sdk_config().await;
    let id = unique("jira-oauth");
    aws_sdk_secretsmanager::Client::new(&conf)
        .create_secret()
        .name(&id)
        .secret_string(INITIAL_BUNDLE)
        .send()
        .await
        .unwrap();
    id
}

async fn secrets_manager() -> SecretFixture {
    let conf = sdk_config().await;
    SecretFixture {
        store: Arc::new(SecretsManagerStore::new(&conf, secret_id().await)),
        _keep: Box::new(()),
    }
}

mod s3_object {
    crate::object_store_conformance!(super::s3_objects(), races = 3);
}

mod s3_prefixed_object {
    crate::object_store_conformance!(super::s3_prefixed_objects(), races = 3);
}

mod s3_cursor {
    crate::cursor_store_conformance!(super::s3_cursors(), races = 3);
}

mod s3_lease {
    crate::lease_conformance!(super::s3_objects(), races = 3);
}

mod ssm_cursor {
    crate::cursor_store_conformance!(super::ssm_cursors());
}

mod ssm_secure_cursor {
    crate::cursor_store_conformance!(super::ssm_secure_cursors());
}

mod secrets_manager_secret {
    crate::secret_store_conformance!(super::secrets_manager());
}

#[tokio::test]
async fn every_put_is_encrypted_with_the_configured_kms_key() {
    let store = bucket().await;
    let k = key("raw/jira/ENG-1/20261129T014502.123Z.json");
    store.put(&k, Bytes::from_static(b"{}")).await.unwrap();
    let head = store
        .client()
        .head_object()
        .bucket(store.bucket())
        .key(k.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some(KMS_KEY));
}

#[tokio::test]
async fn local_and_s3_hold_the_same_keys_for_the_same_calls() {
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new(dir.path()).unwrap());
    let s3_store = bucket().await;
    let raw_client = s3_store.client().clone();
    let bucket_name = s3_store.bucket().to_owned();
    let s3: Arc<dyn ObjectStore> = Arc::new(s3_store.prefixed("jira-ingest/").unwrap());
    for store in [&local, &s3] {
        for k in [
            "raw/jira/ENG-1/20261129T014502.123Z.json",
            "normalized/jira/ENG-1.json",
            "manifests/jira/runs/r-1.jsonl",
        ] {
            store
                .put_opts(
                    &key(k),
                    Bytes::from_static(b"{}"),
                    PutOptions::content_type("application/json"),
                )
                .await
                .unwrap();
        }
        ObjectCursorStore::new(Arc::clone(store))
            .compare_and_swap(None, &Cursor::new(1, "r-1"))
            .await
            .unwrap();
    }
    assert_eq!(
        local.list_keys("").await.unwrap(),
        s3.list_keys("").await.unwrap()
    );
    // In the bucket itself every key sits under the prefix.
    let listed = raw_client
        .list_objects_v2()
        .bucket(bucket_name)
        .send()
        .await
        .unwrap();
    let raw_keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(raw_keys.len(), 4);
    assert!(
        raw_keys.iter().all(|k| k.starts_with("jira-ingest/")),
        "{raw_keys:?}"
    );
}

#[tokio::test]
async fn small_pages_are_followed_to_the_end() {
    let store = bucket().await.with_list_page_size(7);
    for i in 0..23 {
        store
            .put(&key(&format!("p/{i:02}")), Bytes::new())
            .await
            .unwrap();
    }
    let keys = store.list_keys("p/").await.unwrap();
    assert_eq!(keys.len(), 23);
    assert_eq!(keys[22].as_str(), "p/22");
}

#[tokio::test]
async fn a_missing_bucket_is_a_clear_non_retryable_error() {
    let store = S3Store::new(&sdk_config().await, unique("no-such-bucket"));
    let err = store.put(&key("a"), Bytes::new()).await.unwrap_err();
    match &err {
        Error::Backend {
            code, retryable, ..
        } => {
            assert_eq!(code, "NoSuchBucket");
            assert!(!retryable);
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
    assert!(err.to_string().contains("s3://"), "{err}");
    let err = store.list_all("").await.unwrap_err();
    assert!(matches!(err, Error::Backend { .. }), "{err}");
}

#[tokio::test]
async fn unreachable_endpoints_are_retryable() {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        // Port 9 (discard) on loopback: nothing listens there.
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "t", "t", None, None, "t",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let err = S3Store::new(&conf, "b").get(&key("a")).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn ssm_missing_parameter_is_no_cursor_and_garbage_is_corrupt() {
    let conf = sdk_config().await;
    let name = format!("/rag/jira/{}", unique("corrupt"));
    let store = SsmCursorStore::new(&conf, &name);
    assert!(store.load().await.unwrap().is_none());
    aws_sdk_ssm::Client::new(&conf)
        .put_parameter()
        .name(&name)
        .value("not a cursor")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let err = store.load().await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(&name), "{err}");
    assert!(
        store
            .compare_and_swap(None, &Cursor::new(1, "r"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn ssm_accepts_a_cursor_set_by_hand() {
    let conf = sdk_config().await;
    let name = format!("/rag/jira/{}", unique("manual"));
    let golden = r#"{"version":1,"last_sync_ms":1764380702123,"updated_at":"2026-11-29T01:45:02.123Z","run_id":"set-by-hand"}"#;
    aws_sdk_ssm::Client::new(&conf)
        .put_parameter()
        .name(&name)
        .value(golden)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let store = SsmCursorStore::new(&conf, &name);
    let (c, v) = store.load().await.unwrap().unwrap();
    assert_eq!(
        (c.last_sync_ms, c.run_id.as_str(), v.as_str()),
        (1_764_380_702_123, "set-by-hand", "1")
    );
    let v2 = store
        .compare_and_swap(Some(&v), &Cursor::new(1_764_380_800_000, "r-2"))
        .await
        .unwrap();
    assert_eq!(v2.as_str(), "2");
}

#[tokio::test]
async fn secrets_manager_write_back_is_idempotent_per_value() {
    let conf = sdk_config().await;
    let id = secret_id().await;
    let store = SecretsManagerStore::new(&conf, &id);
    let mut b = store.load().await.unwrap();
    b.refresh_token = jira_client::Secret::new("rt-1");
    store.store(&b).await.unwrap();
    store.store(&b).await.unwrap();
    let versions = aws_sdk_secretsmanager::Client::new(&conf)
        .list_secret_version_ids()
        .secret_id(&id)
        .send()
        .await
        .unwrap();
    // The initial value plus exactly one rotation.
    assert_eq!(versions.versions().len(), 2, "{versions:?}");
    let missing = SecretsManagerStore::new(&conf, unique("missing"))
        .load()
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::Config { .. }), "{missing}");
}
