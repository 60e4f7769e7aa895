//! `jira-sim`: runs the Jira Cloud simulator on 127.0.0.1.

fn main() -> std::process::ExitCode {
    eprintln!("jira-sim: the simulator is not built yet (see issue 5)");
    std::process::ExitCode::from(1)
}
