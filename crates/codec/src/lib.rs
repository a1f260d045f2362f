//! Voice codecs as pure functions over sample buffers.
//!
//! This crate owns the codecs that both a call's RTP (`voicelamp-media`) and the voicemail
//! store's file decoders (`voicelamp-mailbox`) use, so there is one G.711 and one GSM 06.10 in
//! the product. It must never read a file, open a socket or a device, or keep a clock: samples in,
//! samples or bytes out.

pub mod g711;
pub mod g722;
pub mod gsm610;
#[cfg(all(feature = "opus", target_os = "linux"))]
pub mod opus;
