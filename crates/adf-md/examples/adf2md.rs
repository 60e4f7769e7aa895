//! Converts one ADF JSON document to Markdown.
//!
//! ```sh
//! cargo run -p adf-md --example adf2md -- description.json
//! jq .fields.description issue.json | cargo run -p adf-md --example adf2md
//! ```
//!
//! Warnings go to stderr; the exit status is 1 when the input is not JSON
//! or cannot be read.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut input = String::new();
    let read = match std::env::args_os().nth(1) {
        Some(path) if path != "-" => std::fs::read_to_string(&path)
            .map(|s| input = s)
            .map_err(|e| format!("cannot read {}: {e}", path.to_string_lossy())),
        _ => std::io::stdin()
            .read_to_string(&mut input)
            .map(drop)
            .map_err(|e| format!("cannot read stdin: {e}")),
    };
    if let Err(e) = read {
        eprintln!("adf2md: {e}");
        return ExitCode::FAILURE;
    }
    match adf_md::convert_str(&input, &adf_md::Options::new()) {
        Ok(out) => {
            for w in &out.warnings {
                eprintln!("adf2md: warning: {w}");
            }
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(out.markdown.as_bytes()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("adf2md: {e}");
            ExitCode::FAILURE
        }
    }
}
