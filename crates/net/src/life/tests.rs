//! Sleep, wake and network changes stepped through simulated time.

use super::*;
use std::net::Ipv4Addr;

const A: AccountId = AccountId(0);

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

/// Two clocks that the test moves: monotonic (stops while "asleep" on Linux) and wall.
struct Clock {
    mono: Instant,
    wall: SystemTime,
}

impl Clock {
    fn new() -> Self {
        Self {
            mono: Instant::now(),
            wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        }
    }
    fn both(&mut self, d: Duration) {
        self.mono += d;
        self.wall += d;
    }
}

/// Runs every timeout due up to `until` (monotonic), collecting the actions.
fn run_until(life: &mut Life, clock: &mut Clock, until: Instant) -> Vec<(Instant, LifeAction)> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        match life.poll_timeout() {
            Some(t) if t <= until => {
                let step = t.saturating_duration_since(clock.mono);
                clock.both(step);
                life.handle_timeout(clock.mono, clock.wall);
                while let Some(a) = life.poll_action() {
                    out.push((clock.mono, a));
                }
            }
            _ => break,
        }
    }
    let rest = until.saturating_duration_since(clock.mono);
    clock.both(rest);
    out
}

fn started() -> (Life, Clock) {
    let clock = Clock::new();
    let mut life = Life::new(LifeConfig::default());
    life.start(clock.mono, clock.wall);
    (life, clock)
}

#[test]
fn an_hour_of_normal_time_is_no_wake() {
    let (mut life, mut clock) = started();
    let until = clock.mono + Duration::from_secs(3600);
    assert_eq!(run_until(&mut life, &mut clock, until), vec![]);
}

#[test]
fn wall_clock_running_on_while_the_monotonic_clock_stood_still_is_a_wake() {
    // Linux: CLOCK_MONOTONIC stops during suspend, the heartbeat fires "on time" after it.
    let (mut life, mut clock) = started();
    let until = clock.mono + Duration::from_secs(60);
    assert!(run_until(&mut life, &mut clock, until).is_empty());
    clock.wall += Duration::from_secs(2 * 3600);
    let until = clock.mono + Duration::from_secs(5);
    let actions = run_until(&mut life, &mut clock, until);
    assert_eq!(
        actions.iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        vec![LifeAction::Woke(WakeCause::ClockJump)]
    );
    // Found at the first heartbeat after the jump: at most one heartbeat late.
    assert!(actions[0].0 <= until);
}

#[test]
fn a_timer_firing_far_too_late_is_a_wake() {
    // Windows and macOS: the monotonic clock counts the sleep, the timer fires an hour late.
    let (mut life, mut clock) = started();
    clock.both(Duration::from_secs(3600));
    life.handle_timeout(clock.mono, clock.wall);
    assert_eq!(
        life.poll_action(),
        Some(LifeAction::Woke(WakeCause::ClockJump))
    );
    assert_eq!(life.poll_action(), None);
}

#[test]
fn a_small_wall_clock_step_is_not_a_wake() {
    let (mut life, mut clock) = started();
    clock.wall += Duration::from_secs(2);
    let until = clock.mono + Duration::from_secs(60);
    assert!(run_until(&mut life, &mut clock, until).is_empty());
    // A wall clock set back (NTP) is not a wake either.
    clock.wall -= Duration::from_secs(600);
    let until = clock.mono + Duration::from_secs(60);
    assert!(run_until(&mut life, &mut clock, until).is_empty());
}

#[test]
fn the_logind_signal_says_sleep_then_wake_once_even_with_the_clock_jump() {
    let (mut life, mut clock) = started();
    life.sleep_signal(clock.mono, clock.wall, true);
    assert_eq!(life.poll_action(), Some(LifeAction::Sleeping));
    // A second "going to sleep" (repeated signal) changes nothing.
    life.sleep_signal(clock.mono, clock.wall, true);
    assert_eq!(life.poll_action(), None);
    // Asleep for 8 hours: monotonic stands still, then logind says "woke" and the heartbeat
    // that was due during the sleep fires right after.
    clock.wall += Duration::from_secs(8 * 3600);
    life.handle_timeout(clock.mono, clock.wall);
    life.sleep_signal(clock.mono, clock.wall, false);
    let mut actions = Vec::new();
    while let Some(a) = life.poll_action() {
        actions.push(a);
    }
    let until = clock.mono + Duration::from_secs(60);
    actions.extend(
        run_until(&mut life, &mut clock, until)
            .into_iter()
            .map(|(_, a)| a),
    );
    // One wake, whichever report came first.
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert!(matches!(actions[0], LifeAction::Woke(_)));
}

#[test]
fn wakes_are_at_most_one_per_gap() {
    let (mut life, mut clock) = started();
    let mut wakes = 0;
    for _ in 0..600 {
        life.sleep_signal(clock.mono, clock.wall, false);
        while let Some(a) = life.poll_action() {
            wakes += usize::from(matches!(a, LifeAction::Woke(_)));
        }
        clock.both(Duration::from_millis(100));
    }
    // 60 s of a wake signal every 100 ms: one per 10 s.
    assert!(wakes <= 6, "{wakes} wakes");
    assert!(wakes >= 5, "{wakes} wakes");
}

#[test]
fn a_burst_of_network_events_is_one_check_after_the_last() {
    let (mut life, mut clock) = started();
    let first = clock.mono;
    for _ in 0..10 {
        life.network_event(clock.mono, false);
        clock.both(Duration::from_millis(90));
    }
    let until = first + Duration::from_secs(30);
    let checks: Vec<Instant> = run_until(&mut life, &mut clock, until)
        .into_iter()
        .filter(|(_, a)| *a == LifeAction::CheckNetwork)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(checks.len(), 1);
    let after = checks[0] - first;
    assert!(
        after >= Duration::from_millis(1810) && after <= Duration::from_millis(1820),
        "{after:?}"
    );
}

#[test]
fn endless_network_events_still_get_checked_within_the_longest_wait() {
    let (mut life, mut clock) = started();
    let first = clock.mono;
    let mut checks = Vec::new();
    for _ in 0..100 {
        life.network_event(clock.mono, false);
        let until = clock.mono + Duration::from_millis(100);
        checks.extend(
            run_until(&mut life, &mut clock, until)
                .into_iter()
                .filter(|(_, a)| *a == LifeAction::CheckNetwork)
                .map(|(t, _)| t - first),
        );
    }
    // 10 s of an event every 100 ms: a check every 3 s, not none and not one per event.
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert_eq!(checks[0], Duration::from_secs(3));
}

#[test]
fn decisions_follow_the_routing_table() {
    let (mut life, clock) = started();
    let now = clock.mono;
    let d = |life: &mut Life, account, path, towards, route| {
        life.decide(now, AccountId(account), path, towards, route)
    };
    assert_eq!(
        d(&mut life, 0, PathView::Up(ip(2)), Some(ip(2)), false),
        FlowDecision::Keep
    );
    assert_eq!(
        d(&mut life, 1, PathView::Up(ip(2)), None, false),
        FlowDecision::Lost
    );
    assert_eq!(
        d(&mut life, 2, PathView::Up(ip(2)), Some(ip(3)), false),
        FlowDecision::Reflow
    );
    assert_eq!(
        d(&mut life, 3, PathView::Up(ip(2)), Some(ip(2)), true),
        FlowDecision::Reflow
    );
    let down = |no_route, last_local| PathView::Down {
        no_route,
        last_local,
    };
    // The network is back after it was gone.
    assert_eq!(
        d(&mut life, 4, down(true, Some(ip(2))), Some(ip(2)), false),
        FlowDecision::Reflow
    );
    assert_eq!(
        d(&mut life, 5, down(true, Some(ip(2))), None, true),
        FlowDecision::Keep
    );
    // A server that is down (connection refused) keeps its backoff when nothing that leads to
    // it changed, and is tried at once when something did.
    assert_eq!(
        d(&mut life, 7, down(false, Some(ip(2))), Some(ip(2)), false),
        FlowDecision::Keep
    );
    assert_eq!(
        d(&mut life, 8, down(false, Some(ip(2))), Some(ip(3)), false),
        FlowDecision::Reflow
    );
    assert_eq!(
        d(&mut life, 9, down(false, Some(ip(2))), Some(ip(2)), true),
        FlowDecision::Reflow
    );
    assert_eq!(
        d(&mut life, 10, down(false, None), Some(ip(2)), false),
        FlowDecision::Reflow
    );
    assert_eq!(
        d(&mut life, 6, PathView::Busy, Some(ip(9)), true),
        FlowDecision::Keep
    );
}

#[test]
fn a_flapping_link_re_registers_at_most_three_times_a_minute_and_never_gives_up() {
    let (mut life, mut clock) = started();
    let start = clock.mono;
    // The address changes every 2 s for 10 minutes; each check sees a new address.
    let mut local = ip(2);
    let mut reflows: Vec<Duration> = Vec::new();
    let mut flip = 0u8;
    let mut next_flap = clock.mono;
    let end = start + Duration::from_secs(600);
    while clock.mono < end {
        if clock.mono >= next_flap {
            life.network_event(clock.mono, true);
            next_flap += Duration::from_secs(2);
            flip ^= 1;
        }
        let until = next_flap.min(end);
        for (_, action) in run_until(&mut life, &mut clock, until) {
            if action == LifeAction::CheckNetwork {
                let towards = ip(2 + flip);
                let route = life.take_route_changed();
                if life.decide(clock.mono, A, PathView::Up(local), Some(towards), route)
                    == FlowDecision::Reflow
                {
                    local = towards;
                    reflows.push(clock.mono - start);
                }
            }
        }
    }
    for minute in 0..10u64 {
        let from = Duration::from_secs(minute * 60);
        let to = from + Duration::from_secs(60);
        let n = reflows.iter().filter(|t| **t >= from && **t < to).count();
        assert!(
            n <= 3,
            "{n} re-registrations in minute {minute}: {reflows:?}"
        );
    }
    // Any 60 s window, not only whole minutes.
    for (i, t) in reflows.iter().enumerate() {
        let in_window = reflows[i..]
            .iter()
            .take_while(|u| **u - *t < Duration::from_secs(60))
            .count();
        assert!(in_window <= 3, "{reflows:?}");
    }
    assert!(reflows.len() >= 25, "{} re-registrations", reflows.len());

    // Once the link settles, the last change is still followed (a put-off re-flow is kept).
    life.network_event(clock.mono, false);
    let until = clock.mono + Duration::from_secs(120);
    let mut followed = false;
    for (_, action) in run_until(&mut life, &mut clock, until) {
        if action == LifeAction::CheckNetwork {
            let route = life.take_route_changed();
            let towards = if local == ip(2) { ip(3) } else { ip(2) };
            followed |= life.decide(clock.mono, A, PathView::Up(local), Some(towards), route)
                == FlowDecision::Reflow;
        }
    }
    assert!(followed);
}

#[test]
fn a_path_that_lost_its_route_waits_for_a_free_re_flow() {
    let (mut life, clock) = started();
    let t0 = clock.mono;
    assert_eq!(life.next_reflow_at(t0, A), t0);
    for i in 0..3u64 {
        let at = t0 + Duration::from_secs(i * 5);
        assert_eq!(
            life.decide(at, A, PathView::Up(ip(2)), Some(ip(3)), false),
            FlowDecision::Reflow
        );
    }
    // Three in the window: the next one (by either way back) waits until the first leaves it.
    let later = t0 + Duration::from_secs(20);
    assert_eq!(life.next_reflow_at(later, A), t0 + Duration::from_secs(60));
    life.note_reflow(t0 + Duration::from_secs(60), A);
    assert_eq!(
        life.next_reflow_at(t0 + Duration::from_secs(61), A),
        t0 + Duration::from_secs(65)
    );
    // Other accounts are not held back.
    assert_eq!(life.next_reflow_at(later, AccountId(1)), later);
}
