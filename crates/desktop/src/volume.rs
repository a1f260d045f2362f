//! The far end's volume: the call's sound port wrapped so what it plays is scaled by the
//! volume the person set in the call view (0–100 %), changed while the call goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use voicelamp_audio::AudioPort;

/// The volume of the call, shared by the engine task (which sets it) and the call's port.
#[derive(Debug, Clone)]
pub struct Volume(Arc<AtomicU8>);

impl Default for Volume {
    fn default() -> Self {
        Self(Arc::new(AtomicU8::new(100)))
    }
}

impl Volume {
    /// Sets it, 0–100 %.
    pub fn set(&self, percent: u8) {
        self.0.store(percent.min(100), Ordering::Relaxed);
    }

    /// Now, 0–100 %.
    pub fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    /// `port`, playing at this volume.
    pub fn wrap(&self, port: Box<dyn AudioPort>) -> Box<dyn AudioPort> {
        Box::new(AtVolume {
            port,
            volume: self.clone(),
            scaled: Vec::new(),
        })
    }
}

struct AtVolume {
    port: Box<dyn AudioPort>,
    volume: Volume,
    /// Reused for the scaled samples (one frame: bounded by the largest frame played).
    scaled: Vec<i16>,
}

impl AudioPort for AtVolume {
    fn play(&mut self, samples: &[i16], rate: u32) {
        let percent = i32::from(self.volume.get());
        if percent >= 100 {
            self.port.play(samples, rate);
            return;
        }
        self.scaled.clear();
        self.scaled.extend(samples.iter().map(|&s| {
            // |s * 100 / 100| ≤ |s|: never out of range.
            i16::try_from(i32::from(s) * percent / 100).unwrap_or(s)
        }));
        self.port.play(&self.scaled, rate);
    }

    fn capture(&mut self, out: &mut [i16], rate: u32) -> usize {
        self.port.capture(out, rate)
    }

    fn take_notice(&mut self) -> Option<String> {
        self.port.take_notice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Keeps what it is given to play.
    struct Recorder(Arc<Mutex<Vec<i16>>>);

    impl AudioPort for Recorder {
        fn play(&mut self, samples: &[i16], _rate: u32) {
            self.0.lock().expect("lock").extend_from_slice(samples);
        }
        fn capture(&mut self, out: &mut [i16], _rate: u32) -> usize {
            out.fill(7);
            out.len()
        }
        fn take_notice(&mut self) -> Option<String> {
            Some("the headset was unplugged".into())
        }
    }

    #[test]
    fn the_far_end_plays_at_the_volume_set_while_the_call_goes_on() {
        let played = Arc::new(Mutex::new(Vec::new()));
        let volume = Volume::default();
        let mut port = volume.wrap(Box::new(Recorder(played.clone())));
        port.play(&[1000, -1000, i16::MAX, i16::MIN], 8000);
        volume.set(50);
        port.play(&[1000, -1000, i16::MAX, i16::MIN], 8000);
        volume.set(0);
        port.play(&[1000], 8000);
        volume.set(250);
        assert_eq!(volume.get(), 100, "at most 100 %");
        port.play(&[3], 8000);
        assert_eq!(
            *played.lock().expect("lock"),
            [
                1000,
                -1000,
                i16::MAX,
                i16::MIN,
                500,
                -500,
                16383,
                -16384,
                0,
                3
            ]
        );
        // The microphone and the notices pass through untouched.
        let mut mic = [0i16; 4];
        assert_eq!(port.capture(&mut mic, 8000), 4);
        assert_eq!(mic, [7; 4]);
        assert_eq!(
            port.take_notice().as_deref(),
            Some("the headset was unplugged")
        );
    }
}
