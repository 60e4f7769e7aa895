# Plan-level tests of modules/jira-ingest with a mocked AWS provider: offline,
# a few seconds. `cargo xtask test` runs them; so does `terraform test` in infra/.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-central-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  # The provider validates ARN-typed arguments, so the mocked ARNs must be
  # well formed.
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-central-1:123456789012:key/0b9e1d5c-mock" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::acme-jira-corpus" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-central-1:123456789012:mock-failures" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/mock" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rag/jira/oauth-Mock12" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-central-1:123456789012:function:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-central-1:123456789012:rule/mock" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-central-1:123456789012:mock-alarms" }
  }
}

variables {
  bucket_name     = "acme-jira-corpus"
  lambda_zip_path = "tests/fixtures/placeholder.zip"
}

run "defaults_match_the_original_design" {
  module {
    source = "./modules/jira-ingest"
  }

  assert {
    condition     = aws_lambda_function.this.function_name == "rag-jira-ingestor"
    error_message = "the function must default to rag-jira-ingestor"
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap"
    error_message = "the function must run bootstrap on provided.al2023"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 1
    error_message = "runs must never overlap: reserved concurrency 1"
  }
  assert {
    condition     = aws_lambda_function.this.timeout == 900 && aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "default timeout 900 s on x86_64"
  }
  assert {
    condition     = aws_secretsmanager_secret.jira_oauth[0].name == "rag/jira/oauth"
    error_message = "without jira_secret_arn the secret shell rag/jira/oauth is created"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JIRA_INGEST_SSM_PARAMETER"] == "/rag/jira/last_sync"
    error_message = "the cursor parameter defaults to /rag/jira/last_sync"
  }
  assert {
    condition = toset(keys(aws_lambda_function.this.environment[0].variables)) == toset([
      "JIRA_INGEST_S3_BUCKET", "JIRA_INGEST_S3_PREFIX", "JIRA_INGEST_KMS_KEY_ID", "JIRA_OAUTH_SECRET_ID",
      "JIRA_INGEST_SSM_PARAMETER", "JIRA_JQL", "JIRA_BACKFILL_DAYS", "JIRA_OVERLAP", "JIRA_INDEX_LAG",
      "RUST_LOG", "AWS_LAMBDA_LOG_FORMAT", "MALLOC_ARENA_MAX",
    ])
    error_message = "the environment must be exactly that of contracts §4"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JIRA_BACKFILL_DAYS"] == "30" && aws_lambda_function.this.environment[0].variables["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    error_message = "backfill default 30 days and JSON logs"
  }
  assert {
    condition     = can(regex("^cron\\(([1-9]|[1-5][0-9]) \\* \\* \\* \\? \\*\\)$", aws_cloudwatch_event_rule.schedule.schedule_expression))
    error_message = "the default schedule is hourly at a minute other than :00, got ${aws_cloudwatch_event_rule.schedule.schedule_expression}"
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the stack key rotates"
  }
  assert {
    condition     = aws_s3_bucket_versioning.corpus.versioning_configuration[0].status == "Enabled"
    error_message = "the bucket is versioned"
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.corpus.block_public_acls,
      aws_s3_bucket_public_access_block.corpus.block_public_policy,
      aws_s3_bucket_public_access_block.corpus.ignore_public_acls,
      aws_s3_bucket_public_access_block.corpus.restrict_public_buckets,
    ])
    error_message = "every public access block setting is on"
  }
  assert {
    condition = anytrue([
      for r in aws_s3_bucket_server_side_encryption_configuration.corpus.rule :
      r.bucket_key_enabled && r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    ])
    error_message = "SSE-KMS default encryption with a bucket key"
  }
  assert {
    condition     = strcontains(aws_s3_bucket_policy.corpus[0].policy, "aws:SecureTransport")
    error_message = "real deployments keep the TLS-only bucket policy"
  }
  assert {
    condition     = length(aws_lambda_function.this.logging_config) == 1 && aws_lambda_function.this.logging_config[0].log_format == "JSON"
    error_message = "real deployments keep the Lambda logging config"
  }
  assert {
    condition     = aws_cloudwatch_log_group.function.name == "/aws/lambda/rag-jira-ingestor" && aws_cloudwatch_log_group.function.retention_in_days == 365
    error_message = "log group with retention"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 1
    error_message = "failed invocations are retried once, then sent to the failure queue"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.no_completed_run.evaluation_periods == 6 && aws_cloudwatch_metric_alarm.no_completed_run.treat_missing_data == "breaching"
    error_message = "no completed run for 6 h (missing data included) raises the alarm"
  }
  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && length(aws_cloudwatch_metric_alarm.errors.alarm_actions) == 0
    error_message = "without e-mail or topic the alarms have no actions and no topic is created"
  }
}

run "role_is_scoped_to_the_stack" {
  module {
    source = "./modules/jira-ingest"
  }

  variables {
    s3_prefix = "site-a"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.function.policy).Statement :
      !contains(flatten([s.Resource]), "*") && !anytrue([for a in flatten([s.Action]) : endswith(a, "*")])
    ])
    error_message = "no statement of the role may use a wildcard resource or action"
  }
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.function.policy).Statement : [
        for r in flatten([s.Resource]) : startswith(r, "${aws_s3_bucket.corpus.arn}/site-a/")
      ] if anytrue([for a in flatten([s.Action]) : startswith(a, "s3:") && a != "s3:ListBucket"])
    ]))
    error_message = "object access only under the bucket's prefix"
  }
  assert {
    condition = alltrue([
      for p in one([for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s.Condition.StringLike["s3:prefix"] if s.Sid == "ListContractPrefixes"]) :
      startswith(p, "site-a/")
    ])
    error_message = "listing only under the bucket's prefix"
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s.Resource if s.Sid == "ReadWriteRawAndManifests" || s.Sid == "ReadWriteDeleteNormalizedAndState"
      ])) == toset([for p in ["raw", "manifests", "normalized", "state"] :
    "${aws_s3_bucket.corpus.arn}/site-a/${p}/jira/*"])
    error_message = "object access exactly to the four contract prefixes"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s.Resource if s.Sid == "UseStackKey"]) == [aws_kms_key.this.arn]
    error_message = "only the stack key"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s.Resource if s.Sid == "Cursor"]) == "arn:aws:ssm:eu-central-1:123456789012:parameter/rag/jira/last_sync"
    error_message = "only the cursor parameter"
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s if s.Sid == "OAuthSecretWithRotatedRefreshToken"]) == {
      Sid      = "OAuthSecretWithRotatedRefreshToken", Effect = "Allow",
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      Resource = aws_secretsmanager_secret.jira_oauth[0].arn
    }
    error_message = "GetSecretValue and PutSecretValue on only this secret"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JIRA_INGEST_KMS_KEY_ID"] == aws_kms_key.this.arn && aws_lambda_function.this.environment[0].variables["JIRA_INGEST_S3_PREFIX"] == "site-a/"
    error_message = "the function gets the stack key and the prefix"
  }
  assert {
    condition     = aws_cloudwatch_event_target.function.arn == aws_lambda_function.this.arn && aws_lambda_permission.schedule.source_arn == aws_cloudwatch_event_rule.schedule.arn
    error_message = "the schedule targets the function and only it may invoke"
  }
}

run "existing_secret_is_used_not_created" {
  module {
    source = "./modules/jira-ingest"
  }

  variables {
    jira_secret_arn     = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:site-b/oauth-AbCdEf"
    alarm_email         = "oncall@example.com"
    schedule_expression = "cron(7,37 * * * ? *)"
  }

  assert {
    condition     = length(aws_secretsmanager_secret.jira_oauth) == 0
    error_message = "no secret is created when one is given"
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables["JIRA_OAUTH_SECRET_ID"] == var.jira_secret_arn
    error_message = "the function reads the given secret"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.function.policy).Statement : s.Resource if s.Sid == "OAuthSecretWithRotatedRefreshToken"]) == var.jira_secret_arn
    error_message = "the role is scoped to the given secret"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.errors.alarm_actions == toset([aws_sns_topic.alarms[0].arn]) && aws_sns_topic_subscription.alarm_email[0].endpoint == "oncall@example.com"
    error_message = "alarm e-mail creates a topic that both alarms notify"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "cron(7,37 * * * ? *)"
    error_message = "an explicit schedule is kept"
  }
}

run "emulator_switch_drops_only_what_moto_cannot_do" {
  command = plan

  module {
    source = "./modules/jira-ingest"
  }

  variables {
    emulator_compat = true
  }

  assert {
    condition     = length(aws_s3_bucket_policy.corpus) == 0 && length(aws_lambda_function.this.logging_config) == 0 && aws_lambda_function.this.kms_key_arn == null
    error_message = "the emulator switch drops the TLS policy, logging config and environment key"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 1 && aws_s3_bucket_versioning.corpus.versioning_configuration[0].status == "Enabled"
    error_message = "everything else stays"
  }
}

run "different_stacks_get_different_minutes" {
  command = plan

  module {
    source = "./modules/jira-ingest"
  }

  variables {
    function_name = "site-b-jira-ingestor"
    bucket_name   = "acme-site-b-jira"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression != "cron(0 * * * ? *)" && aws_cloudwatch_event_rule.schedule.schedule_expression != run.defaults_match_the_original_design.schedule_expression
    error_message = "a second site's default minute differs from the first's"
  }
}

run "schedule_at_minute_zero_is_refused" {
  command = plan

  module {
    source = "./modules/jira-ingest"
  }

  variables {
    schedule_expression = "cron(0 * * * ? *)"
  }

  expect_failures = [var.schedule_expression]
}

run "bad_names_are_refused" {
  command = plan

  module {
    source = "./modules/jira-ingest"
  }

  variables {
    bucket_name        = "Not_A_Bucket"
    s3_prefix          = "/absolute"
    ssm_parameter_name = "no-leading-slash"
  }

  expect_failures = [var.bucket_name, var.s3_prefix, var.ssm_parameter_name]
}

run "root_passes_the_seed_variables_through" {
  command = plan

  variables {
    region          = "eu-central-1"
    jira_secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rag/jira/oauth-AbCdEf"
    jql_scope       = "project in (ENG, OPS)"
    backfill_days   = 7
    local_emulator  = true
  }

  assert {
    condition     = output.function_name == "rag-jira-ingestor" && output.bucket_name == "acme-jira-corpus" && output.ssm_parameter_name == "/rag/jira/last_sync"
    error_message = "the root instantiates the module with the seed's names"
  }
  assert {
    condition     = output.jira_secret_arn == var.jira_secret_arn
    error_message = "jira_secret_arn reaches the module"
  }
}
