//! A run lease: at most one sync at a time against the same state.
//!
//! The lease is one JSON object in any [`ObjectStore`], moved only with
//! conditional writes (create-if-absent, then compare-and-swap on the etag),
//! so it works the same on memory, a local directory and S3:
//!
//! ```json
//! {"version":1,"owner":"cli alice@host pid 42","token":"…","acquired_at":"…","expires_at":"…","released":false}
//! ```
//!
//! A lease that expired (its holder crashed or was killed at the Lambda
//! timeout) is taken over by the next run. Expiry compares wall clocks, so
//! hosts sharing a lease need roughly synchronised clocks; choose a TTL well
//! above any plausible skew.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Error, ObjectKey, ObjectStore, ObjectStoreExt, PutMode, Result};

/// Where the lease lives by default.
pub const DEFAULT_LEASE_KEY: &str = "state/jira/lease.json";

const LEASE_FORMAT_VERSION: u64 = 1;

static TOKEN_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    version: u64,
    owner: String,
    token: String,
    #[serde(with = "time::serde::rfc3339")]
    acquired_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    #[serde(default)]
    released: bool,
}

/// Proof of holding the lease; pass it to [`Lease::renew`] and [`Lease::release`].
///
/// Dropping it without releasing leaves the lease held until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseGuard {
    owner: String,
    token: String,
    etag: String,
    acquired_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl LeaseGuard {
    /// Who holds it.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// When it expires unless renewed.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// When it was acquired.
    pub fn acquired_at(&self) -> OffsetDateTime {
        self.acquired_at
    }
}

/// The state of the lease as stored, for `status` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The last holder.
    pub owner: String,
    /// When it was acquired.
    pub acquired_at: OffsetDateTime,
    /// When it expires or expired.
    pub expires_at: OffsetDateTime,
    /// Whether its holder released it.
    pub released: bool,
}

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The run lease over an object store.
#[derive(Clone)]
pub struct Lease {
    store: Arc<dyn ObjectStore>,
    key: ObjectKey,
    clock: Clock,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").field("key", &self.key).finish()
    }
}

impl Lease {
    /// A lease at [`DEFAULT_LEASE_KEY`] in `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Lease {
            store,
            key: ObjectKey::new(DEFAULT_LEASE_KEY).unwrap_or_else(|_| unreachable!()),
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// The same lease at another key.
    pub fn with_key(mut self, key: ObjectKey) -> Self {
        self.key = key;
        self
    }

    /// The same lease with another clock (tests).
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn location(&self) -> String {
        self.store.location(&self.key)
    }

    fn expiry(&self, now: OffsetDateTime, ttl: Duration) -> Result<OffsetDateTime> {
        time::Duration::try_from(ttl)
            .ok()
            .and_then(|d| now.checked_add(d))
            .ok_or_else(|| Error::Config {
                what: "lease TTL".into(),
                reason: format!("{ttl:?} is too long"),
            })
    }

    async fn read(&self) -> Result<Option<(Record, String)>> {
        match self.store.get_json::<Record>(&self.key).await {
            Ok(Some((r, meta))) if r.version <= LEASE_FORMAT_VERSION => Ok(Some((r, meta.etag))),
            Ok(Some((r, _))) => Err(Error::UnsupportedVersion {
                location: self.location(),
                found: r.version,
                supported: LEASE_FORMAT_VERSION,
            }),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The stored lease, if any.
    pub async fn current(&self) -> Result<Option<LeaseInfo>> {
        Ok(self.read().await?.map(|(r, _)| LeaseInfo {
            owner: r.owner,
            acquired_at: r.acquired_at,
            expires_at: r.expires_at,
            released: r.released,
        }))
    }

    /// Takes the lease for `ttl`, or fails with [`Error::LeaseHeld`] naming
    /// the holder when another run holds an unexpired lease. `owner` is a
    /// human-readable description for that message (e.g. `cli alice@host pid 42`).
    pub async fn acquire(&self, owner: &str, ttl: Duration) -> Result<LeaseGuard> {
        // A lost conditional write means someone else moved the lease
        // between our read and our write: re-read and decide again. Three
        // rounds are plenty; beyond that someone else genuinely holds it.
        for _ in 0..3 {
            let now = (self.clock)();
            let current = self.read().await?;
            let mode = match &current {
                None => PutMode::Create,
                Some((r, etag)) => {
                    if !r.released && r.expires_at > now {
                        return Err(Error::LeaseHeld {
                            location: self.location(),
                            owner: r.owner.clone(),
                            expires_at: r.expires_at,
                        });
                    }
                    if !r.released {
                        tracing::warn!(previous = %r.owner, expired_at = %r.expires_at, "taking over an expired run lease");
                    }
                    PutMode::Update(etag.clone())
                }
            };
            let record = Record {
                version: LEASE_FORMAT_VERSION,
                owner: owner.to_owned(),
                token: new_token(),
                acquired_at: now,
                expires_at: self.expiry(now, ttl)?,
                released: false,
            };
            match self.store.put_json(&self.key, &record, mode).await {
                Ok(put) => {
                    return Ok(LeaseGuard {
                        owner: record.owner,
                        token: record.token,
                        etag: put.etag,
                        acquired_at: record.acquired_at,
                        expires_at: record.expires_at,
                    });
                }
                Err(Error::AlreadyExists { .. } | Error::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        match self.read().await? {
            Some((r, _)) => Err(Error::LeaseHeld {
                location: self.location(),
                owner: r.owner,
                expires_at: r.expires_at,
            }),
            None => Err(Error::LeaseLost {
                location: self.location(),
                holder: None,
            }),
        }
    }

    /// Extends the lease to now + `ttl`. Fails with [`Error::LeaseLost`]
    /// when another run changed it (took it over after expiry).
    pub async fn renew(&self, guard: &mut LeaseGuard, ttl: Duration) -> Result<()> {
        let now = (self.clock)();
        let record = Record {
            version: LEASE_FORMAT_VERSION,
            owner: guard.owner.clone(),
            token: guard.token.clone(),
            acquired_at: guard.acquired_at,
            expires_at: self.expiry(now, ttl)?,
            released: false,
        };
        let put = self.swap(guard, &record).await?;
        guard.etag = put;
        guard.expires_at = record.expires_at;
        Ok(())
    }

    /// Gives the lease up, so the next run need not wait for expiry.
    /// Fails with [`Error::LeaseLost`] when another run already took it over.
    pub async fn release(&self, guard: LeaseGuard) -> Result<()> {
        let now = (self.clock)();
        let record = Record {
            version: LEASE_FORMAT_VERSION,
            owner: guard.owner.clone(),
            token: guard.token.clone(),
            acquired_at: guard.acquired_at,
            expires_at: now,
            released: true,
        };
        // A tombstone rather than a delete: deletes are unconditional and
        // could remove a lease another run has just taken.
        self.swap(&guard, &record).await.map(|_| ())
    }

    async fn swap(&self, guard: &LeaseGuard, record: &Record) -> Result<String> {
        match self
            .store
            .put_json(&self.key, record, PutMode::Update(guard.etag.clone()))
            .await
        {
            Ok(put) => Ok(put.etag),
            Err(Error::PreconditionFailed { .. } | Error::NotFound { .. }) => {
                let holder = self
                    .read()
                    .await
                    .ok()
                    .flatten()
                    .filter(|(r, _)| r.token != guard.token)
                    .map(|(r, _)| r.owner);
                Err(Error::LeaseLost {
                    location: self.location(),
                    holder,
                })
            }
            Err(e) => Err(e),
        }
    }
}

fn new_token() -> String {
    let n = TOKEN_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!("{}-{nanos:x}-{n}", std::process::id())
}
