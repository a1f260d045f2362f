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
