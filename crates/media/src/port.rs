//! Where a driver plugs a session's sound in.

/// What a driver plugs a session's sound into: sound devices (`voicelamp-audio`), WAV files for
/// the command line, or silence. The driver ticks the session every packet time: it pushes
/// `MediaInput::Captured` from [`AudioPort::capture`], sends what `poll_transmit` gives, and
/// plays each `poll_playback` frame with [`AudioPort::play`].
pub trait AudioPort: Send {
    /// Queues samples to play at `rate`. Never blocks; past its bound it drops the oldest.
    fn play(&mut self, samples: &[i16], rate: u32);
    /// Fills `out` with captured samples at `rate`, returning how many it had. Never blocks.
    fn capture(&mut self, out: &mut [i16], rate: u32) -> usize;
    /// Something the person should know about the sound, in words, e.g. "the headset was
    /// unplugged; now using the default speaker".
    fn take_notice(&mut self) -> Option<String>;
}
