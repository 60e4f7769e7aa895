# Inputs of one Jira ingestion stack (one instance per Jira site).

variable "bucket_name" {
  description = "Name of the S3 bucket created for the corpus (raw/, normalized/, manifests/ and state/jira/). S3 names are global: pick one per site and account."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "s3_prefix" {
  description = "Optional key prefix inside the bucket in front of raw/jira/, normalized/jira/, manifests/jira/ and state/jira/, e.g. \"site-a\" (a trailing \"/\" is added when missing, as the function does). Empty for none."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.s3_prefix == "" || (can(regex("^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*$", var.s3_prefix)) && !strcontains(var.s3_prefix, "//"))
    error_message = "s3_prefix must be empty or a relative key prefix such as \"site-a\" or \"tenants/site-a/\" (no leading \"/\", no \"//\")."
  }
}

variable "function_name" {
  description = "Name of the Lambda function; also names the role, log group, schedule, alarms, key alias and failure queue."
  type        = string
  default     = "rag-jira-ingestor"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name must be 1 to 56 letters, digits, hyphens or underscores (56 leaves room for the derived names)."
  }
}

variable "jira_secret_arn" {
  description = "ARN of an existing Secrets Manager secret holding the OAuth bundle {client_id, client_secret, refresh_token, base_url}. When null, an empty secret named secret_name is created and the operator puts the first value in."
  type        = string
  default     = null

  validation {
    condition     = var.jira_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.jira_secret_arn))
    error_message = "jira_secret_arn must be null or a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)."
  }
}

variable "jira_secret_kms_key_arn" {
  description = "KMS key ARN that encrypts an existing jira_secret_arn, when it is not the stack's key; the function is allowed to use it. Null when the secret uses the stack's key or is created here."
  type        = string
  default     = null

  validation {
    condition     = var.jira_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.jira_secret_kms_key_arn))
    error_message = "jira_secret_kms_key_arn must be null or a KMS key ARN."
  }
}

variable "secret_name" {
  description = "Name of the secret created when jira_secret_arn is null."
  type        = string
  default     = "rag/jira/oauth"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.secret_name))
    error_message = "secret_name may contain only letters, digits and /_+=.@- (at most 512 characters)."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a created secret can be restored after destroy (0 deletes it at once, 7 to 30 otherwise)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "ssm_parameter_name" {
  description = "SSM parameter that holds the sync cursor. The function creates and updates it; Terraform only grants access."
  type        = string
  default     = "/rag/jira/last_sync"
  nullable    = false

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+$", var.ssm_parameter_name)) && length(var.ssm_parameter_name) <= 1011
    error_message = "ssm_parameter_name must be a hierarchical name starting with \"/\" (for example /rag/jira/last_sync)."
  }
}

variable "schedule_expression" {
  description = "EventBridge schedule. Null (the default) runs hourly at a minute from 1 to 59 derived from the function and bucket names, so a fleet of stacks does not hit Jira at :00 together. A cron() may not run at minute 0."
  type        = string
  default     = null

  validation {
    # A rate() starts counting at creation time, which is not :00. A cron()
    # minute field must name minutes from 1 to 59 (a list or a step from one).
    condition     = var.schedule_expression == null || can(regex("^rate\\([1-9][0-9]* (minutes?|hours?|days?)\\)$", var.schedule_expression)) || can(regex("^cron\\(([1-9]|[1-5][0-9])((,([1-9]|[1-5][0-9]))*|/[0-9]+) \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(N unit) or cron(MIN H DOM MON DOW YEAR) whose minute field is not 0 (for example cron(17 * * * ? *)): many stacks starting at :00 hit Jira's rate limits together."
  }
}

variable "jql_scope" {
  description = "Extra JQL ANDed into every query (JIRA_JQL), for example \"project in (ENG, OPS)\". Empty syncs everything the credentials can see."
  type        = string
  default     = ""
  nullable    = false
}

variable "backfill_days" {
  description = "Days read on the first run, when no cursor exists yet (JIRA_BACKFILL_DAYS)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.backfill_days >= 1 && var.backfill_days <= 36500 && floor(var.backfill_days) == var.backfill_days
    error_message = "backfill_days must be a whole number from 1 to 36500."
  }
}

variable "overlap" {
  description = "Re-read window before the cursor (JIRA_OVERLAP), a duration such as 10m."
  type        = string
  default     = "10m"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(s|m|h)$", var.overlap))
    error_message = "overlap must be a duration like 30s, 10m or 1h."
  }
}

variable "index_lag" {
  description = "A run reads issues updated up to its start minus this (JIRA_INDEX_LAG), a duration such as 2m."
  type        = string
  default     = "2m"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(s|m|h)$", var.index_lag))
    error_message = "index_lag must be a duration like 30s, 2m or 1h."
  }
}

variable "log_level" {
  description = "RUST_LOG filter of the function."
  type        = string
  default     = "info"
  nullable    = false
}

variable "lambda_zip_path" {
  description = "Path of the deployment package that `cargo xtask dist` writes (target/lambda/jira-ingest-lambda.zip)."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.lambda_zip_path, ".zip")
    error_message = "lambda_zip_path must point at the .zip that `cargo xtask dist` writes."
  }
}

variable "architecture" {
  description = "Instruction set of the function: x86_64 or arm64. It must match the package (`cargo xtask dist --arch`)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU scales with it)."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds; the sync stops with a checkpoint shortly before it."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.timeout >= 60 && var.timeout <= 900
    error_message = "timeout must be between 60 and 900 seconds."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version (old normalized documents, old state) is kept before it expires."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "raw_infrequent_access_days" {
  description = "Days after which raw issue versions (read again only to rebuild normalized documents) move to S3 Standard-IA; null keeps them in Standard."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_infrequent_access_days == null ? true : var.raw_infrequent_access_days >= 30
    error_message = "raw_infrequent_access_days must be null or at least 30 (S3's minimum for Standard-IA)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to a new SNS topic for the alarms (the recipient confirms the subscription). Ignored when alarm_sns_topic_arn is set."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic that receives the alarms. Null with alarm_email null leaves the alarms without actions (visible in the console only)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be null or an SNS topic ARN."
  }
}

variable "stale_after_hours" {
  description = "Alarm when no run has completed for this many hours (1 to 24)."
  type        = number
  default     = 6
  nullable    = false

  validation {
    condition     = var.stale_after_hours >= 1 && var.stale_after_hours <= 24 && floor(var.stale_after_hours) == var.stale_after_hours
    error_message = "stale_after_hours must be a whole number from 1 to 24 (CloudWatch evaluates at most one day)."
  }
}

variable "completed_run_log_pattern" {
  description = "CloudWatch Logs filter pattern that matches the log line of a completed run (the run summary with status \"complete\")."
  type        = string
  default     = "{ ($.status = \"complete\") || ($.fields.status = \"complete\") }"
  nullable    = false
}

variable "emulator_compat" {
  description = "Set only against a local AWS emulator (moto): drops what it cannot evaluate or store (TLS-only bucket policy, Lambda DLQ, logging config and environment key). Never set for a real account."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
  nullable    = false
}
