//! The INVITE server transaction (RFC 3261 §17.2.1, with RFC 6026's *Accepted* state), and the
//! UAS core's reliable `2xx` (§13.3.1.4).
//!
//! `100 Trying` goes out at once. A copy of the INVITE is answered with the last response. A
//! final error is sent again on timer G (T1 doubling up to T2, UDP only) until the ACK comes or
//! timer H (64·T1) gives up; after the ACK, timer I (T4 over UDP) absorbs ACK copies. A `2xx`
//! is sent again on the same schedule until its ACK (which the dialog matches) stops it, or
//! 64·T1 passes without one: then the call is lost ([`ServerOutcome::NoAck`]).

use crate::transaction::TimerConfig;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

/// What the transaction reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerOutcome {
    /// The final response (2xx or error) was never ACKed within 64·T1.
    NoAck,
}

#[derive(Debug, Clone)]
pub(crate) struct InviteServer {
    state: State,
    reliable: bool,
    timers: TimerConfig,
    last: Vec<u8>,
    pending: bool,
    interval: Duration,
    timer_g: Option<Instant>,
    /// Timer H (Completed), L (Accepted) or I (Confirmed).
    timer_end: Option<Instant>,
}

impl InviteServer {
    /// A transaction for an INVITE just received; `trying` (a `100`) is its first transmit.
    pub(crate) fn new(reliable: bool, timers: TimerConfig, trying: Vec<u8>) -> Self {
        Self {
            state: State::Proceeding,
            reliable,
            timers,
            last: trying,
            pending: true,
            interval: timers.t1,
            timer_g: None,
            timer_end: None,
        }
    }

    /// Whether a final response was given.
    pub(crate) fn is_answered(&self) -> bool {
        self.state != State::Proceeding
    }

    /// Whether a `2xx` waits for its ACK.
    pub(crate) fn awaits_2xx_ack(&self) -> bool {
        self.state == State::Accepted
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// The TU's response; ignored once a final response was given.
    pub(crate) fn respond(&mut self, now: Instant, status: u16, bytes: Vec<u8>) {
        if self.state != State::Proceeding {
            return;
        }
        self.last = bytes;
        self.pending = true;
        if status < 200 {
            return;
        }
        self.state = if status < 300 {
            State::Accepted
        } else {
            State::Completed
        };
        self.interval = self.timers.t1;
        self.timer_g = (!self.reliable).then(|| now + self.timers.t1);
        self.timer_end = Some(now + self.timers.timeout());
    }

    /// A copy of the INVITE arrived.
    pub(crate) fn handle_retransmission(&mut self) {
        if matches!(self.state, State::Proceeding | State::Completed) {
            self.pending = true;
        }
    }

    /// An ACK arrived: for an error (matched by branch) or for the 2xx (matched by the dialog).
    /// Returns whether it was the first.
    pub(crate) fn handle_ack(&mut self, now: Instant) -> bool {
        match self.state {
            State::Completed => {
                self.state = State::Confirmed;
                self.timer_g = None;
                self.timer_end = Some(
                    now + if self.reliable {
                        Duration::ZERO
                    } else {
                        self.timers.t4
                    },
                );
                true
            }
            State::Accepted => {
                self.state = State::Terminated;
                self.timer_g = None;
                self.timer_end = None;
                true
            }
            _ => false,
        }
    }

    /// Time passed.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Option<ServerOutcome> {
        if self.timer_end.is_some_and(|t| now >= t) {
            let lost = matches!(self.state, State::Completed | State::Accepted);
            self.state = State::Terminated;
            self.timer_g = None;
            self.timer_end = None;
            return lost.then_some(ServerOutcome::NoAck);
        }
        if self.timer_g.is_some_and(|g| now >= g) {
            self.pending = true;
            self.interval = (self.interval * 2).min(self.timers.t2);
            self.timer_g = Some(now + self.interval);
        }
        None
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        std::mem::take(&mut self.pending).then(|| self.last.clone())
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        [self.timer_g, self.timer_end].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sends_until_quiet(
        t: &mut InviteServer,
        start: Instant,
    ) -> (Vec<u128>, Option<ServerOutcome>) {
        let mut sends = Vec::new();
        let mut outcome = None;
        let mut now = start;
        loop {
            while t.poll_transmit().is_some() {
                sends.push((now - start).as_millis());
            }
            let Some(next) = t.poll_timeout() else {
                return (sends, outcome);
            };
            now = next;
            outcome = outcome.or(t.handle_timeout(now));
        }
    }

    #[test]
    fn trying_at_once_then_the_last_response_for_every_copy() {
        let start = Instant::now();
        let mut t = InviteServer::new(false, TimerConfig::default(), b"100".to_vec());
        assert_eq!(t.poll_transmit().as_deref(), Some(&b"100"[..]));
        t.respond(start, 180, b"180".to_vec());
        assert_eq!(t.poll_transmit().as_deref(), Some(&b"180"[..]));
        t.handle_retransmission();
        assert_eq!(t.poll_transmit().as_deref(), Some(&b"180"[..]));
        assert_eq!(t.poll_timeout(), None, "nothing timed while ringing");
        assert!(!t.is_answered());
    }

    #[test]
    fn error_is_resent_on_timer_g_until_timer_h() {
        let start = Instant::now();
        let mut t = InviteServer::new(false, TimerConfig::default(), b"100".to_vec());
        t.poll_transmit();
        t.respond(start, 486, b"486".to_vec());
        let (sends, outcome) = sends_until_quiet(&mut t, start);
        assert_eq!(
            sends,
            vec![
                0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
            ]
        );
        assert_eq!(outcome, Some(ServerOutcome::NoAck));
        assert!(t.is_terminated());
    }

    #[test]
    fn ack_stops_the_error_and_timer_i_absorbs_copies() {
        let start = Instant::now();
        let mut t = InviteServer::new(false, TimerConfig::default(), b"100".to_vec());
        t.poll_transmit();
        t.respond(start, 486, b"486".to_vec());
        t.poll_transmit();
        assert!(t.handle_ack(start));
        assert!(!t.handle_ack(start), "a copy of the ACK is absorbed");
        let (sends, outcome) = sends_until_quiet(&mut t, start);
        assert!(sends.is_empty());
        assert_eq!(outcome, None);
        assert!(t.is_terminated());
    }

    #[test]
    fn a_2xx_is_resent_until_its_ack() {
        let start = Instant::now();
        let mut t = InviteServer::new(false, TimerConfig::default(), b"100".to_vec());
        t.poll_transmit();
        t.respond(start, 200, b"200".to_vec());
        assert!(t.awaits_2xx_ack());
        assert!(t.poll_transmit().is_some());
        let g = t.poll_timeout().expect("G");
        t.handle_timeout(g);
        assert!(t.poll_transmit().is_some(), "2xx again");
        t.handle_retransmission();
        assert_eq!(
            t.poll_transmit(),
            None,
            "INVITE copies absorbed once accepted"
        );
        assert!(t.handle_ack(g));
        assert!(t.is_terminated());
        let mut lost = InviteServer::new(true, TimerConfig::default(), b"100".to_vec());
        lost.poll_transmit();
        lost.respond(start, 200, b"200".to_vec());
        let (sends, outcome) = sends_until_quiet(&mut lost, start);
        assert_eq!(sends, vec![0], "TCP: sent once");
        assert_eq!(outcome, Some(ServerOutcome::NoAck));
    }
}
