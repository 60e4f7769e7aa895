//! Integration tests: the client against `wiremock` servers shaped like
//! Jira Cloud, with time paused wherever waits matter.

mod auth;
mod reads;
mod redaction;
mod retries;
mod search;
mod support;
