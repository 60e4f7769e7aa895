# The function, its log group and where failed invocations go.

resource "aws_cloudwatch_log_group" "function" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# Scheduled invocations are asynchronous: one that still fails after its
# retry lands here with the error, for an operator to look at.
resource "aws_sqs_queue" "failures" {
  name                      = "${var.function_name}-failures"
  kms_master_key_id         = aws_kms_key.this.arn
  message_retention_seconds = 1209600
  tags                      = local.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:the function only calls Jira on the internet and regional AWS APIs; a VPC would add a NAT gateway and no isolation
  #checkov:skip=CKV_AWS_272:code signing needs an AWS Signer profile per account; the package is built reproducibly by cargo xtask dist instead
  #checkov:skip=CKV_AWS_116:failed invocations go to the on-failure destination of aws_lambda_function_event_invoke_config, which records more than a DLQ
  function_name = var.function_name
  description   = "Incremental Jira sync into s3://${var.bucket_name}/${local.s3_prefix}"
  role          = aws_iam_role.function.arn

  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout

  # One run at a time: overlapping runs would refresh the same rotating
  # OAuth token and race on the cursor.
  reserved_concurrent_executions = 1

  environment {
    variables = local.environment
  }

  # The emulator does not store these three (perpetual diffs); real
  # deployments keep them.
  kms_key_arn = var.emulator_compat ? null : aws_kms_key.this.arn

  dynamic "logging_config" {
    for_each = var.emulator_compat ? [] : [1]
    content {
      log_format            = "JSON"
      log_group             = aws_cloudwatch_log_group.function.name
      application_log_level = "INFO"
      system_log_level      = "WARN"
    }
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name = aws_lambda_function.this.function_name
  # One retry covers a transient failure; an event older than the next
  # scheduled run is pointless, that run resumes from the checkpoint anyway.
  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}
