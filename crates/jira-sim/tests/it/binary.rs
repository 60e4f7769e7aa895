//! The `jira-sim` binary's fixed invocation contract.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Api, Auth};

/// Starts the binary with `args`; returns it and the base URL it printed first.
async fn spawn(args: &[&str]) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_jira-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.starts_with("http://127.0.0.1:"), "{first}");
    (child, first)
}

#[tokio::test]
async fn prints_base_url_first_serves_basic_auth_and_stops_on_sigterm() {
    let (mut child, first) = spawn(&[
        "--addr",
        "127.0.0.1:0",
        "--issues",
        "2000",
        "--seed",
        "9",
        "--email",
        "e@example.com",
        "--api-token",
        "T0k",
    ])
    .await;
    let api = Api::new(&first);
    let me = api
        .get_as(
            "/rest/api/3/myself",
            &[],
            Auth::BasicWith("e@example.com", "T0k"),
        )
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["emailAddress"], "e@example.com");
    let r = api
        .get_as(
            "/rest/api/3/search/jql",
            &[
                ("jql", "project = ENG"),
                ("fields", "id"),
                ("maxResults", "5000"),
            ],
            Auth::BasicWith("e@example.com", "T0k"),
        )
        .await;
    assert!(r.body["issues"].as_array().unwrap().len() > 400);

    let pid = child.id().unwrap();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn data_center_flag_serves_the_start_at_search_with_the_given_cap() {
    let (_child, base) = spawn(&[
        "--data-center",
        "--search-max-results",
        "7",
        "--issues",
        "30",
        "--pat",
        "P4t",
    ])
    .await;
    let api = Api::new(&base);
    let r = api
        .get_as("/rest/api/2/search", &[("jql", "")], Auth::Bearer("P4t"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["maxResults"].as_u64(), r.body["total"].as_u64()),
        (Some(7), Some(30))
    );
    let cloud = api
        .get_as("/rest/api/3/myself", &[], Auth::Bearer("P4t"))
        .await;
    assert_eq!(cloud.status, 404);
}
