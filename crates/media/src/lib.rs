//! A call's media as a state machine, like `voicelamp-sip`.
//!
//! It makes and answers SDP, packs and unpacks RTP, keeps RTCP figures, runs the jitter buffer
//! and concealment, makes tones (ringback, busy, stutter dial tone, ringer), sends and receives
//! RFC 4733 events, and protects media with SDES-SRTP when the signaling is TLS. Input comes in
//! through `handle_input(now, …)`, output is polled (`poll_transmit`, `poll_playback`,
//! `poll_event`, `poll_timeout`). It must never open a socket or a sound device, read a clock or
//! spawn a task: time, packets and captured samples come in as arguments.

pub mod jitter;
pub mod netem;
pub mod srtp;
