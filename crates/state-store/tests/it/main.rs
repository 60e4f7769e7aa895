//! The crate's one integration-test binary: conformance suites written once
//! and run against every backend (memory, local filesystem, and with the
//! `aws` feature S3, SSM and Secrets Manager on moto's server).

mod crash;
mod cursor_suite;
mod lease_suite;
mod object_suite;
mod secret_suite;
mod support;

mod local;
mod memory;

#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "aws")]
mod moto;
