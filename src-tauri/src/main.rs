// A release build on Windows is a GUI program: no console window opens beside the app (a link
// click or the login item start it too). Debug builds keep the console for their logs.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

fn main() {
    voicelamp_app::run()
}
