//! Where the sync keeps its state: object storage, the cursor and secrets,
//! each behind a small object-safe trait with in-memory, local filesystem and
//! AWS (S3 with SSE-KMS, SSM Parameter Store, Secrets Manager) backends.
