//! Non-INVITE transactions (RFC 3261 §17.1.2 client, §17.2.2 server).
//!
//! A transaction knows nothing about addresses: its owner keeps the destination and matches
//! messages to it (responses by top `Via` branch and `CSeq` method, requests by branch, sent-by
//! and method). Both sides follow the same sans-IO shape: `handle_*` inputs, then
//! `poll_transmit` until `None`, then `poll_timeout`.
//!
//! Over UDP the client retransmits on timer E (T1, doubling up to T2, then T2 once a
//! provisional response came), gives up on timer F (64·T1) and lingers in *Completed* for T4 to
//! absorb retransmitted responses (timer K). Over reliable transports nothing is retransmitted
//! and K is zero. The server answers once and resends the same response to every retransmitted
//! request until timer J (64·T1 over UDP, zero over reliable transports).

use std::time::{Duration, Instant};

/// RFC 3261 timer values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate, 500 ms by default.
    pub t1: Duration,
    /// Largest retransmit interval of non-INVITE requests, 4 s by default.
    pub t2: Duration,
    /// How long a message may stay in the network, 5 s by default.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// Timer F (client) and J (server): 64·T1.
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }
}

/// What a client transaction reports to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOutcome {
    /// A provisional response.
    Provisional(u16),
    /// The first final response; later copies are absorbed.
    Final(u16),
    /// Timer F fired before a final response: the request timed out (treated as 408).
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// A client non-INVITE transaction.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    state: ClientState,
    request: Vec<u8>,
    reliable: bool,
    timers: TimerConfig,
    interval: Duration,
    timer_e: Option<Instant>,
    timer_f: Instant,
    timer_k: Option<Instant>,
    pending: bool,
    retransmissions: u32,
}

impl ClientTransaction {
    /// Starts a transaction for `request`; the request itself is the first transmit.
    pub fn new(now: Instant, request: Vec<u8>, reliable: bool, timers: TimerConfig) -> Self {
        Self {
            state: ClientState::Trying,
            request,
            reliable,
            timers,
            interval: timers.t1,
            timer_e: (!reliable).then(|| now + timers.t1),
            timer_f: now + timers.timeout(),
            timer_k: None,
            pending: true,
            retransmissions: 0,
        }
    }

    /// The request bytes.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// How many times the request was sent again.
    pub fn retransmissions(&self) -> u32 {
        self.retransmissions
    }

    /// Whether the transaction is over and can be dropped.
    pub fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    /// Whether a final response (or timeout) was already reported.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, ClientState::Completed | ClientState::Terminated)
    }

    /// A response matched to this transaction.
    pub fn handle_response(&mut self, now: Instant, status: u16) -> Option<ClientOutcome> {
        match (self.state, status) {
            (ClientState::Trying | ClientState::Proceeding, 100..=199) => {
                self.state = ClientState::Proceeding;
                Some(ClientOutcome::Provisional(status))
            }
            (ClientState::Trying | ClientState::Proceeding, 200..=699) => {
                self.timer_e = None;
                self.pending = false;
                if self.reliable {
                    self.state = ClientState::Terminated;
                } else {
                    self.state = ClientState::Completed;
                    self.timer_k = Some(now + self.timers.t4);
                }
                Some(ClientOutcome::Final(status))
            }
            _ => None,
        }
    }

    /// Time passed; call when `now >= poll_timeout()`.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ClientOutcome> {
        match self.state {
            ClientState::Trying | ClientState::Proceeding => {
                if now >= self.timer_f {
                    self.state = ClientState::Terminated;
                    self.timer_e = None;
                    self.pending = false;
                    return Some(ClientOutcome::Timeout);
                }
                if let Some(e) = self.timer_e
                    && now >= e
                {
                    self.pending = true;
                    self.retransmissions += 1;
                    self.interval = if self.state == ClientState::Proceeding {
                        self.timers.t2
                    } else {
                        (self.interval * 2).min(self.timers.t2)
                    };
                    self.timer_e = Some(now + self.interval);
                }
                None
            }
            ClientState::Completed => {
                if self.timer_k.is_some_and(|k| now >= k) {
                    self.state = ClientState::Terminated;
                    self.timer_k = None;
                }
                None
            }
            ClientState::Terminated => None,
        }
    }

    /// The request bytes when they are due (first send or a retransmission).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if std::mem::take(&mut self.pending) {
            Some(self.request.clone())
        } else {
            None
        }
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            ClientState::Trying | ClientState::Proceeding => {
                Some(self.timer_e.map_or(self.timer_f, |e| e.min(self.timer_f)))
            }
            ClientState::Completed => self.timer_k,
            ClientState::Terminated => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// A server non-INVITE transaction.
#[derive(Debug, Clone)]
pub struct ServerTransaction {
    state: ServerState,
    reliable: bool,
    timers: TimerConfig,
    last_response: Option<Vec<u8>>,
    timer_j: Option<Instant>,
    pending: bool,
    absorbed: u32,
}

impl ServerTransaction {
    /// A transaction for a request just received.
    pub fn new(reliable: bool, timers: TimerConfig) -> Self {
        Self {
            state: ServerState::Trying,
            reliable,
            timers,
            last_response: None,
            timer_j: None,
            pending: false,
            absorbed: 0,
        }
    }

    /// Whether the transaction is over and can be dropped.
    pub fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    /// Whether a final response was given.
    pub fn is_answered(&self) -> bool {
        matches!(self.state, ServerState::Completed | ServerState::Terminated)
    }

    /// How many retransmitted requests were absorbed.
    pub fn absorbed(&self) -> u32 {
        self.absorbed
    }

    /// The owner's response; ignored once a final response was given.
    pub fn respond(&mut self, now: Instant, status: u16, bytes: Vec<u8>) {
        match self.state {
            ServerState::Trying | ServerState::Proceeding => {
                self.last_response = Some(bytes);
                self.pending = true;
                if status < 200 {
                    self.state = ServerState::Proceeding;
                } else if self.reliable {
                    self.state = ServerState::Terminated;
                } else {
                    self.state = ServerState::Completed;
                    self.timer_j = Some(now + self.timers.timeout());
                }
            }
            ServerState::Completed | ServerState::Terminated => {}
        }
    }

    /// The same request arrived again: resend the last response, if any.
    pub fn handle_retransmission(&mut self) {
        self.absorbed += 1;
        if matches!(self.state, ServerState::Proceeding | ServerState::Completed) {
            self.pending = true;
        }
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == ServerState::Completed && self.timer_j.is_some_and(|j| now >= j) {
            self.state = ServerState::Terminated;
            self.timer_j = None;
        }
    }

    /// A response to send, when due.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if std::mem::take(&mut self.pending) {
            self.last_response.clone()
        } else {
            None
        }
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            ServerState::Completed => self.timer_j,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_to(
        tx: &mut ClientTransaction,
        until: Instant,
    ) -> (Vec<Duration>, Option<ClientOutcome>) {
        let start = until - Duration::from_secs(3600);
        let mut sends = Vec::new();
        let mut outcome = None;
        let mut now = start;
        loop {
            while tx.poll_transmit().is_some() {
                sends.push(now - start);
            }
            match tx.poll_timeout() {
                Some(t) if t <= until => {
                    now = t;
                    if let Some(o) = tx.handle_timeout(now) {
                        outcome = Some(o);
                    }
                }
                _ => return (sends, outcome),
            }
        }
    }

    #[test]
    fn udp_retransmits_on_timer_e_and_times_out_on_timer_f() {
        let t0 = Instant::now();
        let start = t0;
        let mut tx = ClientTransaction::new(start, b"REQ".to_vec(), false, TimerConfig::default());
        let (sends, outcome) = run_to(&mut tx, start + Duration::from_secs(3600));
        let ms: Vec<u128> = sends.iter().map(|d| d.as_millis()).collect();
        // 0, 0.5, 1.5, 3.5, 7.5, then every 4 s until 32 s.
        assert_eq!(
            ms,
            vec![
                0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
            ]
        );
        assert_eq!(outcome, Some(ClientOutcome::Timeout));
        assert!(tx.is_terminated());
        assert_eq!(tx.retransmissions(), 10);
    }

    #[test]
    fn reliable_transport_never_retransmits() {
        let start = Instant::now();
        let mut tx = ClientTransaction::new(start, b"REQ".to_vec(), true, TimerConfig::default());
        let (sends, outcome) = run_to(&mut tx, start + Duration::from_secs(3600));
        assert_eq!(sends.len(), 1);
        assert_eq!(outcome, Some(ClientOutcome::Timeout));
    }

    #[test]
    fn provisional_slows_retransmits_to_t2_and_final_is_reported_once() {
        let start = Instant::now();
        let timers = TimerConfig::default();
        let mut tx = ClientTransaction::new(start, b"REQ".to_vec(), false, timers);
        assert!(tx.poll_transmit().is_some());
        assert_eq!(
            tx.handle_response(start, 100),
            Some(ClientOutcome::Provisional(100))
        );
        let e = tx.poll_timeout().expect("timer E");
        assert_eq!(e - start, timers.t1);
        tx.handle_timeout(e);
        assert!(tx.poll_transmit().is_some());
        assert_eq!(tx.poll_timeout().expect("E") - e, timers.t2);
        let now = e + Duration::from_millis(10);
        assert_eq!(
            tx.handle_response(now, 200),
            Some(ClientOutcome::Final(200))
        );
        assert_eq!(tx.handle_response(now, 200), None);
        assert!(tx.poll_transmit().is_none());
        // Lingers T4 in Completed, then ends.
        let k = tx.poll_timeout().expect("timer K");
        assert_eq!(k - now, timers.t4);
        tx.handle_timeout(k);
        assert!(tx.is_terminated());
        assert_eq!(tx.poll_timeout(), None);
    }

    #[test]
    fn server_answers_once_and_resends_the_same_response() {
        let start = Instant::now();
        let timers = TimerConfig::default();
        let mut tx = ServerTransaction::new(false, timers);
        // Retransmission before the owner answered: absorbed silently.
        tx.handle_retransmission();
        assert_eq!(tx.poll_transmit(), None);
        tx.respond(start, 200, b"200".to_vec());
        assert_eq!(tx.poll_transmit().as_deref(), Some(&b"200"[..]));
        tx.respond(start, 500, b"500".to_vec());
        tx.handle_retransmission();
        assert_eq!(tx.poll_transmit().as_deref(), Some(&b"200"[..]));
        assert_eq!(tx.absorbed(), 2);
        let j = tx.poll_timeout().expect("timer J");
        assert_eq!(j - start, timers.timeout());
        tx.handle_timeout(j);
        assert!(tx.is_terminated());
    }

    #[test]
    fn reliable_server_transaction_ends_at_once() {
        let mut tx = ServerTransaction::new(true, TimerConfig::default());
        tx.respond(Instant::now(), 200, b"200".to_vec());
        assert!(tx.poll_transmit().is_some());
        assert!(tx.is_terminated());
    }
}
