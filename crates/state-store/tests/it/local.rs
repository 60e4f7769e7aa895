//! The suites against the local filesystem backends, plus what only a
//! filesystem can get wrong: layout, crashes, permissions.

use std::{fs, os::unix::fs::PermissionsExt, path::Path, sync::Arc};

use bytes::Bytes;
use state_store::{
    Cursor, CursorStore, Error, FileSecretStore, LocalFileSystem, ObjectCursorStore, ObjectStore,
    ObjectStoreExt, PutOptions, SecretStore,
};

use crate::support::{CursorFixture, INITIAL_BUNDLE, ObjectFixture, SecretFixture, key};

fn local() -> (LocalFileSystem, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (LocalFileSystem::new(dir.path()).unwrap(), dir)
}

async fn objects() -> ObjectFixture {
    let (store, dir) = local();
    ObjectFixture {
        store: Arc::new(store),
        _keep: Box::new(dir),
    }
}

async fn cursors() -> CursorFixture {
    let (store, dir) = local();
    CursorFixture {
        store: Arc::new(ObjectCursorStore::new(Arc::new(store))),
        _keep: Box::new(dir),
    }
}

async fn secrets() -> SecretFixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oauth.json");
    fs::write(&path, INITIAL_BUNDLE).unwrap();
    SecretFixture {
        store: Arc::new(FileSecretStore::new(path)),
        _keep: Box::new(dir),
    }
}

mod object {
    crate::object_store_conformance!(super::objects());
}

mod cursor {
    crate::cursor_store_conformance!(super::cursors());
}

mod lease {
    crate::lease_conformance!(super::objects());
}

mod secret {
    crate::secret_store_conformance!(super::secrets());
}

/// Visible files under `root`, relative, sorted (what `aws s3 sync` uploads).
fn visible_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn the_directory_holds_exactly_the_object_keys() {
    let (store, dir) = local();
    let keys = [
        "raw/jira/ENG-1/20261129T014502.123Z.json",
        "normalized/jira/ENG-1.json",
        "manifests/jira/runs/r-1.jsonl",
        "state/jira/cursor.json",
    ];
    for k in keys {
        store
            .put_opts(
                &key(k),
                Bytes::from_static(b"{}"),
                PutOptions::content_type("application/json").with_metadata("issue-id", "1"),
            )
            .await
            .unwrap();
    }
    let mut expected: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(visible_files(dir.path()), expected);
    let listed: Vec<String> = store
        .list_keys("")
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(listed, expected, "the store's own files are not listed");
}

#[tokio::test]
async fn a_crash_between_temp_write_and_rename_leaves_nothing_visible() {
    let (store, dir) = local();
    let old = key("normalized/jira/ENG-1.json");
    store.put(&old, Bytes::from_static(b"old")).await.unwrap();

    store.simulate_crash_before_rename(1);
    let new = key("normalized/jira/ENG-2.json");
    let err = store
        .put(&new, Bytes::from(vec![7u8; 1 << 20]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Injected { .. }), "{err}");
    store.simulate_crash_before_rename(1);
    store
        .put(&old, Bytes::from_static(b"half-written new version"))
        .await
        .unwrap_err();

    // The partial data exists only as temp files in the hidden directory.
    let temps = fs::read_dir(dir.path().join(".state-store/tmp"))
        .unwrap()
        .count();
    assert_eq!(temps, 2, "the crash left its temp files behind");
    assert!(!store.exists(&new).await.unwrap());
    assert_eq!(
        store.get(&old).await.unwrap().body,
        Bytes::from_static(b"old")
    );
    assert_eq!(store.list_keys("").await.unwrap(), vec![old.clone()]);
    assert_eq!(visible_files(dir.path()), ["normalized/jira/ENG-1.json"]);

    // A restarted process sees the same, and writes normally again.
    let reopened = LocalFileSystem::new(dir.path()).unwrap();
    assert_eq!(reopened.list_keys("").await.unwrap(), vec![old.clone()]);
    reopened.put(&new, Bytes::from_static(b"ok")).await.unwrap();
    assert_eq!(
        reopened.get(&new).await.unwrap().body,
        Bytes::from_static(b"ok")
    );
}

#[tokio::test]
async fn keys_cannot_escape_the_root() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let store = LocalFileSystem::new(&root).unwrap();
    for bad in [
        "../outside",
        "a/../../outside",
        "/tmp/outside",
        "..\\outside",
    ] {
        assert!(state_store::ObjectKey::new(bad).is_err(), "{bad}");
    }
    // Names that merely look odd stay inside.
    store
        .put(&key("a/..b/...c"), Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert!(root.join("a/..b/...c").is_file());
    let entries: Vec<_> = fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["root"]);
}

#[tokio::test]
async fn a_corrupt_cursor_file_is_an_error_not_a_reset() {
    let (store, dir) = local();
    let cursors = ObjectCursorStore::new(Arc::new(store));
    fs::create_dir_all(dir.path().join("state/jira")).unwrap();
    fs::write(
        dir.path().join("state/jira/cursor.json"),
        b"{\"version\":1,\"last_sync_ms\":",
    )
    .unwrap();
    let err = cursors.load().await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("state/jira/cursor.json"), "{err}");
    let err = cursors
        .compare_and_swap(None, &Cursor::new(1, "r"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[tokio::test]
async fn the_cursor_file_is_the_versioned_json() {
    let (store, dir) = local();
    let cursors = ObjectCursorStore::new(Arc::new(store));
    let c = Cursor::new(1_764_380_702_123, "r-1");
    cursors.compare_and_swap(None, &c).await.unwrap();
    let text = fs::read_to_string(dir.path().join("state/jira/cursor.json")).unwrap();
    assert_eq!(text, format!("{}\n", c.to_json()));
    assert!(text.starts_with("{\"version\":1,\"last_sync_ms\":1764380702123,"));
}

#[tokio::test]
async fn the_secret_file_is_replaced_atomically_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oauth.json");
    fs::write(&path, INITIAL_BUNDLE).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let store = FileSecretStore::new(&path);
    let mut b = store.load().await.unwrap();
    b.refresh_token = jira_client::Secret::new("rt-new");
    store.store(&b).await.unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["oauth.json"], "no temp file is left behind");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["refresh_token"], "rt-new");
    assert_eq!(json["cloud_id"], "c-123");
}

#[tokio::test]
async fn a_missing_or_broken_secret_file_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = FileSecretStore::new(dir.path().join("nope.json"))
        .load()
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("nope.json"), "{missing}");
    let path = dir.path().join("bad.json");
    fs::write(
        &path,
        r#"{"client_id":"x","client_secret":"s3cr3t","base_url":"u"}"#,
    )
    .unwrap();
    let err = FileSecretStore::new(&path).load().await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("refresh_token"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}
