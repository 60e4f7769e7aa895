# Inputs of the root configuration; they are validated by the module. The
# first three keep the names of the original design.

variable "bucket_name" {
  description = "Name of the S3 bucket created for the corpus (globally unique)."
  type        = string
}

variable "jira_secret_arn" {
  description = "ARN of an existing Secrets Manager secret with the OAuth bundle {client_id, client_secret, refresh_token, base_url}; null creates an empty secret named secret_name."
  type        = string
  default     = null
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1 or eu-central-1."
  }
}

variable "schedule_expression" {
  description = "EventBridge schedule; null runs hourly at a minute from 1 to 59 derived from the names (never :00)."
  type        = string
  default     = null
}

variable "ssm_parameter_name" {
  description = "SSM parameter that holds the cursor (created by the function)."
  type        = string
  default     = "/rag/jira/last_sync"
}

variable "jql_scope" {
  description = "Extra JQL ANDed into every query, e.g. \"project in (ENG, OPS)\"; empty for everything."
  type        = string
  default     = ""
}

variable "backfill_days" {
  description = "Days read on the first run, when no cursor exists."
  type        = number
  default     = 30
}

variable "lambda_zip_path" {
  description = "Deployment package written by `cargo xtask dist` (relative to infra/ or absolute)."
  type        = string
  default     = "../target/lambda/jira-ingest-lambda.zip"
}

variable "architecture" {
  description = "x86_64 or arm64; must match `cargo xtask dist --arch`."
  type        = string
  default     = "x86_64"
}

variable "memory_size" {
  description = "Function memory in MB."
  type        = number
  default     = 512
}

variable "timeout" {
  description = "Function timeout in seconds (at most 900)."
  type        = number
  default     = 900
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days."
  type        = number
  default     = 365
}

variable "alarm_email" {
  description = "E-mail address for the alarms (a new SNS topic is created); null for none."
  type        = string
  default     = null
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic for the alarms; takes precedence over alarm_email."
  type        = string
  default     = null
}

variable "stale_after_hours" {
  description = "Alarm when no run has completed for this many hours (1 to 24)."
  type        = number
  default     = 6
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "function_name" {
  description = "Name of the Lambda function and prefix of the other names."
  type        = string
  default     = "rag-jira-ingestor"
}

variable "secret_name" {
  description = "Name of the secret created when jira_secret_arn is null."
  type        = string
  default     = "rag/jira/oauth"
}

variable "secret_recovery_window_days" {
  description = "Days a created secret can be restored after destroy (0, or 7 to 30)."
  type        = number
  default     = 7
}

variable "jira_secret_kms_key_arn" {
  description = "KMS key of an existing jira_secret_arn when it is not the stack's key; null otherwise."
  type        = string
  default     = null
}

variable "s3_prefix" {
  description = "Optional key prefix inside the bucket, e.g. \"site-a\"; empty for none."
  type        = string
  default     = ""
}

variable "overlap" {
  description = "Re-read window before the cursor (JIRA_OVERLAP)."
  type        = string
  default     = "10m"
}

variable "index_lag" {
  description = "Upper bound of a run's window is its start minus this (JIRA_INDEX_LAG)."
  type        = string
  default     = "2m"
}

variable "log_level" {
  description = "RUST_LOG filter of the function."
  type        = string
  default     = "info"
}

variable "local_emulator" {
  description = "True only against a local AWS emulator (moto); `cargo xtask deploy` sets it when AWS_ENDPOINT_URL is a loopback address. Drops protections the emulator cannot evaluate or store."
  type        = bool
  default     = false
}
