//! The INVITE client transaction (RFC 3261 §17.1.1, with RFC 6026's *Accepted* state).
//!
//! Over UDP the INVITE is sent again on timer A (T1, doubling) until a response comes or
//! timer B (64·T1) gives up. A final error (3xx–6xx) is ACKed here, and that ACK is sent again
//! for every copy of the response until timer D (32 s over UDP, zero over TCP/TLS). A `2xx`
//! moves to *Accepted* for 64·T1 (timer M): every copy is handed up, because the ACK for a 2xx
//! belongs to the dialog, not to the transaction.

use crate::message::MessageBuilder;
use crate::transaction::TimerConfig;
use std::time::{Duration, Instant};

/// Timer D over UDP.
const TIMER_D: Duration = Duration::from_secs(32);

/// What the transaction reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InviteOutcome {
    /// A provisional response.
    Provisional(u16),
    /// A `2xx` (the first or a copy): the dialog ACKs it.
    Success,
    /// The first final error response (already ACKed).
    Failure(u16),
    /// Timer B fired before any response.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

/// The header lines every ACK of a non-2xx repeats from the INVITE (RFC 3261 §17.1.1.3): the
/// Request-URI, the top `Via`, `From`, `Call-ID`, the `CSeq` number and the `Route` set.
#[derive(Debug, Clone)]
pub(crate) struct AckTemplate {
    pub uri: String,
    pub headers: Vec<(&'static str, String)>,
    pub cseq: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct InviteClient {
    state: State,
    request: Vec<u8>,
    template: AckTemplate,
    ack: Option<Vec<u8>>,
    reliable: bool,
    timers: TimerConfig,
    interval: Duration,
    timer_a: Option<Instant>,
    timer_b: Instant,
    /// Timer D in *Completed*, timer M in *Accepted*.
    linger: Option<Instant>,
    send_request: bool,
    send_ack: bool,
    retransmissions: u32,
}

impl InviteClient {
    pub(crate) fn new(
        now: Instant,
        request: Vec<u8>,
        template: AckTemplate,
        reliable: bool,
        timers: TimerConfig,
    ) -> Self {
        Self {
            state: State::Calling,
            request,
            template,
            ack: None,
            reliable,
            timers,
            interval: timers.t1,
            timer_a: (!reliable).then(|| now + timers.t1),
            timer_b: now + timers.timeout(),
            linger: None,
            send_request: true,
            send_ack: false,
            retransmissions: 0,
        }
    }

    /// How many times the INVITE was sent again.
    #[cfg(test)]
    pub(crate) fn retransmissions(&self) -> u32 {
        self.retransmissions
    }

    /// A provisional response came (CANCEL may be sent).
    pub(crate) fn is_proceeding(&self) -> bool {
        self.state == State::Proceeding
    }

    /// No final response yet.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.state, State::Calling | State::Proceeding)
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// A response to this INVITE, with its raw `To` value (the ACK of an error copies it).
    pub(crate) fn handle_response(
        &mut self,
        now: Instant,
        status: u16,
        to: &str,
    ) -> Option<InviteOutcome> {
        match (self.state, status) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.timer_a = None;
                Some(InviteOutcome::Provisional(status))
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.timer_a = None;
                self.linger = Some(now + self.timers.timeout());
                Some(InviteOutcome::Success)
            }
            (State::Accepted, 200..=299) => Some(InviteOutcome::Success),
            (State::Calling | State::Proceeding, 300..=699) => {
                self.timer_a = None;
                self.ack = Some(self.build_ack(to));
                self.send_ack = true;
                if self.reliable {
                    self.state = State::Terminated;
                } else {
                    self.state = State::Completed;
                    self.linger = Some(now + TIMER_D);
                }
                Some(InviteOutcome::Failure(status))
            }
            (State::Completed, 300..=699) => {
                self.send_ack = true;
                None
            }
            _ => None,
        }
    }

    fn build_ack(&self, to: &str) -> Vec<u8> {
        let t = &self.template;
        let mut b = MessageBuilder::request(&super::machine::method("ACK"), &t.uri);
        for (name, value) in &t.headers {
            b = b.header(name, value);
        }
        b.header("To", to)
            .header("CSeq", &format!("{} ACK", t.cseq))
            .build()
    }

    /// Time passed.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Option<InviteOutcome> {
        match self.state {
            State::Calling => {
                if now >= self.timer_b {
                    self.state = State::Terminated;
                    self.timer_a = None;
                    return Some(InviteOutcome::Timeout);
                }
                if self.timer_a.is_some_and(|a| now >= a) {
                    self.send_request = true;
                    self.retransmissions += 1;
                    self.interval *= 2;
                    self.timer_a = Some(now + self.interval);
                }
                None
            }
            State::Completed | State::Accepted => {
                if self.linger.is_some_and(|t| now >= t) {
                    self.state = State::Terminated;
                    self.linger = None;
                }
                None
            }
            State::Proceeding | State::Terminated => None,
        }
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if std::mem::take(&mut self.send_request) {
            return Some(self.request.clone());
        }
        if std::mem::take(&mut self.send_ack) {
            return self.ack.clone();
        }
        None
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Calling => Some(self.timer_a.map_or(self.timer_b, |a| a.min(self.timer_b))),
            State::Completed | State::Accepted => self.linger,
            State::Proceeding | State::Terminated => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(now: Instant, reliable: bool) -> InviteClient {
        let template = AckTemplate {
            uri: "sip:bob@example.com".into(),
            headers: vec![
                (
                    "Via",
                    "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;rport".into(),
                ),
                ("From", "<sip:alice@example.com>;tag=a".into()),
                ("Call-ID", "c1".into()),
            ],
            cseq: 1,
        };
        InviteClient::new(
            now,
            b"INVITE".to_vec(),
            template,
            reliable,
            TimerConfig::default(),
        )
    }

    #[test]
    fn timer_a_doubles_until_timer_b() {
        let start = Instant::now();
        let mut t = tx(start, false);
        let mut sends = Vec::new();
        let mut now = start;
        let outcome = loop {
            while t.poll_transmit().is_some() {
                sends.push((now - start).as_millis());
            }
            now = t.poll_timeout().expect("a timer");
            if let Some(o) = t.handle_timeout(now) {
                break o;
            }
        };
        assert_eq!(outcome, InviteOutcome::Timeout);
        assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(now - start, Duration::from_secs(32));
        assert_eq!(t.retransmissions(), 6);
        assert!(t.is_terminated());
    }

    #[test]
    fn error_is_acked_again_for_every_copy_until_timer_d() {
        let start = Instant::now();
        let mut t = tx(start, false);
        assert!(t.poll_transmit().is_some());
        assert_eq!(
            t.handle_response(start, 180, "<sip:bob@example.com>;tag=b"),
            Some(InviteOutcome::Provisional(180))
        );
        assert_eq!(t.poll_timeout(), None, "no retransmission once proceeding");
        assert_eq!(
            t.handle_response(start, 486, "<sip:bob@example.com>;tag=b"),
            Some(InviteOutcome::Failure(486))
        );
        let ack = String::from_utf8(t.poll_transmit().expect("ack")).expect("utf8");
        assert!(ack.starts_with("ACK sip:bob@example.com SIP/2.0\r\n"));
        assert!(ack.contains("CSeq: 1 ACK\r\n") && ack.contains("To: <sip:bob@example.com>;tag=b"));
        assert!(ack.contains("branch=z9hG4bKx"), "the INVITE's branch");
        assert_eq!(t.handle_response(start, 486, "x"), None);
        assert!(t.poll_transmit().is_some(), "ACK again");
        let d = t.poll_timeout().expect("timer D");
        assert_eq!(d - start, TIMER_D);
        t.handle_timeout(d);
        assert!(t.is_terminated());
    }

    #[test]
    fn every_2xx_copy_is_handed_up_until_timer_m() {
        let start = Instant::now();
        let mut t = tx(start, true);
        assert!(t.poll_transmit().is_some());
        assert_eq!(
            t.poll_timeout(),
            Some(start + Duration::from_secs(32)),
            "B only"
        );
        assert_eq!(
            t.handle_response(start, 200, "x"),
            Some(InviteOutcome::Success)
        );
        assert_eq!(
            t.handle_response(start, 200, "x"),
            Some(InviteOutcome::Success)
        );
        assert_eq!(t.poll_transmit(), None, "a 2xx is ACKed by the dialog");
        let m = t.poll_timeout().expect("timer M");
        t.handle_timeout(m);
        assert!(t.is_terminated());
    }
}
