//! The one error type of audio decoding.

/// Why a voicemail audio attachment could not be decoded. Decoding never panics: every malformed
/// input ends in one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// The input ends before the structure it announces (a header, a chunk, or a codec block
    /// cut part-way).
    #[error("audio data is truncated: {what}")]
    Truncated {
        /// What was cut short.
        what: &'static str,
    },
    /// The input is structurally invalid (bad signature, inconsistent header fields, a GSM frame
    /// without its signature).
    #[error("audio data is corrupt: {what}")]
    Corrupt {
        /// What is wrong.
        what: &'static str,
    },
    /// A WAVE file whose codec (format tag) or sample layout is not decoded here.
    #[error("unsupported audio encoding: WAVE format tag {tag:#06x} ({what})")]
    UnsupportedTag {
        /// The WAVE format tag (`wFormatTag`, or the sub-format of `WAVE_FORMAT_EXTENSIBLE`).
        tag: u16,
        /// What about it is unsupported.
        what: &'static str,
    },
    /// A recognised container or codec that is not decoded here, or input not recognised as audio.
    #[error("unsupported audio: {what}")]
    Unsupported {
        /// What was found.
        what: &'static str,
    },
    /// The input or its decoded output exceeds the decoder's bounds.
    #[error("audio is too large: {what} exceeds {limit}")]
    TooLarge {
        /// Which bound was exceeded.
        what: &'static str,
        /// The bound.
        limit: u64,
    },
}
