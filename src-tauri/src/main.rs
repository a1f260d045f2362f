fn main() {
    voicelamp_app::run()
}
