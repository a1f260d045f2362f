//! The only crate that touches sound devices.
//!
//! It opens capture and playback streams (cpal), resamples between a device's rate and the
//! codec's, and moves samples through bounded lock-free ring buffers between the device threads
//! and a call's media session. A device that vanishes mid-call falls back to the default one and
//! says so; where no device exists a call still runs, without sound, and says so. It must never
//! interpret RTP or SIP.
//!
//! - [`DeviceAudio`]: the real devices, chosen by name ([`AudioChoice`], names from
//!   [`list_devices`]).
//! - [`NoAudio`]: silence both ways, for machines without sound.
//! - [`WavFiles`]: a WAV file as the microphone and a WAV file as the speaker (the CLI).
//! - [`Ringer`]: the ringer tone on the ringer device until stopped.
//!
//! All of them implement [`AudioPort`] (the media crate's trait, re-exported), which a call's
//! driver ticks every packet time.

mod device;
mod files;
mod resample;
mod ring;
mod ringer;
mod stream;

pub use device::{AudioStats, DeviceAudio, list_devices};

/// For the measurement example: the resampler alone, as a call drives it.
#[doc(hidden)]
pub mod measure {
    /// Resamples `seconds` of a tone from `from` Hz to `to` Hz in 20 ms frames; how many
    /// samples came out.
    pub fn resample_seconds(from: u32, to: u32, seconds: u32) -> usize {
        let mut r = crate::resample::Resampler::new(from, to);
        let frame: Vec<f32> = (0..from / 50)
            .map(|i| (i as f32 * 0.3).sin() * 0.5)
            .collect();
        let mut out = Vec::new();
        let mut made = 0;
        for _ in 0..seconds * 50 {
            out.clear();
            r.process(&frame, &mut out);
            made += out.len();
        }
        made
    }
}
pub use files::{NoAudio, WavFiles};
pub use ringer::Ringer;
pub use voicelamp_media::AudioPort;

/// Which devices a call uses, by the names [`list_devices`] gives. `None`: the system's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioChoice {
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    pub ringer: Option<String>,
}

/// The sound devices there are now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    pub inputs: Vec<DeviceInfo>,
    pub outputs: Vec<DeviceInfo>,
}

/// One sound device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// What to put in an [`AudioChoice`]: stable while the device exists.
    pub name: String,
    /// What a person reads, e.g. "USB headset, analog stereo".
    pub label: String,
    /// Whether this is the system's default device for its direction.
    pub is_default: bool,
}

/// Why sound could not be set up, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error(
        "no sound device for the {what}: connect one or check the system's sound settings; \
         the call can go on without sound"
    )]
    NoDevice { what: &'static str },
    #[error("the {what} \u{201c}{name}\u{201d} cannot be used: {reason}")]
    Device {
        what: &'static str,
        name: String,
        reason: String,
    },
    #[error("cannot read the sound file {path}: {reason}")]
    ReadWav { path: String, reason: String },
    #[error("cannot write the recording {path}: {reason}")]
    WriteWav { path: String, reason: String },
}
