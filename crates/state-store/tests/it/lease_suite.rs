//! The run-lease suite, over any object store.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use state_store::{Error, Lease, ObjectStore};
use time::{OffsetDateTime, macros::datetime};

#[macro_export]
macro_rules! lease_conformance {
    ($make:expr) => {
        $crate::lease_conformance!($make, races = 1);
    };
    ($make:expr, races = $rounds:expr) => {
        $crate::race_tests!(lease_suite, $make, $rounds; concurrent_acquires_have_one_winner);
        $crate::lease_conformance!(@tests $make;
            second_run_is_refused_until_release, expired_leases_are_taken_over, renew_extends_and_detects_loss);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let fixture = $make.await;
                $crate::lease_suite::$name(std::sync::Arc::clone(&fixture.store)).await;
            }
        )*
    };
}

/// A clock the test moves by hand.
fn manual_clock(
    start: OffsetDateTime,
) -> (
    Arc<AtomicI64>,
    impl Fn() -> OffsetDateTime + Send + Sync + 'static,
) {
    let offset = Arc::new(AtomicI64::new(0));
    let o = Arc::clone(&offset);
    (offset, move || {
        start + time::Duration::seconds(o.load(Ordering::SeqCst))
    })
}

const TTL: Duration = Duration::from_secs(60);

pub(crate) async fn second_run_is_refused_until_release(store: Arc<dyn ObjectStore>) {
    let lease = Lease::new(Arc::clone(&store));
    let guard = lease.acquire("cli alice@host pid 1", TTL).await.unwrap();
    assert_eq!(guard.owner(), "cli alice@host pid 1");
    let err = Lease::new(Arc::clone(&store))
        .acquire("lambda req-2", TTL)
        .await
        .unwrap_err();
    match &err {
        Error::LeaseHeld {
            owner, expires_at, ..
        } => {
            assert_eq!(owner, "cli alice@host pid 1");
            assert_eq!(*expires_at, guard.expires_at());
        }
        other => panic!("expected LeaseHeld, got {other}"),
    }
    assert!(err.to_string().contains("cli alice@host pid 1"), "{err}");
    let info = lease.current().await.unwrap().unwrap();
    assert!(!info.released);
    lease.release(guard).await.unwrap();
    assert!(lease.current().await.unwrap().unwrap().released);
    let again = Lease::new(Arc::clone(&store))
        .acquire("lambda req-2", TTL)
        .await
        .unwrap();
    assert_eq!(again.owner(), "lambda req-2");
}

pub(crate) async fn expired_leases_are_taken_over(store: Arc<dyn ObjectStore>) {
    let (clock, now) = manual_clock(datetime!(2026-11-29 01:00 UTC));
    let lease = Lease::new(Arc::clone(&store)).with_clock(now);
    let first = lease.acquire("crashed run", TTL).await.unwrap();
    clock.store(59, Ordering::SeqCst);
    assert!(matches!(
        lease.acquire("early", TTL).await,
        Err(Error::LeaseHeld { .. })
    ));
    clock.store(61, Ordering::SeqCst);
    let second = lease.acquire("next run", TTL).await.unwrap();
    assert_eq!(second.expires_at(), datetime!(2026-11-29 01:02:01 UTC));
    // The crashed run comes back: it must learn it lost the lease.
    let mut first_again = first.clone();
    let err = lease.renew(&mut first_again, TTL).await.unwrap_err();
    match err {
        Error::LeaseLost { holder, .. } => assert_eq!(holder.as_deref(), Some("next run")),
        other => panic!("expected LeaseLost, got {other}"),
    }
    assert!(matches!(
        lease.release(first).await,
        Err(Error::LeaseLost { .. })
    ));
    // The new holder is unaffected.
    assert_eq!(lease.current().await.unwrap().unwrap().owner, "next run");
    lease.release(second).await.unwrap();
}

pub(crate) async fn renew_extends_and_detects_loss(store: Arc<dyn ObjectStore>) {
    let (clock, now) = manual_clock(datetime!(2026-11-29 02:00 UTC));
    let lease = Lease::new(Arc::clone(&store)).with_clock(now);
    let mut guard = lease.acquire("long run", TTL).await.unwrap();
    clock.store(50, Ordering::SeqCst);
    lease.renew(&mut guard, TTL).await.unwrap();
    assert_eq!(guard.expires_at(), datetime!(2026-11-29 02:01:50 UTC));
    clock.store(100, Ordering::SeqCst);
    // Renewed, so still held at +100 s.
    assert!(matches!(
        lease.acquire("other", TTL).await,
        Err(Error::LeaseHeld { .. })
    ));
    lease.renew(&mut guard, TTL).await.unwrap();
    lease.release(guard).await.unwrap();
}

pub(crate) async fn concurrent_acquires_have_one_winner(
    store: Arc<dyn ObjectStore>,
) -> Result<(), String> {
    let results = futures::future::join_all((0..8).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { Lease::new(store).acquire(&format!("run {i}"), TTL).await })
    }))
    .await;
    let winners = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    for r in &results {
        if let Ok(Err(e)) = r {
            assert!(matches!(e, Error::LeaseHeld { .. }), "{e}");
        }
    }
    if winners != 1 {
        return Err(format!("{winners} winners"));
    }
    Ok(())
}
