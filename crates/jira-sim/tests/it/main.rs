//! Integration tests: the simulator over real HTTP, as clients see it.

mod auth;
mod binary;
mod control;
mod data_center;
mod faults;
mod issues;
mod perf;
mod search;
mod support;
