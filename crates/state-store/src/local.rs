//! The local filesystem backend.
//!
//! Layout under the root: every object is a plain file at exactly its key,
//! so `aws s3 sync ROOT s3://bucket/prefix` reproduces the S3 layout. The
//! store's own files live in a hidden `.state-store/` directory that no key
//! can name and that listings skip:
//!
//! - `.state-store/tmp/`: temp files; a write goes temp file, fsync, rename
//!   over the key, fsync of the directory. A crash before the rename leaves
//!   only a temp file here (removed when a store is opened after an hour).
//! - `.state-store/meta/<xx>/<sha256 of key>.meta.json`: content type and
//!   user metadata of an object that has any (the key's own path before
//!   0.2, still read), tagged with the etag (inode, mtime, size) of
//!   the file it describes. A sidecar whose inode does not match is stale (a crash
//!   between the two writes) and ignored, so metadata is never misattributed.
//!   Sidecars are renamed into place before their object but not fsynced:
//!   the object's own fsync commits the journal that holds the sidecar's
//!   rename, and a sidecar whose bytes did not reach the disk before a power
//!   loss reads as unparsable and is ignored. So a power loss can cost the
//!   metadata of an object written in its last seconds, never its bytes, and
//!   each put needs two fsyncs (file, directory) instead of four.
//! - `.state-store/locks/NN`: 64 lock files; conditional writes and deletes
//!   hold an exclusive `flock` on the stripe of their key, which makes
//!   compare-and-swap exact across threads and processes on one machine.
//!
//! Etags are `inode-mtime-size` (as in arrow-rs object_store): each write
//! renames a new inode into place, so the etag changes on every write even
//! when the bytes do not.

use std::{
    collections::BTreeMap,
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{
    Error, GetResult, ListEntry, ObjectKey, ObjectMeta, ObjectStore, PutMode, PutOptions,
    PutResult, Result,
    key::{RESERVED_DIR, validate_prefix},
    object::error_stream,
};

const LOCK_STRIPES: u8 = 64;
/// Temp files older than this are leftovers of crashed writers.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Objects as files under a root directory. See the module docs for the layout.
#[derive(Debug, Clone)]
pub struct LocalFileSystem {
    root: Arc<PathBuf>,
    crash: Arc<CrashSwitch>,
    dir_syncs: Arc<DirSyncs>,
}

/// Test aid: simulates a process crash between temp write and rename.
#[derive(Debug, Default)]
struct CrashSwitch {
    /// 0 means off; otherwise the 1-based number of the put that "crashes".
    at_put: AtomicU64,
    puts: AtomicU64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    version: u32,
    /// The etag (inode, mtime, size) of the file this sidecar describes;
    /// a rename keeps all three, so it is known before the rename.
    etag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

impl LocalFileSystem {
    /// Opens (creating if needed) a store rooted at `root`, and removes temp
    /// files that crashed writers left more than an hour ago.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root: PathBuf = root.into();
        fs::create_dir_all(&root).map_err(|e| Error::io("create the store root", &root, e))?;
        let root = root
            .canonicalize()
            .map_err(|e| Error::io("resolve the store root", &root, e))?;
        for sub in ["tmp", "meta", "locks"] {
            let dir = root.join(RESERVED_DIR).join(sub);
            fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        }
        remove_stale_temps(&root.join(RESERVED_DIR).join("tmp"));
        Ok(LocalFileSystem {
            root: Arc::new(root),
            crash: Arc::default(),
            dir_syncs: Arc::default(),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Testing aid: the `nth` put from now (1-based) stops right after its
    /// temp file is written and synced and before the rename, exactly as if
    /// the process had died there, and returns [`Error::Injected`].
    pub fn simulate_crash_before_rename(&self, nth: u64) {
        self.crash.puts.store(0, Ordering::SeqCst);
        self.crash.at_put.store(nth, Ordering::SeqCst);
    }

    /// The file path of a key.
    pub fn path_of(&self, key: &ObjectKey) -> PathBuf {
        // Keys are validated: relative, no `.`/`..`, no backslashes, so the
        // join cannot leave the root.
        self.root.join(key.as_str())
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = Inner {
            root: Arc::clone(&self.root),
            crash: Arc::clone(&self.crash),
            dir_syncs: Arc::clone(&self.dir_syncs),
        };
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| {
                Error::io(
                    "run a blocking file task",
                    self.root.as_path(),
                    io::Error::other(e),
                )
            })?
    }
}

/// What a blocking task needs; owned so it can move to the blocking pool.
struct Inner {
    root: Arc<PathBuf>,
    crash: Arc<CrashSwitch>,
    dir_syncs: Arc<DirSyncs>,
}

impl Inner {
    fn reserved(&self) -> PathBuf {
        self.root.join(RESERVED_DIR)
    }

    fn object_path(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// The sidecar of a key: named by the SHA-256 of the key in a flat
    /// 256-way fan-out, so writing an object's metadata never creates a
    /// directory per object (new directories are the dearest thing ext4
    /// does on this path), and the name fits any filesystem.
    fn sidecar_path(&self, key: &ObjectKey) -> PathBuf {
        let hex = hex_digest(key.as_str());
        self.reserved()
            .join("meta")
            .join(&hex[..2])
            .join(format!("{hex}.meta.json"))
    }

    /// Where sidecars lived before version 0.2 (a mirror of the key's
    /// path); still read, so older stores keep their metadata.
    fn legacy_sidecar_path(&self, key: &ObjectKey) -> PathBuf {
        self.reserved()
            .join("meta")
            .join(format!("{}.meta.json", key.as_str()))
    }

    fn lock_stripe(&self, key: &ObjectKey) -> Result<File> {
        let stripe = Sha256::digest(key.as_str().as_bytes())[0] % LOCK_STRIPES;
        let path = self.reserved().join("locks").join(format!("{stripe:02}"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open the lock file", &path, e))?;
        file.lock().map_err(|e| Error::io("lock", &path, e))?;
        Ok(file)
    }

    /// Writes `body` to a fresh temp file in the store's temp directory (same
    /// filesystem as every key, so the later rename is atomic) and syncs it.
    fn write_temp(&self, body: &[u8]) -> Result<(PathBuf, File)> {
        let path = self.reserved().join("tmp").join(temp_name());
        let mut file =
            create_new(&path).map_err(|e| Error::io("create the temp file", &path, e))?;
        // A precise mtime makes the `inode-mtime-size` etag unique per
        // write: kernel timestamps are only jiffy-grained, and a freed inode
        // number can come back for the next write of the same size.
        let result = file
            .write_all(body)
            .and_then(|()| file.set_modified(SystemTime::now()))
            .and_then(|()| file.sync_all());
        if let Err(e) = result {
            let _ = fs::remove_file(&path);
            return Err(Error::io("write the temp file", &path, e));
        }
        Ok((path, file))
    }

    fn put(&self, key: &ObjectKey, body: &[u8], opts: PutOptions) -> Result<PutResult> {
        let target = self.object_path(key);
        let (temp, temp_file) = self.write_temp(body)?;
        let cleanup = |e: Error| {
            let _ = fs::remove_file(&temp);
            e
        };
        let put_no = self.crash.puts.fetch_add(1, Ordering::SeqCst) + 1;
        if self.crash.at_put.load(Ordering::SeqCst) == put_no {
            // Leave the temp file behind, as a killed process would.
            return Err(Error::Injected {
                op: "put (crash before rename)",
                key: key.to_string(),
            });
        }
        let temp_etag = etag_of(
            &temp_file
                .metadata()
                .map_err(|e| cleanup(Error::io("stat the temp file", &temp, e)))?,
        );
        drop(temp_file);

        let _lock = self.lock_stripe(key).map_err(cleanup)?;
        match &opts.mode {
            PutMode::Overwrite => {}
            PutMode::Create => {
                if exists(&target).map_err(cleanup)? {
                    return Err(cleanup(Error::AlreadyExists {
                        key: key.to_string(),
                    }));
                }
            }
            PutMode::Update(expected) => match stat(&target).map_err(cleanup)? {
                Some(m) if etag_of(&m) == *expected => {}
                _ => {
                    return Err(cleanup(Error::PreconditionFailed {
                        key: key.to_string(),
                    }));
                }
            },
        }
        if target.is_dir() {
            return Err(cleanup(Error::io(
                "replace",
                &target,
                io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "a directory of other objects is in the way; keys must not be both an object and a prefix of one on the filesystem",
                ),
            )));
        }

        // The sidecar goes first: once the object is visible its metadata
        // is in place. A crash in between leaves a sidecar naming an inode
        // that never became the object, which readers ignore.
        let sidecar = self.sidecar_path(key);
        if opts.content_type.is_some() || !opts.metadata.is_empty() {
            let json = serde_json::to_vec(&Sidecar {
                version: 1,
                etag: temp_etag,
                content_type: opts.content_type,
                metadata: opts.metadata,
            })
            .map_err(|e| {
                cleanup(Error::io(
                    "encode the metadata sidecar",
                    &sidecar,
                    io::Error::other(e),
                ))
            })?;
            write_sidecar(&self.reserved().join("tmp"), &sidecar, &json).map_err(cleanup)?;
        } else {
            remove_if_exists(&sidecar).map_err(cleanup)?;
        }
        // A legacy sidecar needs no removal here: it names an older inode,
        // so readers ignore it.

        let parent = target.parent().unwrap_or(self.root.as_path());
        create_dirs_durably(&self.root, parent, &self.dir_syncs).map_err(cleanup)?;
        fs::rename(&temp, &target).map_err(|e| cleanup(Error::io("rename into", &target, e)))?;
        self.dir_syncs.sync(parent)?;
        let meta = fs::metadata(&target).map_err(|e| Error::io("stat", &target, e))?;
        Ok(PutResult {
            etag: etag_of(&meta),
        })
    }

    fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        let path = self.object_path(key);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if is_missing(&e) => return Err(not_found(key)),
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        // Metadata and bytes come from the same open inode, so they agree
        // even if a writer renames a new version into place meanwhile.
        let m = file.metadata().map_err(|e| Error::io("stat", &path, e))?;
        if m.is_dir() {
            return Err(not_found(key));
        }
        let mut body = Vec::with_capacity(usize::try_from(m.len()).unwrap_or(0));
        file.read_to_end(&mut body)
            .map_err(|e| Error::io("read", &path, e))?;
        let meta = self.meta_for(key, &m);
        Ok(GetResult {
            body: Bytes::from(body),
            meta,
        })
    }

    fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let path = self.object_path(key);
        match stat(&path)? {
            Some(m) if m.is_file() => Ok(self.meta_for(key, &m)),
            _ => Err(not_found(key)),
        }
    }

    fn meta_for(&self, key: &ObjectKey, m: &fs::Metadata) -> ObjectMeta {
        let sidecar = fs::read(self.sidecar_path(key))
            .or_else(|_| fs::read(self.legacy_sidecar_path(key)))
            .ok()
            .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok())
            .filter(|s| s.version == 1 && s.etag == etag_of(m));
        let (content_type, metadata) = match sidecar {
            Some(s) => (s.content_type, s.metadata),
            None => (None, BTreeMap::new()),
        };
        ObjectMeta {
            key: key.clone(),
            size: m.len(),
            etag: etag_of(m),
            last_modified: modified(m),
            content_type,
            metadata,
        }
    }

    fn delete(&self, key: &ObjectKey) -> Result<()> {
        let path = self.object_path(key);
        let _lock = self.lock_stripe(key)?;
        if path.is_dir() {
            // Only a prefix of other objects: nothing to delete.
            return Ok(());
        }
        let removed = remove_if_exists(&path)?;
        remove_if_exists(&self.sidecar_path(key))?;
        remove_if_exists(&self.legacy_sidecar_path(key))?;
        if removed && let Some(parent) = path.parent() {
            self.dir_syncs.sync(parent)?;
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<ListEntry>> {
        // Walk only the directory the prefix pins down, then filter by the
        // full string prefix as S3 does.
        let base = match prefix.rfind('/') {
            Some(i) => self.root.join(&prefix[..i]),
            None => self.root.to_path_buf(),
        };
        let mut out = Vec::new();
        let mut stack = vec![base];
        while let Some(dir) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if is_missing(&e) || e.kind() == io::ErrorKind::NotADirectory => continue,
                Err(e) => return Err(Error::io("list", &dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
                let path = entry.path();
                if path == self.reserved() {
                    continue;
                }
                let ft = entry.file_type().map_err(|e| Error::io("stat", &path, e))?;
                if ft.is_dir() {
                    stack.push(path);
                    continue;
                }
                if !ft.is_file() {
                    continue;
                }
                let Some(key) = self.key_of(&path) else {
                    tracing::warn!(path = %path.display(), "skipping a file whose name is not a valid object key");
                    continue;
                };
                if !key.as_str().starts_with(prefix) {
                    continue;
                }
                let m = match entry.metadata() {
                    Ok(m) => m,
                    // Deleted between readdir and stat.
                    Err(e) if is_missing(&e) => continue,
                    Err(e) => return Err(Error::io("stat", &path, e)),
                };
                out.push(ListEntry {
                    key,
                    size: m.len(),
                    last_modified: modified(&m),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    fn key_of(&self, path: &Path) -> Option<ObjectKey> {
        let rel = path.strip_prefix(self.root.as_path()).ok()?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        ObjectKey::new(parts?.join("/")).ok()
    }
}

#[async_trait]
impl ObjectStore for LocalFileSystem {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        opts.validate()?;
        let key = key.clone();
        self.blocking(move |inner| inner.put(&key, &body, opts))
            .await
    }

    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        let key = key.clone();
        self.blocking(move |inner| inner.get(&key)).await
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let key = key.clone();
        self.blocking(move |inner| inner.head(&key)).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        let key = key.clone();
        self.blocking(move |inner| inner.delete(&key)).await
    }

    fn location(&self, key: &ObjectKey) -> String {
        self.path_of(key).display().to_string()
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        if let Err(e) = validate_prefix(prefix) {
            return error_stream(e);
        }
        let store = self.clone();
        let prefix = prefix.to_owned();
        futures::stream::once(async move { store.blocking(move |inner| inner.list(&prefix)).await })
            .flat_map(|r| match r {
                Ok(entries) => {
                    futures::stream::iter(entries.into_iter().map(Ok).collect::<Vec<_>>())
                }
                Err(e) => futures::stream::iter(vec![Err(e)]),
            })
            .boxed()
    }
}

fn not_found(key: &ObjectKey) -> Error {
    Error::NotFound {
        key: key.to_string(),
    }
}

fn is_missing(e: &io::Error) -> bool {
    // A file where a directory is expected (`a` exists, asked for `a/b`)
    // also means "no such object".
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

fn stat(path: &Path) -> Result<Option<fs::Metadata>> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(m)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(Error::io("stat", path, e)),
    }
}

fn exists(path: &Path) -> Result<bool> {
    Ok(stat(path)?.is_some_and(|m| m.is_file()))
}

fn etag_of(m: &fs::Metadata) -> String {
    let mtime_ns = (m.mtime() as i128) * 1_000_000_000 + i128::from(m.mtime_nsec());
    format!("\"{:x}-{:x}-{:x}\"", m.ino(), mtime_ns, m.len())
}

fn modified(m: &fs::Metadata) -> Option<OffsetDateTime> {
    m.modified().ok().map(OffsetDateTime::from)
}

/// Removes a file; `false` when there was none.
fn remove_if_exists(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if is_missing(&e) => Ok(false),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

fn temp_name() -> String {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    format!("{}-{nanos:x}-{n}.tmp", PID.get_or_init(std::process::id))
}

/// Group commit for directory fsyncs. Concurrent puts into one directory
/// (every document goes to `normalized/jira/`) each need an fsync of it
/// that started after their rename; one fsync serves every rename done
/// before it began, so waiters already covered skip theirs.
#[derive(Debug, Default)]
struct DirSyncs {
    dirs: std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<DirSync>>>,
}

#[derive(Debug, Default)]
struct DirSync {
    /// (renames announced, renames covered by a finished fsync)
    tickets: std::sync::Mutex<(u64, u64)>,
    /// One fsync of the directory at a time.
    io: std::sync::Mutex<()>,
}

impl DirSyncs {
    /// Makes every entry change in `dir` made before this call durable.
    fn sync(&self, dir: &Path) -> Result<()> {
        let entry = {
            let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(dirs.entry(dir.to_path_buf()).or_default())
        };
        let result = Self::sync_entry(&entry, dir);
        // Forget directories nobody is syncing, so the map stays as small
        // as the number of puts in flight (raw objects each have their own).
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if Arc::strong_count(&entry) == 2 {
            dirs.remove(dir);
        }
        result
    }

    fn sync_entry(entry: &DirSync, dir: &Path) -> Result<()> {
        let tickets = || entry.tickets.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = {
            let mut t = tickets();
            t.0 += 1;
            t.0
        };
        let _io = entry.io.lock().unwrap_or_else(|e| e.into_inner());
        let (announced, covered) = *tickets();
        if covered >= ticket {
            return Ok(());
        }
        // Every rename announced by now happened before this fsync starts.
        sync_dir(dir)?;
        let mut t = tickets();
        t.1 = t.1.max(announced);
        Ok(())
    }
}

/// Fsyncs a directory so a rename or new entry in it survives a power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync the directory", dir, e))
}

/// `create_dir_all` that also fsyncs the parent of every directory it makes.
fn create_dirs_durably(root: &Path, dir: &Path, dir_syncs: &DirSyncs) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = dir.parent().unwrap_or(root);
    if parent != dir && parent.starts_with(root) {
        create_dirs_durably(root, parent, dir_syncs)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => dir_syncs.sync(parent),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(Error::io("create the directory", dir, e)),
    }
}

/// Replaces the sidecar `target` with `bytes` via a temp file in
/// `temp_dir` (same filesystem), atomically but without fsync: see the
/// module docs for why a sidecar may be lost on power loss but never wrong.
fn write_sidecar(temp_dir: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_dir.join(temp_name());
    if let Err(e) = create_new(&temp).and_then(|mut f| f.write_all(bytes)) {
        let _ = fs::remove_file(&temp);
        return Err(Error::io("write the temp file", &temp, e));
    }
    // The fan-out directory exists after the first few hundred writes; make
    // it only when the rename says it is missing.
    let renamed = fs::rename(&temp, target).or_else(|e| match target.parent() {
        Some(parent) if is_missing(&e) => {
            fs::create_dir_all(parent).and_then(|()| fs::rename(&temp, target))
        }
        _ => Err(e),
    });
    if let Err(e) = renamed {
        let _ = fs::remove_file(&temp);
        return Err(Error::io("rename into", target, e));
    }
    Ok(())
}

/// Creates a new file, making its directory first if it is missing (it is
/// made when the store opens, but a user may have removed it since).
fn create_new(path: &Path) -> io::Result<File> {
    let open = || OpenOptions::new().write(true).create_new(true).open(path);
    open().or_else(|e| match path.parent() {
        Some(parent) if is_missing(&e) => {
            fs::create_dir_all(parent)?;
            open()
        }
        _ => Err(e),
    })
}

fn hex_digest(text: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_sit_at_exactly_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFileSystem::new(dir.path()).unwrap();
        let key = ObjectKey::new("raw/jira/ENG-1/20261129T014502.123Z.json").unwrap();
        store
            .put_opts(
                &key,
                Bytes::from_static(b"{}"),
                PutOptions::content_type("application/json"),
            )
            .await
            .unwrap();
        let on_disk =
            fs::read(dir.path().join("raw/jira/ENG-1/20261129T014502.123Z.json")).unwrap();
        assert_eq!(on_disk, b"{}");
        let mut visible: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != RESERVED_DIR)
            .collect();
        visible.sort();
        assert_eq!(visible, ["raw"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_puts_into_one_directory_share_its_fsyncs() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFileSystem::new(dir.path()).unwrap();
        let puts = (0..64).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let key = ObjectKey::new(format!("normalized/jira/ENG-{i}.json")).unwrap();
                store
                    .put_opts(&key, Bytes::from(format!("{i}")), PutOptions::default())
                    .await
                    .unwrap();
                key
            })
        });
        for (i, put) in puts.enumerate() {
            let key = put.await.unwrap();
            assert_eq!(
                store.get(&key).await.unwrap().body,
                format!("{i}").as_bytes()
            );
        }
        // Nothing is left waiting, and finished directories are forgotten.
        assert!(store.dir_syncs.dirs.lock().unwrap().is_empty());
    }

    #[test]
    fn a_directory_fsync_covers_the_renames_announced_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let entry = DirSync::default();
        // Three renames announced, none covered: the next sync covers all.
        *entry.tickets.lock().unwrap() = (3, 0);
        DirSyncs::sync_entry(&entry, dir.path()).unwrap();
        assert_eq!(*entry.tickets.lock().unwrap(), (4, 4));
        // A waiter whose ticket is already covered skips the fsync.
        *entry.tickets.lock().unwrap() = (4, 9);
        DirSyncs::sync_entry(&entry, Path::new("/nonexistent/so/fsync/would/fail")).unwrap();
    }

    #[tokio::test]
    async fn sidecars_of_older_stores_are_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFileSystem::new(dir.path()).unwrap();
        let key = ObjectKey::new("raw/jira/ENG-1/x.json").unwrap();
        let opts = PutOptions::default().with_metadata("issue-id", "7");
        store
            .put_opts(&key, Bytes::from_static(b"x"), opts)
            .await
            .unwrap();
        // Move the sidecar to where versions before 0.2 kept it.
        let meta = dir.path().join(".state-store/meta");
        let hex = hex_digest(key.as_str());
        let legacy = meta.join("raw/jira/ENG-1/x.json.meta.json");
        fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        fs::rename(
            meta.join(&hex[..2]).join(format!("{hex}.meta.json")),
            &legacy,
        )
        .unwrap();
        assert_eq!(store.head(&key).await.unwrap().metadata["issue-id"], "7");
        store.delete(&key).await.unwrap();
        assert!(!legacy.exists());
    }

    #[tokio::test]
    async fn stale_sidecars_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFileSystem::new(dir.path()).unwrap();
        let key = ObjectKey::new("a/b.json").unwrap();
        let opts = PutOptions::default().with_metadata("issue-id", "1");
        store
            .put_opts(&key, Bytes::from_static(b"x"), opts)
            .await
            .unwrap();
        assert_eq!(store.head(&key).await.unwrap().metadata["issue-id"], "1");
        // Replace the file behind the store's back: new inode, old sidecar.
        let path = store.path_of(&key);
        fs::remove_file(&path).unwrap();
        fs::write(&path, b"y").unwrap();
        assert!(store.head(&key).await.unwrap().metadata.is_empty());
    }

    #[test]
    fn stale_temp_files_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(RESERVED_DIR).join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let old = tmp.join("old.tmp");
        let fresh = tmp.join("fresh.tmp");
        fs::write(&old, b"x").unwrap();
        fs::write(&fresh, b"x").unwrap();
        let f = File::options().write(true).open(&old).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(7200))
            .unwrap();
        drop(f);
        LocalFileSystem::new(dir.path()).unwrap();
        assert!(!old.exists());
        assert!(fresh.exists());
    }
}
