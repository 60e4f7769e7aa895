//! Bad usage and configuration: exit status 2 and a message that says
//! what to change, before anything is sent anywhere.

use std::time::{Duration, Instant};

use crate::support::run;

#[tokio::test]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["sync", "--no-such-flag"],
        &["no-such-command"],
        &["sync", "--overlap", "ten minutes"],
        &["sync", "--concurrency", "0"],
        &["sync", "--since", "yesterday"],
        &["sync", "--auth", "kerberos"],
        &[],
    ];
    for args in cases {
        let out = run(dir.path(), args, &[], None).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
    let help = run(dir.path(), &["--help"], &[], None).await;
    help.assert_code(0);
    for sub in [
        "sync",
        "reconcile",
        "renormalize",
        "status",
        "fields",
        "adf-md",
        "doctor",
    ] {
        assert!(help.stdout.contains(sub), "--help lists `{sub}`");
    }
    assert!(help.stdout.contains("Exit status"));
}

#[tokio::test]
async fn missing_configuration_exits_2_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let none = run(dir.path(), &["sync"], &[], None).await;
    none.assert_code(2);
    assert!(none.stderr.contains("JIRA_API_TOKEN"), "{}", none.stderr);
    assert!(
        none.stderr.contains("JIRA_OAUTH_SECRET_FILE"),
        "{}",
        none.stderr
    );

    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let no_email = run(
        dir.path(),
        &["sync"],
        &env(&[
            ("JIRA_SITE", "https://t.atlassian.net"),
            ("JIRA_API_TOKEN", "x"),
        ]),
        None,
    )
    .await;
    no_email.assert_code(2);
    assert!(no_email.stderr.contains("--email"), "{}", no_email.stderr);

    let two = run(
        dir.path(),
        &["sync"],
        &env(&[
            ("JIRA_SITE", "https://t.atlassian.net"),
            ("JIRA_API_TOKEN", "x"),
            ("JIRA_PAT", "y"),
        ]),
        None,
    )
    .await;
    two.assert_code(2);
    assert!(two.stderr.contains("--auth"), "{}", two.stderr);

    let missing_secret = run(
        dir.path(),
        &["sync", "--oauth-secret-file", "nope.json"],
        &[],
        None,
    )
    .await;
    missing_secret.assert_code(2);
    assert!(
        missing_secret.stderr.contains("nope.json"),
        "{}",
        missing_secret.stderr
    );
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    // TEST-NET-3: nothing answers there, so a request would hang until a
    // timeout; the refusal must come at once.
    let env: Vec<(String, String)> = [
        ("JIRA_SITE", "http://203.0.113.7"),
        ("JIRA_EMAIL", "me@example.com"),
        ("JIRA_API_TOKEN", "tok"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for cmd in ["sync", "fields", "reconcile"] {
        let started = Instant::now();
        let out = run(dir.path(), &[cmd], &env, None).await;
        out.assert_code(2);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{cmd} took {:?}",
            started.elapsed()
        );
        assert!(out.stderr.contains("http"), "{}", out.stderr);
        assert!(
            out.stderr.to_lowercase().contains("https"),
            "says to use https: {}",
            out.stderr
        );
    }
    assert!(
        !dir.path().join("jira-data").exists(),
        "nothing is created for a refused configuration"
    );
}
