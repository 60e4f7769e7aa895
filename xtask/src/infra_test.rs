//! The infra step of `cargo xtask test`: proves the Terraform stack and the
//! Lambda package work by building, applying and inspecting them.
//!
//! 1. `terraform test`: plan-level assertions with a mocked AWS provider.
//! 2. checkov, with every skipped check justified in place.
//! 3. `xtask dist`, then the package read back: one `bootstrap`, mode 0755,
//!    fixed timestamp, byte-for-byte reproducible, runnable on glibc 2.34.
//! 4. `xtask deploy -- -auto-approve` into the running moto server, with a
//!    throwaway state under target/, a second plan that must show no change,
//!    the created resources checked through the AWS API with boto3, then
//!    `xtask destroy` and a check that the resources are gone.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result, bail, ensure};

use crate::{deploy, dist, elf, lambda_zip, terraform::Terraform, util, venv};

/// Pinned so a new checkov release cannot fail a build that did not change.
const CHECKOV: &str = "checkov==3.3.30";
const BOTO3: &str = "boto3";

const TEST_BUCKET: &str = "jira-ingest-xtask-test";
const TEST_REGION: &str = "us-east-1";
const TEST_JQL: &str = "project in (ENG, OPS)";
const TEST_ALARM_EMAIL: &str = "oncall@example.com";

/// Runs every infra check; `env` is moto's and Terraform's environment.
pub(crate) fn run(root: &Path, tf: &Terraform, env: &[(String, String)]) -> Result<()> {
    let infra = root.join("infra");

    util::step("infra: terraform test (mocked AWS provider)");
    util::run(
        Command::new("terraform")
            .envs(tf.env())
            .arg(format!("-chdir={}", infra.display()))
            .args(["test", "-no-color"]),
        "terraform test",
    )?;

    util::step("infra: checkov");
    let checkov = venv::tool(root, "checkov", "--version", CHECKOV)?;
    util::run(
        Command::new(checkov).current_dir(&infra).args([
            "--directory",
            ".",
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "--skip-path",
            ".terraform",
        ]),
        "checkov",
    )
    .context("checkov found a failed check; fix it or skip it in place with a one-line reason")?;

    let zip = dist::dist(root, dist::Options::default())?;
    util::step("infra: the package read back");
    check_package(&zip)?;

    // Everything from here talks to the emulator: never to AWS.
    let endpoint = env
        .iter()
        .find(|(k, _)| k == "AWS_ENDPOINT_URL")
        .map(|(_, v)| v.as_str())
        .context("the infra step needs moto's AWS_ENDPOINT_URL")?;
    eprintln!("xtask: deploying into moto at {endpoint}");
    let work = root.join("target").join("xtask").join("infra-test");
    if work.exists() {
        // Left by an interrupted run against a moto that is gone now.
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let state = work.join("terraform.tfstate");
    let state_arg = state.to_string_lossy().into_owned();
    let vars = [
        format!("-var=bucket_name={TEST_BUCKET}"),
        format!("-var=region={TEST_REGION}"),
        format!("-var=jql_scope={TEST_JQL}"),
        format!("-var=alarm_email={TEST_ALARM_EMAIL}"),
    ];
    let with_vars = |head: &[&str]| -> Vec<String> {
        head.iter()
            .map(|s| (*s).to_owned())
            .chain(vars.iter().cloned())
            .collect()
    };

    let started = Instant::now();
    let deployed = with_vars(&["--state", &state_arg, "--", "-auto-approve", "-no-color"]);
    let deploy_result = deploy::deploy(root, &deploy::parse_deploy(&as_str(&deployed))?, env);
    let apply_secs = started.elapsed().as_secs_f64();

    let checked = deploy_result.and_then(|()| {
        util::step("infra: a second plan shows no change (no emulator drift)");
        let plan = with_vars(&["--plan", "--state", &state_arg, "--", "-detailed-exitcode"]);
        deploy::deploy(root, &deploy::parse_deploy(&as_str(&plan))?, env)
            .context("the plan right after apply is not empty (exit status 2 means changes)")?;
        util::step("infra: created resources, checked with boto3");
        let outputs = outputs(root, &state_arg, env, &work)?;
        verify(root, env, &outputs, &zip, false)?;
        Ok(outputs)
    });

    // Destroy whatever exists, also after a failure above.
    let started = Instant::now();
    let destroyed = with_vars(&["--state", &state_arg, "--", "-auto-approve", "-no-color"]);
    let destroy_result = deploy::destroy(root, &deploy::parse_destroy(&as_str(&destroyed))?, env);
    let destroy_secs = started.elapsed().as_secs_f64();
    let outputs = match (checked, destroy_result) {
        (Ok(outputs), Ok(())) => outputs,
        (Err(err), Ok(())) => return Err(err),
        (Ok(_), Err(err)) => return Err(err.context("terraform destroy of the test stack failed")),
        (Err(err), Err(destroy)) => {
            return Err(err.context(format!(
                "and terraform destroy of the test stack failed too: {destroy:#}"
            )));
        }
    };

    util::step("infra: destroy removed the stack");
    let inv = deploy::parse_destroy(&["--state", &state_arg])?;
    let left = deploy::stack(root, &inv, env)?.capture("state", &["list"])?;
    ensure!(
        left.trim().is_empty(),
        "terraform destroy left resources in the state:\n{left}"
    );
    verify(root, env, &outputs, &zip, true)?;
    eprintln!(
        "xtask: infra: deploy (dist + init + apply) {apply_secs:.0} s, destroy {destroy_secs:.0} s"
    );
    Ok(())
}

fn as_str(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Reads the zip independently of how it was written and checks it.
fn check_package(zip: &Path) -> Result<()> {
    let bytes = std::fs::read(zip)?;
    let entries = lambda_zip::read(&bytes)?;
    let [entry] = entries.as_slice() else {
        bail!(
            "{} must hold exactly bootstrap, found {:?}",
            zip.display(),
            entries.iter().map(|e| &e.name).collect::<Vec<_>>()
        );
    };
    ensure!(
        entry.name == "bootstrap",
        "the package member is {}",
        entry.name
    );
    ensure!(
        entry.mode == 0o100_755,
        "bootstrap has mode {:o}, Lambda needs 100755",
        entry.mode
    );
    let req = elf::requirements(&entry.data)?;
    elf::check_al2023(&req, elf::EM_X86_64)?;
    let (major, minor) = req.max_glibc().unwrap_or((0, 0));
    ensure!(
        (major, minor) <= elf::AL2023_GLIBC,
        "bootstrap needs glibc {major}.{minor}"
    );
    ensure!(
        lambda_zip::write(&entries)? == bytes,
        "packaging the same bootstrap again gives different bytes: the zip is not reproducible"
    );
    eprintln!(
        "xtask: package ok: bootstrap {} bytes, mode 0755, newest glibc symbol {major}.{minor} (<= 2.34), \
         reproducible",
        entry.data.len()
    );
    Ok(())
}

fn outputs(root: &Path, state: &str, env: &[(String, String)], work: &Path) -> Result<PathBuf> {
    let inv = deploy::parse_destroy(&["--state", state])?;
    let json = deploy::stack(root, &inv, env)?.capture("output", &["-json"])?;
    let path = work.join("outputs.json");
    std::fs::write(&path, json)?;
    Ok(path)
}

fn verify(
    root: &Path,
    env: &[(String, String)],
    outputs: &Path,
    zip: &Path,
    gone: bool,
) -> Result<()> {
    let python = venv::python_with(root, "boto3", BOTO3)?;
    let mut cmd = Command::new(python);
    cmd.arg(root.join("infra/tests/verify_deployment.py"))
        .arg("--outputs")
        .arg(outputs)
        .args(["--region", TEST_REGION])
        .arg("--zip")
        .arg(zip)
        .args(["--jql", TEST_JQL, "--alarm-email", TEST_ALARM_EMAIL])
        .envs(env.iter().map(|(k, v)| (k, v)));
    if gone {
        cmd.arg("--gone");
    }
    util::run(&mut cmd, "infra/tests/verify_deployment.py")
}
