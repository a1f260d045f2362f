//! `voicelamp-cli`: Voicelamp without a desktop. It reads the same configuration as the app and
//! prints the engine's state and events for people and scripts.

fn main() {
    println!(
        "{} {}",
        voicelamp_core::PRODUCT_NAME,
        voicelamp_core::VERSION
    );
}
