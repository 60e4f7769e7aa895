//! Project automation, run as `cargo xtask <command>`.
//!
//! `test` is the one command that runs every check on a fresh machine: it
//! installs what the tests need when it is missing, starts the local AWS
//! emulator for the duration, and stops it again whatever happens.

mod moto;
mod terraform;
mod tidy;
mod util;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test      install test prerequisites, start moto, run fmt, clippy and every test
  demo      start the bundled Jira simulator, sync it into ./jira-data, show the result
  dist      build the Lambda for provided.al2023 into target/lambda/jira-ingest-lambda.zip
  deploy    dist, then terraform init + apply in infra/ (--plan for plan only)
  destroy   terraform destroy in infra/
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        bail!("no command given");
    };
    match command.as_str() {
        "test" => test(rest),
        "demo" | "dist" | "deploy" | "destroy" => bail!(
            "`cargo xtask {command}` is not built yet: it arrives with the CLI, Lambda and \
             infrastructure issues; `cargo xtask test` works today"
        ),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            bail!("unknown command `{other}`")
        }
    }
}

/// Runs formatting, lints and every test with moto's server running.
fn test(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask test` takes no arguments (got `{arg}`)");
    }
    let root = util::workspace_root()?;
    std::env::set_current_dir(&root)?;

    util::step("cargo fmt --check");
    util::cargo(&["fmt", "--all", "--check"])?;

    util::step("cargo clippy (warnings denied)");
    util::cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])?;

    let tf = terraform::prepare(&root)?;
    if let Some(tf) = &tf {
        util::step("terraform fmt and validate (infra/)");
        tf.check_infra()?;
    }

    util::step("starting moto (local AWS emulator)");
    let moto = moto::Moto::start(&root)?;
    let mut env = moto.env();
    if let Some(tf) = &tf {
        env.extend(tf.env());
    }

    // Doc tests first: the closing line of the run is then the main test
    // runner's summary, which is what CI reads.
    util::step("doc tests");
    util::cargo_with_env(&["test", "--workspace", "--locked", "--doc"], &env)?;
    util::step("workspace tests");
    if util::has_nextest() {
        util::cargo_with_env(
            &[
                "nextest",
                "run",
                "--workspace",
                "--locked",
                "--no-tests=fail",
            ],
            &env,
        )?;
    } else {
        util::cargo_with_env(
            &[
                "test",
                "--workspace",
                "--locked",
                "--lib",
                "--bins",
                "--tests",
            ],
            &env,
        )?;
    }

    drop(moto);
    eprintln!("xtask: all checks passed");
    Ok(())
}
