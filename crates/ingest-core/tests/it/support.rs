//! Shared set-up: a simulator, a client, an engine over chosen storage.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use ingest_core::{Engine, SyncConfig};
use jira_client::{Auth, JiraClient, RetryPolicy, Secret};
use jira_sim::{JiraSim, SimConfig};
use state_store::{InMemory, ObjectCursorStore, ObjectStore, ObjectStoreExt};
use time::{OffsetDateTime, macros::datetime};

/// The simulator's fixed "now" when a test starts.
pub(crate) const ANCHOR: OffsetDateTime = datetime!(2026-11-29 12:00:00 UTC);

pub(crate) struct Harness {
    pub(crate) sim: Arc<JiraSim>,
    pub(crate) store: Arc<dyn ObjectStore>,
}

pub(crate) async fn sim_with(issues: usize, tweak: impl FnOnce(&mut SimConfig)) -> Arc<JiraSim> {
    let mut config = SimConfig {
        issues,
        seed: 7,
        anchor: Some(ANCHOR),
        ..SimConfig::default()
    };
    tweak(&mut config);
    let sim = JiraSim::start(config).await.expect("simulator starts");
    sim.set_now(ANCHOR);
    Arc::new(sim)
}

impl Harness {
    pub(crate) async fn new(issues: usize) -> Harness {
        Harness::with(issues, |_| {}).await
    }

    pub(crate) async fn with(issues: usize, tweak: impl FnOnce(&mut SimConfig)) -> Harness {
        Harness {
            sim: sim_with(issues, tweak).await,
            store: Arc::new(InMemory::new()),
        }
    }

    pub(crate) fn client(&self) -> JiraClient {
        JiraClient::builder(self.sim.base_url())
            .auth(Auth::Basic {
                email: "sim@example.com".into(),
                api_token: Secret::new("sim-token"),
            })
            .retry(fast_retries())
            .build()
            .expect("client builds")
    }

    /// A config that reads everything the simulator generated (its issues
    /// were updated within the year before the anchor).
    pub(crate) fn config(&self) -> SyncConfig {
        let mut config = SyncConfig::new(self.sim.base_url());
        config.backfill_days = 400;
        config.checkpoint_interval = Duration::ZERO;
        config
    }

    pub(crate) fn engine(&self) -> Engine {
        self.engine_on(self.store.clone(), self.config())
    }

    pub(crate) fn engine_on(&self, store: Arc<dyn ObjectStore>, config: SyncConfig) -> Engine {
        let cursor = Arc::new(ObjectCursorStore::new(store.clone()));
        let sim = self.sim.clone();
        Engine::new(self.client(), store, cursor, config).with_clock(move || sim.now())
    }

    /// Moves both clocks on: the simulator's (edits happen "now") and so the
    /// engine's, which reads it.
    pub(crate) fn advance(&self, by: Duration) {
        self.sim.advance(by);
    }

    /// Normalized documents in storage: key to JSON.
    pub(crate) async fn documents(&self) -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        for key in self.store.list_keys("normalized/jira/").await.unwrap() {
            let got = self.store.get(&key).await.unwrap();
            let name = key
                .as_str()
                .trim_start_matches("normalized/jira/")
                .trim_end_matches(".json")
                .to_owned();
            out.insert(name, serde_json::from_slice(&got.body).unwrap());
        }
        out
    }

    /// Asserts storage holds exactly the simulator's visible issues, each at
    /// its current version.
    pub(crate) async fn assert_matches_ground_truth(&self) {
        let docs = self.documents().await;
        let truth = self.sim.issues_snapshot();
        let expected: BTreeMap<String, (String, OffsetDateTime)> = truth
            .into_iter()
            .map(|i| (i.key, (i.id, i.updated)))
            .collect();
        let missing: Vec<&String> = expected.keys().filter(|k| !docs.contains_key(*k)).collect();
        let extra: Vec<&String> = docs.keys().filter(|k| !expected.contains_key(*k)).collect();
        assert!(missing.is_empty(), "documents missing for {missing:?}");
        assert!(
            extra.is_empty(),
            "documents that should not exist: {extra:?}"
        );
        for (key, (id, updated)) in &expected {
            let doc = &docs[key];
            assert_eq!(doc["id"], id.as_str(), "id of {key}");
            let stored = normalize::parse_jira_timestamp(doc["updated"].as_str().unwrap()).unwrap();
            assert_eq!(stored, *updated, "updated of {key}");
        }
    }

    /// Every manifest line written so far, in run order.
    pub(crate) async fn manifest_lines(&self) -> Vec<serde_json::Value> {
        let mut lines = Vec::new();
        for key in self.store.list_keys("manifests/jira/runs/").await.unwrap() {
            let got = self.store.get(&key).await.unwrap();
            for line in std::str::from_utf8(&got.body).unwrap().lines() {
                lines.push(serde_json::from_str(line).unwrap());
            }
        }
        lines
    }
}

pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(6)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
}
