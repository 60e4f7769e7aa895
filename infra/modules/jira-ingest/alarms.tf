# Two alarms: a run failed, and no run has completed for stale_after_hours
# (a run that keeps ending partial, a schedule that stopped, lost access).

resource "aws_sns_topic" "alarms" {
  count             = var.alarm_sns_topic_arn == null && var.alarm_email != null ? 1 : 0
  name              = "${var.function_name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = length(aws_sns_topic.alarms)
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "A ${var.function_name} run failed; see the log group ${local.log_group_name} and the queue ${aws_sqs_queue.failures.name}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# The function logs its run summary as one JSON line; a completed run counts
# one in this metric.
resource "aws_cloudwatch_log_metric_filter" "completed_runs" {
  name           = "${var.function_name}-completed-runs"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = var.completed_run_log_pattern

  metric_transformation {
    name          = "CompletedRuns"
    namespace     = "JiraIngest/${var.function_name}"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "no_completed_run" {
  alarm_name          = "${var.function_name}-no-completed-run"
  alarm_description   = "No ${var.function_name} run has completed for ${var.stale_after_hours} h: runs fail, end partial every time, or do not start."
  namespace           = "JiraIngest/${var.function_name}"
  metric_name         = aws_cloudwatch_log_metric_filter.completed_runs.metric_transformation[0].name
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.stale_after_hours
  datapoints_to_alarm = var.stale_after_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  # No data at all means no run logged a completion: that is the failure.
  treat_missing_data = "breaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = local.tags
}
