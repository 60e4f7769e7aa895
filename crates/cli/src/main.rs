//! `jira-ingest`: the command-line front end. It wires the local or AWS
//! backends into `ingest-core` and maps outcomes to exit codes: 0 for a
//! complete or partial run, 1 for a failure, 2 for bad usage or
//! configuration (contracts §3).

// Doc comments on the argument structs are clap's `--help` text, where a
// bare URL reads better than rustdoc's `<...>` link syntax.
#![allow(rustdoc::bare_urls)]

/// Like `println!`, but a closed stdout (`jira-ingest fields | head`) ends
/// the output quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::emit(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod args;
mod doctor;
mod progress;
mod wiring;

use std::{
    fmt,
    io::{IsTerminal as _, Read as _},
    process::ExitCode,
    sync::Arc,
};

use anyhow::Context as _;
use clap::Parser as _;
use ingest_core::{RunOptions, RunStatus, RunSummary};
use jira_client::ErrorKind;
use serde_json::json;

use crate::{
    args::{AuthMode, Cli, Command, JiraArgs, StorageArgs, TuningArgs},
    progress::{Counters, CountingStore, Display, Progress},
};

/// Bad usage or configuration: exit status 2.
#[derive(Debug)]
pub(crate) struct UsageError(String);

impl UsageError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        UsageError(message.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// An engine failure with advice on what to do about it.
#[derive(Debug)]
struct Explained {
    error: ingest_core::Error,
    hint: Option<String>,
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Explained {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// Ctrl-C stopped a run: exit status 130, as for any interrupted command.
#[derive(Debug)]
struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "interrupted; what was written is kept, and the next run re-reads the window from \
             the last checkpoint",
        )
    }
}

impl std::error::Error for Interrupted {}

/// After Ctrl-C the run's future is dropped without releasing its lease,
/// which would block every following run until the lease expires. The lease
/// is removed when this process holds it (the engine names the holder
/// `<run id> (pid <pid>)`); otherwise it is left to expire.
async fn release_abandoned_lease(storage: &wiring::Storage) {
    let Ok(key) = state_store::ObjectKey::new(ingest_core::layout::LEASE_KEY) else {
        return;
    };
    let lease = state_store::Lease::new(storage.store.clone()).with_key(key.clone());
    let mine = format!("(pid {})", std::process::id());
    match lease.current().await {
        Ok(Some(info)) if !info.released && info.owner.ends_with(&mine) => {
            if let Err(e) = storage.store.delete(&key).await {
                tracing::warn!(error = %e, "could not release the run lease; it expires by itself");
            }
        }
        _ => {}
    }
}

/// A failed command whose output was already printed (doctor).
#[derive(Debug)]
struct ChecksFailed;

impl fmt::Display for ChecksFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("some checks failed; see the fixes above")
    }
}

impl std::error::Error for ChecksFailed {}

fn main() -> ExitCode {
    cap_malloc_arenas();
    // clap exits with 2 on bad usage and 0 for --help and --version.
    let cli = Cli::parse();
    let interactive = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    init_tracing(cli.verbose, interactive);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("jira-ingest: error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let json = cli.json;
    match runtime.block_on(run(cli, interactive)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report_failure(&err, json),
    }
}

/// Logs go to stderr. On a terminal the progress line replaces the info
/// logs; elsewhere (CI, cron, containers) plain info lines are the progress.
fn init_tracing(verbose: u8, interactive: bool) {
    use tracing_subscriber::{EnvFilter, fmt};
    let default = match verbose {
        0 if interactive => "warn",
        0 => "warn,jira_ingest=info,ingest_core=info",
        1 => "info,jira_ingest=debug,ingest_core=debug,jira_client=debug,state_store=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose > 0)
        .init();
}

fn report_failure(err: &anyhow::Error, json: bool) -> ExitCode {
    let explained = err.chain().find_map(|e| e.downcast_ref::<Explained>());
    let hint = explained.and_then(|x| x.hint.clone());
    let usage = err.chain().any(|e| e.is::<UsageError>())
        || explained.is_some_and(|x| is_configuration(&x.error));
    let code = if usage { 2 } else { 1 };
    if err.downcast_ref::<Interrupted>().is_some() {
        eprintln!("\njira-ingest: {err}");
        return ExitCode::from(130);
    }
    // Doctor has printed its own report already.
    if err.downcast_ref::<ChecksFailed>().is_some() {
        return ExitCode::from(code);
    }
    let message = message_of(err);
    eprintln!("jira-ingest: error: {message}");
    if let Some(hint) = &hint {
        eprintln!("jira-ingest: hint: {hint}");
    }
    if json {
        let error_type = explained.map(|x| error_type(&x.error));
        outln!(
            "{}",
            json!({
                "status": "failed",
                "error": message,
                "error_type": error_type.unwrap_or(if usage { "configuration" } else { "failure" }),
                "hint": hint,
                "exit_code": code,
            })
        );
    }
    ExitCode::from(code)
}

/// The error and its causes, skipping causes whose text the message
/// already contains (the library errors embed their source).
fn message_of(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

pub(crate) fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    // A reader that went away (a pipe into `head`) is not an error of ours.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn is_configuration(e: &ingest_core::Error) -> bool {
    match e {
        ingest_core::Error::Storage(s) => matches!(**s, state_store::Error::Config { .. }),
        _ => matches!(e.jira_kind(), Some(ErrorKind::Config)),
    }
}

/// A stable, machine-readable name for `--json` error output.
fn error_type(e: &ingest_core::Error) -> &'static str {
    match e {
        ingest_core::Error::Busy(_) => "busy",
        ingest_core::Error::MassDeleteRefused { .. } => "mass_delete_refused",
        ingest_core::Error::Precondition(_) => "precondition",
        ingest_core::Error::IssuesUnavailable { .. } => "issues_unavailable",
        ingest_core::Error::CorruptState { .. } => "corrupt_state",
        ingest_core::Error::Storage(_) => "storage",
        ingest_core::Error::Jira(j) => match j.kind() {
            ErrorKind::InvalidGrant => "invalid_grant",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RateLimited | ErrorKind::QuotaExhausted => "rate_limited",
            ErrorKind::Transport => "unreachable",
            ErrorKind::Config => "configuration",
            ErrorKind::BadRequest => "bad_request",
            _ => "jira",
        },
        _ => "internal",
    }
}

/// What to do about a Jira failure, when there is something to say.
pub(crate) fn hint_for_jira(kind: ErrorKind, secret_location: Option<&str>) -> Option<String> {
    let secret = secret_location.unwrap_or("the OAuth secret");
    Some(match kind {
        ErrorKind::InvalidGrant => format!(
            "the OAuth refresh token was rejected (invalid_grant): it expired (90 days unused, \
             365 days at most), was revoked, or an old token was reused after rotation. The user \
             must consent again: open https://auth.atlassian.com/authorize?audience=api.atlassian.com\
             &client_id=<CLIENT_ID>&scope=read%3Ajira-work%20read%3Ajira-user%20offline_access\
             &redirect_uri=<CALLBACK>&response_type=code&prompt=consent, approve, exchange the code \
             at https://auth.atlassian.com/oauth/token (grant_type=authorization_code) and put the \
             new refresh_token into {secret}"
        ),
        ErrorKind::Unauthorized => "Jira rejected the credentials (401): check JIRA_EMAIL and \
             JIRA_API_TOKEN (create a new token at \
             https://id.atlassian.com/manage-profile/security/api-tokens), or JIRA_PAT on Data \
             Center; do not retry in a loop, repeated 401s can lock the account behind a CAPTCHA"
            .to_owned(),
        ErrorKind::Forbidden => "the account may not do this (403): it needs the Browse projects \
             permission on the projects in scope; an OAuth app needs the scopes read:jira-work \
             read:jira-user offline_access"
            .to_owned(),
        ErrorKind::Transport => "Jira could not be reached: check --site, DNS, proxy and \
             network; `jira-ingest doctor` checks each step"
            .to_owned(),
        ErrorKind::RateLimited | ErrorKind::QuotaExhausted => {
            "Jira is rate-limiting this account or app; run again later (progress is checkpointed)"
                .to_owned()
        }
        ErrorKind::Sink => format!(
            "the rotated refresh token could not be saved to {secret}; the previous token stays \
             usable for about 10 minutes: fix write access to {secret} and run again before then"
        ),
        ErrorKind::BadRequest => {
            "Jira refused the request; if --jql is set, check its syntax in Jira's issue search"
                .to_owned()
        }
        ErrorKind::Gone => "Jira says this API was removed; please report this".to_owned(),
        _ => return None,
    })
}

fn explain(error: ingest_core::Error, secret_location: Option<&str>) -> anyhow::Error {
    let hint = match &error {
        ingest_core::Error::Jira(j) => {
            let mut hint = hint_for_jira(j.kind(), secret_location);
            if let Some(after) = j.retry_after() {
                hint = hint.map(|h| format!("{h} (Jira asks to wait {} s)", after.as_secs()));
            }
            hint
        }
        ingest_core::Error::Busy(_) => Some(
            "another sync holds the run lease; wait for it to finish. A killed run's lease \
             expires by itself (`jira-ingest status` shows until when)"
                .to_owned(),
        ),
        ingest_core::Error::Precondition(_) => Some("run `jira-ingest sync` first".to_owned()),
        ingest_core::Error::Storage(s) if s.is_retryable() => {
            Some("storage is failing or throttling; run again later".to_owned())
        }
        _ => None,
    };
    Explained { error, hint }.into()
}

async fn run(cli: Cli, interactive: bool) -> anyhow::Result<()> {
    let json = cli.json;
    let display = if interactive {
        Display::Terminal
    } else {
        Display::Log
    };
    match cli.command {
        Command::Sync {
            jira,
            storage,
            tuning,
            full_resync,
            since,
        } => {
            let opts = RunOptions {
                full_resync,
                since,
                jql: None,
                deadline: wiring::deadline(tuning.max_runtime),
                force: false,
            };
            run_engine(Op::Sync, &jira, &storage, &tuning, opts, json, display).await
        }
        Command::Reconcile {
            jira,
            storage,
            tuning,
            force,
        } => {
            let opts = RunOptions {
                deadline: wiring::deadline(tuning.max_runtime),
                force,
                ..RunOptions::default()
            };
            run_engine(Op::Reconcile, &jira, &storage, &tuning, opts, json, display).await
        }
        Command::Renormalize {
            jira,
            storage,
            include_restricted_comments,
        } => renormalize(&jira, &storage, include_restricted_comments, json).await,
        Command::Status { storage } => status(&storage, json).await,
        Command::Fields { jira } => fields(&jira, json).await,
        Command::AdfMd { file } => adf_md(file.as_deref(), json),
        Command::Doctor { jira, storage, jql } => {
            let (checks, passed) = doctor::run(&jira, &storage, jql.as_deref(), json).await;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string(&json!({ "passed": passed, "checks": checks }))?
                );
            }
            if passed {
                Ok(())
            } else {
                Err(ChecksFailed.into())
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Op {
    Sync,
    Reconcile,
}

async fn run_engine(
    op: Op,
    jira_args: &JiraArgs,
    storage_args: &StorageArgs,
    tuning: &TuningArgs,
    opts: RunOptions,
    json: bool,
    display: Display,
) -> anyhow::Result<()> {
    let mut aws = wiring::Aws::default();
    // Jira first: its configuration (site URL, credentials) is checked
    // before any storage is touched or any request is sent.
    let jira = wiring::jira(jira_args, usize::from(tuning.concurrency), &mut aws).await?;
    let storage = wiring::storage(storage_args, &mut aws).await?;
    let counters = Arc::new(Counters::default());
    let counted = wiring::Storage {
        store: Arc::new(CountingStore::new(storage.store.clone(), counters.clone())),
        cursor: storage.cursor.clone(),
        location: storage.location.clone(),
    };
    let engine = wiring::engine(
        jira.client.clone(),
        &counted,
        wiring::sync_config(&jira.site, Some(tuning)),
    );
    let name = match op {
        Op::Sync => "sync",
        Op::Reconcile => "reconcile",
    };
    tracing::info!(site = %jira.site, storage = %storage.location, cursor = %storage.cursor.location(), "{name} starting");
    let progress = Progress::start(name, display, jira.client.clone(), counters);
    let work = async {
        match op {
            Op::Sync => engine.sync(opts).await,
            Op::Reconcile => engine.reconcile(opts).await,
        }
    };
    let result = tokio::select! {
        r = work => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    progress.finish().await;
    let Some(result) = result else {
        release_abandoned_lease(&storage).await;
        return Err(Interrupted.into());
    };
    let summary = result.map_err(|e| explain(e, jira.secret_location.as_deref()))?;
    print_summary(name, &summary, &storage, json)
}

fn print_summary(
    name: &str,
    s: &RunSummary,
    storage: &wiring::Storage,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        outln!("{}", serde_json::to_string(s)?);
        return Ok(());
    }
    let status = match s.status {
        RunStatus::Complete => "complete",
        RunStatus::Partial => "partial",
    };
    outln!(
        "{name} {status} in {:.1}s: {} issues seen, {} written, {} unchanged, {} deleted, {} moved, {} rejected",
        s.duration_ms as f64 / 1000.0,
        s.issues_seen,
        s.written,
        s.unchanged,
        s.deleted,
        s.moved,
        s.rejected,
    );
    if let Some(reason) = &s.reason {
        outln!("  stopped early: {reason}; run the same command again to continue");
    }
    outln!(
        "  requests to Jira: {} (rate-limit wait {:.1}s)",
        s.requests,
        s.rate_limit_wait_ms as f64 / 1000.0
    );
    outln!(
        "  cursor: {} ({})",
        s.cursor.as_deref().unwrap_or("none yet"),
        storage.cursor.location()
    );
    outln!("  output: {}", storage.location);
    if let Some(key) = &s.manifest_key {
        outln!("  manifest: {}", join_location(&storage.location, key));
    }
    Ok(())
}

fn join_location(root: &str, key: &str) -> String {
    format!("{}/{key}", root.trim_end_matches('/'))
}

/// A client for commands that do not call Jira, and the site for links.
async fn offline_site(jira_args: &JiraArgs) -> anyhow::Result<(jira_client::JiraClient, String)> {
    match jira_args.site.as_deref().filter(|s| !s.is_empty()) {
        Some(site) => Ok((wiring::offline_client(site)?, site.to_owned())),
        // The OAuth secret carries the site; reading it calls no Jira API.
        None if jira_args.oauth_secret_file.is_some()
            || jira_args.oauth_secret_id.is_some()
            || jira_args.auth == Some(AuthMode::Oauth) =>
        {
            let jira = wiring::jira(jira_args, 1, &mut wiring::Aws::default()).await?;
            Ok((jira.client, jira.site))
        }
        None => Err(UsageError::new(
            "--site (JIRA_SITE) is required: documents link to issues on the site",
        )
        .into()),
    }
}

async fn renormalize(
    jira_args: &JiraArgs,
    storage_args: &StorageArgs,
    include_restricted_comments: bool,
    json: bool,
) -> anyhow::Result<()> {
    let (client, site) = offline_site(jira_args).await?;
    let storage = wiring::storage(storage_args, &mut wiring::Aws::default()).await?;
    let mut config = wiring::sync_config(&site, None);
    config.include_restricted_comments = include_restricted_comments;
    let engine = wiring::engine(client, &storage, config);
    let summary = engine.renormalize().await.map_err(|e| explain(e, None))?;
    print_summary("renormalize", &summary, &storage, json)
}

async fn status(storage_args: &StorageArgs, json: bool) -> anyhow::Result<()> {
    let storage = wiring::storage(storage_args, &mut wiring::Aws::default()).await?;
    // `status` reads storage only; the site is not needed.
    let client = wiring::offline_client("https://jira.invalid")?;
    let engine = wiring::engine(
        client,
        &storage,
        wiring::sync_config("https://jira.invalid", None),
    );
    let st = engine.status().await.map_err(|e| explain(e, None))?;
    if json {
        let mut value = serde_json::to_value(&st)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("storage".into(), json!(storage.location));
        }
        outln!("{}", serde_json::to_string(&value)?);
        return Ok(());
    }
    outln!("storage:    {}", storage.location);
    outln!(
        "cursor:     {} ({})",
        st.cursor
            .as_deref()
            .unwrap_or("none yet (the next sync backfills)"),
        st.cursor_location
    );
    match &st.checkpoint {
        Some(cp) => outln!(
            "checkpoint: an unfinished window from run {} is resumed by the next sync",
            cp.run_id
        ),
        None => outln!("checkpoint: none"),
    }
    let projects = st
        .projects
        .iter()
        .map(|(p, n)| format!("{p} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    outln!(
        "documents:  {} issues{}",
        st.issues,
        if projects.is_empty() {
            String::new()
        } else {
            format!(" ({projects})")
        }
    );
    match &st.last_run {
        Some(r) => outln!(
            "last run:   {} {}: {} seen, {} written, {} unchanged, {} deleted in {:.1}s{}",
            r.run_id,
            match r.status {
                RunStatus::Complete => "complete",
                RunStatus::Partial => "partial",
            },
            r.issues_seen,
            r.written,
            r.unchanged,
            r.deleted,
            r.duration_ms as f64 / 1000.0,
            r.reason
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default()
        ),
        None => outln!("last run:   none"),
    }
    match &st.lease_holder {
        Some(holder) => outln!("lease:      held by {holder}"),
        None => outln!("lease:      free"),
    }
    Ok(())
}

async fn fields(jira_args: &JiraArgs, json: bool) -> anyhow::Result<()> {
    let jira = wiring::jira(jira_args, 2, &mut wiring::Aws::default()).await?;
    let catalogue = jira
        .client
        .fields()
        .await
        .map_err(|e| explain(e.into(), jira.secret_location.as_deref()))?;
    let kind = |f: &jira_client::Field| -> String {
        f.schema
            .as_ref()
            .map(|s| s.custom.clone().unwrap_or_else(|| s.kind.clone()))
            .unwrap_or_else(|| "-".into())
    };
    if json {
        let rows: Vec<_> = catalogue
            .fields
            .iter()
            .map(|f| json!({"id": f.id, "name": f.name, "custom": f.custom, "type": kind(f)}))
            .collect();
        outln!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    let id_width = catalogue
        .fields
        .iter()
        .map(|f| f.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let name_width = catalogue
        .fields
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!("{:<id_width$}  {:<name_width$}  TYPE", "ID", "NAME");
    for f in &catalogue.fields {
        outln!("{:<id_width$}  {:<name_width$}  {}", f.id, f.name, kind(f));
    }
    Ok(())
}

fn adf_md(file: Option<&std::path::Path>, json: bool) -> anyhow::Result<()> {
    let text = match file.filter(|p| p.as_os_str() != "-") {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("could not read the ADF document from stdin")?;
            s
        }
    };
    let output = adf_md::convert_str(&text, &adf_md::Options::default())
        .context("the input is not JSON; pass an ADF document such as {\"type\":\"doc\",\"version\":1,\"content\":[...]}")?;
    for w in &output.warnings {
        tracing::warn!("{w:?}");
    }
    if json {
        outln!("{}", json!({ "markdown": output.markdown }));
    } else {
        emit(&output.markdown);
    }
    Ok(())
}

/// glibc gives each thread that allocates an arena of its own (up to eight
/// per core) and arenas keep what they free, so a sync's writer threads
/// made peak memory grow with the size of the site: 169 MB for 100,000
/// issues, against 130 MB with two arenas at no measurable cost in speed
/// (docs/benchmarks.md). The limit can only be set before the process
/// starts, so the CLI re-executes itself once with `MALLOC_ARENA_MAX=2`
/// (same process id, arguments and descriptors) unless the variable is
/// already set; if that fails it simply carries on.
fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt as _;
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        // `exec` returns only if it failed.
        let _ = std::process::Command::new(&exe)
            .arg0(arg0)
            .args(args)
            .env("MALLOC_ARENA_MAX", "2")
            .exec();
    }
}
