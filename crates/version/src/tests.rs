use super::revision::of_checkout;
use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
        .output()
        .expect("git is installed (Debian: apt-get install git)");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn repo_with_a_commit() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
    git(dir.path(), &["add", "Cargo.toml"]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    dir
}

#[test]
fn a_checkout_gives_its_commit_and_date_and_the_files_that_move_with_head() {
    let repo = repo_with_a_commit();
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let checkout = of_checkout(repo.path()).expect("a checkout has a revision");
    assert_eq!(checkout.revision, format!("{} 2026-01-02", &head[..9]));
    let git_dir = repo.path().canonicalize().unwrap().join(".git");
    assert!(
        checkout.watch.contains(&git_dir.join("HEAD")),
        "{checkout:?}"
    );
    assert!(
        checkout.watch.contains(&git_dir.join("refs/heads/main")),
        "{checkout:?}"
    );
}

#[test]
fn a_branch_only_in_packed_refs_is_watched_through_its_folder() {
    let repo = repo_with_a_commit();
    git(repo.path(), &["pack-refs", "--all"]);
    let checkout = of_checkout(repo.path()).unwrap();
    let git_dir = repo.path().canonicalize().unwrap().join(".git");
    assert!(!git_dir.join("refs/heads/main").exists());
    assert!(
        checkout.watch.contains(&git_dir.join("refs/heads")),
        "{checkout:?}"
    );
    assert!(
        checkout.watch.contains(&git_dir.join("packed-refs")),
        "{checkout:?}"
    );
    assert!(
        checkout.watch.iter().all(|path| path.exists()),
        "{checkout:?}"
    );
}

#[test]
fn a_new_commit_changes_the_revision() {
    let repo = repo_with_a_commit();
    let first = of_checkout(repo.path()).unwrap().revision;
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "second"],
    );
    let second = of_checkout(repo.path()).unwrap().revision;
    assert_ne!(first, second);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert!(second.starts_with(&head[..9]), "{second}");
}

#[test]
fn a_tarball_has_no_revision() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
    assert_eq!(of_checkout(dir.path()), None);
}

#[test]
fn a_tarball_unpacked_inside_another_checkout_has_no_revision() {
    let repo = repo_with_a_commit();
    let unpacked = repo.path().join("vendor/voicelamp-0.1.0");
    std::fs::create_dir_all(&unpacked).unwrap();
    assert_eq!(of_checkout(&unpacked), None);
}

#[test]
fn the_line_names_the_program_and_the_workspace_version() {
    let line = super::line("voicelamp");
    match super::REVISION {
        Some(revision) => assert_eq!(line, format!("voicelamp {VERSION} ({revision})")),
        None => assert_eq!(line, format!("voicelamp {VERSION}")),
    }
}

#[test]
fn built_from_this_checkout_the_revision_is_its_head() {
    if std::env::var_os("VOICELAMP_REVISION").is_some() {
        // A packager's revision was given to the build; nothing to compare with.
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert_eq!(
        super::REVISION.map(str::to_owned),
        of_checkout(&root).map(|checkout| checkout.revision),
        "the revision the programs print is not the checkout's HEAD: the build script did not run again"
    );
}

#[test]
fn version_is_asked_by_either_flag_anywhere() {
    assert!(super::asked(&["--version"]));
    assert!(super::asked(&["--minimized", "-V"]));
    assert!(!super::asked(&["--minimized"]));
    assert!(!super::asked(&["sip:--version@example.org"]));
    assert!(!super::asked::<&str>(&[]));
}
