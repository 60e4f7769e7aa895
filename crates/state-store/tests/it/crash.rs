//! Killing a run at every write, the way ingest-core's tests use
//! `FaultyStore`: whatever the crash point, what is visible is consistent
//! (the cursor only ever follows the data), and the next run recovers.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use state_store::{
    Cursor, CursorStore, Error, FaultTiming, FaultyStore, Lease, LocalFileSystem,
    ObjectCursorStore, ObjectStore, ObjectStoreExt, Result,
};
use time::macros::datetime;

use crate::support::key;

const DATA: [&str; 3] = [
    "raw/jira/ENG-1/20261129T014502.123Z.json",
    "normalized/jira/ENG-1.json",
    "manifests/jira/runs/r-1.jsonl",
];

/// A miniature sync run: lease, data, cursor last, release.
async fn run(store: Arc<dyn ObjectStore>, lease: &Lease) -> Result<()> {
    let guard = lease.acquire("mini run", Duration::from_secs(60)).await?;
    for k in DATA {
        store.put(&key(k), Bytes::from_static(b"{}")).await?;
    }
    let cursors = ObjectCursorStore::new(Arc::clone(&store));
    let expected = cursors.load().await?.map(|(_, v)| v);
    cursors
        .compare_and_swap(expected.as_ref(), &Cursor::new(1_000, "r-1"))
        .await?;
    lease.release(guard).await
}

#[tokio::test]
async fn a_run_killed_at_any_write_is_consistent_and_recovers() {
    // Count the writes of a clean run first.
    let dir = tempfile::tempdir().unwrap();
    let clean = FaultyStore::new(LocalFileSystem::new(dir.path()).unwrap());
    let shared: Arc<dyn ObjectStore> = Arc::new(clean.clone());
    run(Arc::clone(&shared), &Lease::new(Arc::clone(&shared)))
        .await
        .unwrap();
    let writes = clean.writes();
    assert_eq!(
        writes,
        6,
        "lease, 3 objects, cursor, release: {:?}",
        clean.write_log()
    );

    for timing in [FaultTiming::Before, FaultTiming::After] {
        for n in 1..=writes {
            let dir = tempfile::tempdir().unwrap();
            let faulty = FaultyStore::new(LocalFileSystem::new(dir.path()).unwrap());
            let store: Arc<dyn ObjectStore> = Arc::new(faulty.clone());
            let clock = Arc::new(AtomicI64::new(0));
            let c = Arc::clone(&clock);
            let lease = Lease::new(Arc::clone(&store)).with_clock(move || {
                datetime!(2026-11-29 00:00 UTC) + time::Duration::seconds(c.load(Ordering::SeqCst))
            });

            faulty.fail_from_write(n, timing);
            let err = run(Arc::clone(&store), &lease).await.unwrap_err();
            assert!(
                matches!(err, Error::Injected { .. }),
                "write {n} {timing:?}: {err}"
            );

            // The cursor is never visible without all of the data.
            let inner = faulty.inner();
            if inner.exists(&key("state/jira/cursor.json")).await.unwrap() {
                for k in DATA {
                    assert!(
                        inner.exists(&key(k)).await.unwrap(),
                        "{k} missing after crash at {n}"
                    );
                }
            }

            // The dead run's lease blocks a new run until it expires.
            faulty.heal();
            if let Err(e) = run(Arc::clone(&store), &lease).await {
                assert!(
                    matches!(e, Error::LeaseHeld { .. }),
                    "write {n} {timing:?}: {e}"
                );
                clock.store(61, Ordering::SeqCst);
                run(Arc::clone(&store), &lease).await.unwrap();
            }
            let (cursor, _) = ObjectCursorStore::new(Arc::clone(&store))
                .load()
                .await
                .unwrap()
                .unwrap();
            assert_eq!(cursor.last_sync_ms, 1_000);
            let mut keys: Vec<String> = inner
                .list_keys("")
                .await
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
            keys.sort();
            assert_eq!(
                keys,
                [
                    "manifests/jira/runs/r-1.jsonl",
                    "normalized/jira/ENG-1.json",
                    "raw/jira/ENG-1/20261129T014502.123Z.json",
                    "state/jira/cursor.json",
                    "state/jira/lease.json",
                ]
            );
            assert!(lease.current().await.unwrap().unwrap().released);
        }
    }
}
