//! The `CursorStore` conformance suite.

use std::sync::Arc;

use state_store::{Cursor, CursorStore, Error};

#[macro_export]
macro_rules! cursor_store_conformance {
    ($make:expr) => {
        $crate::cursor_store_conformance!($make, races = 1);
    };
    ($make:expr, races = $rounds:expr) => {
        $crate::race_tests!(cursor_suite, $make, $rounds;
            concurrent_swaps_have_one_winner, concurrent_creates_have_one_winner);
        $crate::cursor_store_conformance!(@tests $make;
            no_cursor_yet_then_create_and_advance, stale_versions_conflict, never_moves_backwards);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let fixture = $make.await;
                $crate::cursor_suite::$name(std::sync::Arc::clone(&fixture.store)).await;
            }
        )*
    };
}

pub(crate) async fn no_cursor_yet_then_create_and_advance(store: Arc<dyn CursorStore>) {
    assert!(store.load().await.unwrap().is_none());
    let c1 = Cursor::new(1_764_380_702_123, "run-1");
    let v1 = store.compare_and_swap(None, &c1).await.unwrap();
    let (loaded, lv) = store.load().await.unwrap().unwrap();
    assert_eq!(loaded, c1);
    assert_eq!(lv, v1);
    let c2 = Cursor::new(1_764_380_999_000, "run-2");
    let v2 = store.compare_and_swap(Some(&v1), &c2).await.unwrap();
    assert_ne!(v1, v2);
    // The same upper bound again (an empty window) is allowed.
    let c3 = Cursor::new(1_764_380_999_000, "run-3");
    let v3 = store.compare_and_swap(Some(&v2), &c3).await.unwrap();
    let (loaded, lv) = store.load().await.unwrap().unwrap();
    assert_eq!((loaded, lv), (c3, v3));
    assert!(!store.location().is_empty());
}

pub(crate) async fn stale_versions_conflict(store: Arc<dyn CursorStore>) {
    let v1 = store
        .compare_and_swap(None, &Cursor::new(10, "a"))
        .await
        .unwrap();
    let err = store
        .compare_and_swap(None, &Cursor::new(20, "b"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CursorConflict { .. }), "{err}");
    let v2 = store
        .compare_and_swap(Some(&v1), &Cursor::new(20, "b"))
        .await
        .unwrap();
    let err = store
        .compare_and_swap(Some(&v1), &Cursor::new(30, "c"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CursorConflict { .. }), "{err}");
    assert!(err.to_string().contains("reload the cursor"), "{err}");
    let (c, v) = store.load().await.unwrap().unwrap();
    assert_eq!((c.last_sync_ms, v), (20, v2));
}

pub(crate) async fn never_moves_backwards(store: Arc<dyn CursorStore>) {
    let v1 = store
        .compare_and_swap(None, &Cursor::new(5_000, "a"))
        .await
        .unwrap();
    let err = store
        .compare_and_swap(Some(&v1), &Cursor::new(4_999, "b"))
        .await
        .unwrap_err();
    match err {
        Error::CursorBackwards {
            stored_ms,
            attempted_ms,
            ..
        } => {
            assert_eq!((stored_ms, attempted_ms), (5_000, 4_999));
        }
        other => panic!("expected CursorBackwards, got {other}"),
    }
    assert_eq!(store.load().await.unwrap().unwrap().0.last_sync_ms, 5_000);
}

pub(crate) async fn concurrent_swaps_have_one_winner(
    store: Arc<dyn CursorStore>,
) -> Result<(), String> {
    let v0 = store
        .compare_and_swap(None, &Cursor::new(100, "base"))
        .await
        .unwrap();
    let results = futures::future::join_all((0..8).map(|i| {
        let store = Arc::clone(&store);
        let v0 = v0.clone();
        tokio::spawn(async move {
            store
                .compare_and_swap(Some(&v0), &Cursor::new(200 + i, format!("run-{i}")))
                .await
        })
    }))
    .await;
    let winners: Vec<(i64, state_store::CursorVersion)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Ok(Ok(v)) => Some((200 + i as i64, v.clone())),
            _ => None,
        })
        .collect();
    for r in &results {
        if let Ok(Err(e)) = r {
            assert!(matches!(e, Error::CursorConflict { .. }), "{e}");
        }
    }
    if winners.len() != 1 {
        return Err(format!("{} winners: {winners:?}", winners.len()));
    }
    let (c, v) = store.load().await.unwrap().unwrap();
    assert_eq!((c.last_sync_ms, v), winners[0].clone());
    Ok(())
}

pub(crate) async fn concurrent_creates_have_one_winner(
    store: Arc<dyn CursorStore>,
) -> Result<(), String> {
    let results = futures::future::join_all((0..8).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .compare_and_swap(None, &Cursor::new(i, format!("run-{i}")))
                .await
        })
    }))
    .await;
    let winners: Vec<i64> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Ok(Ok(_))))
        .map(|(i, _)| i as i64)
        .collect();
    for r in &results {
        if let Ok(Err(e)) = r {
            assert!(matches!(e, Error::CursorConflict { .. }), "{e}");
        }
    }
    if winners.len() != 1 {
        return Err(format!("{} winners: {winners:?}", winners.len()));
    }
    assert_eq!(
        store.load().await.unwrap().unwrap().0.last_sync_ms,
        winners[0]
    );
    Ok(())
}
