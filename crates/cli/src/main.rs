//! `jira-ingest`: the command-line front end. It wires the local or AWS
//! backends into `ingest-core` and maps outcomes to exit codes.

fn main() -> std::process::ExitCode {
    eprintln!("jira-ingest: the command line is not built yet (see issue 9)");
    std::process::ExitCode::from(1)
}
