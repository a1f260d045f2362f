//! The engine at run time: configuration → passwords → the `voicelamp-net` driver → the lamp
//! model → [`EngineEvent`]s. The desktop app and the CLI both run it; neither holds this logic.
//!
//! [`Engine::start`] spawns the driver on the current tokio runtime and adds every account;
//! [`Engine::next`] waits for the driver's next event and returns what changed;
//! [`Engine::snapshot`] is the whole state as events; [`Engine::shutdown`] unsubscribes and
//! unregisters (bounded). [`diagnose`] turns one account's history into words for `check` and the
//! app's "test" button.

mod calls;
mod diagnose;

pub use calls::{CallRefused, KEY_GAP, MAX_QUEUED_KEYS};
pub use diagnose::{Diagnosis, check, diagnose};

use crate::event::RegistrationEvent;
use crate::secrets::NoKeyring;
use crate::{
    Config, EngineEvent, LampModel, PasswordSource, RegistrationState, SecretStore, SipAccount,
    resolve_password,
};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use voicelamp_net::voicelamp_sip::auth::Credentials;
use voicelamp_net::voicelamp_sip::{AccountId, Event};
use voicelamp_net::{
    AccountSpec, LifeEvent, Net, NetConfig, NetEvent, Target, TlsOptions, TransportState,
};

/// A lamp's reason while the computer goes to sleep.
pub const COMPUTER_SLEEPING: &str = "the computer is going to sleep; checking again when it wakes";
/// A lamp's reason after the computer woke, until its server confirms the count.
pub const COMPUTER_WOKE: &str = "the computer was asleep; checking again…";

/// Events kept per account for diagnosis.
const HISTORY: usize = 1000;

/// What an account's voicemail store (IMAP) reported, for lamps it drives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapReport {
    /// Unheard messages in the INBOX.
    Counts {
        /// Not heard yet.
        unseen: u32,
        /// Of those, urgent.
        urgent_unseen: u32,
    },
    /// The store cannot be reached (why, in words).
    Lost(String),
    /// The store refused the account's password and is not tried again until the settings
    /// change (why, in words, with what to do).
    Refused(String),
}

/// What stops the engine from starting.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The named account is not in the configuration.
    #[error("no account {0:?} in the configuration (accounts: {1})")]
    NoSuchAccount(String, String),
    /// The network driver stopped or failed.
    #[error(transparent)]
    Net(#[from] voicelamp_net::NetError),
}

#[cfg(feature = "keyring")]
fn open_keyring() -> Result<crate::secrets::KeyringStore, crate::SecretError> {
    crate::secrets::KeyringStore::open()
}

#[cfg(not(feature = "keyring"))]
fn open_keyring() -> Result<NoKeyring, crate::SecretError> {
    Ok(NoKeyring)
}

/// One configured account in a running engine.
#[derive(Debug)]
pub struct EngineAccount {
    /// Configured id.
    pub id: String,
    /// The driver's id, when it was started.
    pub net_id: Option<AccountId>,
    /// Why it could not start or cannot reach its server now.
    pub problem: Option<String>,
    /// Mailboxes.
    pub mailboxes: Vec<String>,
    /// Its lamp is driven by its voicemail store's unheard counts (`lamp_sources`).
    pub imap_feeds_lamp: bool,
    /// It registers (`false`: subscribe only).
    pub register: bool,
    /// Its voicemail store is connected and drives its own mailbox's lamp: SIP reports about
    /// that mailbox are then left aside (the two can disagree for a moment, and a lamp that
    /// flips between them would notify again and again).
    pub imap_live: bool,
    /// The newest user agent events about it (at most 1,000), in order (for `check`).
    pub history: std::collections::VecDeque<Event>,
    /// The path to its server.
    pub transport: Option<TransportState>,
    /// Where it sends.
    pub target: Option<Target>,
    /// The name to show.
    pub name: String,
    /// What calls on it need (voicemail number, PIN, dial tone).
    pub(crate) calls: calls::LineCalls,
}

/// A running driver with its lamp model.
#[derive(Debug)]
pub struct Engine {
    /// The network driver (its handle and event stream).
    pub net: Net,
    /// The lamps.
    pub model: LampModel,
    /// The configured accounts, in configuration order.
    pub accounts: Vec<EngineAccount>,
    by_net_id: BTreeMap<usize, usize>,
    /// Calls as shown.
    calls: crate::call::CallModel,
    /// Keys (and the voicemail PIN) waiting to be sent.
    keys: calls::Keys,
    /// The PIN's delay, from the answer of a voicemail call that sends it.
    pin_delay: Option<Duration>,
    /// The sound devices calls use.
    audio: crate::AudioConfig,
}

impl Engine {
    /// Starts the accounts of `config` (only `only` when given), with passwords from `secrets`
    /// and `user_agent` as the SIP `User-Agent`. Accounts that cannot start (bad address, no
    /// password) are reported as failed registrations in the returned events, not fatal.
    ///
    /// Must be called inside a tokio runtime (the driver is spawned on it).
    pub fn start(
        config: &Config,
        only: Option<&str>,
        secrets: &dyn SecretStore,
        user_agent: &str,
    ) -> Result<(Self, Vec<EngineEvent>), RuntimeError> {
        let config = match only {
            None => config.clone(),
            Some(id) => {
                let account = config.account(id).cloned().ok_or_else(|| {
                    let ids: Vec<&str> = config.accounts.iter().map(|a| a.id.as_str()).collect();
                    RuntimeError::NoSuchAccount(id.to_owned(), ids.join(", "))
                })?;
                Config {
                    accounts: vec![account],
                    ..config.clone()
                }
            }
        };
        let mut model = LampModel::new(&config);
        let mut net_config = NetConfig::default();
        user_agent.clone_into(&mut net_config.ua.user_agent);
        // One call at a time: a second incoming call is answered busy (and listed as missed).
        net_config.ua.max_calls = 1;
        let net = voicelamp_net::spawn(net_config);
        let mut accounts = Vec::new();
        let mut by_net_id = BTreeMap::new();
        let mut early = Vec::new();
        for (index, account) in config.accounts.iter().enumerate() {
            let mailboxes = account
                .monitored_mailboxes()
                .into_iter()
                .map(|m| m.uri)
                .collect();
            let mut entry = EngineAccount {
                id: account.id.clone(),
                imap_feeds_lamp: account
                    .lamp_feeds()
                    .contains(&crate::config::LampFeed::Imap),
                register: account.register,
                imap_live: false,
                net_id: None,
                problem: None,
                mailboxes,
                history: std::collections::VecDeque::new(),
                transport: None,
                target: None,
                name: account.name().to_owned(),
                calls: calls::line_calls(account, secrets),
            };
            let prepared = SipAccount::from_config(account)
                .map_err(|e| e.to_string())
                .and_then(|sip| {
                    let secret = resolve_password(account, secrets).map_err(|e| e.to_string())?;
                    let mut spec = spec(&sip, &secret);
                    // An account started alone is being looked at (`check`): the registrar is
                    // asked first which devices are bound, so one our REGISTER replaces (a desk
                    // phone on the same extension) can be named.
                    spec.query_bindings = only.is_some();
                    Ok(spec)
                });
            match prepared {
                Ok(spec) => {
                    entry.target = spec.target.clone();
                    let id = net.handle.add_account(spec)?;
                    model.bind_sip_account(id, &account.id);
                    by_net_id.insert(id.0, index);
                    entry.net_id = Some(id);
                }
                Err(why) => {
                    tracing::error!(account = %account.id, %why, "account not started");
                    early.push(failed(&account.id, &why));
                    entry.problem = Some(why);
                }
            }
            accounts.push(entry);
        }
        Ok((
            Self {
                net,
                model,
                accounts,
                by_net_id,
                calls: crate::call::CallModel::new(),
                keys: calls::Keys::default(),
                pin_delay: None,
                audio: config.audio.clone(),
            },
            early,
        ))
    }

    /// Waits for the driver's next event and returns what changed (possibly nothing);
    /// `None` when the driver has stopped.
    pub async fn next(&mut self) -> Option<Vec<EngineEvent>> {
        let due = self.keys.poll_timeout();
        let sleep = async {
            match due {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = self.net.events.recv() => Some(self.apply(event?)),
            () = sleep => {
                self.keys_due();
                Some(Vec::new())
            }
        }
    }

    fn apply(&mut self, event: NetEvent) -> Vec<EngineEvent> {
        match event {
            NetEvent::Sip(event) => {
                let mut imap_drives = false;
                if let Some(account) = sip_account(&event).and_then(|id| self.account_mut(id)) {
                    // The newest events matter for a diagnosis: keep a bounded window of them.
                    if account.history.len() >= HISTORY {
                        account.history.pop_front();
                    }
                    account.history.push_back(event.clone());
                    imap_drives = account.imap_live;
                }
                if let Event::Mailbox {
                    account,
                    summary:
                        voicelamp_net::voicelamp_sip::message_summary::SummaryBody::Summary(summary),
                    ..
                } = &event
                    && let Some(entry) = self.account_mut(*account)
                    && summary.account.is_some()
                {
                    entry.calls.message_account.clone_from(&summary.account);
                }
                if imap_drives && self.about_own_mailbox(&event) {
                    return Vec::new();
                }
                self.model.apply(&event, SystemTime::now())
            }
            NetEvent::Life(life) => {
                let why = match life {
                    LifeEvent::Sleeping => COMPUTER_SLEEPING,
                    LifeEvent::Woke => COMPUTER_WOKE,
                };
                self.model.apply_computer_slept(why, SystemTime::now())
            }
            NetEvent::Call {
                account,
                call,
                update,
            } => self.apply_call(account, call, &update),
            NetEvent::Transport { account, state } => {
                let Some(entry) = self.account_mut(account) else {
                    return Vec::new();
                };
                entry.transport = Some(state.clone());
                match state {
                    TransportState::Up { .. } => {
                        entry.problem = None;
                        Vec::new()
                    }
                    TransportState::Down { why, retry_in } => {
                        let retry = if retry_in == Duration::MAX {
                            String::new()
                        } else {
                            format!("; trying again in {} s", retry_in.as_secs().max(1))
                        };
                        let problem = format!("cannot reach the server: {why}{retry}");
                        entry.problem = Some(problem.clone());
                        let id = entry.id.clone();
                        let mut changes = vec![failed(&id, &problem)];
                        changes.extend(self.model.apply_connection_lost(
                            account,
                            &why,
                            SystemTime::now(),
                        ));
                        changes
                    }
                }
            }
        }
    }

    fn account_mut(&mut self, id: AccountId) -> Option<&mut EngineAccount> {
        let index = *self.by_net_id.get(&id.0)?;
        self.accounts.get_mut(index)
    }

    /// The current state as events; accounts that could not start or reach their server show
    /// as failed with the reason.
    pub fn snapshot(&self) -> Vec<EngineEvent> {
        self.model
            .snapshot()
            .into_iter()
            .map(|event| match event {
                EngineEvent::Registration(r) if r.state != RegistrationState::Registered => {
                    match self
                        .accounts
                        .iter()
                        .find(|a| a.id == r.account)
                        .and_then(|a| a.problem.as_deref())
                    {
                        Some(why) => failed(&r.account, why),
                        None => EngineEvent::Registration(r),
                    }
                }
                other => other,
            })
            .collect()
    }

    /// The account's own mailbox URI (the one its voicemail store holds), if it is monitored.
    pub fn own_mailbox(&self, account: &str) -> Option<String> {
        self.model
            .account(account)?
            .mailboxes
            .iter()
            .find(|m| m.own)
            .map(|m| m.uri.clone())
    }

    /// Applies what `account`'s voicemail store reported to its own mailbox's lamp, when the
    /// store drives it; returns what changed. While the store reports counts it alone drives
    /// that lamp; once it is lost, the lamp goes stale (if its counts were the store's) and SIP
    /// drives it again from its next NOTIFY.
    pub fn apply_imap(&mut self, account: &str, report: &ImapReport) -> Vec<EngineEvent> {
        let feeds = self
            .accounts
            .iter()
            .any(|a| a.id == account && a.imap_feeds_lamp);
        let Some(mailbox) = self.own_mailbox(account).filter(|_| feeds) else {
            return Vec::new();
        };
        let now = SystemTime::now();
        let live = matches!(report, ImapReport::Counts { .. });
        if let Some(entry) = self.accounts.iter_mut().find(|a| a.id == account) {
            entry.imap_live = live;
        }
        match report {
            ImapReport::Counts {
                unseen,
                urgent_unseen,
            } => {
                self.model
                    .apply_imap_counts(account, &mailbox, *unseen, Some(*urgent_unseen), now)
            }
            ImapReport::Lost(why) => self.model.apply_imap_lost(account, &mailbox, why, now),
            ImapReport::Refused(why) => self.model.apply_imap_refused(account, &mailbox, why, now),
        }
    }

    /// Whether a user agent event is about its account's own mailbox.
    fn about_own_mailbox(&self, event: &Event) -> bool {
        let uri = match event {
            Event::Mailbox { mailbox_uri, .. }
            | Event::MailboxStale { mailbox_uri, .. }
            | Event::MailboxFailed { mailbox_uri, .. } => mailbox_uri,
            _ => return false,
        };
        let Some(index) = sip_account(event).and_then(|id| self.by_net_id.get(&id.0)) else {
            return false;
        };
        self.accounts
            .get(*index)
            .and_then(|a| self.own_mailbox(&a.id))
            .is_some_and(|own| crate::config::same_uri(&own, uri))
    }

    /// What a person sees: every line sorted, registrations, totals and the tooltip words, with
    /// an account's start or connection problem as its reason.
    pub fn view(&self) -> crate::view::LinesView {
        crate::view::LinesView::build(&self.model, |id| {
            self.accounts
                .iter()
                .find(|a| a.id == id)
                .and_then(|a| a.problem.as_deref())
        })
    }

    /// Every account's diagnosis in words, as `check` words it (for a support report).
    pub fn report(&self) -> String {
        let mut out = String::new();
        for account in &self.accounts {
            out.push_str(&diagnose(account, 0).0);
        }
        if out.is_empty() {
            out.push_str("No account is configured.\n");
        }
        out
    }

    /// Unsubscribes and unregisters (bounded), and returns the last changes.
    pub async fn shutdown(&mut self) -> Vec<EngineEvent> {
        if let Err(e) = self.net.handle.shutdown().await {
            tracing::warn!(error = %e, "shutdown");
        }
        let mut out = Vec::new();
        while let Ok(event) = self.net.events.try_recv() {
            out.extend(self.apply(event));
        }
        out
    }
}

fn failed(account: &str, why: &str) -> EngineEvent {
    EngineEvent::Registration(RegistrationEvent {
        account: account.to_owned(),
        state: RegistrationState::Failed,
        reason: Some(why.to_owned()),
    })
}

fn sip_account(event: &Event) -> Option<AccountId> {
    match event {
        Event::Registration { account, .. }
        | Event::Bindings { account, .. }
        | Event::Mailbox { account, .. }
        | Event::MailboxStale { account, .. }
        | Event::MailboxFailed { account, .. }
        | Event::Call { account, .. } => Some(*account),
        Event::BodyError { account, .. } => *account,
        Event::InvalidMessage { .. } => None,
    }
}

/// The OS keyring when an account needs it and it can be opened; else a store that says why not.
pub fn secret_store(config: &Config) -> Box<dyn SecretStore> {
    if !config
        .accounts
        .iter()
        .any(|a| a.password == PasswordSource::Keyring)
    {
        return Box::new(NoKeyring);
    }
    match open_keyring() {
        Ok(store) => Box::new(store),
        Err(e) => {
            tracing::warn!(error = %e, "the OS keyring cannot be opened");
            Box::new(NoKeyring)
        }
    }
}

/// The driver's account for a configured one.
fn spec(sip: &SipAccount, secret: &crate::Secret) -> AccountSpec {
    let credentials = Credentials {
        username: sip.auth_user.clone(),
        password: secret.expose().to_owned(),
    };
    let mut spec = AccountSpec::new(&sip.aor, &sip.registrar_uri, Some(credentials));
    let hop = sip.next_hop();
    spec.target = Some(Target {
        host: hop
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port: hop.port,
        transport: hop.transport,
    });
    spec.outbound_proxy = sip.outbound_proxy.as_ref().map(|p| p.uri.clone());
    spec.contact_user = sip.contact_user.clone();
    spec.register_expires = sip.expires;
    spec.subscribe_expires = sip.expires;
    spec.mailboxes = sip.mailboxes.clone();
    spec.unsolicited = sip.unsolicited;
    spec.local_port = sip.local_port;
    spec.register = sip.register;
    spec.incoming_calls = match sip.incoming_calls {
        crate::IncomingCalls::Ring => voicelamp_net::voicelamp_sip::IncomingCalls::Ring,
        crate::IncomingCalls::Off => voicelamp_net::voicelamp_sip::IncomingCalls::Off,
    };
    spec.tls = TlsOptions {
        ca_file: sip.tls.ca_file.clone(),
        insecure_skip_verify: sip.tls.insecure_skip_verify,
    };
    spec
}
