//! `wasio`: run WASI preview1 programs in a sandbox. See `wasio --help`.

use std::io::IsTerminal;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use wasio_host::cli::{Cli, Command};

fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let cli = Cli::parse_args();
    let result = match cli.command {
        Command::Run(args) => match args.to_config() {
            Ok(cfg) => cfg.run(),
            // A flag's value is wrong (a rule, an address, a directory):
            // the usage error status, as for one clap refuses.
            Err(e) => {
                eprintln!("wasio: {e:#}");
                return ExitCode::from(2);
            }
        },
        Command::Compile(args) => {
            let out = args
                .output
                .clone()
                .unwrap_or_else(|| args.module.with_extension("cwasm"));
            wasio_host::engine::engine(None, true)
                .and_then(|e| wasio_host::engine::compile(&e.engine, &args.module, &out))
                .map(|()| 0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("wasio: {e:#}");
            ExitCode::from(1)
        }
    }
}
