//! A Jira Cloud simulator on loopback that behaves as Jira Cloud's REST API
//! does for the endpoints the sync uses, over a deterministic seeded dataset.
//! Used by integration tests, `cargo xtask demo` and the benchmarks.
