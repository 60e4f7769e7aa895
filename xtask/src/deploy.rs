//! `cargo xtask deploy` and `cargo xtask destroy`: Terraform in `infra/`.
//!
//! `deploy` runs `dist`, then `terraform init` and `apply` (or `plan`),
//! handing Terraform the package's path and architecture; everything after
//! `--` goes to Terraform unchanged (`-var`, `-var-file`, `-auto-approve`).
//! When `AWS_ENDPOINT_URL` points at a loopback address the target is a local
//! AWS emulator: the configuration's `local_emulator` switch is turned on
//! and fake credentials are used unless some are set, so a test can never
//! reach a real account and a real deployment never loses a protection.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result, bail};

use crate::{dist, terraform, util};

const DEPLOY_USAGE: &str = "\
usage: cargo xtask deploy [--plan] [--arch x86_64|arm64] [--zigbuild] [--state FILE] [-- TERRAFORM ARGS]

Runs `cargo xtask dist`, then `terraform init` and `terraform apply` in infra/.
Terraform arguments pass through, e.g.
  cargo xtask deploy -- -var bucket_name=acme-jira-corpus -var region=eu-central-1
  cargo xtask deploy --plan -- -var-file=site-a.tfvars

  --plan        terraform plan instead of apply
  --arch        x86_64 (default) or arm64, for the package and the function
  --zigbuild    build against glibc 2.34 with cargo-zigbuild
  --state FILE  keep the state in FILE (with a Terraform data directory beside
                it) instead of infra/terraform.tfstate; local backend only,
                for throwaway stacks such as the tests'

With AWS_ENDPOINT_URL set to a loopback address (a local emulator such as
moto), `-var local_emulator=true` is added and fake credentials are used.
";

const DESTROY_USAGE: &str = "\
usage: cargo xtask destroy [--state FILE] [-- TERRAFORM ARGS]

Runs `terraform destroy` in infra/ with the same variables as the deploy
(pass the same -var or -var-file arguments). The corpus bucket is versioned
and is not emptied: Terraform stops on a bucket that still holds objects.
";

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Invocation {
    pub(crate) plan: bool,
    pub(crate) dist: dist::Options,
    pub(crate) state: Option<PathBuf>,
    pub(crate) terraform_args: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Deploy,
    Destroy,
}

impl Invocation {
    fn parse(args: &[String], verb: Verb) -> Result<Option<Invocation>> {
        let usage = match verb {
            Verb::Deploy => DEPLOY_USAGE,
            Verb::Destroy => DESTROY_USAGE,
        };
        let mut inv = Invocation::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--" => {
                    inv.terraform_args = rest.by_ref().cloned().collect();
                }
                "-h" | "--help" => {
                    print!("{usage}");
                    return Ok(None);
                }
                "--plan" if verb == Verb::Deploy => inv.plan = true,
                "--state" => {
                    let file = rest.next().context("--state needs a file name")?;
                    inv.state = Some(PathBuf::from(file));
                }
                other => {
                    if let Some(file) = other.strip_prefix("--state=") {
                        inv.state = Some(PathBuf::from(file));
                    } else if verb == Verb::Destroy || !inv.dist.take_flag(other, &mut rest)? {
                        eprint!("{usage}");
                        let hint = if other.starts_with("-var") || other.starts_with("-auto") {
                            format!("; Terraform arguments go after `--`, e.g. `-- {other}`")
                        } else {
                            String::new()
                        };
                        bail!("unknown argument `{other}`{hint}");
                    }
                }
            }
        }
        Ok(Some(inv))
    }
}

/// `cargo xtask deploy [...]`.
pub(crate) fn deploy_main(args: &[String]) -> Result<()> {
    let Some(inv) = Invocation::parse(args, Verb::Deploy)? else {
        return Ok(());
    };
    deploy(&util::workspace_root()?, &inv, &[])
}

/// `cargo xtask destroy [...]`.
pub(crate) fn destroy_main(args: &[String]) -> Result<()> {
    let Some(inv) = Invocation::parse(args, Verb::Destroy)? else {
        return Ok(());
    };
    destroy(&util::workspace_root()?, &inv, &[])
}

/// Parses arguments as `cargo xtask deploy` would (for the tests).
pub(crate) fn parse_deploy(args: &[&str]) -> Result<Invocation> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    Invocation::parse(&args, Verb::Deploy)?.context("help requested")
}

/// Parses arguments as `cargo xtask destroy` would (for the tests).
pub(crate) fn parse_destroy(args: &[&str]) -> Result<Invocation> {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    Invocation::parse(&args, Verb::Destroy)?.context("help requested")
}

/// Deploys with `env` added to the process environment of every child
/// (the test step passes moto's endpoint and credentials this way).
pub(crate) fn deploy(root: &Path, inv: &Invocation, env: &[(String, String)]) -> Result<()> {
    // Check the cheap things before a release build that can take minutes.
    let stack = Stack::prepare(root, inv, env)?;
    let zip = dist::dist(root, inv.dist)?;
    stack.init()?;
    let mut args = vec![
        format!("-var=lambda_zip_path={}", zip.display()),
        format!("-var=architecture={}", inv.dist.arch.lambda_name()),
    ];
    args.extend(stack.emulator_vars());
    args.extend(inv.terraform_args.iter().cloned());
    let verb = if inv.plan { "plan" } else { "apply" };
    let started = Instant::now();
    util::step(&format!(
        "terraform {verb} (infra/, {})",
        stack.target_name()
    ));
    stack.run(verb, &args)?;
    eprintln!(
        "xtask: terraform {verb} took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Destroys the stack that `deploy` made.
pub(crate) fn destroy(root: &Path, inv: &Invocation, env: &[(String, String)]) -> Result<()> {
    let stack = Stack::prepare(root, inv, env)?;
    stack.init()?;
    // The configuration reads the package while planning, also for destroy;
    // the path only has to name an existing file.
    let zip = root.join(dist::ZIP_PATH);
    let placeholder = root.join("infra/tests/fixtures/placeholder.zip");
    let zip = if zip.is_file() { zip } else { placeholder };
    let mut args = vec![format!("-var=lambda_zip_path={}", zip.display())];
    args.extend(stack.emulator_vars());
    args.extend(inv.terraform_args.iter().cloned());
    let started = Instant::now();
    util::step(&format!(
        "terraform destroy (infra/, {})",
        stack.target_name()
    ));
    stack.run("destroy", &args)?;
    eprintln!(
        "xtask: terraform destroy took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where Terraform will apply the configuration.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Emulator(String),
    Aws,
}

/// Terraform in infra/ with the environment for one target.
pub(crate) struct Stack {
    infra: PathBuf,
    env: Vec<(String, OsString)>,
    state: Option<PathBuf>,
    target: Target,
}

impl Stack {
    fn prepare(root: &Path, inv: &Invocation, overrides: &[(String, String)]) -> Result<Stack> {
        let lookup = |key: &str| -> Option<String> {
            overrides
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(key).ok())
                .filter(|v| !v.is_empty())
        };
        let tf = terraform::prepare(root)?.context(
            "terraform is not installed; install Terraform 1.6 or newer \
             (https://developer.hashicorp.com/terraform/install) and run again",
        )?;
        let mut env: Vec<(String, OsString)> = overrides
            .iter()
            .map(|(k, v)| (k.clone(), OsString::from(v)))
            .collect();
        env.extend(tf.env().into_iter().map(|(k, v)| (k, OsString::from(v))));

        let target = match lookup("AWS_ENDPOINT_URL") {
            Some(url) if is_loopback_url(&url) => Target::Emulator(url),
            Some(url) => {
                eprintln!(
                    "xtask: note: AWS_ENDPOINT_URL={url} is not a loopback address; \
                     deploying with every protection, as to AWS"
                );
                Target::Aws
            }
            None => Target::Aws,
        };
        match &target {
            Target::Emulator(_) => {
                // Never hand real credentials to an emulator, nor need them.
                if lookup("AWS_ACCESS_KEY_ID").is_none() {
                    for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
                        env.push((key.to_owned(), "testing".into()));
                    }
                }
            }
            Target::Aws => {
                let home = std::env::var_os("HOME").map(PathBuf::from);
                if let Some(missing) = missing_credentials(&lookup, home.as_deref()) {
                    bail!("{missing}");
                }
            }
        }

        let state = match &inv.state {
            Some(file) => {
                let file = std::path::absolute(file)?;
                let dir = file.parent().context("--state needs a file name")?;
                std::fs::create_dir_all(dir)?;
                // Providers and modules go beside the throwaway state, so a
                // user's own infra/.terraform is never touched.
                env.push(("TF_DATA_DIR".to_owned(), dir.join("tf-data").into()));
                Some(file)
            }
            None => None,
        };
        Ok(Stack {
            infra: root.join("infra"),
            env,
            state,
            target,
        })
    }

    fn target_name(&self) -> String {
        match &self.target {
            Target::Emulator(url) => format!("local emulator at {url}"),
            Target::Aws => "AWS".to_owned(),
        }
    }

    fn emulator_vars(&self) -> Vec<String> {
        match self.target {
            Target::Emulator(_) => vec!["-var=local_emulator=true".to_owned()],
            Target::Aws => Vec::new(),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("terraform");
        cmd.arg(format!("-chdir={}", self.infra.display()));
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn init(&self) -> Result<()> {
        util::step("terraform init (infra/)");
        let mut cmd = self.command();
        cmd.args(["init", "-input=false"]);
        if let Some(state) = &self.state {
            // A data directory of its own, so -reconfigure never touches a
            // user's backend; it only forgets an earlier --state path.
            cmd.arg(format!("-backend-config=path={}", state.display()))
                .arg("-reconfigure");
        }
        util::run(&mut cmd, "terraform init").context(
            "terraform init failed; offline, the AWS provider must be in a local mirror \
             (see infra/README.md)",
        )
    }

    /// `terraform <verb> ARGS`.
    fn run(&self, verb: &str, args: &[String]) -> Result<()> {
        util::run(&mut self.verb(verb, args), &format!("terraform {verb}"))
    }

    fn verb(&self, verb: &str, args: &[String]) -> Command {
        let mut cmd = self.command();
        cmd.arg(verb).args(args);
        cmd
    }

    /// The standard output of `terraform <verb> ARGS`.
    pub(crate) fn capture(&self, verb: &str, args: &[&str]) -> Result<String> {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let out = self
            .verb(verb, &args)
            .stderr(std::process::Stdio::inherit())
            .output()
            .with_context(|| format!("could not start `terraform {verb}`"))?;
        if !out.status.success() {
            bail!("`terraform {verb}` failed ({})", out.status);
        }
        String::from_utf8(out.stdout).context("terraform printed non-UTF-8 output")
    }
}

/// The Terraform set-up `deploy` and `destroy` use, for inspecting a stack.
pub(crate) fn stack(root: &Path, inv: &Invocation, env: &[(String, String)]) -> Result<Stack> {
    Stack::prepare(root, inv, env)
}

/// Whether an endpoint URL names this machine (a local emulator).
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A message naming what to set when no credential source is visible.
/// Instance roles without any configuration cannot be seen offline; an
/// AWS_PROFILE with `credential_source = Ec2InstanceMetadata` covers them.
fn missing_credentials(
    lookup: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Option<String> {
    let from_env = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]
    .iter()
    .any(|k| lookup(k).is_some());
    let files = [
        lookup("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from),
        lookup("AWS_CONFIG_FILE").map(PathBuf::from),
        home.map(|h| h.join(".aws/credentials")),
        home.map(|h| h.join(".aws/config")),
    ];
    if from_env || files.iter().flatten().any(|f| f.is_file()) {
        return None;
    }
    Some(
        "no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`), \
         or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; on an EC2 instance use a profile with \
         `credential_source = Ec2InstanceMetadata`. To deploy into a local emulator instead, \
         set AWS_ENDPOINT_URL=http://127.0.0.1:PORT"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_are_emulators() {
        for url in [
            "http://127.0.0.1:5000",
            "http://127.0.0.42:5000/",
            "http://localhost:4566",
            "https://LOCALHOST",
            "http://[::1]:5000",
            "http://user@127.0.0.1:1",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://s3.eu-central-1.amazonaws.com",
            "http://10.0.0.5:5000",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn credentials_are_found_in_env_or_files() {
        let none = |_: &str| None;
        let no_home = Path::new("/nonexistent-home-for-xtask-test");
        let msg = missing_credentials(&none, Some(no_home)).unwrap();
        assert!(msg.contains("AWS_PROFILE"), "{msg}");
        let profile = |k: &str| (k == "AWS_PROFILE").then(|| "prod".to_owned());
        assert!(missing_credentials(&profile, Some(no_home)).is_none());

        let dir = std::env::temp_dir().join(format!("xtask-creds-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(dir.join(".aws/config"), "[default]\n").unwrap();
        let found = missing_credentials(&none, Some(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(found.is_none());
    }

    #[test]
    fn arguments() {
        let inv = parse_deploy(&[
            "--plan",
            "--arch",
            "arm64",
            "--state",
            "/tmp/s.tfstate",
            "--",
            "-var",
            "bucket_name=b",
            "--plan",
        ])
        .unwrap();
        assert!(inv.plan);
        assert_eq!(inv.dist.arch, dist::Arch::Arm64);
        assert_eq!(inv.state, Some(PathBuf::from("/tmp/s.tfstate")));
        // Everything after `--` is Terraform's, even what looks like ours.
        assert_eq!(inv.terraform_args, ["-var", "bucket_name=b", "--plan"]);

        let err = parse_deploy(&["-auto-approve"]).unwrap_err().to_string();
        assert!(err.contains("after `--`"), "{err}");
        assert!(parse_destroy(&["--plan"]).is_err());
        assert!(parse_destroy(&["--arch", "arm64"]).is_err());
        assert_eq!(
            parse_destroy(&["--state=x", "--", "-auto-approve"]).unwrap(),
            Invocation {
                state: Some(PathBuf::from("x")),
                terraform_args: vec!["-auto-approve".to_owned()],
                ..Invocation::default()
            }
        );
    }
}
