//! AWS backends: S3 objects (SSE-KMS), the cursor in SSM Parameter Store,
//! and the OAuth bundle in Secrets Manager (feature `aws`).
//!
//! Build one [`SdkConfig`] per process with [`load_sdk_config`] (the
//! standard chain: environment, profile, container or instance role;
//! `AWS_ENDPOINT_URL` and the per-service variants point it at a local
//! emulator) and make every client from it.

mod s3;
mod secrets_manager;
mod ssm;

pub use aws_config::SdkConfig;
pub use s3::S3Store;
pub use secrets_manager::SecretsManagerStore;
pub use ssm::{DEFAULT_SSM_PARAMETER, SsmCursorStore};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::Error;

/// Loads the shared SDK configuration from the standard `aws-config` chain.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// An SDK failure, classified once.
pub(crate) struct Failure {
    pub(crate) status: Option<u16>,
    pub(crate) code: String,
    message: String,
    retryable: bool,
    source: crate::BoxError,
}

impl Failure {
    pub(crate) fn from_sdk<E>(err: SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let (status, code, retryable, hint) = match &err {
            SdkError::ServiceError(s) => {
                let status = s.raw().status().as_u16();
                let code = s
                    .err()
                    .code()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("HTTP {status}"));
                let throttled = matches!(
                    code.as_str(),
                    "Throttling"
                        | "ThrottlingException"
                        | "ThrottledException"
                        | "SlowDown"
                        | "RequestTimeout"
                        | "RequestLimitExceeded"
                        | "TooManyUpdates"
                        | "InternalServerError"
                        | "InternalFailure"
                        | "ServiceUnavailable"
                );
                let retryable = throttled || status == 429 || status >= 500;
                let hint = if status == 403 || code.contains("AccessDenied") {
                    "access denied: check the IAM policy of the caller and the KMS key policy"
                } else if retryable {
                    "the service is throttling or failing; try again later"
                } else {
                    "the request was refused"
                };
                (Some(status), code, retryable, hint)
            }
            SdkError::TimeoutError(_) => (
                None,
                "Timeout".to_owned(),
                true,
                "the request timed out; try again later",
            ),
            SdkError::DispatchFailure(_) => (
                None,
                "DispatchFailure".to_owned(),
                true,
                "could not reach AWS; check the network, credentials and AWS_ENDPOINT_URL",
            ),
            SdkError::ResponseError(_) => (
                None,
                "ResponseError".to_owned(),
                true,
                "the response could not be read; try again",
            ),
            _ => (
                None,
                "ConstructionFailure".to_owned(),
                false,
                "the request could not be built; check the configuration (region, credentials)",
            ),
        };
        let message = format!("{hint} ({})", DisplayErrorContext(&err));
        Failure {
            status,
            code,
            message,
            retryable,
            source: Box::new(err),
        }
    }

    pub(crate) fn into_error(self, service: &'static str, op: &'static str, target: &str) -> Error {
        Error::Backend {
            service,
            op,
            target: target.to_owned(),
            code: self.code,
            message: self.message,
            retryable: self.retryable,
            source: Some(self.source),
        }
    }
}
