//! Switchable trouble: burst limits, the points quota, 5xx, drops, latency.

use std::time::{Duration, Instant};

use jira_sim::{Faults, OAuthConfig};
use serde_json::{Value, json};

use crate::support::{Api, Auth, config, start};

#[tokio::test]
async fn burst_limit_gives_429_with_jira_headers_per_endpoint() {
    let mut cfg = config(20);
    cfg.faults = Faults {
        burst_limit: Some(5),
        ..Faults::default()
    };
    let sim = start(cfg).await;
    let api = Api::new(sim.base_url());
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..12 {
        let r = api.get("/rest/api/3/field", &[]).await;
        statuses.push(r.status);
        if r.status == 200 {
            assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
            assert!(r.header("x-ratelimit-remaining").is_some());
        } else if limited.is_none() {
            limited = Some(r);
        }
    }
    let r = limited.expect("some call is limited");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("ratelimit-reason"), Some("jira-burst-based"));
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert!(r.header("x-ratelimit-reset").unwrap().ends_with('Z'));
    assert_eq!(r.header("x-ratelimit-nearlimit"), Some("true"));
    assert!(statuses[..5].iter().all(|s| *s == 200), "{statuses:?}");
    // Another endpoint has its own bucket.
    assert_eq!(api.get("/rest/api/3/myself", &[]).await.status, 200);
    // After a second the bucket has refilled.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get("/rest/api/3/field", &[]).await.status, 200);
    let st = sim.stats();
    assert!(st.count("GET /rest/api/3/field", 429) >= 1);
    assert_eq!(st.total("GET /rest/api/3/field"), 13);
    // Switching faults off at run time.
    sim.set_faults(Faults::default());
    for _ in 0..20 {
        assert_eq!(api.get("/rest/api/3/field", &[]).await.status, 200);
    }
}

#[tokio::test]
async fn points_quota_charges_oauth_calls_and_issues_then_429s_with_a_long_retry_after() {
    let mut cfg = config(300);
    cfg.oauth = Some(OAuthConfig {
        client_id: "c".into(),
        client_secret: "s".into(),
        ..OAuthConfig::default()
    });
    cfg.faults = Faults {
        quota_points_per_hour: Some(120),
        ..Faults::default()
    };
    let sim = start(cfg).await;
    let c = reqwest::Client::new();
    let tok: Value = c
        .post(sim.token_url())
        .json(&json!({"grant_type": "refresh_token", "client_id": "c", "client_secret": "s", "refresh_token": "sim-refresh-0"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = tok["access_token"].as_str().unwrap();
    let api = Api::new(sim.base_url());
    let gw = format!("/ex/jira/{}/rest/api/3/search/jql", sim.cloud_id());
    // Basic-auth traffic is exempt.
    api.get(
        "/rest/api/3/search/jql",
        &[("jql", "project = ENG"), ("maxResults", "100")],
    )
    .await;
    assert_eq!(sim.stats().points_used, 0);
    let r = api
        .get_as(
            &gw,
            &[("jql", "project = ENG"), ("maxResults", "50")],
            Auth::Bearer(at),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(sim.stats().points_used, 51, "1 per call plus 1 per issue");
    api.get_as(
        &gw,
        &[("jql", "project = ENG"), ("maxResults", "80")],
        Auth::Bearer(at),
    )
    .await;
    let r = api
        .get_as(&gw, &[("jql", "project = ENG")], Auth::Bearer(at))
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.header("ratelimit-reason"),
        Some("jira-quota-tenant-based")
    );
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 1800);
    sim.reset_quota();
    assert_eq!(sim.stats().points_used, 0);
    assert_eq!(
        api.get_as(&gw, &[("jql", "project = ENG")], Auth::Bearer(at))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn server_errors_and_dropped_connections() {
    let mut cfg = config(20);
    cfg.faults = Faults {
        error_rate_5xx: 1.0,
        ..Faults::default()
    };
    let sim = start(cfg).await;
    let api = Api::new(sim.base_url());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = api.get("/rest/api/3/myself", &[]).await;
        if r.status == 503 {
            assert!(r.header("retry-after").is_some());
        }
        seen.insert(r.status);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![500, 503]);

    sim.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/rest/api/3/myself", sim.base_url()))
        .basic_auth(crate::support::EMAIL, Some(crate::support::TOKEN))
        .send()
        .await;
    let failed = match res {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "a dropped connection is an error for the client");
    assert_eq!(sim.stats().count("GET /rest/api/3/myself", 0), 1);

    // Half the calls fail with 5xx: some pass, some fail.
    sim.set_faults(Faults {
        error_rate_5xx: 0.5,
        ..Faults::default()
    });
    let mut ok = 0;
    for _ in 0..60 {
        if api.get("/rest/api/3/myself", &[]).await.status == 200 {
            ok += 1;
        }
    }
    assert!((10..=50).contains(&ok), "{ok}");
}

#[tokio::test]
async fn fixed_latency_is_added_to_rest_calls() {
    let mut cfg = config(5);
    cfg.latency = Duration::from_millis(150);
    let sim = start(cfg).await;
    let api = Api::new(sim.base_url());
    let t = Instant::now();
    assert_eq!(api.get("/rest/api/3/myself", &[]).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
}
