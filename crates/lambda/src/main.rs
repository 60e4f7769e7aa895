//! `bootstrap`: the AWS Lambda (provided.al2023) front end. It builds the AWS
//! clients once at init and runs one incremental sync per invocation.

fn main() -> std::process::ExitCode {
    eprintln!("bootstrap: the Lambda handler is not built yet (see issue 9)");
    std::process::ExitCode::from(1)
}
