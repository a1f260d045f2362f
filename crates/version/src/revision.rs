//! The git revision of a checkout, for the build script (and its tests).

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the build knows about the checkout it is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The abbreviated commit and its date, e.g. `60faa985a 2026-12-04`.
    pub revision: String,
    /// The files whose change means HEAD moved: the worktree's `HEAD`, the branch it points to,
    /// the packed refs.
    pub watch: Vec<PathBuf>,
}

/// The revision of the git checkout whose top level is `root`; `None` when `root` is not one (a
/// tarball, also one unpacked inside another project's checkout) or git is not installed.
pub fn of_checkout(root: &Path) -> Option<Checkout> {
    let root = root.canonicalize().ok()?;
    let toplevel = git(&root, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&toplevel).canonicalize().ok()? != root {
        return None;
    }
    let revision = git(
        &root,
        &["log", "-1", "--abbrev=9", "--format=%h %cs", "HEAD"],
    )?;
    let git_dir = PathBuf::from(git(&root, &["rev-parse", "--absolute-git-dir"])?);
    let common_dir = root.join(git(&root, &["rev-parse", "--git-common-dir"])?);
    let mut watch = vec![git_dir.join("HEAD"), common_dir.join("packed-refs")];
    if let Some(branch) = git(&root, &["symbolic-ref", "-q", "HEAD"]) {
        // A branch only in packed-refs gets its own file at the next commit: watch the folder
        // it will appear in.
        let loose = common_dir.join(branch);
        watch.extend(
            loose
                .ancestors()
                .find(|path| path.exists())
                .map(Path::to_path_buf),
        );
    }
    // A path that does not exist would make cargo run the build script on every build.
    watch.retain(|path| path.exists());
    Some(Checkout { revision, watch })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}
