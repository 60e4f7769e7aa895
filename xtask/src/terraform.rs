//! Terraform set-up for offline machines.
//!
//! Providers cannot be downloaded here, so when a local filesystem mirror of
//! providers exists, a CLI configuration that uses only that mirror is written
//! under `target/xtask/` and handed to every Terraform run (and to the tests)
//! through `TF_CLI_CONFIG_FILE`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result};

use crate::util;

/// Where provider mirrors are commonly found, in order of preference.
const MIRROR_CANDIDATES: &[&str] = &[
    "/opt/tf-plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
];

pub(crate) struct Terraform {
    root: PathBuf,
    cli_config: Option<PathBuf>,
}

/// Returns `None` (with a warning) when no `terraform` binary is installed.
pub(crate) fn prepare(root: &Path) -> Result<Option<Terraform>> {
    if util::which("terraform").is_none() {
        eprintln!(
            "xtask: warning: terraform is not installed; infra/ checks are skipped \
             (install Terraform >= 1.6 to run them)"
        );
        return Ok(None);
    }
    // A TF_CLI_CONFIG_FILE that names no file (some shells export one by
    // default) would make Terraform fall back to the unreachable registry.
    let cli_config = match std::env::var_os("TF_CLI_CONFIG_FILE").map(PathBuf::from) {
        Some(existing) if existing.is_file() => Some(existing),
        _ => match find_mirror() {
            Some(mirror) => Some(write_cli_config(root, &mirror)?),
            None => None,
        },
    };
    Ok(Some(Terraform {
        root: root.to_path_buf(),
        cli_config,
    }))
}

impl Terraform {
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![("TF_IN_AUTOMATION".to_owned(), "1".to_owned())];
        if let Some(cfg) = &self.cli_config {
            env.push((
                "TF_CLI_CONFIG_FILE".to_owned(),
                cfg.to_string_lossy().into_owned(),
            ));
        }
        env
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("terraform");
        cmd.envs(self.env());
        cmd
    }

    /// `terraform fmt -check` and `validate` when infra/ holds configuration.
    pub(crate) fn check_infra(&self) -> Result<()> {
        let infra = self.root.join("infra");
        let has_tf = std::fs::read_dir(&infra)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
            })
            .unwrap_or(false);
        if !has_tf {
            eprintln!("xtask: infra/ has no Terraform files yet; nothing to check");
            return Ok(());
        }
        util::run(
            self.command()
                .args(["fmt", "-check", "-recursive"])
                .arg(&infra),
            "terraform fmt -check",
        )?;
        util::run(
            self.command()
                .arg(format!("-chdir={}", infra.display()))
                .args(["init", "-backend=false", "-input=false", "-no-color"]),
            "terraform init -backend=false",
        )
        .context("terraform init failed; is the AWS provider in a local mirror?")?;
        util::run(
            self.command()
                .arg(format!("-chdir={}", infra.display()))
                .args(["validate", "-no-color"]),
            "terraform validate",
        )
    }
}

fn find_mirror() -> Option<PathBuf> {
    let from_env = std::env::var_os("TF_PLUGIN_MIRROR").map(PathBuf::from);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let home_candidates = home.iter().flat_map(|h| {
        [
            h.join(".terraform.d/plugins"),
            h.join(".local/share/terraform/plugins"),
        ]
    });
    from_env
        .into_iter()
        .chain(MIRROR_CANDIDATES.iter().map(PathBuf::from))
        .chain(home_candidates)
        .find(|dir| dir.join("registry.terraform.io").is_dir())
}

fn write_cli_config(root: &Path, mirror: &Path) -> Result<PathBuf> {
    let dir = root.join("target").join("xtask");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("terraform.rc");
    let mirror = mirror.display();
    let text = format!(
        "# Written by `cargo xtask`: use only the local provider mirror.\n\
         provider_installation {{\n  \
           filesystem_mirror {{\n    path    = \"{mirror}\"\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n  \
           direct {{\n    exclude = [\"registry.terraform.io/*/*\"]\n  }}\n\
         }}\n"
    );
    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
    Ok(path)
}
