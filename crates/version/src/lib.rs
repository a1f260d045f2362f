//! The version every Voicelamp program prints for `--version`: the workspace's version and, when
//! built from a git checkout, the commit and its date (`voicelamp 0.1.0 (60faa985a 2026-12-04)`).
//! Built from a tarball it is the version alone, unless the build's environment sets
//! `VOICELAMP_REVISION`. `build.rs` finds the revision (`src/revision.rs`).

/// The workspace version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the programs were built from and its date, e.g. `60faa985a 2026-12-04`; `None`
/// when built from a tarball.
pub const REVISION: Option<&str> = option_env!("VOICELAMP_REVISION");

/// The version with the revision: `0.1.0 (60faa985a 2026-12-04)`, or `0.1.0`.
pub const LONG: &str = env!("VOICELAMP_LONG_VERSION");

/// The line `--version` prints for `program`: `voicelamp 0.1.0 (60faa985a 2026-12-04)`.
pub fn line(program: &str) -> String {
    format!("{program} {LONG}")
}

/// Whether the command line (without the program's name) asks for the version: `--version` or
/// `-V`.
pub fn asked<S: AsRef<str>>(args: &[S]) -> bool {
    args.iter()
        .any(|arg| matches!(arg.as_ref(), "--version" | "-V"))
}

#[cfg(test)]
#[path = "revision.rs"]
mod revision;

#[cfg(test)]
mod tests;
