fn main() {
    std::process::exit(voicelamp_desktop::main());
}
