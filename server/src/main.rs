//! `server` — serves elumo pass. Configuration comes from the environment (see the README).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    server::init_tracing();
    let config = match app::config::Config::from_env() {
        Ok(c) => c,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => match server::serve(config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
        Some("--help" | "-h" | "help") => {
            println!("usage: server [serve]\n\nServes elumo pass. Configuration comes from ELUMO_* environment variables and DATABASE_URL; see README.md.");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown command {other:?}; try `server --help`");
            ExitCode::from(2)
        }
    }
}
