# One Jira site's ingestion stack: a KMS key, the corpus bucket, the OAuth
# secret, the function with its least-privilege role, its hourly schedule and
# its alarms. Scale to more sites with more instances of this module, not a
# bigger function: Jira's rate limits, not compute, bound a site's throughput.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  tags = merge({ "jira-ingest:function" = var.function_name }, var.tags)

  # "" or ending in "/", as the function's Prefixed store normalizes it.
  s3_prefix = var.s3_prefix == "" ? "" : "${trimsuffix(var.s3_prefix, "/")}/"

  # The four key families of the storage contract, under the optional prefix.
  prefixes = {
    raw        = "${local.s3_prefix}raw/jira/"
    normalized = "${local.s3_prefix}normalized/jira/"
    manifests  = "${local.s3_prefix}manifests/jira/"
    state      = "${local.s3_prefix}state/jira/"
  }

  secret_arn = var.jira_secret_arn != null ? var.jira_secret_arn : aws_secretsmanager_secret.jira_oauth[0].arn

  ssm_parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${var.ssm_parameter_name}"

  log_group_name = "/aws/lambda/${var.function_name}"

  # Hourly at a minute from 1 to 59 that is stable for this stack and differs
  # between stacks, so a fleet of sites does not hit Jira at :00 together.
  spread_minute       = parseint(substr(sha256("${var.function_name}/${var.bucket_name}"), 0, 8), 16) % 59 + 1
  schedule_expression = coalesce(var.schedule_expression, "cron(${local.spread_minute} * * * ? *)")

  alarm_topic_arn = var.alarm_sns_topic_arn != null ? var.alarm_sns_topic_arn : (
    var.alarm_email != null ? aws_sns_topic.alarms[0].arn : null
  )
  alarm_actions = local.alarm_topic_arn != null ? [local.alarm_topic_arn] : []

  # Contract §4: the same names as the CLI's environment variables.
  environment = {
    JIRA_INGEST_S3_BUCKET     = aws_s3_bucket.corpus.bucket
    JIRA_INGEST_S3_PREFIX     = local.s3_prefix
    JIRA_INGEST_KMS_KEY_ID    = aws_kms_key.this.arn
    JIRA_OAUTH_SECRET_ID      = local.secret_arn
    JIRA_INGEST_SSM_PARAMETER = var.ssm_parameter_name
    JIRA_JQL                  = var.jql_scope
    JIRA_BACKFILL_DAYS        = tostring(var.backfill_days)
    JIRA_OVERLAP              = var.overlap
    JIRA_INDEX_LAG            = var.index_lag
    RUST_LOG                  = var.log_level
    AWS_LAMBDA_LOG_FORMAT     = "JSON"
    # Not a contract setting: two glibc malloc arenas keep peak memory
    # flat as the site grows (docs/benchmarks.md).
    MALLOC_ARENA_MAX = "2"
  }
}
