# The OAuth bundle {client_id, client_secret, refresh_token, base_url}. When
# the operator brings no secret, an empty one is created here; its value is
# put in once by hand and then rotated by the function itself, because Jira
# rotates the refresh token on every use. Terraform never holds the value.

resource "aws_secretsmanager_secret" "jira_oauth" {
  #checkov:skip=CKV2_AWS_57:Jira rotates the refresh token on every use and the function writes it back; a rotation Lambda would fight it
  count                   = var.jira_secret_arn == null ? 1 : 0
  name                    = var.secret_name
  description             = "Jira OAuth 2.0 (3LO) bundle for ${var.function_name}: client_id, client_secret, refresh_token, base_url"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = local.tags
}

# The cursor parameter (ssm_parameter_name) is created by the function on its
# first run (PutParameter without overwrite doubles as a lock). Terraform does
# not own its value, so it only grants access to that one name in iam.tf.
