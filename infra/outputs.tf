output "function_name" {
  description = "Lambda function name."
  value       = module.jira_ingest.function_name
}

output "function_arn" {
  description = "Lambda function ARN."
  value       = module.jira_ingest.function_arn
}

output "role_arn" {
  description = "Execution role ARN."
  value       = module.jira_ingest.role_arn
}

output "bucket_name" {
  description = "Corpus bucket."
  value       = module.jira_ingest.bucket_name
}

output "s3_prefix" {
  description = "Corpus key prefix."
  value       = module.jira_ingest.s3_prefix
}

output "kms_key_arn" {
  description = "Stack KMS key ARN."
  value       = module.jira_ingest.kms_key_arn
}

output "ssm_parameter_name" {
  description = "Cursor parameter name."
  value       = module.jira_ingest.ssm_parameter_name
}

output "jira_secret_arn" {
  description = "OAuth secret ARN."
  value       = module.jira_ingest.jira_secret_arn
}

output "log_group_name" {
  description = "Function log group."
  value       = module.jira_ingest.log_group_name
}

output "schedule_rule_name" {
  description = "EventBridge rule name."
  value       = module.jira_ingest.schedule_rule_name
}

output "schedule_expression" {
  description = "Schedule of the function."
  value       = module.jira_ingest.schedule_expression
}

output "failure_queue_url" {
  description = "Queue of failed invocations."
  value       = module.jira_ingest.failure_queue_url
}

output "alarm_names" {
  description = "CloudWatch alarm names."
  value       = module.jira_ingest.alarm_names
}
