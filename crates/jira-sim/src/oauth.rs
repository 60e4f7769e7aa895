//! OAuth 2.0 (3LO) emulation: a token endpoint whose refresh tokens rotate
//! on every use, stay usable for a reuse leeway, and revoke their whole
//! family when reused after it, as Atlassian's do.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::rng::Rng;

#[derive(Debug)]
struct RefreshInfo {
    family: usize,
    /// When a newer token replaced this one (sim clock, ms).
    superseded_at: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct OAuthState {
    revoked: Vec<bool>,
    refresh: HashMap<String, RefreshInfo>,
    access: HashMap<String, (usize, i64)>,
    rng: Rng,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    leeway_ms: i64,
    ttl_ms: i64,
}

/// The outcome of a token request: HTTP status and body.
pub(crate) type TokenReply = (u16, Value);

fn oauth_err(status: u16, error: &str, description: &str) -> TokenReply {
    (
        status,
        json!({"error": error, "error_description": description}),
    )
}

impl OAuthState {
    pub(crate) fn new(cfg: &crate::OAuthConfig, seed: u64) -> Self {
        let mut refresh = HashMap::new();
        refresh.insert(
            cfg.initial_refresh_token.clone(),
            RefreshInfo {
                family: 0,
                superseded_at: None,
            },
        );
        Self {
            revoked: vec![false],
            refresh,
            access: HashMap::new(),
            rng: Rng::derive(seed, 0, 0x0a07),
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            leeway_ms: i64::try_from(cfg.reuse_leeway.as_millis()).unwrap_or(i64::MAX),
            ttl_ms: i64::try_from(cfg.access_token_ttl.as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn token(&mut self, prefix: &str) -> String {
        format!(
            "{prefix}-{:016x}{:016x}",
            self.rng.next_u64(),
            self.rng.next_u64()
        )
    }

    /// Handles one token request body (already parsed from JSON or form).
    pub(crate) fn exchange(&mut self, params: &HashMap<String, String>, now: i64) -> TokenReply {
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        if get("grant_type") != "refresh_token" {
            return oauth_err(
                400,
                "unsupported_grant_type",
                "Only the refresh_token grant is simulated.",
            );
        }
        if get("client_id") != self.client_id || get("client_secret") != self.client_secret {
            return oauth_err(401, "access_denied", "Unauthorized");
        }
        let presented = get("refresh_token").to_owned();
        let Some(info) = self.refresh.get_mut(&presented) else {
            return oauth_err(403, "invalid_grant", "Unknown or invalid refresh token.");
        };
        let family = info.family;
        if self.revoked[family] {
            return oauth_err(403, "invalid_grant", "Unknown or invalid refresh token.");
        }
        match info.superseded_at {
            Some(at) if now - at > self.leeway_ms => {
                // Reuse after the leeway looks like a stolen token: revoke the
                // whole family, including access tokens already issued.
                self.revoked[family] = true;
                self.access.retain(|_, (f, _)| *f != family);
                return oauth_err(403, "invalid_grant", "Unknown or invalid refresh token.");
            }
            Some(_) => {}
            None => info.superseded_at = Some(now),
        }
        let refresh = self.token("rt");
        let access = self.token("at");
        self.refresh.insert(
            refresh.clone(),
            RefreshInfo {
                family,
                superseded_at: None,
            },
        );
        self.access
            .insert(access.clone(), (family, now + self.ttl_ms));
        (
            200,
            json!({
                "access_token": access,
                "expires_in": self.ttl_ms / 1000,
                "token_type": "Bearer",
                "refresh_token": refresh,
                "scope": "read:jira-work read:jira-user offline_access",
            }),
        )
    }

    pub(crate) fn access_valid(&self, token: &str, now: i64) -> bool {
        self.access
            .get(token)
            .is_some_and(|(f, exp)| !self.revoked[*f] && now < *exp)
    }

    pub(crate) fn any_family_revoked(&self) -> bool {
        self.revoked.iter().any(|r| *r)
    }

    pub(crate) fn expire_access_tokens(&mut self) {
        self.access.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn params(rt: &str) -> HashMap<String, String> {
        [
            ("grant_type", "refresh_token"),
            ("client_id", "cid"),
            ("client_secret", "sec"),
            ("refresh_token", rt),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn rotation_leeway_and_family_revocation() {
        let cfg = crate::OAuthConfig {
            client_id: "cid".into(),
            client_secret: "sec".into(),
            initial_refresh_token: "rt0".into(),
            reuse_leeway: Duration::from_secs(600),
            access_token_ttl: Duration::from_secs(3600),
        };
        let mut s = OAuthState::new(&cfg, 1);
        let (st, body) = s.exchange(&params("rt0"), 0);
        assert_eq!(st, 200);
        let rt1 = body["refresh_token"].as_str().unwrap().to_owned();
        let at1 = body["access_token"].as_str().unwrap().to_owned();
        assert_ne!(rt1, "rt0");
        assert!(s.access_valid(&at1, 1000) && !s.access_valid(&at1, 3_600_000));
        // Reuse within the leeway still works.
        assert_eq!(s.exchange(&params("rt0"), 599_000).0, 200);
        // After it, the whole family dies, including the newest tokens.
        assert_eq!(s.exchange(&params("rt0"), 601_000).0, 403);
        assert!(s.any_family_revoked());
        assert_eq!(s.exchange(&params(&rt1), 601_001).0, 403);
        assert!(!s.access_valid(&at1, 1000));
        assert_eq!(s.exchange(&params("nope"), 0).0, 403);
        let mut bad = params("rt0");
        bad.insert("client_secret".into(), "x".into());
        assert_eq!(s.exchange(&bad, 0).0, 401);
    }
}
