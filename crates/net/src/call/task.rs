//! One call's media task: its two sockets, its media [`Session`] and its [`AudioPort`]. Every
//! packet time it takes what the port captured into the session and plays what the session
//! gives; packets go in as they arrive, the session's deadlines are kept, and what it sends
//! leaves at once. Commands come from the driver; what a person should know goes back to it.
//! The task ends on [`ToTask::Stop`] (or when the driver is gone) and takes the sockets and the
//! sound with it.

use super::CallUpdate;
use super::sockets::MediaSockets;
use crate::driver::Internal;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use voicelamp_media::tones::{Tone, ToneGenerator};
use voicelamp_media::{AudioPort, DtmfRoute, MediaEvent, MediaInput, Session};
use voicelamp_sip::call::CallId;

/// The packet time the task ticks at.
pub(crate) const PTIME: Duration = Duration::from_millis(20);
/// How long the stutter dial tone plays at most while a call is dialled.
const STUTTER_FOR: Duration = Duration::from_millis(2000);
/// A played sample louder than this counts as far-end sound (not silence or comfort noise).
const AUDIBLE: u16 = 200;
/// Largest datagram read; longer ones are cut (and then refused by the session).
const MAX_DATAGRAM: usize = 2048;

/// What the driver tells a call's media task.
#[derive(Debug)]
pub(crate) enum ToTask {
    /// The far end's SDP answer (early media or final).
    SetAnswer(bytes::Bytes),
    /// The far end's new offer: answer it (the answer goes back as [`Internal::CallOfferAnswer`]).
    Reoffer(bytes::Bytes),
    /// Play ringback (the far end rings and sends no early media) or stop it.
    Ringback(bool),
    /// The call is answered: dial and ring tones stop.
    Answered,
    /// Send a key.
    Dtmf(char),
    /// Mute our microphone.
    Mute(bool),
    /// Hold the call.
    Hold(bool),
    /// End: the task returns.
    Stop,
}

/// A running media task: it ends on [`ToTask::Stop`], or when this sender is dropped.
pub(crate) struct TaskHandle {
    pub tx: mpsc::UnboundedSender<ToTask>,
}

struct Task {
    call: CallId,
    session: Session,
    sockets: MediaSockets,
    audio: Box<dyn AudioPort>,
    internal: mpsc::UnboundedSender<Internal>,
    ringback: Option<ToneGenerator>,
    stutter: Option<(ToneGenerator, Instant)>,
    answered: bool,
    heard: bool,
    capture: Vec<i16>,
    tone: Vec<i16>,
}

/// Starts the media task of `call`.
pub(crate) fn spawn(
    call: CallId,
    session: Session,
    sockets: MediaSockets,
    audio: Box<dyn AudioPort>,
    stutter_dial_tone: bool,
    internal: mpsc::UnboundedSender<Internal>,
) -> TaskHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let rate = session.sample_rate();
    let task = Task {
        call,
        session,
        sockets,
        audio,
        internal,
        ringback: None,
        stutter: stutter_dial_tone
            .then(|| (ToneGenerator::new(Tone::StutterDial, rate), Instant::now())),
        answered: false,
        heard: false,
        capture: Vec::new(),
        tone: Vec::new(),
    };
    tokio::spawn(task.run(rx));
    TaskHandle { tx }
}

impl Task {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<ToTask>) {
        let mut tick = tokio::time::interval(PTIME);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut rtp_buf = vec![0u8; MAX_DATAGRAM];
        let mut rtcp_buf = vec![0u8; MAX_DATAGRAM];
        loop {
            let deadline = self.session.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = rx.recv() => match command {
                    None | Some(ToTask::Stop) => break,
                    Some(command) => self.command(command),
                },
                received = self.sockets.rtp.recv_from(&mut rtp_buf) => {
                    if let Ok((n, from)) = received {
                        let bytes = &rtp_buf[..n];
                        self.session.handle_input(Instant::now(), MediaInput::Packet { from, bytes });
                    }
                }
                received = self.sockets.rtcp.recv_from(&mut rtcp_buf) => {
                    if let Ok((n, from)) = received {
                        let bytes = &rtcp_buf[..n];
                        self.session.handle_input(Instant::now(), MediaInput::Packet { from, bytes });
                    }
                }
                _ = tick.tick() => self.tick(),
                () = sleep => self.session.handle_input(Instant::now(), MediaInput::Timeout),
            }
            self.drain();
        }
        // The sockets and the sound (a recording is completed on drop) go with the task.
        drop(self.audio);
        drop(self.sockets);
        let _ = self
            .internal
            .send(Internal::CallTaskDone { call: self.call });
    }

    fn report(&self, update: CallUpdate) {
        let _ = self.internal.send(Internal::CallMedia {
            call: self.call,
            update,
        });
    }

    fn command(&mut self, command: ToTask) {
        let now = Instant::now();
        match command {
            ToTask::SetAnswer(answer) => match self.session.set_answer(now, &answer) {
                Ok(()) => {
                    let codec = self.session.codec();
                    if let Ok(local) = self.sockets.local_rtp() {
                        self.report(CallUpdate::Media {
                            codec: codec.encoding_name(),
                            rate: self.session.sample_rate(),
                            local,
                            secure: self.session.encrypted(),
                        });
                    }
                }
                Err(e) => {
                    self.report(CallUpdate::Notice(e.to_string()));
                    let _ = self.internal.send(Internal::CallHangUp { call: self.call });
                }
            },
            ToTask::Reoffer(offer) => {
                let answer = self.session.reoffer(now, &offer).map_err(|e| e.to_string());
                let _ = self.internal.send(Internal::CallOfferAnswer {
                    call: self.call,
                    answer,
                });
            }
            ToTask::Ringback(on) => {
                self.ringback =
                    on.then(|| ToneGenerator::new(Tone::Ringback, self.session.sample_rate()));
                self.stutter = None;
            }
            ToTask::Answered => {
                self.answered = true;
                self.ringback = None;
                self.stutter = None;
            }
            ToTask::Dtmf(digit) => match self.session.send_dtmf(now, digit) {
                DtmfRoute::Rfc4733 => self.report(CallUpdate::DtmfSent {
                    digit,
                    by_info: false,
                }),
                DtmfRoute::NeedsInfo => {
                    let _ = self.internal.send(Internal::CallDtmfInfo {
                        call: self.call,
                        digit,
                    });
                }
            },
            ToTask::Mute(on) => {
                self.session.set_muted(on);
                self.report(CallUpdate::Muted(on));
            }
            ToTask::Hold(on) => {
                // No sound either way from now; the far end is told by re-INVITE and its
                // answer comes back as `SetAnswer`.
                let offer = self.session.set_hold(now, on);
                let _ = self.internal.send(Internal::CallUpdateOffer {
                    call: self.call,
                    offer,
                });
                self.report(CallUpdate::Hold { local: on });
            }
            ToTask::Stop => {}
        }
    }

    /// One packet time: the microphone into the session, a tone into the speaker while one
    /// plays.
    fn tick(&mut self) {
        let rate = self.session.sample_rate();
        let samples = (rate as usize * PTIME.as_millis() as usize) / 1000;
        self.capture.resize(samples, 0);
        let got = self.audio.capture(&mut self.capture, rate).min(samples);
        self.capture[got..].fill(0);
        self.session
            .handle_input(Instant::now(), MediaInput::Captured(&self.capture));
        self.tone.resize(samples, 0);
        let mut playing_tone = false;
        if let Some((tone, since)) = &mut self.stutter {
            if since.elapsed() < STUTTER_FOR {
                tone.fill(&mut self.tone);
                playing_tone = true;
            } else {
                self.stutter = None;
            }
        }
        if !playing_tone && let Some(tone) = &mut self.ringback {
            tone.fill(&mut self.tone);
            playing_tone = true;
        }
        if playing_tone {
            self.audio.play(&self.tone, rate);
        }
        if let Some(notice) = self.audio.take_notice() {
            self.report(CallUpdate::Notice(notice));
        }
    }

    /// Sends what the session has to send, plays what it has to play, reports its events.
    fn drain(&mut self) {
        while let Some(transmit) = self.session.poll_transmit() {
            let socket = if transmit.rtcp {
                &self.sockets.rtcp
            } else {
                &self.sockets.rtp
            };
            // A full socket buffer drops the packet, as the network would.
            let _ = socket.try_send_to(&transmit.payload, transmit.destination);
        }
        let rate = self.session.sample_rate();
        let tone_playing = self.ringback.is_some() || self.stutter.is_some();
        while let Some(frame) = self.session.poll_playback() {
            if tone_playing && !self.answered {
                continue;
            }
            if !self.heard && frame.iter().any(|s| s.unsigned_abs() > AUDIBLE) {
                self.heard = true;
                self.report(CallUpdate::FirstAudio);
            }
            self.audio.play(&frame, rate);
        }
        while let Some(event) = self.session.poll_event() {
            let update = match event {
                MediaEvent::Dtmf { digit, duration_ms } => CallUpdate::DtmfReceived {
                    digit,
                    duration_ms,
                    by_info: false,
                },
                MediaEvent::Quality(quality) => CallUpdate::Quality(quality),
                MediaEvent::NoMedia { for_secs } => CallUpdate::NoMedia { for_secs },
                MediaEvent::FarEndSilent => continue,
            };
            self.report(update);
        }
    }
}
