//! Failures as Lambda error responses with stable, greppable types.
//!
//! `errorType` is `Retryable.<Reason>` when running again later can succeed
//! without anyone changing anything (rate limits, outages, another run
//! holding the lease), and `NonRetryable.<Reason>` when a person must act
//! (re-consent, permissions, configuration). Alarms and retry policies key
//! on the prefix.

use jira_client::ErrorKind;
use lambda_runtime::Diagnostic;

/// A handler failure.
#[derive(Debug)]
pub(crate) struct HandlerError {
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
}

impl HandlerError {
    pub(crate) fn invalid_input(message: String) -> Self {
        HandlerError {
            error_type: "NonRetryable.InvalidInput",
            message,
        }
    }

    pub(crate) fn configuration(message: String) -> Self {
        HandlerError {
            error_type: "NonRetryable.Configuration",
            message,
        }
    }

    pub(crate) fn from_storage(e: &state_store::Error, message: String) -> Self {
        let error_type = if e.is_retryable() {
            "Retryable.StorageUnavailable"
        } else if matches!(
            e,
            state_store::Error::Config { .. } | state_store::Error::Corrupt { .. }
        ) {
            "NonRetryable.Configuration"
        } else {
            "NonRetryable.Storage"
        };
        HandlerError {
            error_type,
            message,
        }
    }

    pub(crate) fn from_engine(e: &ingest_core::Error, secret_id: &str) -> Self {
        use ingest_core::Error as E;
        let message = e.to_string();
        let error_type = match e {
            E::Busy(_) => "Retryable.Busy",
            E::MassDeleteRefused { .. } => "NonRetryable.MassDeleteRefused",
            E::Precondition(_) => "NonRetryable.Precondition",
            E::IssuesUnavailable { .. } => "Retryable.IssuesUnavailable",
            E::CorruptState { .. } => "NonRetryable.CorruptState",
            E::Storage(s) => return Self::from_storage(s, message),
            E::Jira(j) => match j.kind() {
                ErrorKind::RateLimited | ErrorKind::QuotaExhausted => "Retryable.RateLimited",
                ErrorKind::Server | ErrorKind::Transport => "Retryable.JiraUnavailable",
                ErrorKind::InvalidGrant => {
                    return HandlerError {
                        error_type: "NonRetryable.InvalidGrant",
                        message: format!(
                            "{message}; the refresh token in secret {secret_id} is no longer \
                             valid: the user must authorize the OAuth app again and the new \
                             refresh_token must be written into the secret"
                        ),
                    };
                }
                ErrorKind::Unauthorized => "NonRetryable.Unauthorized",
                ErrorKind::Forbidden => "NonRetryable.Forbidden",
                ErrorKind::BadRequest => "NonRetryable.BadRequest",
                ErrorKind::Config => "NonRetryable.Configuration",
                ErrorKind::Sink => "NonRetryable.SecretWriteFailed",
                _ if j.is_retryable() => "Retryable.Jira",
                _ => "NonRetryable.Jira",
            },
            _ if e.is_retryable() => "Retryable.Internal",
            _ => "NonRetryable.Internal",
        };
        HandlerError {
            error_type,
            message,
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type.to_owned(),
            error_message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_stable_and_say_whether_to_retry() {
        let busy = ingest_core::Error::Busy(Box::new(state_store::Error::Config {
            what: "lease".into(),
            reason: "held".into(),
        }));
        assert_eq!(
            HandlerError::from_engine(&busy, "s").error_type,
            "Retryable.Busy"
        );
        let pre = ingest_core::Error::Precondition("run sync first".into());
        let d: Diagnostic = HandlerError::from_engine(&pre, "s").into();
        assert_eq!(d.error_type, "NonRetryable.Precondition");
        assert_eq!(d.error_message, "run sync first");
    }
}
