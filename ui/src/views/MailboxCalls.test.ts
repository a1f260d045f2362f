import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import { fakeActions } from "../test/call";
import { fakeMailbox, fakeMedia, inbox, listing, message } from "../test/mailbox";
import Mailbox from "./Mailbox.svelte";

beforeEach(() => {
  fakeMedia();
});

const row = (id: string) =>
  screen.getAllByTestId("mailbox-message").find((r) => r.dataset.id === id) as HTMLElement;

describe("Mailbox: calls", () => {
  it("Call back dials the caller's number on the message's line", async () => {
    fakeMailbox([{ account: "lab", name: "Lab" }], { "lab INBOX": listing() });
    const actions = fakeActions();
    render(Mailbox, { props: { actions } });
    await screen.findAllByTestId("mailbox-message");
    expect(screen.getByTestId("mailbox-call-back")).toBeDisabled();
    await fireEvent.click(row("7-3"));
    await fireEvent.click(screen.getByTestId("mailbox-call-back"));
    expect(actions.start).toHaveBeenCalledWith("lab", "1003");
    // The key C does the same for the selected message.
    await fireEvent.click(row("7-1"));
    await fireEvent.keyDown(row("7-1"), { key: "c" });
    expect(actions.start).toHaveBeenLastCalledWith("lab", "+15551234");
  });

  it("a message without a number cannot be called back", async () => {
    fakeMailbox(undefined, {
      "desk INBOX": listing([message({ id: "7-9", callerNumber: null }), ...inbox()]),
    });
    const actions = fakeActions();
    render(Mailbox, { props: { actions } });
    await screen.findAllByTestId("mailbox-message");
    await fireEvent.click(row("7-9"));
    expect(screen.getByTestId("mailbox-call-back")).toBeDisabled();
    await fireEvent.keyDown(row("7-9"), { key: "c" });
    expect(actions.start).not.toHaveBeenCalled();
  });

  it("Ctrl+Shift+V calls the shown line's voicemail, not in a field", async () => {
    fakeMailbox();
    const actions = fakeActions();
    render(Mailbox, { props: { actions } });
    await screen.findAllByTestId("mailbox-message");
    await fireEvent.keyDown(row("7-2"), { key: "V", code: "KeyV", ctrlKey: true, shiftKey: true });
    expect(actions.voicemail).toHaveBeenCalledWith("desk");
    const field = screen.getByTestId("mailbox-store-select");
    await fireEvent.keyDown(field, { key: "V", code: "KeyV", ctrlKey: true, shiftKey: true });
    expect(actions.voicemail).toHaveBeenCalledOnce();
  });
});
