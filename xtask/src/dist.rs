//! `cargo xtask dist`: the Lambda deployment package.
//!
//! Builds `bootstrap` (crate `lambda`) in release mode, proves from its ELF
//! headers that it runs on `provided.al2023` (glibc 2.34, the right machine,
//! no library the image lacks), and writes it as the only member of a
//! reproducible `target/lambda/jira-ingest-lambda.zip`.
//!
//! The default build is native: on an x86_64 Linux host whose glibc is 2.34
//! or older that is exactly what Lambda needs, and it shares the release
//! build with everything else. `--zigbuild` (and any architecture other than
//! the host's) builds with cargo-zigbuild against glibc 2.34 instead; it and
//! zig (PyPI's `ziglang`) are installed into `.tools/` and `.venv/` when
//! missing. Either way the ELF check decides, so a binary that would fail at
//! start on Lambda never becomes a package.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{elf, lambda_zip, util, venv};

/// Where the package goes, relative to the workspace root (contracts §5).
pub(crate) const ZIP_PATH: &str = "target/lambda/jira-ingest-lambda.zip";

/// Lambda's limit for a package uploaded directly (not through S3).
const DIRECT_UPLOAD_LIMIT: usize = 50 * 1000 * 1000;

/// The glibc that cargo-zigbuild links against: Amazon Linux 2023's.
const ZIG_GLIBC: &str = "2.34";

const USAGE: &str = "\
usage: cargo xtask dist [--arch x86_64|arm64] [--zigbuild]

Builds crates/lambda's `bootstrap` in release mode for provided.al2023 and
writes target/lambda/jira-ingest-lambda.zip.

  --arch      instruction set of the function (default x86_64); arm64 needs
              `rustup target add aarch64-unknown-linux-gnu`
  --zigbuild  link against glibc 2.34 with cargo-zigbuild (installed when missing)
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    fn parse(s: &str) -> Result<Arch> {
        match s {
            "x86_64" | "amd64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            other => bail!("unknown architecture `{other}`: use x86_64 or arm64"),
        }
    }

    /// The name Lambda and the Terraform variable `architecture` use.
    pub(crate) fn lambda_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => elf::EM_X86_64,
            Arch::Arm64 => elf::EM_AARCH64,
        }
    }

    fn host() -> Option<Arch> {
        match (std::env::consts::OS, std::env::consts::ARCH) {
            ("linux", "x86_64") => Some(Arch::X86_64),
            ("linux", "aarch64") => Some(Arch::Arm64),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) arch: Arch,
    pub(crate) zigbuild: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            arch: Arch::X86_64,
            zigbuild: false,
        }
    }
}

impl Options {
    /// Consumes `--arch X`, `--arch=X` or `--zigbuild`; false for other flags.
    pub(crate) fn take_flag<'a>(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<bool> {
        if arg == "--zigbuild" {
            self.zigbuild = true;
        } else if arg == "--arch" {
            let value = rest
                .next()
                .context("--arch needs a value: x86_64 or arm64")?;
            self.arch = Arch::parse(value)?;
        } else if let Some(value) = arg.strip_prefix("--arch=") {
            self.arch = Arch::parse(value)?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }
}

/// `cargo xtask dist [...]`.
pub(crate) fn main(args: &[String]) -> Result<()> {
    let mut opts = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "-h" || arg == "--help" {
            print!("{USAGE}");
            return Ok(());
        }
        if !opts.take_flag(arg, &mut rest)? {
            eprint!("{USAGE}");
            bail!("unknown argument `{arg}` for `cargo xtask dist`");
        }
    }
    let root = util::workspace_root()?;
    dist(&root, opts)?;
    Ok(())
}

/// The Lambda package and the binary inside it.
pub(crate) struct Package {
    pub(crate) zip: PathBuf,
    pub(crate) bootstrap: PathBuf,
}

/// Builds, checks and packages `bootstrap`; returns the zip's absolute path.
pub(crate) fn dist(root: &Path, opts: Options) -> Result<PathBuf> {
    package(root, opts).map(|p| p.zip)
}

/// [`dist`], also naming the built binary.
pub(crate) fn package(root: &Path, opts: Options) -> Result<Package> {
    let started = Instant::now();
    util::step(&format!(
        "dist: release build of bootstrap for provided.al2023 ({})",
        opts.arch.lambda_name()
    ));
    let binary = build(root, opts)?;
    let bytes =
        std::fs::read(&binary).with_context(|| format!("could not read {}", binary.display()))?;
    let req = elf::requirements(&bytes)
        .with_context(|| format!("could not read the ELF headers of {}", binary.display()))?;
    elf::check_al2023(&req, opts.arch.elf_machine())
        .with_context(|| format!("{} cannot run on AWS Lambda", binary.display()))?;

    let zip = lambda_zip::write(&[lambda_zip::Entry {
        name: "bootstrap".to_owned(),
        mode: 0o100_755,
        data: bytes,
    }])?;
    if zip.len() > DIRECT_UPLOAD_LIMIT {
        bail!(
            "the package is {} bytes, over Lambda's 50 MB limit for direct uploads; \
             shrink the binary (features, opt-level = \"z\") before deploying",
            zip.len()
        );
    }
    let path = root.join(ZIP_PATH);
    write_atomically(&path, &zip)?;
    let glibc = req
        .max_glibc()
        .map_or_else(|| "no glibc".to_owned(), |(a, b)| format!("glibc {a}.{b}"));
    eprintln!(
        "xtask: wrote {} ({} bytes; bootstrap {} bytes, {}, needs {glibc}) in {:.1} s",
        ZIP_PATH,
        zip.len(),
        std::fs::metadata(&binary)?.len(),
        opts.arch.lambda_name(),
        started.elapsed().as_secs_f64()
    );
    Ok(Package {
        zip: path,
        bootstrap: binary,
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("package path has no directory")?;
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("zip.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("could not write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("could not write {}", path.display()))
}

/// Runs the release build and returns the path of the `bootstrap` it made.
fn build(root: &Path, opts: Options) -> Result<PathBuf> {
    let native = !opts.zigbuild && Arch::host() == Some(opts.arch);
    let mut cmd = if native {
        let mut cmd = Command::new(cargo_bin());
        cmd.arg("build");
        cmd
    } else {
        require_rust_target(opts.arch)?;
        let (zigbuild, path) = zigbuild(root)?;
        let mut cmd = Command::new(zigbuild);
        cmd.arg("zigbuild")
            .arg(format!("--target={}.{ZIG_GLIBC}", opts.arch.triple()))
            .env("PATH", path);
        cmd
    };
    cmd.current_dir(root)
        .args([
            "--release",
            "--locked",
            "--package",
            "lambda",
            "--bin",
            "bootstrap",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped());
    let name = if native {
        "cargo build --release -p lambda --bin bootstrap"
    } else {
        "cargo zigbuild --release -p lambda --bin bootstrap"
    };
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{name}`"))?;
    let stdout = child.stdout.take().context("no stdout from cargo")?;
    let mut executable = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == "bootstrap"
            && let Some(exe) = msg["executable"].as_str()
        {
            executable = Some(PathBuf::from(exe));
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("`{name}` failed ({status})");
    }
    executable.with_context(|| format!("`{name}` reported no bootstrap executable"))
}

/// The cargo that runs us, so toolchain overrides carry through.
fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn require_rust_target(arch: Arch) -> Result<()> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("could not run rustc")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !sysroot
        .join("lib/rustlib")
        .join(arch.triple())
        .join("lib")
        .is_dir()
    {
        bail!(
            "the Rust standard library for {} is not installed; run \
             `rustup target add {}` and try again",
            arch.triple(),
            arch.triple()
        );
    }
    Ok(())
}

/// cargo-zigbuild and a zig it can run: from `PATH`, else cargo-zigbuild
/// installed into `.tools/` and zig from PyPI's `ziglang` into `.venv/`.
/// Returns the program and the `PATH` to run it with.
fn zigbuild(root: &Path) -> Result<(PathBuf, std::ffi::OsString)> {
    let tools = root.join(".tools").join("bin");
    let program = match util::which("cargo-zigbuild") {
        Some(found) => found,
        None => {
            let local = tools.join("cargo-zigbuild");
            if !local.is_file() {
                eprintln!("xtask: installing cargo-zigbuild into .tools/ (a few minutes, once)");
                util::run(
                    Command::new(cargo_bin())
                        .args(["install", "--locked", "--root"])
                        .arg(root.join(".tools"))
                        .arg("cargo-zigbuild"),
                    "cargo install cargo-zigbuild",
                )
                .context(
                    "could not install cargo-zigbuild; install it yourself with \
                     `cargo install --locked cargo-zigbuild`",
                )?;
            }
            local
        }
    };
    // cargo-zigbuild runs `zig` from PATH, or else `python3 -m ziglang`.
    let mut dirs = vec![tools];
    if util::which("zig").is_none() {
        let python = venv::python_with(root, "ziglang", "ziglang")?;
        dirs.extend(python.parent().map(Path::to_path_buf));
    }
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    dirs.extend(std::env::split_paths(&inherited));
    let path = std::env::join_paths(dirs).context("PATH contains an invalid directory")?;
    Ok((program, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let mut opts = Options::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if !opts.take_flag(arg, &mut rest)? {
                bail!("unknown {arg}");
            }
        }
        Ok(opts)
    }

    #[test]
    fn flags() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        let arm = parse(&["--arch", "arm64", "--zigbuild"]).unwrap();
        assert_eq!(
            arm,
            Options {
                arch: Arch::Arm64,
                zigbuild: true
            }
        );
        assert_eq!(parse(&["--arch=aarch64"]).unwrap().arch, Arch::Arm64);
        assert!(parse(&["--arch"]).is_err());
        assert!(parse(&["--arch", "sparc"]).is_err());
        assert!(parse(&["--release"]).is_err());
    }
}
