//! The integration-test binary of `adf-md`.

mod fixtures;
mod hard_cases;
mod malformed;
mod options;
mod oracle;
mod props;
mod structure;
mod support;
