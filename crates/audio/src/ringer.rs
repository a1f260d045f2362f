//! `Ringer`: the media crate's ringer tone (`tones::Tone::Ringer`) on the ringer device until
//! stopped.

use crate::AudioError;
use crate::stream::{Opened, open_output};
use voicelamp_media::tones::{Tone, ToneGenerator};

/// Rings on the chosen ringer device (or the default speaker) until stopped or dropped.
pub struct Ringer {
    opened: Opened,
    notice: Option<String>,
}

impl std::fmt::Debug for Ringer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ringer")
            .field("device", &self.opened.label)
            .finish_non_exhaustive()
    }
}

impl Ringer {
    /// Starts ringing on `device` (a name from [`crate::list_devices`]; `None`: the default).
    /// A named device that is not there is replaced by the default, and [`Ringer::notice`]
    /// says so.
    pub fn start(device: Option<&str>) -> Result<Ringer, AudioError> {
        let (opened, missing) = open_output(device, |rate| {
            let mut tone = ToneGenerator::new(Tone::Ringer, rate);
            let mut samples: Vec<i16> = Vec::with_capacity(8192);
            move |buf: &mut [f32]| {
                // Grows only when the device asks for a larger buffer than ever before.
                samples.resize(buf.len(), 0);
                tone.fill(&mut samples);
                for (o, &s) in buf.iter_mut().zip(samples.iter()) {
                    *o = f32::from(s) / 32768.0;
                }
            }
        })?;
        let notice = match (missing, device) {
            (true, Some(name)) => Some(format!(
                "the ringer \u{201c}{name}\u{201d} is not connected; ringing on the default speaker \u{201c}{}\u{201d}",
                opened.label
            )),
            _ => None,
        };
        Ok(Ringer { opened, notice })
    }

    /// The device it rings on.
    pub fn device(&self) -> &str {
        &self.opened.label
    }

    /// Something a person should know about the ringer, once.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    /// Stops ringing (dropping the ringer does the same).
    pub fn stop(self) {
        drop(self);
    }
}
