//! The `SecretStore` conformance suite; each fixture starts from
//! `support::INITIAL_BUNDLE`.

use std::sync::Arc;

use jira_client::{RefreshTokenSink, Secret};
use state_store::{OAuthBundle, SecretStore, SecretStoreSink};

#[macro_export]
macro_rules! secret_store_conformance {
    ($make:expr) => {
        $crate::secret_store_conformance!(@tests $make;
            loads_the_bundle, write_back_keeps_every_field, token_sink_rotates_and_rereads);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let fixture = $make.await;
                $crate::secret_suite::$name(std::sync::Arc::clone(&fixture.store)).await;
            }
        )*
    };
}

pub(crate) async fn loads_the_bundle(store: Arc<dyn SecretStore>) {
    let b = store.load().await.unwrap();
    assert_eq!(b.client_id, "cid-1");
    assert_eq!(b.client_secret.expose(), "cs-secret");
    assert_eq!(b.refresh_token.expose(), "rt-0");
    assert_eq!(b.base_url, "https://tenant.atlassian.net");
    assert_eq!(b.extra["cloud_id"], "c-123");
    assert!(!format!("{b:?}").contains("cs-secret"));
}

pub(crate) async fn write_back_keeps_every_field(store: Arc<dyn SecretStore>) {
    let mut b = store.load().await.unwrap();
    b.refresh_token = Secret::new("rt-1");
    store.store(&b).await.unwrap();
    // Writing the same value twice is fine (idempotent on Secrets Manager).
    store.store(&b).await.unwrap();
    let back: OAuthBundle = store.load().await.unwrap();
    assert_eq!(back, b);
    assert_eq!(back.extra["cloud_id"], "c-123");
}

pub(crate) async fn token_sink_rotates_and_rereads(store: Arc<dyn SecretStore>) {
    let sink = SecretStoreSink::new(Arc::clone(&store));
    for n in 1..=3 {
        let token = Secret::new(format!("rt-rotated-{n}"));
        sink.store_refresh_token(&token).await.unwrap();
        assert_eq!(sink.load_refresh_token().await.unwrap(), token);
    }
    let b = store.load().await.unwrap();
    assert_eq!(b.refresh_token.expose(), "rt-rotated-3");
    assert_eq!(b.client_secret.expose(), "cs-secret");
    assert_eq!(b.extra["cloud_id"], "c-123");
}
