terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }

  # Local state in infra/terraform.tfstate by default; `cargo xtask deploy
  # --state FILE` points it elsewhere with -backend-config=path=FILE. Teams
  # replace this block with a shared backend, for example
  #   backend "s3" { bucket = "...", key = "jira-ingest/site-a.tfstate", region = "...", use_lockfile = true }
  backend "local" {}
}
