//! The committed `ui/src/bindings.ts` must be exactly what the Rust contract generates; regenerate
//! it with `cargo run -p voicelamp-window --example voicelamp-bindings` after changing a command, event or type.

use std::path::Path;

#[test]
fn committed_bindings_match_the_rust_contract() {
    let committed_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(voicelamp_app::bindings::BINDINGS_PATH);
    let committed =
        std::fs::read_to_string(&committed_path).expect("ui/src/bindings.ts is committed");
    let fresh_path =
        std::env::temp_dir().join(format!("voicelamp-bindings-{}.ts", std::process::id()));
    voicelamp_app::bindings::export(&fresh_path).expect("export bindings");
    let fresh = std::fs::read_to_string(&fresh_path).expect("read fresh bindings");
    let _ = std::fs::remove_file(&fresh_path);
    assert!(
        committed == fresh,
        "ui/src/bindings.ts is out of date: run `cargo run -p voicelamp-window --example voicelamp-bindings` and commit it"
    );
}
