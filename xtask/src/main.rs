//! Project automation, run as `cargo xtask <command>`.
//!
//! `test` is the one command that runs every check on a fresh machine: it
//! installs what the tests need when it is missing, starts the local AWS
//! emulator for the duration, and stops it again whatever happens.

mod bench;
mod demo;
mod deploy;
mod dist;
mod elf;
mod infra_test;
mod lambda_zip;
mod moto;
mod sim_process;
mod terraform;
mod tidy;
mod util;
mod venv;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test      install test prerequisites, start moto, run fmt, clippy and every test
  bench     end-to-end benchmark against jira-sim and tap-jira; writes docs/benchmarks.md
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
        "dist" => dist::main(rest),
        "deploy" => deploy::deploy_main(rest),
        "destroy" => deploy::destroy_main(rest),
        "demo" => demo::main(rest),
        "bench" => bench::main(rest),
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

    // `--all-features` everywhere: the AWS backends (state-store's `aws`
    // feature) and every optional part are linted and tested, and all steps
    // share one feature set, so nothing is compiled twice.
    util::step("cargo clippy (warnings denied)");
    util::cargo(&[
        "clippy",
        "--workspace",
        "--all-features",
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

    // With moto running: terraform test, checkov, the Lambda package, and a
    // real apply/verify/destroy against moto. It runs before the workspace
    // tests so that the test runner's summary closes the output.
    match &tf {
        Some(tf) => infra_test::run(&root, tf, &env)?,
        None => eprintln!("xtask: warning: terraform is not installed; the infra step is skipped"),
    }

    // Doc tests first: the closing line of the run is then the main test
    // runner's summary, which is what CI reads.
    util::step("doc tests");
    util::cargo_with_env(
        &["test", "--workspace", "--all-features", "--locked", "--doc"],
        &env,
    )?;
    util::step("workspace tests");
    if util::has_nextest() {
        util::cargo_with_env(
            &[
                "nextest",
                "run",
                "--workspace",
                "--all-features",
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
                "--all-features",
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
