# One customer-managed key per stack encrypts the bucket, the cursor
# parameter, the created secret, the logs, the failure queue and the alarm
# topic, so revoking it cuts off the whole stack's data at once.

resource "aws_kms_key" "this" {
  description             = "jira-ingest ${var.function_name}: corpus, cursor, secret and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.function_name}"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # Without this statement IAM policies cannot grant use of the key and
        # it becomes unmanageable.
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsTheLogGroup"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
          }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted alarm topic.
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  }
}
