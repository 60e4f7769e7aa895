# The function's role: only this bucket's contract prefixes, only this key,
# only this parameter, only this secret (read and write back the rotated
# refresh token), only its own log group and failure queue.

resource "aws_iam_role" "function" {
  name        = var.function_name
  description = "Execution role of the ${var.function_name} Jira ingestion function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.function_name}-least-privilege"
  role   = aws_iam_role.function.id
  policy = jsonencode(local.function_policy)
}

locals {
  bucket_arn = aws_s3_bucket.corpus.arn

  kms_key_arns = compact([aws_kms_key.this.arn, var.jira_secret_kms_key_arn])

  function_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.function.arn}:*"
      },
      {
        # Listing is needed for reconcile and renormalize, and so that a
        # missing object answers 404 rather than 403.
        Sid       = "ListContractPrefixes"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.bucket_arn
        Condition = { StringLike = { "s3:prefix" = [for p in values(local.prefixes) : "${p}*"] } }
      },
      {
        # Raw versions and manifests are written once and never deleted.
        Sid      = "ReadWriteRawAndManifests"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.bucket_arn}/${local.prefixes.raw}*", "${local.bucket_arn}/${local.prefixes.manifests}*"]
      },
      {
        # Normalized documents go when their issue goes; state holds the
        # run lease, which is deleted on release.
        Sid      = "ReadWriteDeleteNormalizedAndState"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = ["${local.bucket_arn}/${local.prefixes.normalized}*", "${local.bucket_arn}/${local.prefixes.state}*"]
      },
      {
        Sid      = "UseStackKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = local.kms_key_arns
      },
      {
        Sid      = "Cursor"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"]
        Resource = local.ssm_parameter_arn
      },
      {
        Sid      = "OAuthSecretWithRotatedRefreshToken"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
        Resource = local.secret_arn
      },
      {
        Sid      = "ReportFailedRuns"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.failures.arn
      },
    ]
  }
}
