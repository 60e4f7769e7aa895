//! Integration tests: fixture snapshots and schema validation, behaviour on
//! realistic Cloud v3, Service Management and Data Center v2 payloads,
//! determinism, and property tests that arbitrary input never panics.

mod behaviour;
mod common;
mod determinism;
mod fixtures;
mod properties;
