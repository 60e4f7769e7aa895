output "function_name" {
  description = "Name of the Lambda function (aws lambda invoke --function-name ...)."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.function.arn
}

output "bucket_name" {
  description = "Bucket that holds the corpus."
  value       = aws_s3_bucket.corpus.bucket
}

output "s3_prefix" {
  description = "Key prefix of the corpus inside the bucket."
  value       = local.s3_prefix
}

output "kms_key_arn" {
  description = "ARN of the stack's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "kms_alias" {
  description = "Alias of the stack's KMS key."
  value       = aws_kms_alias.this.name
}

output "ssm_parameter_name" {
  description = "SSM parameter that holds the cursor (created by the function on its first run)."
  value       = var.ssm_parameter_name
}

output "jira_secret_arn" {
  description = "ARN of the OAuth secret the function reads and writes back."
  value       = local.secret_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "schedule_rule_name" {
  description = "EventBridge rule that starts the function."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "schedule_expression" {
  description = "Schedule of the function."
  value       = aws_cloudwatch_event_rule.schedule.schedule_expression
}

output "failure_queue_url" {
  description = "SQS queue that receives failed invocations."
  value       = aws_sqs_queue.failures.url
}

output "alarm_names" {
  description = "CloudWatch alarms of the stack."
  value       = [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.no_completed_run.alarm_name]
}
