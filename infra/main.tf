# One Jira site. For more sites, add module instances with their own names
# (function_name, bucket_name, secret_name, ssm_parameter_name), or run this
# root once per site with its own state and tfvars: see README.md.
module "jira_ingest" {
  source = "./modules/jira-ingest"

  bucket_name                 = var.bucket_name
  s3_prefix                   = var.s3_prefix
  function_name               = var.function_name
  jira_secret_arn             = var.jira_secret_arn
  jira_secret_kms_key_arn     = var.jira_secret_kms_key_arn
  secret_name                 = var.secret_name
  secret_recovery_window_days = var.local_emulator ? 0 : var.secret_recovery_window_days
  ssm_parameter_name          = var.ssm_parameter_name
  schedule_expression         = var.schedule_expression
  jql_scope                   = var.jql_scope
  backfill_days               = var.backfill_days
  overlap                     = var.overlap
  index_lag                   = var.index_lag
  log_level                   = var.log_level
  lambda_zip_path             = var.lambda_zip_path
  architecture                = var.architecture
  memory_size                 = var.memory_size
  timeout                     = var.timeout
  log_retention_days          = var.log_retention_days
  alarm_email                 = var.alarm_email
  alarm_sns_topic_arn         = var.alarm_sns_topic_arn
  stale_after_hours           = var.stale_after_hours
  emulator_compat             = var.local_emulator
  tags                        = var.tags
}
