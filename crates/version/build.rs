//! Finds the git revision the programs are built from and hands it to `src/lib.rs` as
//! `VOICELAMP_REVISION`, and the whole version as `VOICELAMP_LONG_VERSION`. `VOICELAMP_REVISION`
//! in the build's environment wins: a packager building from a tarball may set it. Runs again
//! only when the checkout's HEAD moves.

#[path = "src/revision.rs"]
mod revision;

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-env-changed=VOICELAMP_REVISION");
    let given = std::env::var("VOICELAMP_REVISION")
        .ok()
        .filter(|r| !r.trim().is_empty());
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    // crates/version → the workspace's root, which must be the checkout's top level.
    let root = Path::new(&manifest_dir).join("../..");
    let found = match given {
        Some(given) => Some(given.trim().to_owned()),
        None => {
            let checkout = revision::of_checkout(&root);
            for path in checkout
                .as_ref()
                .map(|c| c.watch.clone())
                .unwrap_or_default()
            {
                println!("cargo::rerun-if-changed={}", path.display());
            }
            checkout.map(|c| c.revision)
        }
    };
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    match found {
        Some(revision) => {
            println!("cargo::rustc-env=VOICELAMP_REVISION={revision}");
            println!("cargo::rustc-env=VOICELAMP_LONG_VERSION={version} ({revision})");
        }
        None => println!("cargo::rustc-env=VOICELAMP_LONG_VERSION={version}"),
    }
}
