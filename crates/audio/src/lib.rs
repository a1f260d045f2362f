//! The only crate that touches sound devices.
//!
//! It opens capture and playback streams (cpal), resamples between a device's rate and the
//! codec's, and moves samples through bounded lock-free ring buffers between the device threads
//! and a call's media session. A device that vanishes mid-call falls back to the default one and
//! says so; where no device exists a call still runs, without sound, and says so. It must never
//! interpret RTP or SIP.
