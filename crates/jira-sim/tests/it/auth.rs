//! Basic auth, Data Center bearer tokens and OAuth 3LO emulation.

use std::time::Duration;

use jira_sim::OAuthConfig;
use serde_json::{Value, json};

use crate::support::{Api, Auth, config, start};

#[tokio::test]
async fn bad_auth_is_401_on_myself_but_an_empty_200_on_search() {
    let sim = start(config(50)).await;
    let api = Api::new(sim.base_url());
    assert_eq!(api.get("/rest/api/3/myself", &[]).await.status, 200);
    for auth in [
        Auth::None,
        Auth::BasicWith("bot@example.com", "wrong"),
        Auth::Bearer("nope"),
    ] {
        let me = api.get_as("/rest/api/3/myself", &[], auth).await;
        assert_eq!(me.status, 401, "{auth:?}");
        assert!(me.body["errorMessages"].is_array());
        let s = api
            .get_as("/rest/api/3/search/jql", &[("jql", "project = ENG")], auth)
            .await;
        assert_eq!(s.status, 200, "{auth:?}");
        assert_eq!(s.body["issues"], json!([]));
        let one = api
            .get_as(
                &format!("/rest/api/3/issue/{}", sim.issues_snapshot()[0].key),
                &[],
                auth,
            )
            .await;
        assert_eq!(one.status, 404);
    }
    let good = api
        .get("/rest/api/3/search/jql", &[("jql", "project = ENG")])
        .await;
    assert!(!good.body["issues"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn data_center_style_bearer_pat() {
    let mut cfg = config(10);
    cfg.pat = Some("pat-123".into());
    let sim = start(cfg).await;
    let api = Api::new(sim.base_url());
    assert_eq!(
        api.get_as("/rest/api/3/myself", &[], Auth::Bearer("pat-123"))
            .await
            .status,
        200
    );
    assert_eq!(
        api.get_as("/rest/api/3/myself", &[], Auth::Bearer("pat-999"))
            .await
            .status,
        401
    );
}

async fn refresh(api: &Api, token_url: &str, rt: &str) -> (u16, Value) {
    let c = reqwest::Client::new();
    let r = c
        .post(token_url)
        .json(&json!({"grant_type": "refresh_token", "client_id": "cid", "client_secret": "csecret", "refresh_token": rt}))
        .send()
        .await
        .unwrap();
    let _ = api;
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn oauth_rotation_resources_gateway_and_family_revocation() {
    let mut cfg = config(30);
    cfg.oauth = Some(OAuthConfig {
        client_id: "cid".into(),
        client_secret: "csecret".into(),
        initial_refresh_token: "rt-initial".into(),
        reuse_leeway: Duration::from_secs(600),
        ..OAuthConfig::default()
    });
    let sim = start(cfg).await;
    sim.set_now(time::macros::datetime!(2026-11-29 00:00 UTC));
    let api = Api::new(&sim.api_gateway());
    let (st, body) = refresh(&api, &sim.token_url(), "rt-initial").await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["expires_in"], 3600);
    let at = body["access_token"].as_str().unwrap().to_owned();
    let rt1 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, "rt-initial");

    // Several sites, order varies between calls, exactly one matches the site URL.
    let mut orders = Vec::new();
    for _ in 0..3 {
        let r = api
            .get_as("/oauth/token/accessible-resources", &[], Auth::Bearer(&at))
            .await;
        assert_eq!(r.status, 200);
        let sites = r.body.as_array().unwrap();
        assert!(sites.len() >= 3);
        let matching: Vec<&Value> = sites
            .iter()
            .filter(|s| s["url"] == sim.base_url())
            .collect();
        assert_eq!(matching.len(), 1);
        assert_eq!(matching[0]["id"], sim.cloud_id());
        orders.push(
            sites
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
        );
    }
    assert_ne!(orders[0], orders[1]);
    assert_eq!(
        api.get_as("/oauth/token/accessible-resources", &[], Auth::None)
            .await
            .status,
        401
    );

    // Calls go through the gateway with the bearer token.
    let gw = format!("/ex/jira/{}/rest/api/3", sim.cloud_id());
    let me = api
        .get_as(&format!("{gw}/myself"), &[], Auth::Bearer(&at))
        .await;
    assert_eq!(me.status, 200);
    let s = api
        .get_as(
            &format!("{gw}/search/jql"),
            &[("jql", "project = ENG"), ("fields", "key")],
            Auth::Bearer(&at),
        )
        .await;
    assert!(!s.body["issues"].as_array().unwrap().is_empty());
    // The 3LO token is not valid on the site itself, and a wrong cloud id is 404.
    assert_eq!(
        api.get_as("/rest/api/3/myself", &[], Auth::Bearer(&at))
            .await
            .status,
        401
    );
    assert_eq!(
        api.get_as(
            "/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/myself",
            &[],
            Auth::Bearer(&at)
        )
        .await
        .status,
        404
    );
    assert_eq!(
        api.get_as(&format!("{gw}/myself"), &[], Auth::None)
            .await
            .status,
        401
    );
    let stats = sim.stats();
    assert_eq!(stats.count("GET /rest/api/3/myself", 200), 1);

    // Within the leeway the old token still refreshes; after it, the whole family is revoked.
    sim.advance(Duration::from_secs(300));
    let (st, _) = refresh(&api, &sim.token_url(), "rt-initial").await;
    assert_eq!(st, 200);
    sim.advance(Duration::from_secs(400));
    let (st, body) = refresh(&api, &sim.token_url(), "rt-initial").await;
    assert_eq!(st, 403);
    assert_eq!(body["error"], "invalid_grant");
    assert!(sim.oauth_family_revoked());
    let (st, _) = refresh(&api, &sim.token_url(), &rt1).await;
    assert_eq!(st, 403, "the newest token of a revoked family is dead too");
    assert_eq!(
        api.get_as(&format!("{gw}/myself"), &[], Auth::Bearer(&at))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn access_tokens_expire_and_form_bodies_work() {
    let mut cfg = config(5);
    cfg.oauth = Some(OAuthConfig {
        client_id: "cid".into(),
        client_secret: "csecret".into(),
        ..OAuthConfig::default()
    });
    let sim = start(cfg).await;
    sim.set_now(time::macros::datetime!(2026-11-29 00:00 UTC));
    let c = reqwest::Client::new();
    let r = c
        .post(sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "cid"),
            ("client_secret", "csecret"),
            ("refresh_token", "sim-refresh-0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let at = body["access_token"].as_str().unwrap();
    let api = Api::new(sim.base_url());
    let gw = format!("/ex/jira/{}/rest/api/3/myself", sim.cloud_id());
    assert_eq!(api.get_as(&gw, &[], Auth::Bearer(at)).await.status, 200);
    sim.advance(Duration::from_secs(3601));
    assert_eq!(api.get_as(&gw, &[], Auth::Bearer(at)).await.status, 401);
    let bad = c.post(sim.token_url()).json(&json!({"grant_type": "refresh_token", "client_id": "cid", "client_secret": "x", "refresh_token": "sim-refresh-0"})).send().await.unwrap();
    assert_eq!(bad.status(), 401);
}
