//! The OAuth bundle in AWS Secrets Manager.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use sha2::{Digest, Sha256};

use super::{Failure, SdkConfig};
use crate::{Error, OAuthBundle, Result, SecretStore};

const SERVICE: &str = "secretsmanager";

/// The bundle as the JSON `SecretString` of one secret (name or ARN).
///
/// Write-back uses `PutSecretValue` with a `ClientRequestToken` derived from
/// the new value (its SHA-256), so a retried write of the same rotated token
/// is idempotent instead of creating a second version.
#[derive(Clone)]
pub struct SecretsManagerStore {
    client: Client,
    secret_id: String,
}

impl std::fmt::Debug for SecretsManagerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SDK client's own Debug output is long and says nothing useful.
        f.debug_struct("SecretsManagerStore")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

impl SecretsManagerStore {
    /// The secret `secret_id` (a name or an ARN).
    pub fn new(config: &SdkConfig, secret_id: impl Into<String>) -> Self {
        SecretsManagerStore::from_client(Client::new(config), secret_id)
    }

    /// The same over an existing client.
    pub fn from_client(client: Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerStore {
            client,
            secret_id: secret_id.into(),
        }
    }
}

/// The idempotency token for a secret value: 64 hex characters, within
/// Secrets Manager's 32 to 64.
pub(crate) fn request_token(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    #[tracing::instrument(skip_all, fields(secret_id = %self.secret_id))]
    async fn load(&self) -> Result<OAuthBundle> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                let f = Failure::from_sdk(e);
                if f.code == "ResourceNotFoundException" {
                    return Error::Config {
                        what: format!("the OAuth secret {}", self.secret_id),
                        reason: "it does not exist (or has no current value); create it with the JSON bundle {client_id, client_secret, refresh_token, base_url}".into(),
                    };
                }
                f.into_error(SERVICE, "GetSecretValue", &self.secret_id)
            })?;
        let text = out.secret_string().ok_or_else(|| Error::Corrupt {
            location: self.location(),
            reason: "the secret has no SecretString (binary secrets are not supported)".into(),
        })?;
        OAuthBundle::from_json(text, &self.location())
    }

    #[tracing::instrument(skip_all, fields(secret_id = %self.secret_id))]
    async fn store(&self, bundle: &OAuthBundle) -> Result<()> {
        let value = bundle.to_json();
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .client_request_token(request_token(&value))
            .secret_string(value)
            .send()
            .await
            .map_err(|e| {
                Failure::from_sdk(e).into_error(SERVICE, "PutSecretValue", &self.secret_id)
            })?;
        Ok(())
    }

    fn location(&self) -> String {
        format!("secretsmanager:{}", self.secret_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_are_stable_and_valid() {
        let a = request_token("{\"refresh_token\":\"x\"}");
        assert_eq!(a.len(), 64);
        assert_eq!(a, request_token("{\"refresh_token\":\"x\"}"));
        assert_ne!(a, request_token("{\"refresh_token\":\"y\"}"));
    }
}
