import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callProblem } from "../../lib/call";
import { call, connected, fakeActions, ringing } from "../../test/call";
import CallPanel from "./CallPanel.svelte";

afterEach(() => {
  callProblem.set(null);
  vi.useRealTimers();
});

describe("CallPanel", () => {
  it("shows nothing without a call", () => {
    render(CallPanel, { call: null, actions: fakeActions() });
    expect(screen.queryByTestId("call-panel")).not.toBeInTheDocument();
  });

  it("an incoming call: who, the line, Answer (focused) and Decline", async () => {
    const actions = fakeActions();
    render(CallPanel, {
      call: ringing(),
      actions,
    });
    expect(screen.getByTestId("call-panel")).toHaveAttribute("data-phase", "ringing");
    expect(screen.getByTestId("call-remote")).toHaveTextContent("Alice Example");
    expect(screen.getByTestId("call-line")).toHaveTextContent("Front desk");
    expect(screen.getByTestId("call-state")).toHaveTextContent("Incoming call");
    await vi.waitFor(() => expect(screen.getByTestId("call-answer")).toHaveFocus());
    expect(screen.queryByTestId("call-hangup")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("call-answer"));
    expect(actions.answer).toHaveBeenCalledOnce();
    await fireEvent.click(screen.getByTestId("call-decline"));
    expect(actions.decline).toHaveBeenCalledOnce();
  });

  it("a connected call counts its time and offers mute, hold, keypad, volume, hang up", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(Date.parse("2026-05-04T10:00:05Z"));
    const actions = fakeActions();
    const { rerender } = render(CallPanel, {
      call: call({ state: connected("2026-05-04T10:00:00Z") }),
      actions,
    });
    expect(screen.getByTestId("call-state")).toHaveTextContent("Connected");
    expect(screen.getByTestId("call-timer")).toHaveTextContent("0:05");
    await vi.advanceTimersByTimeAsync(61_000);
    expect(screen.getByTestId("call-timer")).toHaveTextContent("1:06");

    await fireEvent.click(screen.getByTestId("call-mute"));
    expect(actions.mute).toHaveBeenCalledWith(true);
    await rerender({ call: call({ state: connected("2026-05-04T10:00:00Z"), muted: true }), actions });
    expect(screen.getByTestId("call-mute")).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByTestId("call-mute")).toHaveTextContent("Unmute");

    await fireEvent.click(screen.getByTestId("call-hold"));
    expect(actions.hold).toHaveBeenCalledWith(true);
    await rerender({
      call: call({ state: { kind: "on_hold", since: "2026-05-04T10:00:00Z", by_peer: false } }),
      actions,
    });
    expect(screen.getByTestId("call-hold")).toHaveTextContent("Resume");
    expect(screen.getByTestId("call-state")).toHaveTextContent("On hold");
    // On hold the timer goes on.
    expect(screen.getByTestId("call-timer")).toHaveTextContent("1:06");
    await fireEvent.click(screen.getByTestId("call-hold"));
    expect(actions.hold).toHaveBeenLastCalledWith(false);

    const volume = screen.getByTestId("call-volume") as HTMLInputElement;
    await fireEvent.input(volume, { target: { value: "40" } });
    await fireEvent.change(volume);
    expect(actions.volume).toHaveBeenCalledWith(40);

    await fireEvent.click(screen.getByTestId("call-hangup"));
    expect(actions.hangUp).toHaveBeenCalledOnce();
  });

  it("the keypad sends keys as DTMF, clicked or typed, and shows what was sent", async () => {
    const actions = fakeActions();
    render(CallPanel, { call: call(), actions });
    expect(screen.queryByTestId("call-dtmf")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("call-keypad"));
    const keypad = screen.getByTestId("call-dtmf");
    await fireEvent.click(within(keypad).getByRole("button", { name: "1" }));
    await fireEvent.keyDown(window, { key: "2" });
    await fireEvent.keyDown(window, { key: "#" });
    await fireEvent.keyDown(window, { key: "x" });
    expect(actions.dtmf.mock.calls).toEqual([["1"], ["2"], ["#"]]);
    expect(screen.getByTestId("call-dtmf-sent")).toHaveTextContent("12#");
  });

  it("while it is being set up, mute and hold wait; the far end's greeting can be keyed", () => {
    render(CallPanel, { call: call({ state: { kind: "early_media" } }), actions: fakeActions() });
    expect(screen.getByTestId("call-mute")).toBeDisabled();
    expect(screen.getByTestId("call-hold")).toBeDisabled();
    expect(screen.getByTestId("call-keypad")).toBeEnabled();
    expect(screen.getByTestId("call-timer")).toHaveTextContent("");
  });

  it("shows the quality while talking, or a sound notice, or a refusal", async () => {
    const { rerender } = render(CallPanel, {
      call: call({ quality: { jitter_ms: 80, loss_percent: 7, rtt_ms: 40, rating: "poor" } }),
      actions: fakeActions(),
    });
    expect(screen.getByTestId("call-quality")).toHaveAttribute("data-level", "poor");
    expect(screen.getByTestId("call-quality")).toHaveTextContent("Poor — 7.0 % lost");
    await rerender({
      call: call({ notice: "no sound device: the call goes on without sound" }),
      actions: fakeActions(),
    });
    expect(screen.getByTestId("call-notice")).toHaveTextContent("no sound device");
    callProblem.set("the call cannot be put on hold: the other side refused");
    await Promise.resolve();
    expect(await screen.findByTestId("call-error")).toHaveTextContent("refused");
  });

  it("an ended call says why until closed; the panel keeps one height for every state", async () => {
    const { rerender } = render(CallPanel, {
      call: call({ state: { kind: "ended", why: "busy (486): the line is busy", failed: true } }),
      actions: fakeActions(),
    });
    expect(screen.getByTestId("call-state")).toHaveTextContent("Call ended: busy (486)");
    expect(screen.queryByTestId("call-hangup")).not.toBeInTheDocument();
    // The note line is there, empty, so a notice appearing later moves nothing.
    expect(screen.getByTestId("call-note")).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("call-dismiss"));
    expect(screen.queryByTestId("call-panel")).not.toBeInTheDocument();
    // A new call shows again.
    await rerender({ call: call({ id: 2, state: { kind: "dialing" } }), actions: fakeActions() });
    expect(screen.getByTestId("call-state")).toHaveTextContent("Calling voicemail…");
  });

  it("a call that could not start says why without a call to show", async () => {
    callProblem.set("the line has no voicemail number: set it in Settings");
    render(CallPanel, { call: null, actions: fakeActions() });
    expect(screen.getByTestId("call-error")).toHaveTextContent("no voicemail number");
    await fireEvent.click(screen.getByTestId("call-error-dismiss"));
    expect(screen.queryByTestId("call-error")).not.toBeInTheDocument();
  });
});
