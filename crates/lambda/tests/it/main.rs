//! End-to-end: the real `bootstrap` binary, driven through a Lambda Runtime
//! API served by the test, against moto's server (S3, SSM, Secrets Manager,
//! KMS) and the Jira simulator.

mod invoke;
mod moto;
mod runtime_api;
