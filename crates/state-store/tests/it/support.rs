//! Fixtures shared by the suites.

use std::{any::Any, sync::Arc};

use state_store::{CursorStore, ObjectKey, ObjectStore, SecretStore};

/// A backend under test plus whatever must live as long as it (a temp dir).
pub(crate) struct Fixture<T: ?Sized> {
    pub(crate) store: Arc<T>,
    pub(crate) _keep: Box<dyn Any + Send + Sync>,
}

pub(crate) type ObjectFixture = Fixture<dyn ObjectStore>;
pub(crate) type CursorFixture = Fixture<dyn CursorStore>;
pub(crate) type SecretFixture = Fixture<dyn SecretStore>;

pub(crate) fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap_or_else(|e| panic!("test key {k:?}: {e}"))
}

/// The OAuth bundle JSON the secret suites start from, with an extra field
/// that write-back must keep.
pub(crate) const INITIAL_BUNDLE: &str = r#"{"client_id":"cid-1","client_secret":"cs-secret","refresh_token":"rt-0","base_url":"https://tenant.atlassian.net","cloud_id":"c-123"}"#;

/// Expands to one test per race function of a suite. Each round runs the
/// race on a fresh fixture and must produce exactly one winner; up to
/// `$rounds` rounds are tried.
///
/// Every backend of this crate is exact, and memory and the filesystem run
/// with one round. S3 runs on moto, whose conditional `PutObject` checks
/// `If-None-Match`/`If-Match` and then writes without a lock on its threaded
/// server (a check-then-act race that real S3 does not have), so under load
/// two writers can both be told 200. Its fixtures allow 3 rounds: a store
/// that ignored the conditions would still fail every round.
#[macro_export]
macro_rules! race_tests {
    ($suite:ident, $make:expr, $rounds:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let mut failures = Vec::new();
                for _ in 0..$rounds {
                    let fixture = $make.await;
                    match $crate::$suite::$name(std::sync::Arc::clone(&fixture.store)).await {
                        Ok(()) => return,
                        Err(e) => failures.push(e),
                    }
                }
                panic!("no round had exactly one winner: {failures:?}");
            }
        )*
    };
}
