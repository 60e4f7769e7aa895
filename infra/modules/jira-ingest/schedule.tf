# The hourly schedule and the permission for EventBridge to invoke.

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.function_name}-schedule"
  description         = "Runs the ${var.function_name} Jira sync"
  schedule_expression = local.schedule_expression
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "function" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "jira-ingest"
  arn       = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
