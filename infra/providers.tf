# Endpoints follow the standard AWS_ENDPOINT_URL variable, so the same
# configuration applies to a local emulator; `cargo xtask deploy` then also
# sets local_emulator.
provider "aws" {
  region = var.region

  # An emulator on localhost has no bucket.localhost DNS names.
  s3_use_path_style = var.local_emulator

  default_tags {
    tags = merge({ app = "jira-ingest" }, var.tags)
  }
}
