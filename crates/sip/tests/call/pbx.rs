//! An in-memory PBX for call tests: it answers the user agent's INVITEs as a test scripts it
//! (with its own 2xx retransmitted until the ACK, CANCEL answered 200 + 487, BYE/INFO/UPDATE
//! answered 200), and calls the user agent itself (INVITE, CANCEL, BYE, re-INVITE, UPDATE,
//! INFO), retransmitting its requests over UDP as RFC 3261 says. It records everything.

use std::collections::VecDeque;
use std::time::{Duration, Instant};
use voicelamp_sip::message::{Message, MessageBuilder, Request, Response};

pub const PBX: &str = "203.0.113.5:5060";
pub const UA: &str = "192.0.2.10:5060";
pub const T1: Duration = Duration::from_millis(500);

/// One scripted response: after `after`, this status, extra headers, SDP body.
#[derive(Debug, Clone)]
pub struct Step {
    pub after: Duration,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub sdp: Option<Vec<u8>>,
}

pub fn step(after_ms: u64, status: u16) -> Step {
    Step {
        after: Duration::from_millis(after_ms),
        status,
        headers: Vec::new(),
        sdp: None,
    }
}

impl Step {
    pub fn sdp(mut self, body: &[u8]) -> Self {
        self.sdp = Some(body.to_vec());
        self
    }
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// How the PBX answers the n-th INVITE (0-based) of the user agent.
pub type Script = Box<dyn FnMut(&Request, usize) -> Vec<Step>>;

pub const ANSWER_SDP: &[u8] = b"v=0\r\no=pbx 1 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
pub const OFFER_SDP: &[u8] = b"v=0\r\no=pbx 2 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0 8\r\n";

/// A request the PBX sends, retransmitted until answered.
#[derive(Debug)]
struct Outgoing {
    branch: String,
    method: String,
    bytes: Vec<u8>,
    next: Option<Instant>,
    interval: Duration,
    give_up: Instant,
}

/// The PBX's side of a dialog with the user agent (a call the PBX made or answered).
#[derive(Debug, Clone, Default)]
pub struct PbxDialog {
    pub call_id: String,
    /// The PBX's header value with its tag.
    pub local: String,
    /// The user agent's header value with its tag.
    pub remote: String,
    pub remote_target: String,
    pub cseq: u32,
}

pub struct Pbx {
    pub script: Script,
    /// Every request from the user agent: the parsed request and when.
    pub requests: Vec<(Instant, Request)>,
    /// Every response from the user agent.
    pub responses: Vec<(Instant, Response)>,
    pub outbox: VecDeque<Vec<u8>>,
    scheduled: Vec<(Instant, Vec<u8>)>,
    /// The 2xx to the user agent's INVITE, resent until its ACK.
    ok: Option<(Vec<u8>, Instant, Duration, Instant)>,
    /// The INVITE being answered and its To tag.
    answering: Option<(Request, String)>,
    invites: usize,
    outgoing: Vec<Outgoing>,
    pub dialog: Option<PbxDialog>,
    /// The INVITE the PBX sent to the user agent (for CANCEL and ACK).
    our_invite: Option<Request>,
    counter: u32,
    /// Record-Route the PBX (as a proxy) puts into dialogs.
    pub record_route: Option<String>,
    /// Answer the user agent's UPDATE/re-INVITE with this status instead of 200, and these
    /// headers.
    pub refresh_status: u16,
    /// Statuses for the next re-INVITEs of the user agent, in order (then `refresh_status`).
    pub reinvite_statuses: VecDeque<u16>,
    pub refresh_headers: Vec<(String, String)>,
    /// Leave UPDATE out of the PBX's Allow.
    pub no_update: bool,
    /// A final response to the INVITE being answered went out.
    answered: bool,
    /// The last 2xx to the user agent's INVITE.
    pub last_ok: Option<Vec<u8>>,
    /// The last response to the user agent's INVITE.
    last_to_invite: Option<Vec<u8>>,
    /// The status each in-dialog request (by branch) was answered with.
    responded: Vec<(String, u16)>,
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        302 => "Moved Temporarily",
        401 => "Unauthorized",
        487 => "Request Terminated",
        _ => "Whatever",
    }
}

impl Pbx {
    pub fn new(script: Script) -> Self {
        Self {
            script,
            requests: Vec::new(),
            responses: Vec::new(),
            outbox: VecDeque::new(),
            scheduled: Vec::new(),
            ok: None,
            answering: None,
            invites: 0,
            outgoing: Vec::new(),
            dialog: None,
            our_invite: None,
            counter: 0,
            record_route: Some("<sip:203.0.113.5:5060;lr>".into()),
            refresh_status: 200,
            reinvite_statuses: VecDeque::new(),
            refresh_headers: Vec::new(),
            no_update: false,
            answered: false,
            last_ok: None,
            last_to_invite: None,
            responded: Vec::new(),
        }
    }

    /// Requests of a method from the user agent so far.
    pub fn count(&self, method: &str) -> usize {
        self.requests
            .iter()
            .filter(|(_, r)| r.method.as_str() == method)
            .count()
    }

    pub fn last(&self, method: &str) -> Option<&Request> {
        self.requests
            .iter()
            .rev()
            .map(|(_, r)| r)
            .find(|r| r.method.as_str() == method)
    }

    /// Statuses the user agent answered with, for requests of `method`.
    pub fn statuses(&self, method: &str) -> Vec<u16> {
        self.responses
            .iter()
            .filter(|(_, r)| r.head.cseq.method.as_str() == method)
            .map(|(_, r)| r.status)
            .collect()
    }

    fn response(&self, req: &Request, status: u16, tag: Option<&str>) -> MessageBuilder {
        let b = MessageBuilder::response_to(req, status, reason(status), tag);
        match &self.record_route {
            Some(rr) if req.method.as_str() == "INVITE" && status > 100 => {
                b.header("Record-Route", rr)
            }
            _ => b,
        }
    }

    fn answer_now(&mut self, req: &Request, status: u16) {
        let tag = self.answering.as_ref().map(|(_, t)| t.clone());
        let bytes = self.response(req, status, tag.as_deref()).build();
        self.outbox.push_back(bytes);
    }

    pub fn handle(&mut self, now: Instant, bytes: &[u8]) {
        match Message::parse(bytes) {
            Ok(Message::Request(req)) => self.on_request(now, req),
            Ok(Message::Response(resp)) => self.on_response(now, resp),
            Err(e) => panic!("the user agent sent something unreadable: {e}"),
        }
    }

    fn on_request(&mut self, now: Instant, req: Request) {
        self.requests.push((now, req.clone()));
        match req.method.as_str() {
            "INVITE" if req.head.to.tag.is_none() => {
                if let Some((inv, _)) = &self.answering
                    && inv.head.vias[0].branch == req.head.vias[0].branch
                {
                    // A copy: the last answer again (like a server transaction); the
                    // scheduled ones go on.
                    if let Some(last) = self.last_to_invite.clone() {
                        self.outbox.push_back(last);
                    }
                    return;
                }
                self.last_to_invite = None;
                let n = self.invites;
                self.invites += 1;
                self.counter += 1;
                let tag = format!("pbx{}", self.counter);
                self.answering = Some((req.clone(), tag.clone()));
                self.answered = false;
                let steps = (self.script)(&req, n);
                for s in steps {
                    let mut b =
                        self.response(&req, s.status, (s.status > 100).then_some(tag.as_str()));
                    if !s.headers.iter().any(|(n, _)| n == "Contact") {
                        b = b.header("Contact", "<sip:bob@203.0.113.5:5060>");
                    }
                    if s.status >= 200 && s.status < 300 {
                        let allow = if self.no_update {
                            "INVITE, ACK, CANCEL, BYE, INFO"
                        } else {
                            "INVITE, ACK, CANCEL, BYE, UPDATE, INFO"
                        };
                        b = b.header("Allow", allow);
                    }
                    for (n, v) in &s.headers {
                        b = b.header(n, v);
                    }
                    let bytes = match &s.sdp {
                        Some(body) => b.body("application/sdp", body).build(),
                        None => b.build(),
                    };
                    self.scheduled.push((now + s.after, bytes));
                }
            }
            "INVITE" | "UPDATE" => {
                // A re-INVITE or UPDATE from the user agent (a refresh or a new offer). A copy
                // of a re-INVITE already answered gets the same status again.
                let branch = req.head.vias[0].branch.clone().unwrap_or_default();
                let copy_status = self
                    .responded
                    .iter()
                    .find(|(b, _)| *b == branch)
                    .map(|(_, s)| *s);
                let status = match copy_status {
                    Some(s) => s,
                    None if req.method.as_str() == "INVITE" => self
                        .reinvite_statuses
                        .pop_front()
                        .unwrap_or(self.refresh_status),
                    None => self.refresh_status,
                };
                if copy_status.is_none() {
                    self.responded.push((branch, status));
                }
                let mut b = self
                    .response(&req, status, None)
                    .header("Contact", "<sip:bob@203.0.113.5:5060>");
                if let Some(se) = req.head.header("Session-Expires")
                    && status == 200
                {
                    b = b.header("Session-Expires", &se).header("Require", "timer");
                }
                for (n, v) in &self.refresh_headers {
                    b = b.header(n, v);
                }
                let bytes = if req.method.as_str() == "INVITE" && status == 200 {
                    b.body("application/sdp", ANSWER_SDP).build()
                } else {
                    b.build()
                };
                if req.method.as_str() == "INVITE" && status == 200 {
                    self.ok = Some((bytes.clone(), now + T1, T1, now + T1 * 64));
                }
                self.outbox.push_back(bytes);
            }
            "ACK" => {
                self.ok = None;
            }
            "CANCEL" => {
                let ok = self.response(&req, 200, None).build();
                self.outbox.push_back(ok);
                self.scheduled.clear();
                if let Some((inv, _)) = self.answering.clone()
                    && !self.answered
                {
                    self.answer_now(&inv, 487);
                }
            }
            "BYE" | "INFO" | "OPTIONS" => {
                let ok = self.response(&req, 200, None).build();
                self.outbox.push_back(ok);
            }
            other => panic!("unexpected {other} from the user agent"),
        }
    }

    fn on_response(&mut self, now: Instant, resp: Response) {
        self.responses.push((now, resp.clone()));
        let branch = resp.head.vias[0].branch.clone().unwrap_or_default();
        let method = resp.head.cseq.method.as_str().to_owned();
        if let Some(i) = self
            .outgoing
            .iter()
            .position(|o| o.branch == branch && o.method == method)
        {
            if resp.status >= 200 || method == "INVITE" {
                // An INVITE stops being resent at the first response; others at the final one.
                self.outgoing[i].next = None;
            }
            if resp.status >= 200 {
                self.outgoing.remove(i);
            }
        }
        if method == "INVITE" && resp.status >= 200 {
            self.ack(&resp);
        }
    }

    /// ACK for a final response to our INVITE (2xx: in the dialog, new branch; else the
    /// INVITE's branch).
    fn ack(&mut self, resp: &Response) {
        let Some(inv) = self.our_invite.clone() else {
            return;
        };
        if resp.head.cseq.seq != inv.head.cseq.seq {
            // A re-INVITE of ours: ACK in the dialog.
        }
        let d = self.dialog.get_or_insert_with(PbxDialog::default);
        if resp.status < 300 {
            d.remote = resp.head.header("To").unwrap_or_default();
            if let Some(c) = resp.head.contacts().first() {
                d.remote_target = c.uri.clone();
            }
        }
        let branch = if resp.status < 300 {
            self.counter += 1;
            format!("z9hG4bKpbxack{}", self.counter)
        } else {
            resp.head.vias[0].branch.clone().unwrap_or_default()
        };
        let d = self.dialog.clone().unwrap_or_default();
        let to = resp.head.header("To").unwrap_or_default();
        let uri = if resp.status < 300 {
            d.remote_target.clone()
        } else {
            inv.uri.clone()
        };
        let ack =
            MessageBuilder::request(&voicelamp_sip::message::Method::Other("ACK".into()), &uri)
                .header("Via", &format!("SIP/2.0/UDP {PBX};branch={branch}"))
                .header("From", &d.local)
                .header("To", &to)
                .header("Call-ID", &d.call_id)
                .header("CSeq", &format!("{} ACK", resp.head.cseq.seq));
        // An INVITE without an offer got one in the 2xx: the answer rides in the ACK.
        let ack = if resp.status < 300 && inv.body.is_empty() && !resp.body.is_empty() {
            ack.body("application/sdp", ANSWER_SDP).build()
        } else {
            ack.build()
        };
        self.outbox.push_back(ack);
    }

    fn send_request(&mut self, now: Instant, method: &str, branch: String, bytes: Vec<u8>) {
        self.outbox.push_back(bytes.clone());
        self.outgoing.push(Outgoing {
            branch,
            method: method.to_owned(),
            bytes,
            next: Some(now + T1),
            interval: T1,
            give_up: now + T1 * 64,
        });
    }

    /// The PBX calls the user agent (`offer`: SDP or none).
    pub fn invite(
        &mut self,
        now: Instant,
        offer: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> String {
        self.counter += 1;
        let call_id = format!("pbxcall{}", self.counter);
        let local = format!(
            "\"Bob\" <sip:+4930123@203.0.113.5>;tag=pbxfrom{}",
            self.counter
        );
        self.dialog = Some(PbxDialog {
            call_id: call_id.clone(),
            local: local.clone(),
            remote: String::new(),
            remote_target: format!("sip:alice@{UA}"),
            cseq: 1,
        });
        let branch = format!("z9hG4bKpbxinv{}", self.counter);
        let mut b = MessageBuilder::request(
            &voicelamp_sip::message::Method::Other("INVITE".into()),
            &format!("sip:alice@{UA}"),
        )
        .header("Via", &format!("SIP/2.0/UDP {PBX};branch={branch}"))
        .header("Max-Forwards", "70")
        .header("From", &local)
        .header("To", "<sip:alice@example.com>")
        .header("Call-ID", &call_id)
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:bob@203.0.113.5:5060>")
        .header("Allow", "INVITE, ACK, CANCEL, BYE, UPDATE, INFO");
        if let Some(rr) = &self.record_route {
            b = b.header("Record-Route", rr);
        }
        for (n, v) in headers {
            b = b.header(n, v);
        }
        let bytes = match offer {
            Some(sdp) => b.body("application/sdp", sdp).build(),
            None => b.build(),
        };
        if let Ok(Message::Request(req)) = Message::parse(&bytes) {
            self.our_invite = Some(req);
        }
        self.send_request(now, "INVITE", branch, bytes);
        call_id
    }

    /// CANCEL for the PBX's ringing INVITE.
    pub fn cancel(&mut self, now: Instant) {
        let inv = self.our_invite.clone().expect("an INVITE to cancel");
        let branch = inv.head.vias[0].branch.clone().unwrap_or_default();
        let bytes = MessageBuilder::request(
            &voicelamp_sip::message::Method::Other("CANCEL".into()),
            &inv.uri,
        )
        .header("Via", &format!("SIP/2.0/UDP {PBX};branch={branch}"))
        .header("From", &inv.head.header("From").unwrap_or_default())
        .header("To", &inv.head.header("To").unwrap_or_default())
        .header("Call-ID", &inv.head.call_id)
        .header("CSeq", "1 CANCEL")
        .build();
        self.send_request(now, "CANCEL", branch, bytes);
    }

    /// A request inside the dialog of the PBX's own call (`from_callee`: the PBX answered the
    /// user agent's call, so the dialog's values come from that INVITE).
    pub fn in_dialog(
        &mut self,
        now: Instant,
        method: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &[u8])>,
    ) {
        if self.dialog.is_none()
            && let Some((inv, tag)) = self.answering.clone()
        {
            let contact = inv
                .head
                .contacts()
                .first()
                .map(|c| c.uri.clone())
                .unwrap_or_default();
            self.dialog = Some(PbxDialog {
                call_id: inv.head.call_id.clone(),
                local: format!("{};tag={tag}", inv.head.header("To").unwrap_or_default()),
                remote: inv.head.header("From").unwrap_or_default(),
                remote_target: contact,
                cseq: 100,
            });
        }
        let d = self.dialog.as_mut().expect("a dialog");
        d.cseq += 1;
        let d = d.clone();
        self.counter += 1;
        let branch = format!("z9hG4bKpbx{}{}", method.to_lowercase(), self.counter);
        let mut b = MessageBuilder::request(
            &voicelamp_sip::message::Method::Other(method.into()),
            &d.remote_target,
        )
        .header("Via", &format!("SIP/2.0/UDP {PBX};branch={branch}"))
        .header("Max-Forwards", "70")
        .header("From", &d.local)
        .header("To", &d.remote)
        .header("Call-ID", &d.call_id)
        .header("CSeq", &format!("{} {method}", d.cseq))
        .header("Contact", "<sip:bob@203.0.113.5:5060>");
        for (n, v) in headers {
            b = b.header(n, v);
        }
        let bytes = match body {
            Some((t, body)) => b.body(t, body).build(),
            None => b.build(),
        };
        if method == "INVITE"
            && let Ok(Message::Request(req)) = Message::parse(&bytes)
        {
            self.our_invite = Some(req);
        }
        self.send_request(now, method, branch, bytes);
    }

    /// The bytes of the PBX's last request of `method` (to send a copy by hand).
    pub fn last_sent(&self, method: &str) -> Option<Vec<u8>> {
        self.outgoing
            .iter()
            .rev()
            .find(|o| o.method == method)
            .map(|o| o.bytes.clone())
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let (due, later): (Vec<_>, Vec<_>) = self.scheduled.drain(..).partition(|(t, _)| *t <= now);
        self.scheduled = later;
        for (_, bytes) in due {
            self.last_to_invite = Some(bytes.clone());
            if !bytes.starts_with(b"SIP/2.0 1") {
                self.answered = true;
            }
            if bytes.starts_with(b"SIP/2.0 2") {
                self.last_ok = Some(bytes.clone());
                self.ok = Some((bytes.clone(), now + T1, T1, now + T1 * 64));
            }
            self.outbox.push_back(bytes);
        }
        if let Some((bytes, next, interval, until)) = self.ok.clone()
            && next <= now
        {
            if now >= until {
                self.ok = None;
            } else {
                let interval = (interval * 2).min(Duration::from_secs(4));
                self.ok = Some((bytes.clone(), now + interval, interval, until));
                self.outbox.push_back(bytes);
            }
        }
        let mut resend = Vec::new();
        self.outgoing.retain(|o| now < o.give_up);
        for o in &mut self.outgoing {
            if let Some(next) = o.next
                && next <= now
            {
                o.interval = if o.method == "INVITE" {
                    o.interval * 2
                } else {
                    (o.interval * 2).min(Duration::from_secs(4))
                };
                o.next = Some(now + o.interval);
                resend.push(o.bytes.clone());
            }
        }
        self.outbox.extend(resend);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let scheduled = self.scheduled.iter().map(|(t, _)| *t).min();
        let ok = self.ok.as_ref().map(|(_, next, _, _)| *next);
        let outgoing = self
            .outgoing
            .iter()
            .flat_map(|o| [o.next, Some(o.give_up)])
            .flatten()
            .min();
        [scheduled, ok, outgoing].into_iter().flatten().min()
    }
}
