//! Calls through the real driver against sipp far ends (`tests/lab/sipp/calls/*.xml`): the
//! call's media task starts with the call, and when the call ends nothing is left (no task, the
//! RTP and RTCP ports free again); a second call while one runs is refused in words.

mod common;

use common::sipp::{Run, port};
use common::{SECS, wait_for};
use std::net::SocketAddr;
use std::time::Duration;
use voicelamp_net::voicelamp_media::AudioPort;
use voicelamp_net::{
    AccountSpec, CallOptions, CallUpdate, Net, NetConfig, NetEvent, TransportState, spawn,
};

/// Silence both ways, counting what it was given to play.
struct Silence;

impl AudioPort for Silence {
    fn play(&mut self, _samples: &[i16], _rate: u32) {}
    fn capture(&mut self, out: &mut [i16], _rate: u32) -> usize {
        out.fill(0);
        out.len()
    }
    fn take_notice(&mut self) -> Option<String> {
        None
    }
}

fn silence() -> CallOptions {
    CallOptions::new(Box::new(Silence))
}

fn driver() -> Net {
    spawn(NetConfig {
        shutdown_timeout: Duration::from_millis(500),
        ..NetConfig::default()
    })
}

/// A line that does not register, its server the sipp on `port`.
async fn line(net: &mut Net, port: u16) -> voicelamp_net::voicelamp_sip::AccountId {
    let mut spec = AccountSpec::new("sip:1017@127.0.0.1", &format!("sip:127.0.0.1:{port}"), None);
    spec.register = false;
    spec.mailboxes.clear();
    let account = net.handle.add_account(spec).expect("account");
    wait_for(net, SECS(5), "path up", |e| {
        matches!(
            e,
            NetEvent::Transport {
                state: TransportState::Up { .. },
                ..
            }
        )
        .then_some(())
    })
    .await;
    account
}

#[tokio::test]
async fn a_call_that_ends_leaves_no_task_and_no_socket() {
    let port = port(60);
    let peer = Run::server("calls/far-end-bye", port, 1).start();
    let mut net = driver();
    let account = line(&mut net, port).await;
    let call = net
        .handle
        .start_call(account, &format!("sip:peer@127.0.0.1:{port}"), silence())
        .await
        .expect("the call starts");
    // A second call while one runs is refused, in words.
    let second = net
        .handle
        .start_call(account, "1002", silence())
        .await
        .expect_err("one call at a time");
    assert!(!second.to_string().is_empty());
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    assert_eq!((snapshot.calls, snapshot.call_tasks), (1, 1));
    let local: SocketAddr = wait_for(&mut net, SECS(10), "media", |e| match e {
        NetEvent::Call {
            call: c,
            update: CallUpdate::Media { local, .. },
            ..
        } if *c == call => Some(*local),
        _ => None,
    })
    .await;
    assert_eq!(local.port() % 2, 0, "RTP on an even port");
    let reason = wait_for(&mut net, SECS(10), "the far end's BYE", |e| match e {
        NetEvent::Call {
            call: c,
            update: CallUpdate::Ended { reason },
            ..
        } if *c == call => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.by_peer, "{reason:?}");
    // Ended comes once the task is gone: nothing is left and both ports are free.
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    assert_eq!((snapshot.calls, snapshot.call_tasks), (0, 0));
    std::net::UdpSocket::bind(local).expect("the RTP port is free again");
    std::net::UdpSocket::bind(SocketAddr::new(local.ip(), local.port() + 1))
        .expect("the RTCP port is free again");
    peer.finish().await;
    net.handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_call_refused_busy_ends_in_words_and_leaves_nothing() {
    let port = port(61);
    let peer = Run::server("calls/busy-486", port, 1).start();
    let mut net = driver();
    let account = line(&mut net, port).await;
    let call = net
        .handle
        .start_call(account, &format!("sip:peer@127.0.0.1:{port}"), silence())
        .await
        .expect("the call starts");
    let reason = wait_for(&mut net, SECS(10), "486", |e| match e {
        NetEvent::Call {
            call: c,
            update: CallUpdate::Ended { reason },
            ..
        } if *c == call => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(reason.code, Some(486));
    assert!(reason.to_string().contains("busy"), "{reason}");
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    assert_eq!((snapshot.calls, snapshot.call_tasks), (0, 0));
    peer.finish().await;
    net.handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn hold_and_resume_tell_the_far_end_by_reinvite() {
    let port = port(62);
    // The scenario fails unless our re-INVITEs carry a=sendonly, then a=sendrecv.
    let peer = Run::server("calls/our-hold", port, 1).start();
    let mut net = driver();
    let account = line(&mut net, port).await;
    let call = net
        .handle
        .start_call(account, &format!("sip:peer@127.0.0.1:{port}"), silence())
        .await
        .expect("the call starts");
    let media = |e: &NetEvent| match e {
        NetEvent::Call {
            call: c,
            update: CallUpdate::Media { secure, .. },
            ..
        } if *c == call => Some(*secure),
        _ => None,
    };
    let secure = wait_for(&mut net, SECS(10), "media", media).await;
    assert!(!secure, "plain RTP over UDP is not reported secure");
    for on in [true, false] {
        net.handle.set_hold(call, on).expect("hold");
        wait_for(&mut net, SECS(10), "hold reported", |e| match e {
            NetEvent::Call {
                call: c,
                update: CallUpdate::Hold { local },
                ..
            } if *c == call && *local == on => Some(()),
            _ => None,
        })
        .await;
        // The far end's answer is applied to the media session.
        wait_for(&mut net, SECS(10), "the answer to our re-INVITE", media).await;
    }
    let reason = wait_for(&mut net, SECS(10), "the far end's BYE", |e| match e {
        NetEvent::Call {
            call: c,
            update: CallUpdate::Ended { reason },
            ..
        } if *c == call => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.by_peer, "{reason:?}");
    peer.finish().await;
    net.handle.shutdown().await.expect("shutdown");
}
