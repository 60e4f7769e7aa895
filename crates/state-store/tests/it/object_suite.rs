//! The `ObjectStore` conformance suite, written once for every backend.

use std::{collections::BTreeMap, sync::Arc};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use state_store::{
    Error, ObjectKey, ObjectStore, ObjectStoreExt, Prefixed, PutMode, PutOptions, validate_prefix,
};

use crate::support::key;

/// Expands to one `#[tokio::test]` per suite function for a backend;
/// `$make` is an async expression giving a fresh `ObjectFixture`.
#[macro_export]
macro_rules! object_store_conformance {
    ($make:expr) => {
        $crate::object_store_conformance!($make, races = 1);
    };
    ($make:expr, races = $rounds:expr) => {
        $crate::race_tests!(object_suite, $make, $rounds;
            concurrent_creates_have_one_winner, concurrent_updates_have_one_winner);
        $crate::object_store_conformance!(@tests $make;
            put_get_head_round_trip, missing_objects_and_idempotent_delete, create_mode_never_overwrites,
            update_mode_is_compare_and_swap, etags_change_on_every_write, list_uses_string_prefixes_in_key_order,
            list_more_than_one_page, ten_megabyte_objects, path_escapes_are_rejected,
            overwrite_replaces_metadata, invalid_metadata_is_rejected_before_writing,
            prefixed_store_namespaces_keys, json_helpers_and_corrupt_json);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let fixture = $make.await;
                $crate::object_suite::$name(std::sync::Arc::clone(&fixture.store)).await;
            }
        )*
    };
}

fn bytes(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

pub(crate) async fn put_get_head_round_trip(store: Arc<dyn ObjectStore>) {
    let k = key("raw/jira/ENG-1/20261129T014502.123Z.json");
    let opts = PutOptions::content_type("application/json")
        .with_metadata("issue-id", "10001")
        .with_metadata("updated", "2026-11-29T01:45:02.123Z")
        .with_metadata("content-sha256", "ab".repeat(32));
    let put = store
        .put_opts(&k, bytes("{\"id\":\"10001\"}"), opts.clone())
        .await
        .unwrap();
    let got = store.get(&k).await.unwrap();
    assert_eq!(got.body, bytes("{\"id\":\"10001\"}"));
    assert_eq!(got.meta.key, k);
    assert_eq!(got.meta.size, 14);
    assert_eq!(got.meta.etag, put.etag);
    assert_eq!(got.meta.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.meta.metadata, opts.metadata);
    assert!(got.meta.last_modified.is_some());
    let head = store.head(&k).await.unwrap();
    assert_eq!(head.etag, put.etag);
    assert_eq!(head.size, 14);
    assert_eq!(head.metadata, opts.metadata);
    assert_eq!(head.content_type.as_deref(), Some("application/json"));
    assert!(store.exists(&k).await.unwrap());
}

pub(crate) async fn missing_objects_and_idempotent_delete(store: Arc<dyn ObjectStore>) {
    let k = key("normalized/jira/NOPE-1.json");
    assert!(matches!(store.get(&k).await, Err(Error::NotFound { .. })));
    assert!(matches!(store.head(&k).await, Err(Error::NotFound { .. })));
    assert!(store.get_opt(&k).await.unwrap().is_none());
    assert!(!store.exists(&k).await.unwrap());
    store.delete(&k).await.unwrap();
    store.put(&k, bytes("x")).await.unwrap();
    store.delete(&k).await.unwrap();
    store.delete(&k).await.unwrap();
    assert!(!store.exists(&k).await.unwrap());
    // A prefix of an existing key is not an object.
    store.put(&key("a/b/c"), bytes("x")).await.unwrap();
    assert!(!store.exists(&key("a/b")).await.unwrap());
    assert!(store.get_opt(&key("a/b/c/d")).await.unwrap().is_none());
}

pub(crate) async fn create_mode_never_overwrites(store: Arc<dyn ObjectStore>) {
    let k = key("state/jira/once.json");
    let opts = PutOptions::default().with_mode(PutMode::Create);
    store
        .put_opts(&k, bytes("first"), opts.clone())
        .await
        .unwrap();
    let err = store.put_opts(&k, bytes("second"), opts).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(store.get(&k).await.unwrap().body, bytes("first"));
}

pub(crate) async fn update_mode_is_compare_and_swap(store: Arc<dyn ObjectStore>) {
    let k = key("state/jira/cas.json");
    let v1 = store.put(&k, bytes("v1")).await.unwrap();
    let v2 = store
        .put_opts(
            &k,
            bytes("v2"),
            PutOptions::default().with_mode(PutMode::Update(v1.etag.clone())),
        )
        .await
        .unwrap();
    let stale = store
        .put_opts(
            &k,
            bytes("v3"),
            PutOptions::default().with_mode(PutMode::Update(v1.etag)),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::PreconditionFailed { .. }), "{stale}");
    assert_eq!(store.get(&k).await.unwrap().body, bytes("v2"));
    assert_eq!(store.head(&k).await.unwrap().etag, v2.etag);
    let missing = store
        .put_opts(
            &key("state/jira/none.json"),
            bytes("x"),
            PutOptions::default().with_mode(PutMode::Update(v2.etag)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::PreconditionFailed { .. }),
        "{missing}"
    );
    assert!(!store.exists(&key("state/jira/none.json")).await.unwrap());
}

pub(crate) async fn etags_change_on_every_write(store: Arc<dyn ObjectStore>) {
    let k = key("x/same.json");
    let mut seen = Vec::new();
    for body in ["a", "b", "a"] {
        seen.push(store.put(&k, bytes(body)).await.unwrap().etag);
    }
    assert_ne!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
    // Same bytes again: an etag over content may repeat, but the latest
    // etag must be current and the earlier different one stale.
    let stale = store
        .put_opts(
            &k,
            bytes("c"),
            PutOptions::default().with_mode(PutMode::Update(seen[1].clone())),
        )
        .await;
    assert!(stale.is_err());
}

pub(crate) async fn concurrent_creates_have_one_winner(
    store: Arc<dyn ObjectStore>,
) -> Result<(), String> {
    let k = key("state/jira/race-create.json");
    let results = futures::future::join_all((0..12).map(|i| {
        let store = Arc::clone(&store);
        let k = k.clone();
        tokio::spawn(async move {
            store
                .put_opts(
                    &k,
                    bytes(&format!("writer {i}")),
                    PutOptions::default().with_mode(PutMode::Create),
                )
                .await
        })
    }))
    .await;
    let wins: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Ok(Ok(_))))
        .map(|(i, _)| i)
        .collect();
    for r in &results {
        if let Ok(Err(e)) = r {
            assert!(matches!(e, Error::AlreadyExists { .. }), "{e}");
        }
    }
    if wins.len() != 1 {
        return Err(format!("{} winners: {wins:?}", wins.len()));
    }
    assert_eq!(
        store.get(&k).await.unwrap().body,
        bytes(&format!("writer {}", wins[0]))
    );
    Ok(())
}

pub(crate) async fn concurrent_updates_have_one_winner(
    store: Arc<dyn ObjectStore>,
) -> Result<(), String> {
    let k = key("state/jira/race-update.json");
    let base = store.put(&k, bytes("base")).await.unwrap().etag;
    let results = futures::future::join_all((0..12).map(|i| {
        let store = Arc::clone(&store);
        let k = k.clone();
        let base = base.clone();
        tokio::spawn(async move {
            store
                .put_opts(
                    &k,
                    bytes(&format!("writer {i}")),
                    PutOptions::default().with_mode(PutMode::Update(base)),
                )
                .await
        })
    }))
    .await;
    let wins: Vec<(usize, String)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Ok(Ok(put)) => Some((i, put.etag.clone())),
            _ => None,
        })
        .collect();
    for r in &results {
        if let Ok(Err(e)) = r {
            assert!(matches!(e, Error::PreconditionFailed { .. }), "{e}");
        }
    }
    if wins.len() != 1 {
        return Err(format!("{} winners: {wins:?}", wins.len()));
    }
    let got = store.get(&k).await.unwrap();
    assert_eq!(got.body, bytes(&format!("writer {}", wins[0].0)));
    assert_eq!(got.meta.etag, wins[0].1);
    Ok(())
}

pub(crate) async fn list_uses_string_prefixes_in_key_order(store: Arc<dyn ObjectStore>) {
    let keys = [
        "raw/jira/ENG-10/20260101T000000.000Z.json",
        "raw/jira/ENG-1/20260102T000000.000Z.json",
        "raw/jira/ENG-1/20260101T000000.000Z.json",
        "raw/jira/OPS-2/20260101T000000.000Z.json",
        "normalized/jira/ENG-1.json",
        "rawish.json",
    ];
    for k in keys {
        store.put(&key(k), bytes(k)).await.unwrap();
    }
    let list = |p: &'static str| {
        let store = Arc::clone(&store);
        async move {
            store
                .list_all(p)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.key.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("raw/jira/ENG-1/").await,
        [
            "raw/jira/ENG-1/20260101T000000.000Z.json",
            "raw/jira/ENG-1/20260102T000000.000Z.json"
        ]
    );
    assert_eq!(
        list("raw/jira/ENG-1").await.len(),
        3,
        "string prefix, as on S3"
    );
    assert_eq!(list("raw/").await.len(), 4);
    assert_eq!(list("raw").await.len(), 5);
    let all = list("").await;
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    assert_eq!(all.len(), keys.len());
    assert!(list("nothing/here/").await.is_empty());
    let entry = &store.list_all("normalized/").await.unwrap()[0];
    assert_eq!(entry.size, "normalized/jira/ENG-1.json".len() as u64);
}

pub(crate) async fn list_more_than_one_page(store: Arc<dyn ObjectStore>) {
    // S3 returns at most 1000 keys per page.
    const N: usize = 1003;
    futures::stream::iter(0..N)
        .map(|i| {
            let store = Arc::clone(&store);
            async move {
                store
                    .put(&key(&format!("many/{i:05}.json")), bytes("{}"))
                    .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    store.put(&key("other/x"), bytes("x")).await.unwrap();
    let keys = store.list_keys("many/").await.unwrap();
    assert_eq!(keys.len(), N);
    let expected: Vec<String> = (0..N).map(|i| format!("many/{i:05}.json")).collect();
    let got: Vec<String> = keys.iter().map(ToString::to_string).collect();
    assert_eq!(got, expected);
    // The stream is lazy: taking a few does not need the whole listing.
    let first: Vec<_> = store.list("many/").take(3).try_collect().await.unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(store.delete_prefix("many/").await.unwrap(), N);
    assert!(store.list_keys("many/").await.unwrap().is_empty());
}

pub(crate) async fn ten_megabyte_objects(store: Arc<dyn ObjectStore>) {
    let k = key("raw/jira/BIG-1/20260101T000000.000Z.json");
    let body: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let body = Bytes::from(body);
    store.put(&k, body.clone()).await.unwrap();
    let got = store.get(&k).await.unwrap();
    assert_eq!(got.meta.size, body.len() as u64);
    assert!(got.body == body, "10 MiB body differs after a round trip");
    assert_eq!(store.head(&k).await.unwrap().size, 10 * 1024 * 1024);
}

pub(crate) async fn path_escapes_are_rejected(store: Arc<dyn ObjectStore>) {
    for bad in [
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "a\\..\\b",
        "a\0b",
        "a//b",
        "",
        ".state-store/x",
    ] {
        assert!(
            matches!(ObjectKey::new(bad), Err(Error::InvalidKey { .. })),
            "{bad:?} was accepted"
        );
    }
    for bad in ["../", "/abs", "a/../", "a\\"] {
        assert!(validate_prefix(bad).is_err());
        let err = store.list_all(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "{bad:?}: {err}");
    }
    assert!(
        store.list_all("").await.unwrap().is_empty(),
        "nothing was written"
    );
}

pub(crate) async fn overwrite_replaces_metadata(store: Arc<dyn ObjectStore>) {
    let k = key("normalized/jira/ENG-2.json");
    store
        .put_opts(
            &k,
            bytes("1"),
            PutOptions::content_type("application/json").with_metadata("issue-id", "2"),
        )
        .await
        .unwrap();
    store.put(&k, bytes("22")).await.unwrap();
    let head = store.head(&k).await.unwrap();
    assert_eq!(head.size, 2);
    assert!(head.metadata.is_empty(), "{:?}", head.metadata);
}

pub(crate) async fn invalid_metadata_is_rejected_before_writing(store: Arc<dyn ObjectStore>) {
    let k = key("x/meta.json");
    let mut metadata = BTreeMap::new();
    metadata.insert("Bad_Name".to_owned(), "v".to_owned());
    let opts = PutOptions {
        metadata,
        ..PutOptions::default()
    };
    let err = store.put_opts(&k, bytes("x"), opts).await.unwrap_err();
    assert!(matches!(err, Error::InvalidMetadata { .. }), "{err}");
    assert!(!store.exists(&k).await.unwrap());
}

pub(crate) async fn prefixed_store_namespaces_keys(store: Arc<dyn ObjectStore>) {
    let prefixed = Prefixed::new(Arc::clone(&store), "tenant-a/").unwrap();
    let k = key("state/jira/cursor.json");
    let put = prefixed.put(&k, bytes("c")).await.unwrap();
    assert_eq!(
        store
            .get(&key("tenant-a/state/jira/cursor.json"))
            .await
            .unwrap()
            .body,
        bytes("c")
    );
    let got = prefixed.get(&k).await.unwrap();
    assert_eq!(got.meta.key, k);
    assert_eq!(got.meta.etag, put.etag);
    store
        .put(&key("tenant-b/state/jira/cursor.json"), bytes("other"))
        .await
        .unwrap();
    let listed = prefixed.list_keys("").await.unwrap();
    assert_eq!(listed, vec![k.clone()]);
    assert_eq!(prefixed.list_keys("state/").await.unwrap(), vec![k.clone()]);
    prefixed.delete(&k).await.unwrap();
    assert!(
        !store
            .exists(&key("tenant-a/state/jira/cursor.json"))
            .await
            .unwrap()
    );
    assert!(
        store
            .exists(&key("tenant-b/state/jira/cursor.json"))
            .await
            .unwrap()
    );
    assert!(Prefixed::new(Arc::clone(&store), "../up").is_err());
}

pub(crate) async fn json_helpers_and_corrupt_json(store: Arc<dyn ObjectStore>) {
    let k = key("state/jira/index.json");
    let value = serde_json::json!({"ids": {"10001": "ENG-1"}});
    store.put_json(&k, &value, PutMode::Create).await.unwrap();
    let (back, meta) = store
        .get_json::<serde_json::Value>(&k)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, value);
    assert_eq!(meta.content_type.as_deref(), Some("application/json"));
    assert!(
        store
            .get_json::<serde_json::Value>(&key("state/none.json"))
            .await
            .unwrap()
            .is_none()
    );
    store.put(&k, bytes("{not json")).await.unwrap();
    let err = store.get_json::<serde_json::Value>(&k).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}
