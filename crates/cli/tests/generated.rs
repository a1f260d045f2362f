//! What `voicelamp-cli` says about itself: `--version`, and the man pages and completions
//! committed in `crates/cli/doc`, which must be exactly what its clap definitions write. After
//! changing a command or option, regenerate them with
//! `cargo run -p voicelamp-cli -- --generate crates/cli/doc` and commit them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"))
}

/// Every file under `dir`, by its path inside it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    for sub in ["man", "completions"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let name = format!("{sub}/{}", entry.file_name().to_string_lossy());
            found.insert(name, std::fs::read(entry.path()).unwrap());
        }
    }
    found
}

#[test]
fn version_is_the_workspace_version_with_the_revision_it_was_built_from() {
    for flag in ["--version", "-V"] {
        let output = cli().arg(flag).output().unwrap();
        assert!(output.status.success(), "{flag}: {output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            stdout,
            format!("{}\n", voicelamp_version::line("voicelamp-cli"))
        );
        assert!(
            stdout.starts_with(&format!("voicelamp-cli {} ", env!("CARGO_PKG_VERSION")))
                || stdout == format!("voicelamp-cli {}\n", env!("CARGO_PKG_VERSION")),
            "{stdout}"
        );
    }
}

#[test]
fn committed_man_pages_and_completions_match_the_clap_definitions() {
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("doc");
    let fresh_dir = tempfile::tempdir().unwrap();
    let status = cli()
        .arg("--generate")
        .arg(fresh_dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let committed = files(&committed_dir);
    let fresh = files(fresh_dir.path());
    assert!(
        fresh.contains_key("man/voicelamp-cli.1"),
        "{:?}",
        fresh.keys()
    );
    for name in ["voicelamp-cli.bash", "_voicelamp-cli", "voicelamp-cli.fish"] {
        assert!(
            fresh.contains_key(&format!("completions/{name}")),
            "{:?}",
            fresh.keys()
        );
    }
    let stale: BTreeSet<&String> = fresh
        .keys()
        .chain(committed.keys())
        .filter(|name| fresh.get(*name) != committed.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "crates/cli/doc is out of date ({stale:?}): run `cargo run -p voicelamp-cli -- --generate crates/cli/doc` (remove pages of commands that are gone) and commit it"
    );
}

#[test]
fn the_generated_files_name_every_command_but_not_the_generator() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        cli()
            .arg("--generate")
            .arg(dir.path())
            .status()
            .unwrap()
            .success()
    );
    let written = files(dir.path());
    for command in ["watch", "status", "check", "mailbox"] {
        assert!(written.contains_key(&format!("man/voicelamp-cli-{command}.1")));
        let fish = String::from_utf8_lossy(&written["completions/voicelamp-cli.fish"]);
        assert!(fish.contains(&format!("-a \"{command}\"")), "{command}");
    }
    for (name, text) in &written {
        assert!(
            !String::from_utf8_lossy(text).contains("generate"),
            "{name}"
        );
    }
    let page = String::from_utf8_lossy(&written["man/voicelamp-cli.1"]);
    assert!(
        page.contains(&format!(
            ".TH voicelamp-cli 1  \"voicelamp-cli {}\"",
            env!("CARGO_PKG_VERSION")
        )),
        "the page carries the plain version, not the revision: {page}"
    );
}

#[test]
fn generate_into_a_folder_that_cannot_be_made_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = cli().arg("--generate").arg(file).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot write the man pages and completions into"),
        "{stderr}"
    );
}
