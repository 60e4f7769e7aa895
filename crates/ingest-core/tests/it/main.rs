//! End-to-end tests of the sync engine against the Jira simulator, with the
//! in-memory and filesystem backends.

mod support;

mod data_center;
mod faults;
mod reconcile;
mod sync;
