# The corpus bucket: raw/, normalized/, manifests/ and the private state/jira/
# (cursor checkpoints, the run lease) of the storage contract.

resource "aws_s3_bucket" "corpus" {
  #checkov:skip=CKV_AWS_18:access logs need a second, log-only bucket that each operator already runs centrally; CloudTrail data events cover audits
  #checkov:skip=CKV_AWS_144:cross-region replication is a disaster-recovery choice per organisation; the corpus can be rebuilt from Jira
  #checkov:skip=CKV2_AWS_62:event notifications are for downstream stages to add; the per-run manifest is the change feed
  bucket = var.bucket_name
  tags   = local.tags
}

resource "aws_s3_bucket_ownership_controls" "corpus" {
  bucket = aws_s3_bucket.corpus.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "corpus" {
  bucket                  = aws_s3_bucket.corpus.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "corpus" {
  bucket = aws_s3_bucket.corpus.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "corpus" {
  bucket = aws_s3_bucket.corpus.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    # S3 Bucket Keys cut KMS requests (and their cost) by orders of magnitude
    # for a workload that writes thousands of small objects per run.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "corpus" {
  bucket = aws_s3_bucket.corpus.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  dynamic "rule" {
    for_each = var.raw_infrequent_access_days == null ? [] : [var.raw_infrequent_access_days]
    content {
      id     = "raw-to-infrequent-access"
      status = "Enabled"
      filter {
        prefix = local.prefixes.raw
      }
      transition {
        days          = rule.value
        storage_class = "STANDARD_IA"
      }
      abort_incomplete_multipart_upload {
        days_after_initiation = 1
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.corpus]
}

# TLS only. Left out against the emulator, which cannot evaluate
# aws:SecureTransport and would then deny every object call.
resource "aws_s3_bucket_policy" "corpus" {
  count  = var.emulator_compat ? 0 : 1
  bucket = aws_s3_bucket.corpus.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.corpus.arn, "${aws_s3_bucket.corpus.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.corpus]
}
