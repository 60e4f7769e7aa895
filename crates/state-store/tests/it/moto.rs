//! moto's server for the AWS tests (see the `moto-harness` crate: the one
//! `cargo xtask test` started, or one per test process).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

pub(crate) use moto_harness::unique;

/// An SDK config pointed at moto with fake credentials, so no test can
/// reach a real AWS account whatever the environment says.
pub(crate) async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_harness::endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}
