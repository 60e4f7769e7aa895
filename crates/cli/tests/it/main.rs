//! End-to-end tests of the `jira-ingest` binary against an in-process
//! Jira simulator: the real executable, real HTTP, real files.

mod adf;
mod auth;
mod aws;
mod commands;
mod data_center;
mod support;
mod usage;
