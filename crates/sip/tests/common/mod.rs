//! Test harness: an in-memory registrar/notifier peer and a loop that steps a client and the
//! peer through simulated time (like quinn-proto's `Pair` and str0m's `progress`). Nothing
//! here sleeps or binds a socket; time jumps to the earliest deadline of either side.

#![allow(dead_code)]

pub mod ua;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use voicelamp_sip::auth::{DigestAlgorithm, Qop, digest_response};
use voicelamp_sip::message::{Message, MessageBuilder, Method, Request};

pub const SERVER: &str = "203.0.113.5:5060";
pub const CLIENT: &str = "192.0.2.10:5060";

pub fn server_addr() -> SocketAddr {
    SERVER.parse().expect("addr")
}

pub fn client_addr() -> SocketAddr {
    CLIENT.parse().expect("addr")
}

/// A side that the loop can drive.
pub trait Peer {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]);
    fn handle_timeout(&mut self, now: Instant);
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    fn poll_timeout(&self) -> Option<Instant>;
}

/// A scripted answer to the next authenticated request of a method.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// What the notifier does when a SUBSCRIBE is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyMode {
    /// 200 then NOTIFY with the current body.
    AfterOk,
    /// NOTIFY first, 200 later.
    BeforeOk,
    /// 200, no NOTIFY.
    Silent,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub method: Method,
    pub uri: String,
    pub call_id: String,
    pub cseq: u32,
    pub expires: Option<u32>,
    pub contacts: Vec<String>,
    pub routes: Vec<String>,
    pub authorized: bool,
    pub raw: String,
}

/// The in-memory registrar and notifier.
#[derive(Debug)]
pub struct Server {
    pub realm: String,
    pub username: String,
    pub password: String,
    /// `None`: no authentication.
    pub challenge: Option<String>,
    pub stale_nonce_after: Option<Duration>,
    /// Challenge with 407 / Proxy-Authenticate instead of 401.
    pub proxy_auth: bool,
    pub max_expires: u32,
    pub nat: Option<SocketAddr>,
    pub register_replies: VecDeque<Reply>,
    pub subscribe_replies: VecDeque<Reply>,
    /// Every SUBSCRIBE fails with this status (after authentication), when set.
    pub subscribe_always: Option<u16>,
    pub notify_mode: NotifyMode,
    pub summary_body: Vec<u8>,
    pub seen: Vec<Seen>,
    pub responses_to_notify: Vec<u16>,
    pub drop_next_requests: u32,
    /// Subscription-State of the NOTIFY sent after a SUBSCRIBE, instead of `active;expires=N`.
    pub notify_state: Option<String>,
    /// Record-Route entries as they appear in a 2xx to SUBSCRIBE (top first); NOTIFYs carry
    /// them in the other order, as proxies would.
    pub record_route: Vec<String>,
    /// The last accepted SUBSCRIBE and the dialog tag given to it.
    pub last_subscribe: Option<(Request, String)>,
    pub outbox: VecDeque<Vec<u8>>,
    nonce_counter: u32,
    nonce_issued: Option<Instant>,
    dialog_tags: u32,
    notify_cseq: u32,
    delayed_ok: Option<Vec<u8>>,
}

impl Server {
    pub fn new() -> Self {
        Self {
            realm: "example.com".into(),
            username: "alice".into(),
            password: "secret".into(),
            challenge: Some("algorithm=SHA-256, qop=\"auth\"".into()),
            stale_nonce_after: None,
            proxy_auth: false,
            max_expires: 3600,
            nat: None,
            register_replies: VecDeque::new(),
            subscribe_replies: VecDeque::new(),
            subscribe_always: None,
            notify_mode: NotifyMode::AfterOk,
            summary_body: b"Messages-Waiting: yes\r\nVoice-Message: 2/5 (1/0)\r\n".to_vec(),
            seen: Vec::new(),
            responses_to_notify: Vec::new(),
            drop_next_requests: 0,
            notify_state: None,
            record_route: Vec::new(),
            last_subscribe: None,
            outbox: VecDeque::new(),
            nonce_counter: 0,
            nonce_issued: None,
            dialog_tags: 0,
            notify_cseq: 0,
            delayed_ok: None,
        }
    }

    pub fn count(&self, method: &Method) -> usize {
        self.seen.iter().filter(|s| &s.method == method).count()
    }

    pub fn last(&self, method: &Method) -> Option<&Seen> {
        self.seen.iter().rev().find(|s| &s.method == method)
    }

    fn new_nonce(&mut self, now: Instant) -> String {
        self.nonce_counter += 1;
        self.nonce_issued = Some(now);
        format!("nonce{}", self.nonce_counter)
    }

    /// Checks the Authorization header; `Err(stale)` when it must be challenged again.
    fn check_auth(&self, now: Instant, req: &Request) -> Result<(), bool> {
        let name = if self.proxy_auth {
            "Proxy-Authorization"
        } else {
            "Authorization"
        };
        let Some(value) = req.head.header(name) else {
            return Err(false);
        };
        let p = |name: &str| auth_param(&value, name);
        let nonce = p("nonce").unwrap_or_default();
        // Like Kamailio and Asterisk, any nonce this server issued is valid (until stale).
        let issued = nonce
            .strip_prefix("nonce")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 1 && n <= self.nonce_counter);
        if !issued {
            return Err(false);
        }
        let algorithm = match p("algorithm").as_deref() {
            None | Some("MD5") => DigestAlgorithm::Md5,
            Some("SHA-256") => DigestAlgorithm::Sha256,
            Some("SHA-512-256") => DigestAlgorithm::Sha512_256,
            _ => return Err(false),
        };
        let qop = match p("qop").as_deref() {
            Some("auth") => Some(Qop::Auth),
            Some("auth-int") => Some(Qop::AuthInt),
            _ => None,
        };
        let nc = p("nc")
            .and_then(|n| u32::from_str_radix(&n, 16).ok())
            .unwrap_or(0);
        let expected = digest_response(
            algorithm,
            &p("username").unwrap_or_default(),
            &self.realm,
            &self.password,
            &nonce,
            &p("cnonce").unwrap_or_default(),
            nc,
            qop,
            req.method.as_str(),
            &p("uri").unwrap_or_default(),
            &req.body,
        );
        if p("response").as_deref() != Some(expected.as_str()) {
            return Err(false);
        }
        if let (Some(limit), Some(issued)) = (self.stale_nonce_after, self.nonce_issued)
            && now - issued > limit
        {
            return Err(true);
        }
        Ok(())
    }

    fn reply(&self, req: &Request, status: u16, to_tag: Option<&str>) -> MessageBuilder {
        let mut b = MessageBuilder::response(status, reason(status));
        for (i, via) in req.head.header_values("Via").iter().enumerate() {
            let mut via = via.clone();
            if i == 0 {
                let seen = self.nat.unwrap_or(client_addr());
                via = via.replace(";rport", "");
                via.push_str(&format!(";received={};rport={}", seen.ip(), seen.port()));
            }
            b = b.header("Via", &via);
        }
        let to = req.head.header("To").unwrap_or_default();
        let to = match (req.head.to.tag.is_none(), to_tag) {
            (true, Some(tag)) => format!("{to};tag={tag}"),
            _ => to,
        };
        b.header("From", &req.head.header("From").unwrap_or_default())
            .header("To", &to)
            .header("Call-ID", &req.head.call_id)
            .header(
                "CSeq",
                &format!("{} {}", req.head.cseq.seq, req.head.cseq.method),
            )
    }

    fn handle_request(&mut self, now: Instant, req: Request) {
        let authorized = match &self.challenge {
            None => Ok(()),
            Some(_) if matches!(req.method, Method::Register | Method::Subscribe) => {
                self.check_auth(now, &req)
            }
            Some(_) => Ok(()),
        };
        self.seen.push(Seen {
            at: now,
            method: req.method.clone(),
            uri: req.uri.clone(),
            call_id: req.head.call_id.clone(),
            cseq: req.head.cseq.seq,
            expires: req.head.expires(),
            contacts: req.head.header_values("Contact"),
            routes: req.head.header_values("Route"),
            authorized: authorized.is_ok(),
            raw: String::from_utf8_lossy(&req.body).into_owned(),
        });
        if let Err(stale) = authorized {
            let nonce = self.new_nonce(now);
            let challenge = self.challenge.clone().unwrap_or_default();
            let mut value = format!(
                "Digest realm=\"{}\", nonce=\"{nonce}\", {challenge}",
                self.realm
            );
            if stale {
                value.push_str(", stale=true");
            }
            let (status, header) = if self.proxy_auth {
                (407, "Proxy-Authenticate")
            } else {
                (401, "WWW-Authenticate")
            };
            let bytes = self
                .reply(&req, status, Some("srv"))
                .header(header, &value)
                .build();
            self.outbox.push_back(bytes);
            return;
        }
        match req.method {
            Method::Register => self.on_register(req),
            Method::Subscribe => self.on_subscribe(req),
            _ => {
                let bytes = self.reply(&req, 200, Some("srv")).build();
                self.outbox.push_back(bytes);
            }
        }
    }

    fn on_register(&mut self, req: Request) {
        if let Some(reply) = self.register_replies.pop_front() {
            let mut b = self.reply(&req, reply.status, Some("srv"));
            for (n, v) in &reply.headers {
                b = b.header(n, v);
            }
            self.outbox.push_back(b.build());
            return;
        }
        let requested = req.head.expires().unwrap_or(3600);
        let granted = requested.min(self.max_expires);
        let mut b = self.reply(&req, 200, Some("srv"));
        for c in req.head.contacts() {
            if c.expires != Some(0) && requested > 0 {
                b = b.header("Contact", &format!("<{}>;expires={granted}", c.uri));
            }
        }
        self.outbox.push_back(b.build());
    }

    fn on_subscribe(&mut self, req: Request) {
        let failure = self
            .subscribe_replies
            .pop_front()
            .or_else(|| self.subscribe_always.map(Reply::status));
        if let Some(reply) = failure {
            let mut b = self.reply(&req, reply.status, Some("srv"));
            for (n, v) in &reply.headers {
                b = b.header(n, v);
            }
            self.outbox.push_back(b.build());
            return;
        }
        let requested = req.head.expires().unwrap_or(3600);
        let granted = requested.min(self.max_expires);
        let tag = match &req.head.to.tag {
            Some(tag) => tag.clone(),
            None => {
                self.dialog_tags += 1;
                format!("dlg{}", self.dialog_tags)
            }
        };
        let mut ok = self
            .reply(&req, 200, Some(&tag))
            .header("Contact", "<sip:vm@203.0.113.5:5060>")
            .header("Expires", &granted.to_string());
        if req.head.to.tag.is_none() {
            for rr in &self.record_route {
                ok = ok.header("Record-Route", rr);
            }
        }
        let ok = ok.build();
        let state = if granted == 0 {
            "terminated;reason=timeout".to_owned()
        } else if let Some(state) = &self.notify_state {
            state.clone()
        } else {
            format!("active;expires={granted}")
        };
        self.last_subscribe = Some((req.clone(), tag.clone()));
        let notify = self.notify_for(&req, &tag, &state);
        match self.notify_mode {
            NotifyMode::AfterOk => {
                self.outbox.push_back(ok);
                self.outbox.push_back(notify);
            }
            NotifyMode::BeforeOk => {
                self.outbox.push_back(notify);
                self.delayed_ok = Some(ok);
            }
            NotifyMode::Silent => self.outbox.push_back(ok),
        }
    }

    /// A NOTIFY in the dialog of `req` (a SUBSCRIBE).
    pub fn notify_for(&mut self, req: &Request, tag: &str, state: &str) -> Vec<u8> {
        self.notify_cseq += 1;
        let contact = req
            .head
            .contacts()
            .first()
            .map(|c| c.uri.clone())
            .unwrap_or_default();
        let from = format!("{};tag={tag}", req.head.header("To").unwrap_or_default());
        let body = self.summary_body.clone();
        let mut b = MessageBuilder::request(&Method::Notify, &contact);
        for rr in self.record_route.iter().rev() {
            b = b.header("Record-Route", rr);
        }
        b.header(
            "Via",
            &format!("SIP/2.0/UDP {SERVER};branch=z9hG4bKn{}", self.notify_cseq),
        )
        .header("From", &from)
        .header("To", &req.head.header("From").unwrap_or_default())
        .header("Call-ID", &req.head.call_id)
        .header("CSeq", &format!("{} NOTIFY", self.notify_cseq))
        .header("Contact", "<sip:vm@203.0.113.5:5060>")
        .header("Event", "message-summary")
        .header("Subscription-State", state)
        .body("application/simple-message-summary", &body)
        .build()
    }

    /// A NOTIFY in the dialog of the last accepted SUBSCRIBE.
    pub fn notify_in_dialog(&mut self, state: &str) -> Vec<u8> {
        let (req, tag) = self.last_subscribe.clone().expect("a subscription");
        self.notify_for(&req, &tag, state)
    }

    /// An out-of-dialog NOTIFY (Asterisk unsolicited MWI) to `uri`.
    pub fn unsolicited_notify(&mut self, uri: &str, body: &[u8]) -> Vec<u8> {
        self.notify_cseq += 1;
        MessageBuilder::request(&Method::Notify, uri)
            .header(
                "Via",
                &format!("SIP/2.0/UDP {SERVER};branch=z9hG4bKu{}", self.notify_cseq),
            )
            .header("From", "<sip:asterisk@203.0.113.5>;tag=ast")
            .header("To", &format!("<{uri}>"))
            .header("Call-ID", &format!("unsol{}", self.notify_cseq))
            .header("CSeq", "102 NOTIFY")
            .header("Event", "message-summary")
            .header("Subscription-State", "active")
            .body("application/simple-message-summary", body)
            .build()
    }
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Peer for Server {
    fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, bytes: &[u8]) {
        if self.drop_next_requests > 0
            && let Ok(Message::Request(_)) = Message::parse(bytes)
        {
            self.drop_next_requests -= 1;
            return;
        }
        match Message::parse(bytes) {
            Ok(Message::Request(req)) => self.handle_request(now, req),
            Ok(Message::Response(resp)) => {
                if resp.head.cseq.method == Method::Notify {
                    self.responses_to_notify.push(resp.status);
                    if let Some(ok) = self.delayed_ok.take() {
                        self.outbox.push_back(ok);
                    }
                }
            }
            Err(_) => {}
        }
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

pub fn auth_param(header: &str, name: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    let mut search = 0;
    while let Some(pos) = lower[search..].find(&format!("{name}=")) {
        let at = search + pos;
        let before = lower[..at].trim_end();
        if before.ends_with(',') || before.ends_with("digest") {
            let rest = &header[at + name.len() + 1..];
            let value = if let Some(stripped) = rest.strip_prefix('"') {
                stripped.split('"').next().unwrap_or("")
            } else {
                rest.split(',').next().unwrap_or("").trim()
            };
            return Some(value.to_owned());
        }
        search = at + 1;
    }
    None
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        423 => "Interval Too Brief",
        481 => "Call/Transaction Does Not Exist",
        489 => "Bad Event",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// Steps a client and the server through simulated time with a fixed one-way latency.
pub struct Pair<C: Peer> {
    pub client: C,
    pub server: Server,
    pub start: Instant,
    pub now: Instant,
    pub latency: Duration,
    /// Datagrams from the client to drop (counted down).
    pub drop_to_server: u32,
    /// Datagrams from the server to drop (counted down).
    pub drop_to_client: u32,
    pub sent_by_client: u64,
    /// Percentage of datagrams lost at random, both ways.
    pub loss_percent: u64,
    loss_rng: u64,
    in_flight: Vec<(Instant, bool, Vec<u8>)>,
}

impl<C: Peer> Pair<C> {
    pub fn new(start: Instant, client: C, server: Server) -> Self {
        Self {
            client,
            server,
            start,
            now: start,
            latency: Duration::from_millis(20),
            drop_to_server: 0,
            drop_to_client: 0,
            sent_by_client: 0,
            loss_percent: 0,
            loss_rng: 0x9e37_79b9_7f4a_7c15,
            in_flight: Vec::new(),
        }
    }

    /// A deterministic coin (xorshift) for random loss.
    fn lost(&mut self) -> bool {
        if self.loss_percent == 0 {
            return false;
        }
        let mut x = self.loss_rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.loss_rng = x;
        x % 100 < self.loss_percent
    }

    fn drain(&mut self) {
        while let Some(bytes) = self.client.poll_transmit() {
            self.sent_by_client += 1;
            if self.drop_to_server > 0 {
                self.drop_to_server -= 1;
                continue;
            }
            if self.lost() {
                continue;
            }
            self.in_flight.push((self.now + self.latency, true, bytes));
        }
        while let Some(bytes) = self.server.poll_transmit() {
            if self.drop_to_client > 0 {
                self.drop_to_client -= 1;
                continue;
            }
            if self.lost() {
                continue;
            }
            self.in_flight.push((self.now + self.latency, false, bytes));
        }
    }

    /// Inject a datagram from the server (e.g. an unsolicited NOTIFY).
    pub fn server_sends(&mut self, bytes: Vec<u8>) {
        self.in_flight.push((self.now + self.latency, false, bytes));
    }

    /// Runs until nothing is due before `until`; returns the number of steps.
    pub fn run_until(&mut self, until: Instant) -> usize {
        let mut steps = 0;
        loop {
            self.drain();
            let next_delivery = self.in_flight.iter().map(|(t, _, _)| *t).min();
            let next = [
                next_delivery,
                self.client.poll_timeout(),
                self.server.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else {
                self.now = until;
                return steps;
            };
            if next > until {
                self.now = until;
                return steps;
            }
            steps += 1;
            assert!(steps < 1_000_000, "no progress: a busy loop");
            self.now = next.max(self.now);
            let now = self.now;
            if next_delivery == Some(next) {
                let i = self
                    .in_flight
                    .iter()
                    .position(|(t, _, _)| *t == next)
                    .expect("due datagram");
                let (_, to_server, bytes) = self.in_flight.remove(i);
                if to_server {
                    self.server.handle_datagram(now, client_addr(), &bytes);
                } else {
                    self.client.handle_datagram(now, server_addr(), &bytes);
                }
                continue;
            }
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(now);
            }
            if self.server.poll_timeout().is_some_and(|t| t <= now) {
                self.server.handle_timeout(now);
            }
        }
    }

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) -> usize {
        let until = self.now + d;
        self.run_until(until)
    }

    /// Seconds since the start.
    pub fn elapsed(&self, at: Instant) -> f64 {
        (at - self.start).as_secs_f64()
    }
}
