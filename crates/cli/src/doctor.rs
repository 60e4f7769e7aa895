//! `doctor`: every check a first sync depends on, one pass/fail line each,
//! with what to do when a check fails. Checks are independent where they
//! can be, so one failure does not hide the next.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures::StreamExt as _;
use jira_client::ErrorKind;
use serde::Serialize;
use state_store::{Lease, ObjectKey, ObjectStoreExt as _, PutMode, PutOptions};

use crate::{
    args::{AuthMode, JiraArgs, StorageArgs},
    hint_for_jira, wiring,
};

/// The outcome of one check.
#[derive(Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) check: &'static str,
    /// `ok`, `warn`, `fail` or `skip`.
    pub(crate) result: &'static str,
    pub(crate) detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fix: Option<String>,
}

struct Report {
    checks: Vec<Check>,
    /// With `--json` the lines are not printed; the caller prints JSON.
    quiet: bool,
}

impl Report {
    fn ok(&mut self, check: &'static str, detail: impl Into<String>) {
        self.push(check, "ok", detail.into(), None);
    }
    fn warn(&mut self, check: &'static str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(check, "warn", detail.into(), Some(fix.into()));
    }
    fn fail(&mut self, check: &'static str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(check, "fail", detail.into(), Some(fix.into()));
    }
    fn skip(&mut self, check: &'static str, why: &str) {
        self.push(check, "skip", why.to_owned(), None);
    }
    fn push(
        &mut self,
        check: &'static str,
        result: &'static str,
        detail: String,
        fix: Option<String>,
    ) {
        let c = Check {
            check,
            result,
            detail,
            fix,
        };
        // Printed as they complete, so a slow check shows where it hangs.
        if !self.quiet {
            print_line(&c);
        }
        self.checks.push(c);
    }
}

fn print_line(c: &Check) {
    let tag = match c.result {
        "ok" => "[ ok ]",
        "warn" => "[warn]",
        "fail" => "[FAIL]",
        _ => "[skip]",
    };
    outln!("{tag} {:<16} {}", c.check, c.detail);
    if let Some(fix) = &c.fix {
        outln!("       {:<16} fix: {fix}", "");
    }
}

/// Runs every check; returns them and whether all passed (warnings pass).
pub(crate) async fn run(
    jira_args: &JiraArgs,
    storage_args: &StorageArgs,
    jql: Option<&str>,
    json: bool,
) -> (Vec<Check>, bool) {
    let mut r = Report {
        checks: Vec::new(),
        quiet: json,
    };
    let mut aws = wiring::Aws::default();

    // Jira.
    match wiring::jira(jira_args, 4, &mut aws).await {
        Err(e) => {
            r.fail(
                "configuration",
                format!("{e:#}"),
                "fix the options above; `jira-ingest --help` lists them",
            );
            for c in ["reachability", "auth", "scopes", "fields"] {
                r.skip(c, "no usable Jira configuration");
            }
        }
        Ok(jira) => {
            r.ok(
                "configuration",
                format!(
                    "site {}, auth {}",
                    jira.site,
                    match jira.auth {
                        AuthMode::Basic => "basic (API token)",
                        AuthMode::Oauth => "oauth (3LO)",
                        AuthMode::Bearer => "bearer (PAT)",
                        AuthMode::ScopedToken => "scoped token",
                    }
                ),
            );
            jira_checks(&mut r, &jira, jira_args, jql).await;
        }
    }

    // Storage.
    match wiring::storage(storage_args, &mut aws).await {
        Err(e) => {
            r.fail("storage", format!("{e:#}"), "check --out or the S3 options");
            r.skip("cursor", "no usable storage");
            r.skip("lease", "no usable storage");
        }
        Ok(storage) => storage_checks(&mut r, &storage).await,
    }
    let passed = r.checks.iter().all(|c| c.result != "fail");
    (r.checks, passed)
}

async fn jira_checks(r: &mut Report, jira: &wiring::Jira, args: &JiraArgs, jql: Option<&str>) {
    // Reachability: a TCP connection to every host the client will call.
    let mut hosts = Vec::new();
    if jira.auth == AuthMode::Oauth {
        hosts.push(("token endpoint", args.oauth_token_url.clone()));
        hosts.push(("api gateway", args.api_gateway.clone()));
    } else {
        hosts.push(("site", jira.site.clone()));
    }
    let mut reachable = true;
    for (what, url) in hosts {
        match connect(&url).await {
            Ok(addr) => r.ok("reachability", format!("{what} {addr} accepts connections")),
            Err(e) => {
                reachable = false;
                r.fail(
                    "reachability",
                    format!("cannot connect to the {what} ({url}): {e}"),
                    "check the URL, DNS, proxy and firewall",
                );
            }
        }
    }
    if !reachable {
        for c in ["auth", "scopes", "fields"] {
            r.skip(c, "Jira is not reachable");
        }
        return;
    }

    // Auth and identity. With OAuth this refreshes the token, and the
    // rotated refresh token is saved before `myself` is sent.
    match jira.client.myself().await {
        Ok(me) => {
            let who = me
                .account_id
                .or(me.name)
                .unwrap_or_else(|| "unknown id".into());
            let mut detail = format!(
                "signed in as {} ({who}), time zone {}",
                if me.display_name.is_empty() {
                    "?"
                } else {
                    &me.display_name
                },
                me.time_zone.as_deref().unwrap_or("unknown")
            );
            if let Some(location) = &jira.secret_location
                && jira.client.stats().token_refreshes > 0
            {
                detail.push_str(&format!("; rotated refresh token saved to {location}"));
            }
            if me.active == Some(false) {
                r.warn(
                    "auth",
                    detail,
                    "the account is deactivated; use an active account",
                );
            } else {
                r.ok("auth", detail);
            }
        }
        Err(e) => {
            r.fail(
                "auth",
                format!("GET /myself failed: {e}"),
                hint_for_jira(e.kind(), jira.secret_location.as_deref())
                    .unwrap_or_else(|| "check the credentials".into()),
            );
            r.skip("scopes", "not signed in");
            r.skip("fields", "not signed in");
            return;
        }
    }

    // Search permission (scope read:jira-work for OAuth, Browse projects).
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let query = match jql.filter(|j| !j.trim().is_empty()) {
        Some(scope) => format!("({scope}) AND updated <= {now_ms}"),
        None => format!("updated <= {now_ms}"),
    };
    let mut pages = Box::pin(jira.client.search_ids(query.clone()));
    match pages.next().await {
        Some(Ok(page)) if !page.issues.is_empty() => r.ok(
            "scopes",
            format!(
                "search works: {} issue(s) on the first page of `{query}`",
                page.issues.len()
            ),
        ),
        None | Some(Ok(_)) => r.warn(
            "scopes",
            format!("search returned no issues for `{query}`"),
            "the account may lack the Browse projects permission (OAuth: scopes read:jira-work \
             read:jira-user offline_access), or the JQL matches nothing",
        ),
        Some(Err(e)) => r.fail(
            "scopes",
            format!("search failed: {e}"),
            match e.kind() {
                ErrorKind::BadRequest => "fix the JQL given with --jql".to_owned(),
                kind => hint_for_jira(kind, jira.secret_location.as_deref()).unwrap_or_else(|| {
                    "grant read:jira-work and the Browse projects permission".into()
                }),
            },
        ),
    }

    match jira.client.fields().await {
        Ok(cat) => r.ok(
            "fields",
            format!(
                "{} fields readable ({} custom)",
                cat.fields.len(),
                cat.fields.iter().filter(|f| f.custom).count()
            ),
        ),
        Err(e) => r.fail(
            "fields",
            format!("GET /field failed: {e}"),
            hint_for_jira(e.kind(), jira.secret_location.as_deref())
                .unwrap_or_else(|| "the account must be able to read the field list".into()),
        ),
    }
}

async fn connect(url: &str) -> Result<String, String> {
    let (scheme, rest) = url.split_once("://").ok_or("not a URL")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()) && !authority.ends_with(']'));
    let addr = if has_port {
        authority.to_owned()
    } else {
        let port = if scheme.eq_ignore_ascii_case("http") {
            80
        } else {
            443
        };
        format!("{authority}:{port}")
    };
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    {
        Ok(Ok(_)) => Ok(addr),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out after 10 s".into()),
    }
}

async fn storage_checks(r: &mut Report, storage: &wiring::Storage) {
    let store = storage.store.clone();
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let probe = format!(
        "state/jira/doctor/probe-{}-{nanos}.json",
        std::process::id()
    );
    let key = match ObjectKey::new(probe) {
        Ok(k) => k,
        Err(e) => {
            r.fail("storage", e.to_string(), "please report this");
            return;
        }
    };
    let body = Bytes::from_static(b"{\"probe\":\"jira-ingest doctor\"}\n");
    let opts = PutOptions::content_type("application/json").with_mode(PutMode::Create);
    let step = async {
        store
            .put_opts(&key, body.clone(), opts.clone())
            .await
            .map_err(|e| format!("write failed: {e}"))?;
        let got = store
            .get(&key)
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if got.body != body {
            return Err("read back different bytes than were written".to_owned());
        }
        // Leases and raw versions rely on create-only writes.
        let conditional = match store.put_opts(&key, body.clone(), opts.clone()).await {
            Err(state_store::Error::AlreadyExists { .. }) => Ok(()),
            Ok(_) => Err("a create-only write overwrote an existing object".to_owned()),
            Err(e) => Err(format!("conditional write failed: {e}")),
        };
        store
            .delete(&key)
            .await
            .map_err(|e| format!("delete failed: {e}"))?;
        if store
            .exists(&key)
            .await
            .map_err(|e| format!("read after delete failed: {e}"))?
        {
            return Err("the object still exists after delete".to_owned());
        }
        conditional
    };
    match step.await {
        Ok(()) => r.ok(
            "storage",
            format!(
                "write, read, create-only write and delete work in {}",
                storage.location
            ),
        ),
        Err(e) => r.fail(
            "storage",
            format!("{}: {e}", storage.location),
            "check the directory's permissions, or the IAM policy (s3:PutObject, GetObject, \
             DeleteObject, ListBucket) and the KMS key policy",
        ),
    }

    match storage.cursor.load().await {
        Ok(Some((cursor, _))) => r.ok(
            "cursor",
            format!(
                "{}: last sync {}",
                storage.cursor.location(),
                cursor
                    .last_sync()
                    .map(normalize_time)
                    .unwrap_or_else(|| "unknown".into())
            ),
        ),
        Ok(None) => r.ok(
            "cursor",
            format!(
                "{}: no cursor yet; the first sync backfills --backfill-days",
                storage.cursor.location()
            ),
        ),
        Err(e) => r.fail(
            "cursor",
            format!("{}: {e}", storage.cursor.location()),
            "check access to the cursor (ssm:GetParameter, ssm:GetParameterHistory for SSM)",
        ),
    }

    let lease = match ObjectKey::new(ingest_core::layout::LEASE_KEY) {
        Ok(k) => Lease::new(Arc::clone(&store)).with_key(k),
        Err(e) => {
            r.fail("lease", e.to_string(), "please report this");
            return;
        }
    };
    match lease.current().await {
        Ok(None) => r.ok("lease", "free (no run has taken it yet)"),
        Ok(Some(info)) if info.released || info.expires_at <= time::OffsetDateTime::now_utc() => {
            r.ok("lease", format!("free (last holder {})", info.owner));
        }
        Ok(Some(info)) => r.warn(
            "lease",
            format!(
                "held by {} until {}",
                info.owner,
                normalize_time(info.expires_at)
            ),
            "a sync is running now, or one was killed and its lease expires by itself at that time",
        ),
        Err(e) => r.fail(
            "lease",
            e.to_string(),
            "check read access to the state/ prefix",
        ),
    }
}

fn normalize_time(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
