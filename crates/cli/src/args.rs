//! The command line, declared with clap. Every option also reads an
//! environment variable (contracts §3), so shells, CI and containers share
//! one set of names.

use std::{path::PathBuf, time::Duration};

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Credentials (the first that applies, unless --auth says otherwise):
  API token   JIRA_SITE, JIRA_EMAIL, JIRA_API_TOKEN       (Jira Cloud, https://id.atlassian.com/manage-profile/security/api-tokens)
  OAuth 3LO   JIRA_OAUTH_SECRET_FILE or JIRA_OAUTH_SECRET_ID  (JSON {client_id, client_secret, refresh_token, base_url})
  PAT         JIRA_SITE, JIRA_PAT                          (Jira Data Center)

Storage: ./jira-data by default (raw/, normalized/, manifests/, state/);
--s3-bucket writes the same layout to S3 and --ssm-parameter keeps the cursor in SSM.

Exit status: 0 complete or partial (the next run resumes), 1 failure, 2 bad usage or configuration.

Examples:
  JIRA_SITE=https://acme.atlassian.net JIRA_EMAIL=me@acme.com JIRA_API_TOKEN=... jira-ingest sync
  jira-ingest sync --jql 'project in (ENG, OPS)' --max-runtime 10m --json
  jira-ingest doctor
  jira-ingest status";

/// Keeps an up-to-date corpus of Jira issues (raw JSON, normalized
/// documents, change manifests) for retrieval-augmented generation.
#[derive(Debug, Parser)]
#[command(name = "jira-ingest", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// More log output on stderr (-v debug, -vv trace); RUST_LOG overrides it.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    /// Print the result as one JSON object on stdout.
    #[arg(long, global = true, env = "JIRA_INGEST_JSON", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Incremental sync: read what changed in Jira since the last run and
    /// write raw JSON, normalized documents and a run manifest.
    Sync {
        #[command(flatten)]
        jira: JiraArgs,
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        tuning: TuningArgs,
        /// Read everything in scope, ignoring the cursor and any checkpoint.
        #[arg(long, env = "JIRA_FULL_RESYNC", value_parser = clap::builder::FalseyValueParser::new())]
        full_resync: bool,
        /// Start the window at this time (RFC 3339) instead of at the cursor.
        #[arg(long, env = "JIRA_SINCE", value_parser = parse_rfc3339)]
        since: Option<time::OffsetDateTime>,
    },
    /// Id census: detect issues deleted (or moved) in Jira and remove their
    /// normalized documents.
    Reconcile {
        #[command(flatten)]
        jira: JiraArgs,
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        tuning: TuningArgs,
        /// Delete even when more than the safe share of issues looks deleted
        /// (which usually means lost permissions, not deletions).
        #[arg(long, env = "JIRA_RECONCILE_FORCE", value_parser = clap::builder::FalseyValueParser::new())]
        force: bool,
    },
    /// Rebuild every normalized document from raw, without calling Jira.
    Renormalize {
        #[command(flatten)]
        jira: JiraArgs,
        #[command(flatten)]
        storage: StorageArgs,
        /// Keep comments that have a visibility restriction.
        #[arg(long, env = "JIRA_INCLUDE_RESTRICTED_COMMENTS", value_parser = clap::builder::FalseyValueParser::new())]
        include_restricted_comments: bool,
    },
    /// Show the cursor, an unfinished window, the last run and counts.
    Status {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List the site's fields (id, name, custom type).
    Fields {
        #[command(flatten)]
        jira: JiraArgs,
    },
    /// Convert an ADF JSON document (a file, or stdin) to Markdown on stdout.
    AdfMd {
        /// The ADF JSON file; stdin when absent or `-`.
        file: Option<PathBuf>,
    },
    /// Check connectivity, auth, scopes, field access, storage and cursor
    /// access; print a pass/fail line per check and how to fix failures.
    Doctor {
        #[command(flatten)]
        jira: JiraArgs,
        #[command(flatten)]
        storage: StorageArgs,
        /// Extra JQL restriction to test search with.
        #[arg(long, env = "JIRA_JQL")]
        jql: Option<String>,
    },
}

/// How to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthMode {
    /// Email and API token (Jira Cloud), HTTP Basic against the site.
    Basic,
    /// OAuth 2.0 (3LO) with a rotating refresh token.
    Oauth,
    /// Data Center personal access token.
    Bearer,
    /// Scoped API token or service account, through api.atlassian.com.
    ScopedToken,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Jira")]
pub(crate) struct JiraArgs {
    /// Site URL, e.g. https://tenant.atlassian.net (http:// only on loopback).
    #[arg(long, env = "JIRA_SITE")]
    pub(crate) site: Option<String>,
    /// Authentication; default: basic with an API token, oauth with an OAuth
    /// secret, bearer with a PAT.
    #[arg(long, env = "JIRA_AUTH", value_enum)]
    pub(crate) auth: Option<AuthMode>,
    /// Account email for API-token auth.
    #[arg(long, env = "JIRA_EMAIL")]
    pub(crate) email: Option<String>,
    /// API token (basic auth); prefer the environment variable over the flag.
    #[arg(long, env = "JIRA_API_TOKEN", hide_env_values = true)]
    pub(crate) api_token: Option<String>,
    /// Data Center personal access token.
    #[arg(long, env = "JIRA_PAT", hide_env_values = true)]
    pub(crate) pat: Option<String>,
    /// OAuth secret JSON file; the rotated refresh token is written back to
    /// it atomically before any Jira call.
    #[arg(long, env = "JIRA_OAUTH_SECRET_FILE")]
    pub(crate) oauth_secret_file: Option<PathBuf>,
    /// The same secret in AWS Secrets Manager (name or ARN).
    #[arg(long, env = "JIRA_OAUTH_SECRET_ID")]
    pub(crate) oauth_secret_id: Option<String>,
    /// OAuth token endpoint.
    #[arg(long, env = "JIRA_OAUTH_TOKEN_URL", default_value = jira_client::DEFAULT_TOKEN_URL)]
    pub(crate) oauth_token_url: String,
    /// Atlassian API gateway (accessible resources and /ex/jira/{cloudId}).
    #[arg(long, env = "JIRA_API_GATEWAY", default_value = jira_client::DEFAULT_API_GATEWAY)]
    pub(crate) api_gateway: String,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub(crate) struct StorageArgs {
    /// Local output root; the cursor lives under it unless another cursor
    /// store is chosen.
    #[arg(long, env = "JIRA_INGEST_OUT", default_value = "./jira-data")]
    pub(crate) out: PathBuf,
    /// Write to this S3 bucket instead (SSE-KMS).
    #[arg(long, env = "JIRA_INGEST_S3_BUCKET")]
    pub(crate) s3_bucket: Option<String>,
    /// Key prefix inside the bucket.
    #[arg(long, env = "JIRA_INGEST_S3_PREFIX", requires = "s3_bucket")]
    pub(crate) s3_prefix: Option<String>,
    /// KMS key (id, ARN or alias) for SSE-KMS on every object.
    #[arg(long, env = "JIRA_INGEST_KMS_KEY_ID", requires = "s3_bucket")]
    pub(crate) kms_key_id: Option<String>,
    /// Keep the cursor in SSM Parameter Store (name optional).
    #[arg(
        long,
        env = "JIRA_INGEST_SSM_PARAMETER",
        num_args = 0..=1,
        default_missing_value = state_store::aws::DEFAULT_SSM_PARAMETER,
    )]
    pub(crate) ssm_parameter: Option<String>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sync")]
pub(crate) struct TuningArgs {
    /// Extra JQL restriction ANDed into every query, e.g. `project in (ENG, OPS)`.
    #[arg(long, env = "JIRA_JQL")]
    pub(crate) jql: Option<String>,
    /// Days to read back when no cursor exists.
    #[arg(long, env = "JIRA_BACKFILL_DAYS", default_value_t = 30)]
    pub(crate) backfill_days: u32,
    /// Re-read window before the cursor (e.g. 10m, 1h30m, 90s).
    #[arg(long, env = "JIRA_OVERLAP", default_value = "10m", value_parser = parse_duration)]
    pub(crate) overlap: Duration,
    /// The window ends this long before the run starts (search is eventually consistent).
    #[arg(long, env = "JIRA_INDEX_LAG", default_value = "2m", value_parser = parse_duration)]
    pub(crate) index_lag: Duration,
    /// Stop cleanly, checkpointed, before this much time has passed.
    #[arg(long, env = "JIRA_MAX_RUNTIME", value_parser = parse_duration)]
    pub(crate) max_runtime: Option<Duration>,
    /// Parallel hydration requests (Jira's burst limit is about 100 requests/s).
    #[arg(long, env = "JIRA_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
    /// Keep comments that have a visibility restriction (role or group).
    #[arg(long, env = "JIRA_INCLUDE_RESTRICTED_COMMENTS", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) include_restricted_comments: bool,
}

/// Parses `90s`, `10m`, `1h30m`, `500ms`, `2d` or plain seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || {
        format!("invalid duration `{text}`: use a number with a unit, e.g. 90s, 10m, 1h30m, 500ms")
    };
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
    }
    Ok(total)
}

fn parse_rfc3339(text: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| {
        format!("invalid time `{text}` ({e}): use RFC 3339, e.g. 2026-11-01T00:00:00Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "m", "10x", "1.5h", "-1s", "h10"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
