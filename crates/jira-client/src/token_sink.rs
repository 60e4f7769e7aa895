//! Where rotated OAuth refresh tokens go.
//!
//! Atlassian rotates the refresh token on every use and revokes the whole
//! token family when an old one is reused after a short leeway. The client
//! therefore hands every new refresh token to a caller-supplied sink and
//! waits for it to be stored durably **before** it uses the new access token.

use std::{error::Error as StdError, fmt};

use crate::Secret;

/// Durable storage for the OAuth refresh token.
///
/// Implementations live with the caller (a secrets manager, a local file);
/// the client only calls them.
#[async_trait::async_trait]
pub trait RefreshTokenSink: Send + Sync {
    /// Persists the rotated refresh token. The client does not use the new
    /// access token until this returns `Ok`; an error aborts the operation.
    async fn store_refresh_token(&self, refresh_token: &Secret) -> Result<(), SinkError>;

    /// Re-reads the currently stored refresh token. Called after an
    /// ambiguous token-endpoint failure (for example a timeout after the
    /// request was sent), when another copy may already have rotated it.
    async fn load_refresh_token(&self) -> Result<Secret, SinkError>;
}

/// A sink failure, carrying the implementation's own error as its source.
#[derive(Debug)]
pub struct SinkError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl SinkError {
    /// A failure described by a message (lowercase, says what to do).
    pub fn new(message: impl Into<String>) -> Self {
        SinkError {
            message: message.into(),
            source: None,
        }
    }

    /// A failure with an underlying cause.
    pub fn with_source(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        SinkError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for SinkError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
