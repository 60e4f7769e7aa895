//! Every subcommand that talks to Jira or storage, over the simulator.

use std::time::Duration;

use jira_sim::IssueEdit;
use serde_json::Value;

use crate::support::{basic_env, files, read_json, run, sim};

/// The contract's `--json` run summary fields (contracts §3).
const SUMMARY_FIELDS: [&str; 9] = [
    "status",
    "reason",
    "issues_seen",
    "written",
    "unchanged",
    "deleted",
    "cursor",
    "requests",
    "duration_ms",
];

fn assert_summary_shape(v: &Value) {
    for f in SUMMARY_FIELDS {
        assert!(v.get(f).is_some(), "summary lacks `{f}`: {v}");
    }
    assert!(v["status"] == "complete" || v["status"] == "partial", "{v}");
    for f in [
        "issues_seen",
        "written",
        "unchanged",
        "deleted",
        "requests",
        "duration_ms",
    ] {
        assert!(v[f].is_u64(), "`{f}` is not a count: {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_writes_everything_then_only_what_changed() {
    let sim = sim(120, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let env = basic_env(&sim);

    let first = run(dir.path(), &["sync", "--json"], &env, None).await;
    first.assert_code(0);
    let s = first.json();
    assert_summary_shape(&s);
    assert_eq!(s["status"], "complete");
    assert_eq!(s["issues_seen"], 120);
    assert_eq!(s["written"], 120);
    assert!(s["cursor"].is_string());

    let data = dir.path().join("jira-data");
    let docs = files(&data, "normalized/jira");
    assert_eq!(docs.len(), 120, "{docs:?}");
    assert_eq!(files(&data, "raw/jira").len(), 120);
    assert_eq!(files(&data, "manifests/jira/runs").len(), 1);
    assert!(data.join("state/jira/cursor.json").is_file());

    // An edit in Jira, then an incremental run: only that issue is written.
    let key = docs[0].trim_end_matches(".json").to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.update_issue(
        &key,
        IssueEdit {
            summary: Some("Edited by the CLI test".into()),
            ..IssueEdit::default()
        },
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = run(dir.path(), &["sync", "--json"], &env, None).await;
    second.assert_code(0);
    let s2 = second.json();
    assert_eq!(s2["status"], "complete");
    assert_eq!(s2["written"], 1, "{s2}");
    assert!(
        s2["issues_seen"].as_u64().unwrap() < 120,
        "the second run must read only its window: {s2}"
    );
    let doc = read_json(&data.join("normalized/jira").join(format!("{key}.json")));
    assert_eq!(doc["summary"], "Edited by the CLI test");
    assert!(s2["cursor"].as_str().unwrap() > s["cursor"].as_str().unwrap());

    // A third run with nothing new writes nothing.
    let third = run(dir.path(), &["sync", "--json"], &env, None).await;
    assert_eq!(third.assert_code(0).json()["written"], 0);

    // Human output says what happened and where.
    let human = run(dir.path(), &["sync"], &env, None).await;
    human.assert_code(0);
    assert!(human.stdout.contains("sync complete"), "{}", human.stdout);
    assert!(human.stdout.contains("jira-data"), "{}", human.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_cursor_counts_and_last_run() {
    let sim = sim(40, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let env = basic_env(&sim);

    let before = run(dir.path(), &["status", "--json"], &[], None).await;
    let v = before.assert_code(0).json();
    assert!(v["cursor"].is_null(), "{v}");
    assert_eq!(v["issues"], 0);

    run(dir.path(), &["sync"], &env, None).await.assert_code(0);
    let after = run(dir.path(), &["status", "--json"], &[], None).await;
    let v = after.assert_code(0).json();
    assert!(v["cursor"].is_string(), "{v}");
    assert_eq!(v["issues"], 40);
    assert_eq!(v["last_run"]["written"], 40);
    assert!(v["lease_holder"].is_null());
    let total: u64 = v["projects"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, 40);

    let human = run(dir.path(), &["status"], &[], None).await;
    human.assert_code(0);
    assert!(
        human.stdout.contains("documents:  40 issues"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("lease:      free"),
        "{}",
        human.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_lists_ids_names_and_custom_types() {
    let sim = sim(5, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let env = basic_env(&sim);

    let out = run(dir.path(), &["fields", "--json"], &env, None).await;
    let v = out.assert_code(0).json();
    let fields = v.as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["id"] == "summary" && f["custom"] == false)
    );
    let custom: Vec<_> = fields.iter().filter(|f| f["custom"] == true).collect();
    assert!(!custom.is_empty(), "{v}");
    assert!(
        custom
            .iter()
            .all(|f| f["id"].as_str().unwrap().starts_with("customfield_")
                && f["type"].as_str().unwrap().contains(':')),
        "custom fields carry their schema.custom type: {custom:?}"
    );

    let human = run(dir.path(), &["fields"], &env, None).await;
    human.assert_code(0);
    let first = human.stdout.lines().next().unwrap();
    assert!(first.starts_with("ID") && first.contains("NAME") && first.contains("TYPE"));
    assert!(human.stdout.contains("customfield_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renormalize_rebuilds_documents_from_raw_without_jira() {
    let sim = sim(30, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let env = basic_env(&sim);
    run(dir.path(), &["sync"], &env, None).await.assert_code(0);

    let data = dir.path().join("jira-data");
    let docs = files(&data, "normalized/jira");
    let before = read_json(&data.join("normalized/jira").join(&docs[3]));
    assert!(before["url"].as_str().unwrap().starts_with(sim.base_url()));
    sim.shutdown().await;

    // No credentials and no Jira (it is shut down): only the site, which
    // moved, so every document's links change.
    let out = run(
        dir.path(),
        &[
            "renormalize",
            "--site",
            "https://renamed.example.com",
            "--json",
        ],
        &[],
        None,
    )
    .await;
    let v = out.assert_code(0).json();
    assert_eq!(v["status"], "complete", "{v}");
    assert_eq!(v["written"], 30, "{v}");
    assert_eq!(v["requests"], 0, "renormalize must not call Jira: {v}");
    let after = read_json(&data.join("normalized/jira").join(&docs[3]));
    assert_eq!(
        after["url"],
        format!(
            "https://renamed.example.com/browse/{}",
            docs[3].trim_end_matches(".json")
        )
    );
    assert_eq!(after["summary"], before["summary"]);

    // Rebuilding again with the same inputs changes nothing.
    let again = run(
        dir.path(),
        &[
            "renormalize",
            "--site",
            "https://renamed.example.com",
            "--json",
        ],
        &[],
        None,
    )
    .await;
    let v = again.assert_code(0).json();
    assert_eq!(
        (v["written"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(30)),
        "{v}"
    );

    let no_site = run(dir.path(), &["renormalize"], &[], None).await;
    no_site.assert_code(2);
    assert!(no_site.stderr.contains("--site"), "{}", no_site.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_removes_documents_of_deleted_issues() {
    let sim = sim(60, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let env = basic_env(&sim);
    run(dir.path(), &["sync"], &env, None).await.assert_code(0);

    let data = dir.path().join("jira-data");
    let docs = files(&data, "normalized/jira");
    let gone = docs[7].trim_end_matches(".json").to_owned();
    sim.delete_issue(&gone).unwrap();

    let out = run(dir.path(), &["reconcile", "--json"], &env, None).await;
    let v = out.assert_code(0).json();
    assert_eq!(v["deleted"], 1, "{v}");
    assert!(!data.join("normalized/jira").join(&docs[7]).exists());
    assert_eq!(files(&data, "normalized/jira").len(), 59);

    // Losing sight of most issues looks like mass deletion: refused (exit 1).
    for d in &docs[10..40] {
        sim.delete_issue(d.trim_end_matches(".json")).unwrap();
    }
    let refused = run(dir.path(), &["reconcile"], &env, None).await;
    refused.assert_code(1);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(files(&data, "normalized/jira").len(), 59, "nothing deleted");
    let forced = run(dir.path(), &["reconcile", "--force", "--json"], &env, None).await;
    assert_eq!(forced.assert_code(0).json()["deleted"], 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_prints_a_line_per_check_and_fails_on_bad_credentials() {
    let sim = sim(10, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let env = basic_env(&sim);

    let ok = run(dir.path(), &["doctor"], &env, None).await;
    ok.assert_code(0);
    for check in [
        "configuration",
        "reachability",
        "auth",
        "scopes",
        "fields",
        "storage",
        "cursor",
        "lease",
    ] {
        assert!(
            ok.stdout
                .lines()
                .any(|l| l.starts_with("[ ok ]") && l.contains(check)),
            "no passing `{check}` line:\n{}",
            ok.stdout
        );
    }

    let mut bad = env.clone();
    bad.retain(|(k, _)| k != "JIRA_API_TOKEN");
    bad.push(("JIRA_API_TOKEN".into(), "wrong-token".into()));
    let failed = run(dir.path(), &["doctor", "--json"], &bad, None).await;
    failed.assert_code(1);
    let v = failed.json();
    assert_eq!(v["passed"], false);
    let auth = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "auth")
        .unwrap();
    assert_eq!(auth["result"], "fail", "{v}");
    assert!(
        auth["fix"].as_str().unwrap().contains("JIRA_API_TOKEN"),
        "{v}"
    );

    // A site nobody listens on fails reachability and skips what needs it.
    let mut down = env.clone();
    down.retain(|(k, _)| k != "JIRA_SITE");
    down.push(("JIRA_SITE".into(), "http://127.0.0.1:9".into()));
    let unreachable = run(dir.path(), &["doctor"], &down, None).await;
    unreachable.assert_code(1);
    assert!(
        unreachable
            .stdout
            .lines()
            .any(|l| l.starts_with("[FAIL]") && l.contains("reachability")),
        "{}",
        unreachable.stdout
    );
    assert!(
        unreachable.stdout.contains("[skip] auth"),
        "{}",
        unreachable.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_and_env_vars_are_interchangeable() {
    let sim = sim(25, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("elsewhere");
    let out_dir = out_dir.to_str().unwrap();

    // Everything as flags, nothing from the environment.
    let flags = run(
        dir.path(),
        &[
            "sync",
            "--site",
            sim.base_url(),
            "--email",
            crate::support::EMAIL,
            "--api-token",
            crate::support::TOKEN,
            "--backfill-days",
            "400",
            "--index-lag",
            "0s",
            "--out",
            out_dir,
            "--jql",
            "project = ENG",
            "--json",
        ],
        &[],
        None,
    )
    .await;
    let v = flags.assert_code(0).json();
    let eng = files(std::path::Path::new(out_dir), "normalized/jira");
    assert!(
        !eng.is_empty() && eng.iter().all(|k| k.starts_with("ENG-")),
        "{eng:?}"
    );
    assert_eq!(v["written"].as_u64(), Some(eng.len() as u64));

    // The same through the environment, into the default directory.
    let mut env = basic_env(&sim);
    env.push(("JIRA_JQL".into(), "project = OPS".into()));
    env.push(("JIRA_INGEST_JSON".into(), "true".into()));
    let envs = run(dir.path(), &["sync"], &env, None).await;
    envs.assert_code(0).json();
    let ops = files(&dir.path().join("jira-data"), "normalized/jira");
    assert!(
        !ops.is_empty() && ops.iter().all(|k| k.starts_with("OPS-")),
        "{ops:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_runtime_gives_a_partial_run_that_the_next_run_completes() {
    let sim = sim(300, |c| c.latency = Duration::from_millis(40)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = basic_env(&sim);
    env.push(("JIRA_CONCURRENCY".into(), "1".into()));

    let partial = run(
        dir.path(),
        &["sync", "--max-runtime", "300ms", "--json"],
        &env,
        None,
    )
    .await;
    let v = partial.assert_code(0).json();
    assert_eq!(v["status"], "partial", "{v}");
    assert!(v["reason"].is_string());
    let first = v["written"].as_u64().unwrap();
    assert!(first < 300, "{v}");

    let rest = run(dir.path(), &["sync", "--json"], &env, None).await;
    let v2 = rest.assert_code(0).json();
    assert_eq!(v2["status"], "complete", "{v2}");
    assert_eq!(
        files(&dir.path().join("jira-data"), "normalized/jira").len(),
        300
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_the_run_and_the_next_run_is_not_blocked() {
    let sim = sim(300, |c| c.latency = Duration::from_millis(100)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = basic_env(&sim);
    env.push(("JIRA_CONCURRENCY".into(), "1".into()));

    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_jira-ingest"))
        .arg("sync")
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until the run holds its lease, then interrupt it.
    let lease = dir.path().join("jira-data/state/jira/lease.json");
    let waited = std::time::Instant::now();
    while !lease.exists() {
        assert!(waited.elapsed() < Duration::from_secs(30), "no lease taken");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("stops promptly")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");

    // The next run is not refused as "another sync is running".
    let next = run(dir.path(), &["sync", "--json"], &env, None).await;
    assert_eq!(next.assert_code(0).json()["status"], "complete");
    assert_eq!(
        files(&dir.path().join("jira-data"), "normalized/jira").len(),
        300
    );
}
