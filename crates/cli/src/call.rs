//! `voicelamp-cli call ACCOUNT TARGET …` and `voicelamp-cli voicemail ACCOUNT …`: one call from
//! the command line. The line connects (registers, or only reaches its server with
//! `register = false`), the call is placed, its states and RTCP figures are printed (JSON lines
//! with `--json`), keys follow with `--dtmf` once it is answered, and it ends when the far end
//! hangs up, after `--for` seconds, or on Ctrl-C/SIGTERM (we hang up).
//!
//! Sound: `--play FILE.wav` is the microphone (silence after it), `--record FILE.wav` gets what
//! the call hears (complete once the command returns); `--sound` uses the sound devices of
//! `[audio]`; without any of them the call runs silent.
//!
//! Exit codes: 0 the call was answered and ended by someone hanging up; 1 it failed (busy, not
//! found, no common codec, not answered, the line did not connect); 2 usage or configuration.

use crate::error::CliError;
use crate::print;
use crate::watch::terminated;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use voicelamp_core::call::{CallCommand, CallState};
use voicelamp_core::runtime::Engine;
use voicelamp_core::{Config, EngineEvent, RegistrationState};
use voicelamp_net::TransportState;
use voicelamp_net::voicelamp_media::AudioPort;

/// How long the line may take to connect before the call is given up.
const CONNECT_WAIT: Duration = Duration::from_secs(15);

/// What `call` and `voicemail` share.
#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// Keys to send once the call is answered (0-9, *, #, A-D), e.g. 1234#.
    #[arg(long, value_name = "DIGITS")]
    dtmf: Option<String>,
    /// Seconds after the answer before the keys are sent.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    dtmf_after: f64,
    /// A WAV file sent as the microphone.
    #[arg(long, value_name = "FILE.wav")]
    play: Option<PathBuf>,
    /// Record what the call hears into this WAV file.
    #[arg(long, value_name = "FILE.wav")]
    record: Option<PathBuf>,
    /// Use the sound devices of the configuration's [audio] (else the system's defaults)
    /// instead of files.
    #[arg(long, conflicts_with_all = ["play", "record"])]
    sound: bool,
    /// Hang up this many seconds after the answer.
    #[arg(long = "for", value_name = "SECONDS")]
    duration: Option<f64>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Arguments of `call`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The account (line) to call from.
    account: String,
    /// What to dial: a number, an extension, *97, or a sip:/tel: URI.
    target: String,
    #[command(flatten)]
    call: CallArgs,
}

/// Arguments of `voicemail`.
#[derive(Debug, clap::Args)]
pub struct VoicemailArgs {
    /// The account (line) whose voicemail to call.
    account: String,
    #[command(flatten)]
    call: CallArgs,
}

pub async fn run(config: Config, args: Args) -> Result<ExitCode, CliError> {
    let command = CallCommand::Start {
        line: args.account.clone(),
        target: args.target,
    };
    call(config, &args.account, command, args.call).await
}

pub async fn voicemail(config: Config, args: VoicemailArgs) -> Result<ExitCode, CliError> {
    let command = CallCommand::Voicemail {
        line: args.account.clone(),
    };
    call(config, &args.account, command, args.call).await
}

fn seconds(value: f64, what: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| CliError::Usage(format!("{what}: {value} is not a number of seconds")))
}

async fn call(
    config: Config,
    account: &str,
    command: CallCommand,
    args: CallArgs,
) -> Result<ExitCode, CliError> {
    let dtmf_after = seconds(args.dtmf_after, "--dtmf-after")?;
    let duration = args.duration.map(|d| seconds(d, "--for")).transpose()?;
    let files: Option<Box<dyn AudioPort>> = if args.sound {
        None
    } else if args.play.is_some() || args.record.is_some() {
        Some(Box::new(
            voicelamp_audio::WavFiles::open(args.play.as_deref(), args.record.as_deref())
                .map_err(|e| CliError::Usage(e.to_string()))?,
        ))
    } else {
        Some(Box::new(voicelamp_audio::NoAudio::with_notice(
            "the call runs without sound (use --play and --record for sound files, or --sound)"
                .into(),
        )))
    };
    let secrets = voicelamp_core::runtime::secret_store(&config);
    let (mut engine, early) = Engine::start(
        &config,
        Some(account),
        secrets.as_ref(),
        &crate::session::user_agent(),
    )?;
    if let Some(why) = early.iter().find_map(failed_registration) {
        print::words_or_json(
            &format!("{account}: the line cannot start: {why}"),
            args.json,
        )?;
        return Ok(ExitCode::FAILURE);
    }
    if let Err(why) = connect(&mut engine).await {
        print::words_or_json(&format!("{account}: {why}"), args.json)?;
        engine.shutdown().await;
        return Ok(ExitCode::FAILURE);
    }
    let audio = match files {
        Some(files) => files,
        None => engine.device_audio(),
    };
    let started = engine.call(command, move || audio).await;
    let mut outcome = match started {
        Ok(events) => {
            let outcome = show(&events, args.json)?;
            if outcome.is_some() {
                engine.shutdown().await;
                return Ok(exit(outcome));
            }
            None
        }
        Err(why) => {
            print::words_or_json(&format!("{account}: {why}"), args.json)?;
            engine.shutdown().await;
            return Ok(ExitCode::FAILURE);
        }
    };
    let stop = terminated();
    tokio::pin!(stop);
    let mut keys_at: Option<Instant> = None;
    let mut hang_up_at: Option<Instant> = None;
    let mut keys = args.dtmf;
    let mut answered = false;
    let mut hung_up = false;
    while outcome.is_none() {
        let wake = [keys_at, hang_up_at].into_iter().flatten().min();
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut stop, if !hung_up => {
                hung_up = true;
                let _ = engine.call(CallCommand::HangUp, no_audio).await;
            }
            () = sleep => {
                let now = Instant::now();
                if keys_at.is_some_and(|t| t <= now) {
                    keys_at = None;
                    if let Some(digits) = keys.take()
                        && let Err(why) = engine.send_keys(&digits)
                    {
                        print::words_or_json(&format!("{account}: {why}"), args.json)?;
                    }
                }
                if hang_up_at.is_some_and(|t| t <= now) && !hung_up {
                    hang_up_at = None;
                    hung_up = true;
                    let _ = engine.call(CallCommand::HangUp, no_audio).await;
                }
            }
            changes = engine.next() => {
                let Some(changes) = changes else { break };
                outcome = show(&changes, args.json)?;
                let connected = engine
                    .current_call()
                    .is_some_and(|c| c.state.is_answered());
                if connected && !answered {
                    answered = true;
                    let now = Instant::now();
                    if keys.is_some() {
                        keys_at = Some(now + dtmf_after);
                    }
                    hang_up_at = duration.map(|d| now + d);
                }
            }
        }
    }
    engine.shutdown().await;
    Ok(exit(outcome))
}

fn no_audio() -> Box<dyn AudioPort> {
    Box::new(voicelamp_audio::NoAudio::new())
}

/// How the call ended: `Some(failed)` once it did.
type Outcome = Option<bool>;

fn exit(outcome: Outcome) -> ExitCode {
    match outcome {
        Some(false) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Prints the call's events; the outcome once the call ended.
fn show(events: &[EngineEvent], json: bool) -> Result<Outcome, CliError> {
    let calls: Vec<EngineEvent> = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Call(_) | EngineEvent::MissedCall(_)))
        .cloned()
        .collect();
    print::events(&calls, json)?;
    Ok(calls.iter().find_map(|e| match e {
        EngineEvent::Call(view) => match &view.state {
            CallState::Ended { failed, .. } => Some(*failed),
            _ => None,
        },
        _ => None,
    }))
}

fn failed_registration(event: &EngineEvent) -> Option<String> {
    match event {
        EngineEvent::Registration(r) if r.state == RegistrationState::Failed => {
            Some(r.reason.clone().unwrap_or_default())
        }
        _ => None,
    }
}

/// Waits until the line can call: its path is up and it registered (or does not register).
async fn connect(engine: &mut Engine) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
    loop {
        let account = &engine.accounts[0];
        let up = matches!(account.transport, Some(TransportState::Up { .. }));
        let registered = !account.register
            || engine
                .model
                .account(&account.id)
                .is_some_and(|a| a.registration == RegistrationState::Registered);
        if up && registered {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {
                return Err(format!(
                    "the line did not connect within {} s; check `voicelamp-cli check` for why",
                    CONNECT_WAIT.as_secs(),
                ));
            }
            changes = engine.next() => {
                let Some(changes) = changes else {
                    return Err("the network driver stopped".into());
                };
                if let Some(why) = changes.iter().find_map(failed_registration) {
                    return Err(format!("the line did not connect: {why}"));
                }
            }
        }
    }
}
