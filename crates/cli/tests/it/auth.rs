//! Every auth mode, OAuth refresh-token rotation through the secret file,
//! failures with advice, and secrets kept out of the logs.

use std::{os::unix::fs::PermissionsExt as _, path::Path, time::Duration};

use jira_sim::OAuthConfig;
use serde_json::{Value, json};

use crate::support::{EMAIL, PAT, TOKEN, basic_env, data_center_sim, files, pat_env, run, sim};

const CLIENT_SECRET: &str = "cs-SECRET-77aa";
const FIRST_REFRESH: &str = "rt-SECRET-first";

fn oauth_config() -> OAuthConfig {
    OAuthConfig {
        client_id: "cli-test-client".into(),
        client_secret: CLIENT_SECRET.into(),
        initial_refresh_token: FIRST_REFRESH.into(),
        // Any reuse of a rotated-out token revokes the family at once, so a
        // token that was not written back fails the next run.
        reuse_leeway: Duration::ZERO,
        ..OAuthConfig::default()
    }
}

fn write_secret(path: &Path, site: &str, refresh: &str) {
    let bundle = json!({
        "client_id": "cli-test-client",
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh,
        "base_url": site,
        "note": "kept on write-back",
    });
    std::fs::write(path, bundle.to_string()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn read_secret(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_rotates_the_refresh_token_across_three_runs() {
    let sim = sim(30, |c| c.oauth = Some(oauth_config())).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("jira-oauth.json");
    write_secret(&secret, sim.base_url(), FIRST_REFRESH);
    let env = vec![
        (
            "JIRA_OAUTH_SECRET_FILE".to_owned(),
            secret.display().to_string(),
        ),
        ("JIRA_OAUTH_TOKEN_URL".to_owned(), sim.token_url()),
        ("JIRA_API_GATEWAY".to_owned(), sim.api_gateway()),
        ("JIRA_BACKFILL_DAYS".to_owned(), "400".to_owned()),
        ("JIRA_INDEX_LAG".to_owned(), "0s".to_owned()),
    ];

    let mut seen = vec![FIRST_REFRESH.to_owned()];
    for n in 0..3 {
        let out = run(dir.path(), &["sync", "--json"], &env, None).await;
        let v = out.assert_code(0).json();
        assert_eq!(v["status"], "complete", "run {n}: {v}");
        let stored = read_secret(&secret);
        let token = stored["refresh_token"].as_str().unwrap().to_owned();
        assert!(!seen.contains(&token), "run {n} did not rotate the token");
        assert_eq!(stored["client_secret"], CLIENT_SECRET);
        assert_eq!(stored["base_url"], sim.base_url());
        assert_eq!(stored["note"], "kept on write-back");
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the secret file stays private");
        assert!(!out.stderr.contains(&token) && !out.stderr.contains(CLIENT_SECRET));
        seen.push(token);
    }
    assert!(!sim.oauth_family_revoked());
    assert_eq!(
        files(&dir.path().join("jira-data"), "normalized/jira").len(),
        30
    );

    // Putting back a rotated-out token is reuse: Jira revokes the family
    // and answers invalid_grant, which needs the user to consent again.
    write_secret(&secret, sim.base_url(), &seen[1]);
    let out = run(dir.path(), &["sync"], &env, None).await;
    out.assert_code(1);
    assert!(out.stderr.contains("invalid_grant"), "{}", out.stderr);
    assert!(out.stderr.contains("consent again"), "{}", out.stderr);
    assert!(
        out.stderr.contains("jira-oauth.json"),
        "names the file to fix: {}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_access_token_is_sent_as_bearer() {
    let sim = data_center_sim(5).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = pat_env(&sim);
    env.push(("RUST_LOG".to_owned(), "trace".to_owned()));
    let out = run(dir.path(), &["fields", "--json"], &env, None).await;
    let v = out.assert_code(0).json();
    assert!(
        v.as_array().unwrap().iter().any(|f| f["id"] == "summary"),
        "{v}"
    );
    assert!(!out.stderr.contains(PAT));

    let mut wrong = env.clone();
    wrong.retain(|(k, _)| k != "JIRA_PAT");
    wrong.push(("JIRA_PAT".into(), "pat-wrong".into()));
    let doctor = run(dir.path(), &["doctor", "--json"], &wrong, None).await;
    let v = doctor.assert_code(1).json();
    let auth = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "auth")
        .unwrap();
    assert_eq!(auth["result"], "fail", "{v}");
    assert!(auth["detail"].as_str().unwrap().contains("401"), "{v}");
    let ok = run(dir.path(), &["doctor", "--json"], &env, None).await;
    let v = ok.json();
    let auth = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "auth")
        .unwrap();
    assert_eq!(auth["result"], "ok", "{v}");
    assert!(
        auth["detail"].as_str().unwrap().contains("signed in"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_exit_1_with_advice() {
    let sim = sim(5, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = basic_env(&sim);
    env.retain(|(k, _)| k != "JIRA_API_TOKEN");
    env.push(("JIRA_API_TOKEN".into(), "not-the-token".into()));

    let out = run(dir.path(), &["sync"], &env, None).await;
    out.assert_code(1);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(
        out.stderr.contains("JIRA_API_TOKEN"),
        "says what to check: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    // With --json, stdout still carries one JSON object describing the failure.
    let out = run(dir.path(), &["sync", "--json"], &env, None).await;
    let v = out.assert_code(1).json();
    assert_eq!(v["status"], "failed");
    assert_eq!(v["error_type"], "unauthorized");
    assert_eq!(v["exit_code"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_stderr_even_at_trace_level() {
    let sim = sim(15, |c| c.oauth = Some(oauth_config())).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = basic_env(&sim);
    env.push(("RUST_LOG".into(), "trace".into()));

    let basic = run(dir.path(), &["sync", "-vv"], &env, None).await;
    basic.assert_code(0);
    assert!(basic.stderr.lines().count() > 20, "trace logging is on");
    use base64::Engine as _;
    let header = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{TOKEN}"));
    for secret in [TOKEN, header.as_str()] {
        assert!(
            !basic.stderr.contains(secret),
            "`{secret}` leaked into stderr"
        );
        assert!(
            !basic.stdout.contains(secret),
            "`{secret}` leaked into stdout"
        );
    }

    // OAuth: neither the client secret nor any refresh token.
    let secret = dir.path().join("oauth.json");
    write_secret(&secret, sim.base_url(), FIRST_REFRESH);
    let oauth_env = vec![
        (
            "JIRA_OAUTH_SECRET_FILE".to_owned(),
            secret.display().to_string(),
        ),
        ("JIRA_OAUTH_TOKEN_URL".to_owned(), sim.token_url()),
        ("JIRA_API_GATEWAY".to_owned(), sim.api_gateway()),
        ("JIRA_INGEST_OUT".to_owned(), "oauth-data".to_owned()),
        ("RUST_LOG".to_owned(), "trace".to_owned()),
    ];
    let oauth = run(dir.path(), &["sync", "--index-lag", "0s"], &oauth_env, None).await;
    oauth.assert_code(0);
    let rotated = read_secret(&secret)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for s in [CLIENT_SECRET, FIRST_REFRESH, rotated.as_str()] {
        assert!(!oauth.stderr.contains(s), "`{s}` leaked into stderr");
    }
    // The access token is Bearer in headers: no Authorization value may show.
    assert!(
        !oauth.stderr.to_ascii_lowercase().contains("bearer "),
        "an Authorization header leaked"
    );

    // --help shows which variables are read, never their secret values.
    let help = run(dir.path(), &["sync", "--help"], &env, None).await;
    help.assert_code(0);
    assert!(help.stdout.contains("JIRA_API_TOKEN"));
    assert!(!help.stdout.contains(TOKEN), "{}", help.stdout);
}
