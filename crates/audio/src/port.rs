//! The seam between a call's media and the sound.
//!
//! The same trait as `voicelamp_media::AudioPort` (the calls contract); this crate re-exports
//! the media crate's once that has landed, so drivers name one trait.

/// What a driver plugs a session's sound into.
pub trait AudioPort: Send {
    /// Plays `samples` (mono, at `rate` Hz). Never blocks; past a bound the oldest are dropped.
    fn play(&mut self, samples: &[i16], rate: u32);
    /// Fills `out` with captured sound (mono, at `rate` Hz) as far as there is some, and says
    /// how many samples it wrote. Never blocks.
    fn capture(&mut self, out: &mut [i16], rate: u32) -> usize;
    /// Something a person should know, in words, e.g. "the headset was unplugged; now using
    /// the default speaker". Each notice is given once.
    fn take_notice(&mut self) -> Option<String>;
}
