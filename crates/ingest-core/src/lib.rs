//! The incremental sync engine: fixes a window, enumerates and hydrates
//! issues from Jira, writes raw and normalized objects and the run manifest,
//! and advances the cursor only once everything in the window is durable.
//! It knows nothing of AWS, the command line or Lambda: backends come in
//! through the `state-store` traits.
