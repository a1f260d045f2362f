//! `voicelamp-cli --generate DIR`: the man pages (`DIR/man/voicelamp-cli*.1`, one per command)
//! and the bash, zsh and fish completions (`DIR/completions/`), written from the clap
//! definitions. The package installs them; `tests/generated.rs` checks that the committed copies
//! in `crates/cli/doc` are current. Regenerate them with
//! `cargo run -p voicelamp-cli -- --generate crates/cli/doc`.
//!
//! The flag is read before clap parses the command line, so it stays out of the help, the pages
//! and the completions it writes.

use clap::CommandFactory as _;
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

const FLAG: &str = "--generate";

/// Writes the files when the command line is `--generate DIR`; the exit code then.
pub fn run_if_asked() -> Option<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let [flag, dir] = args.as_slice() else {
        return None;
    };
    if flag != FLAG {
        return None;
    }
    let dir = Path::new(dir);
    Some(match write_all(dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "voicelamp-cli: cannot write the man pages and completions into {}: {e}",
                dir.display()
            );
            ExitCode::FAILURE
        }
    })
}

/// The command as documented: with the plain version, as a page must not change with every commit.
fn command() -> clap::Command {
    crate::Cli::command().version(voicelamp_version::VERSION)
}

fn write_all(dir: &Path) -> std::io::Result<()> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    clap_mangen::generate_to(command(), &man)?;
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        clap_complete::generate_to(shell, &mut command(), "voicelamp-cli", &completions)?;
    }
    Ok(())
}
