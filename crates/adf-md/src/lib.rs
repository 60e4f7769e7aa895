//! Atlassian Document Format (ADF) to GitHub-flavoured Markdown.
//!
//! Jira Cloud returns descriptions, comments and multi-line custom fields as
//! ADF JSON. This crate turns such a document into Markdown without losing
//! text: every node and mark of the published ADF schema is rendered, unknown
//! nodes fall back to their text content, and escaping depends on context.
//!
//! The crate is pure: it performs no I/O and depends on no async runtime.
#![warn(missing_docs)]
