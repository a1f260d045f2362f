//! Regenerates `ui/src/bindings.ts` from the Rust contract: `cargo run -p voicelamp-window --example voicelamp-bindings`.

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(voicelamp_app::bindings::BINDINGS_PATH);
    if let Err(err) = voicelamp_app::bindings::export(&path) {
        eprintln!("could not write {}: {err}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}
