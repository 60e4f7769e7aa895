//! Python tools in the project's virtualenv (`.venv/`), installed from PyPI
//! when the machine does not already have them: the same place `moto.rs`
//! installs moto's server into.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, Result, bail};

use crate::util;

/// A command-line tool that answers `<program> <probe>` successfully:
/// `.venv/bin/<program>`, then `PATH`, then a fresh `pip install
/// <requirement>` into `.venv/`.
pub(crate) fn tool(root: &Path, program: &str, probe: &str, requirement: &str) -> Result<PathBuf> {
    let in_venv = root.join(".venv").join("bin").join(program);
    if util::program_works(&in_venv.to_string_lossy(), probe) {
        return Ok(in_venv);
    }
    if let Some(found) = util::which(program)
        && util::program_works(&found.to_string_lossy(), probe)
    {
        return Ok(found);
    }
    pip_install(root, requirement)?;
    if !util::program_works(&in_venv.to_string_lossy(), probe) {
        bail!("{requirement} was installed into .venv/ but .venv/bin/{program} does not run");
    }
    Ok(in_venv)
}

/// A Python interpreter that can `import <module>`: the virtualenv's, then
/// `python3` on `PATH`, then the virtualenv's after `pip install <requirement>`.
pub(crate) fn python_with(root: &Path, module: &str, requirement: &str) -> Result<PathBuf> {
    let venv_python = root.join(".venv").join("bin").join("python");
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if imports(&venv_python) {
        return Ok(venv_python);
    }
    if let Some(python) = util::which("python3")
        && imports(&python)
    {
        return Ok(python);
    }
    pip_install(root, requirement)?;
    if !imports(&venv_python) {
        bail!("{requirement} was installed into .venv/ but `import {module}` still fails there");
    }
    Ok(venv_python)
}

fn pip_install(root: &Path, requirement: &str) -> Result<()> {
    let venv = root.join(".venv");
    eprintln!("xtask: installing {requirement} into .venv/");
    if !venv.join("bin").join("pip").is_file() {
        let python = ["python3", "python"]
            .into_iter()
            .find(|p| util::program_works(p, "--version"))
            .with_context(|| {
                format!(
                    "{requirement} is needed but python3 is not installed; install Python 3 \
                     (e.g. `apt-get install python3 python3-venv`) and run again"
                )
            })?;
        util::run(
            Command::new(python).args(["-m", "venv"]).arg(&venv),
            "python3 -m venv .venv",
        )
        .context("could not create .venv/; install the venv module (e.g. `apt-get install python3-venv`)")?;
    }
    util::run(
        Command::new(venv.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ]),
        &format!("pip install {requirement}"),
    )
    .with_context(|| {
        format!("could not install {requirement} from PyPI; check that PyPI is reachable")
    })
}
