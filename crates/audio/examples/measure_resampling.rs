//! Measures what resampling costs a call: the CPU time to move one minute of sound through the
//! playback and capture resamplers for each codec rate against the usual device rates, as a
//! share of one core. `cargo run --release -p voicelamp-audio --example measure_resampling`.

use std::time::Instant;

use voicelamp_audio::measure::resample_seconds;

fn main() {
    let seconds = 60;
    println!("resampling {seconds} s of sound each way (share of one core while a call runs):");
    for codec in [8000u32, 16000, 48000] {
        for device in [44100u32, 48000] {
            let start = Instant::now();
            let made =
                resample_seconds(codec, device, seconds) + resample_seconds(device, codec, seconds);
            let spent = start.elapsed().as_secs_f64();
            println!(
                "  codec {codec:>5} Hz <-> device {device} Hz: {:.3} % of a core ({made} samples made)",
                spent / f64::from(seconds) * 100.0
            );
        }
    }
}
