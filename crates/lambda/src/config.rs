//! The function's configuration, read once at init from the environment
//! variables Terraform sets (contracts §4; the same names as the CLI's).

use std::time::Duration;

use ingest_core::SyncConfig;

/// Everything the handler needs besides the event.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) bucket: String,
    pub(crate) prefix: Option<String>,
    pub(crate) kms_key_id: Option<String>,
    pub(crate) secret_id: String,
    pub(crate) ssm_parameter: String,
    pub(crate) jql: Option<String>,
    pub(crate) backfill_days: u32,
    pub(crate) overlap: Duration,
    pub(crate) index_lag: Duration,
    pub(crate) concurrency: usize,
    pub(crate) include_restricted_comments: bool,
    pub(crate) token_url: String,
    pub(crate) api_gateway: String,
}

impl Config {
    /// Reads the configuration through `var` (the process environment in
    /// production, a map in tests). Errors name the variable to fix.
    pub(crate) fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required =
            |name: &str| get(name).ok_or_else(|| format!("environment variable {name} is not set"));
        let parsed = |name: &str, default: &str| -> Result<Duration, String> {
            let text = get(name).unwrap_or_else(|| default.to_owned());
            parse_duration(&text).ok_or_else(|| {
                format!("{name}=`{text}` is not a duration; use e.g. 90s, 10m, 1h30m")
            })
        };
        let number = |name: &str, default: u32| -> Result<u32, String> {
            match get(name) {
                None => Ok(default),
                Some(t) => t
                    .parse()
                    .map_err(|_| format!("{name}=`{t}` is not a whole number")),
            }
        };
        let concurrency = number("JIRA_CONCURRENCY", 4)?;
        if concurrency == 0 || concurrency > 64 {
            return Err("JIRA_CONCURRENCY must be between 1 and 64".into());
        }
        Ok(Config {
            bucket: required("JIRA_INGEST_S3_BUCKET")?,
            prefix: get("JIRA_INGEST_S3_PREFIX"),
            kms_key_id: get("JIRA_INGEST_KMS_KEY_ID"),
            secret_id: required("JIRA_OAUTH_SECRET_ID")?,
            ssm_parameter: get("JIRA_INGEST_SSM_PARAMETER")
                .unwrap_or_else(|| state_store::aws::DEFAULT_SSM_PARAMETER.to_owned()),
            jql: get("JIRA_JQL"),
            backfill_days: number("JIRA_BACKFILL_DAYS", 30)?,
            overlap: parsed("JIRA_OVERLAP", "10m")?,
            index_lag: parsed("JIRA_INDEX_LAG", "2m")?,
            concurrency: usize::try_from(concurrency).unwrap_or(4),
            include_restricted_comments: get("JIRA_INCLUDE_RESTRICTED_COMMENTS")
                .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes")),
            token_url: get("JIRA_OAUTH_TOKEN_URL")
                .unwrap_or_else(|| jira_client::DEFAULT_TOKEN_URL.to_owned()),
            api_gateway: get("JIRA_API_GATEWAY")
                .unwrap_or_else(|| jira_client::DEFAULT_API_GATEWAY.to_owned()),
        })
    }

    /// The engine's settings for a site.
    pub(crate) fn sync_config(&self, site: &str) -> SyncConfig {
        let mut c = SyncConfig::new(site);
        c.jql_scope = self.jql.clone();
        c.backfill_days = self.backfill_days;
        c.overlap = self.overlap;
        c.index_lag = self.index_lag;
        c.concurrency = self.concurrency;
        c.include_restricted_comments = self.include_restricted_comments;
        c
    }
}

/// `90s`, `10m`, `1h30m`, `500ms`, `2d` or plain seconds (the CLI's syntax).
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit_secs = match &rest[..unit_len] {
            "ms" => {
                total += Duration::from_millis(n);
                rest = &rest[unit_len..];
                continue;
            }
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        total += Duration::from_secs(n.checked_mul(unit_secs)?);
        rest = &rest[unit_len..];
    }
    (!text.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn reads_the_contract_variables_with_defaults() {
        let c = Config::from_lookup(lookup(&[
            ("JIRA_INGEST_S3_BUCKET", "corpus"),
            (
                "JIRA_OAUTH_SECRET_ID",
                "arn:aws:secretsmanager:eu-west-1:1:secret:jira",
            ),
            ("JIRA_OVERLAP", "15m"),
            ("JIRA_JQL", "project = ENG"),
        ]))
        .unwrap();
        assert_eq!(c.bucket, "corpus");
        assert_eq!(c.ssm_parameter, "/rag/jira/last_sync");
        assert_eq!(c.overlap, Duration::from_secs(900));
        assert_eq!(c.index_lag, Duration::from_secs(120));
        assert_eq!(c.backfill_days, 30);
        assert_eq!(c.token_url, "https://auth.atlassian.com/oauth/token");
        assert_eq!(
            c.sync_config("https://t.atlassian.net")
                .jql_scope
                .as_deref(),
            Some("project = ENG")
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let e = Config::from_lookup(lookup(&[("JIRA_OAUTH_SECRET_ID", "s")])).unwrap_err();
        assert!(e.contains("JIRA_INGEST_S3_BUCKET"), "{e}");
        let e = Config::from_lookup(lookup(&[
            ("JIRA_INGEST_S3_BUCKET", "b"),
            ("JIRA_OAUTH_SECRET_ID", "s"),
            ("JIRA_INDEX_LAG", "two minutes"),
        ]))
        .unwrap_err();
        assert!(e.contains("JIRA_INDEX_LAG"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("5x"), None);
    }
}
