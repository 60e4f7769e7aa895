//! Builds the normalized issue document (schema version 1) that the RAG
//! stages consume, from a raw Jira issue, its complete comments and the site's
//! field catalogue. Pure: no I/O, no async runtime.
