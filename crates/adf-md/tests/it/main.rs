//! The integration-test binary of `adf-md`.

mod fixtures;
mod options;
mod props;
mod support;
