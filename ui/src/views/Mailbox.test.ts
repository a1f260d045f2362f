import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import { AUTO_HEARD_KEY, SPEED_KEY } from "../lib/mailbox";
import { NO_PARAMS, type MailboxParams } from "../lib/router";
import { perceivable } from "../test/dom";
import { fakeMailbox, fakeMedia, inbox, listing, message, ok, refused } from "../test/mailbox";
import Mailbox from "./Mailbox.svelte";

let media: ReturnType<typeof fakeMedia>;
beforeEach(() => {
  media = fakeMedia();
});
afterEach(() => {
  vi.useRealTimers();
});

const rows = () => screen.getAllByTestId("mailbox-message");
const ids = () => rows().map((r) => r.dataset.id);
const row = (id: string) => rows().find((r) => r.dataset.id === id) as HTMLElement;
const player = () => screen.getByTestId("mailbox-player");
const audio = () => screen.getByTestId("mailbox-audio") as HTMLAudioElement;
const selectedId = () => rows().find((r) => r.getAttribute("aria-selected") === "true")?.dataset.id;

function params(overrides: Partial<MailboxParams> = {}): MailboxParams {
  return { ...NO_PARAMS, ...overrides };
}

/** A Blob's text (jsdom's Blob has no `text()`). */
function text(blob: Blob): Promise<string> {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsText(blob);
  });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function shown(props: { params?: MailboxParams } = {}) {
  const result = render(Mailbox, { props });
  await screen.findAllByTestId("mailbox-message");
  return result;
}

async function select(id: string) {
  await fireEvent.click(row(id));
  expect(row(id)).toHaveAttribute("aria-selected", "true");
}

async function playing() {
  await waitFor(() => expect(player()).toHaveAttribute("data-state", "playing"));
}

describe("Mailbox: stores, folders and messages", () => {
  it("shows the first store's inbox, newest first, with caller, time, length and marks", async () => {
    const backend = fakeMailbox();
    await shown();
    expect(backend.list).toHaveBeenCalledWith("desk", null);
    expect(screen.getByTestId("mailbox-store-select")).toHaveValue("desk");
    const folders = screen.getAllByTestId("mailbox-folder");
    expect(folders.map((f) => f.dataset.folder)).toEqual(["INBOX", "Old", "Work/Sales"]);
    expect(folders[0]).toHaveAttribute("aria-current", "true");
    expect(folders[0]).toHaveTextContent("Inbox");
    expect(ids()).toEqual(["7-3", "7-2", "7-1"]);

    const urgent = row("7-3");
    expect(urgent).toHaveAttribute("data-urgent", "true");
    expect(urgent).toHaveAttribute("data-heard", "false");
    expect(within(urgent).getByTestId("mailbox-message-caller")).toHaveTextContent("Bob Jones");
    expect(within(urgent).getByTestId("mailbox-message-number")).toHaveTextContent("1003");
    expect(within(urgent).getByTestId("mailbox-message-urgent")).toHaveTextContent("Urgent");
    expect(within(urgent).getByTestId("mailbox-message-duration")).toHaveTextContent("1:05");
    const received = within(urgent).getByTestId("mailbox-message-received");
    expect(received).toHaveTextContent("5 min ago");
    expect(received.getAttribute("title")).toMatch(/\d/);
    expect(urgent).toHaveAccessibleName(expect.stringContaining("urgent, unheard"));

    const heard = row("7-1");
    expect(heard).toHaveAttribute("data-heard", "true");
    expect(heard).toHaveAttribute("data-urgent", "false");
    expect(within(heard).getByTestId("mailbox-message-caller")).toHaveTextContent("+15551234");
    expect(within(heard).queryByTestId("mailbox-message-number")).not.toBeInTheDocument();
    expect(within(heard).getByTestId("mailbox-message-duration")).toHaveTextContent("0:07");
  });

  it("never shows absent caller data as undefined or null", async () => {
    fakeMailbox(undefined, {
      "desk INBOX": listing([
        message({ id: "1-1", callerName: null, callerNumber: null, durationS: null, receivedAt: "" }),
        message({ id: "1-2", callerName: "  ", callerNumber: null }),
      ]),
    });
    await shown();
    await select("1-1");
    const view = screen.getByTestId("view-mailbox");
    expect(perceivable(view)).not.toMatch(/undefined|null|NaN/);
    expect(within(row("1-1")).getByTestId("mailbox-message-caller")).toHaveTextContent("Unknown caller");
    expect(within(row("1-1")).getByTestId("mailbox-message-received")).toHaveTextContent("time unknown");
    expect(within(row("1-2")).getByTestId("mailbox-message-caller")).toHaveTextContent("Unknown caller");
    expect(screen.getByTestId("mailbox-length")).toHaveTextContent("–:––");
  });

  it("switches stores and folders", async () => {
    const backend = fakeMailbox(
      [
        { account: "desk", name: "Front desk" },
        { account: "sales", name: "Sales" },
      ],
      {
        "desk INBOX": listing(),
        "desk Old": listing([message({ id: "5-9", folder: "Old", heard: true })], "Old"),
        "sales INBOX": listing([message({ id: "9-1", callerName: "Carol" })]),
      },
    );
    await shown();
    await fireEvent.click(screen.getAllByTestId("mailbox-folder")[1]);
    await waitFor(() => expect(ids()).toEqual(["5-9"]));
    expect(backend.list).toHaveBeenLastCalledWith("desk", "Old");
    expect(screen.getAllByTestId("mailbox-folder")[1]).toHaveAttribute("aria-current", "true");

    await fireEvent.change(screen.getByTestId("mailbox-store-select"), { target: { value: "sales" } });
    await waitFor(() => expect(ids()).toEqual(["9-1"]));
    expect(backend.list).toHaveBeenLastCalledWith("sales", null);
    expect(screen.getByRole("heading", { level: 1 }).parentElement).toHaveTextContent("Sales · Inbox");
    // The store last chosen is the one shown next time.
    expect(window.localStorage.getItem("voicelamp.mailbox.account")).toBe("sales");
  });

  it("says when the list cannot be read, and tries again", async () => {
    const backend = fakeMailbox();
    backend.list.mockResolvedValueOnce(refused("the mail server refused the login"));
    render(Mailbox);
    const error = await screen.findByTestId("mailbox-error");
    expect(error).toHaveTextContent("The messages cannot be listed: the mail server refused the login");
    await fireEvent.click(within(error).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(ids()).toHaveLength(3));
    expect(screen.queryByTestId("mailbox-error")).not.toBeInTheDocument();
  });

  it("says when the stores cannot be read, and tries again", async () => {
    const backend = fakeMailbox();
    backend.stores.mockResolvedValueOnce(refused("the configuration cannot be read"));
    render(Mailbox);
    const error = await screen.findByTestId("mailbox-error");
    expect(error).toHaveTextContent("The voicemail stores cannot be read: the configuration cannot be read");
    expect(backend.list).not.toHaveBeenCalled();
    await fireEvent.click(within(error).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(ids()).toHaveLength(3));
    expect(screen.queryByTestId("mailbox-error")).not.toBeInTheDocument();
  });

  it("says when no account has a store", async () => {
    fakeMailbox([]);
    render(Mailbox);
    const none = await screen.findByTestId("mailbox-no-store");
    expect(none).toHaveTextContent("SIP only");
    expect(within(none).getByRole("link")).toHaveAttribute("href", "#/settings");
    expect(player()).not.toBeVisible();
  });

  it("says that an account asked for has no store, and points to Settings", async () => {
    const backend = fakeMailbox();
    render(Mailbox, { props: { params: params({ account: "night", messageId: "INBOX/3-1", play: true }) } });
    const none = await screen.findByTestId("mailbox-no-store");
    expect(none).toHaveTextContent("night's lamp comes from SIP only");
    expect(none).toHaveTextContent("Settings");
    expect(within(none).getByRole("link", { name: "Open Settings" })).toHaveAttribute("href", "#/settings");
    expect(screen.queryByTestId("mailbox-message")).not.toBeInTheDocument();
    expect(screen.getByTestId("mailbox-store-select")).toHaveValue("");
    await waitFor(() => expect(player()).toHaveAttribute("data-state", "idle"));
    expect(media.play).not.toHaveBeenCalled();
    // Choosing a store leaves the message behind.
    await fireEvent.change(screen.getByTestId("mailbox-store-select"), { target: { value: "desk" } });
    await waitFor(() => expect(ids()).toHaveLength(3));
    expect(screen.queryByTestId("mailbox-no-store")).not.toBeInTheDocument();
    expect(backend.list).toHaveBeenLastCalledWith("desk", null);
  });
});

describe("Mailbox: the player", () => {
  it("fetches the audio on Play, hands it to <audio> as a Blob URL and plays", async () => {
    const backend = fakeMailbox();
    await shown();
    expect(player()).toHaveAttribute("data-state", "idle");
    expect(screen.getByTestId("mailbox-play")).toBeDisabled();
    await select("7-2");
    expect(screen.getByTestId("mailbox-player-caller")).toHaveTextContent("Alice Smith");
    expect(screen.getByTestId("mailbox-length")).toHaveTextContent("0:42");

    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await playing();
    expect(backend.audio).toHaveBeenCalledExactlyOnceWith("desk", "INBOX", "7-2");
    expect(media.create).toHaveBeenCalledTimes(1);
    expect(media.blobs[0].type).toBe("audio/wav");
    expect(await text(media.blobs[0])).toBe("RIFF");
    expect(audio().getAttribute("src")).toBe("blob:voicelamp/1");
    expect(screen.getByTestId("mailbox-play")).toHaveTextContent("Pause");

    await fireEvent.click(screen.getByTestId("mailbox-play"));
    expect(player()).toHaveAttribute("data-state", "paused");
    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await playing();
    expect(backend.audio).toHaveBeenCalledTimes(1); // resumed, not fetched again

    // Another message: the old URL is revoked, the new one fetched.
    await select("7-3");
    expect(player()).toHaveAttribute("data-state", "idle");
    expect(media.revoke).toHaveBeenCalledWith("blob:voicelamp/1");
    expect(audio()).not.toHaveAttribute("src");
    expect(audio()).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await playing();
    expect(audio().getAttribute("src")).toBe("blob:voicelamp/2");
  });

  it("says why a message cannot be played", async () => {
    const backend = fakeMailbox();
    backend.audio.mockResolvedValue(refused("the message has no audio part"));
    await shown();
    await select("7-2");
    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await waitFor(() => expect(player()).toHaveAttribute("data-state", "error"));
    expect(screen.getByTestId("mailbox-player-error")).toHaveTextContent("the message has no audio part");
  });

  it("seeks, shows the time and changes speed (remembered)", async () => {
    fakeMailbox();
    await shown();
    await select("7-2");
    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await playing();
    const seek = screen.getByTestId("mailbox-seek") as HTMLInputElement;
    expect(seek).toBeEnabled();
    expect(seek.max).toBe("42");
    await fireEvent.input(seek, { target: { value: "12" } });
    expect(audio().currentTime).toBe(12);
    expect(screen.getByTestId("mailbox-position")).toHaveTextContent("0:12");
    expect(seek).toHaveAttribute("aria-valuetext", "0:12 of 0:42");

    await fireEvent.change(screen.getByTestId("mailbox-speed"), { target: { value: "1.5" } });
    expect(audio().playbackRate).toBe(1.5);
    expect(window.localStorage.getItem(SPEED_KEY)).toBe("1.5");
  });

  it("marks a message heard when playback ends, unless turned off (remembered)", async () => {
    const backend = fakeMailbox();
    await shown();
    const auto = screen.getByTestId("mailbox-auto-heard");
    expect(auto).toBeChecked();
    await select("7-2");
    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await playing();
    await fireEvent(audio(), new Event("ended"));
    expect(player()).toHaveAttribute("data-state", "ended");
    expect(screen.getByTestId("mailbox-play")).toHaveTextContent("Play again");
    await waitFor(() => expect(backend.act).toHaveBeenCalledExactlyOnceWith("desk", "INBOX", "7-2", "markHeard"));
    expect(row("7-2")).toHaveAttribute("data-heard", "true");

    await fireEvent.click(auto);
    expect(window.localStorage.getItem(AUTO_HEARD_KEY)).toBe("false");
    await select("7-3");
    await fireEvent.click(screen.getByTestId("mailbox-play"));
    await playing();
    await fireEvent(audio(), new Event("ended"));
    expect(player()).toHaveAttribute("data-state", "ended");
    expect(backend.act).toHaveBeenCalledTimes(1);
    expect(row("7-3")).toHaveAttribute("data-heard", "false");
  });

  it("starts with auto-heard off when it was turned off before", async () => {
    window.localStorage.setItem(AUTO_HEARD_KEY, "false");
    fakeMailbox();
    await shown();
    expect(screen.getByTestId("mailbox-auto-heard")).not.toBeChecked();
  });
});

describe("Mailbox: marking and deleting", () => {
  it("marks heard and new, and says when the server will get it later", async () => {
    const backend = fakeMailbox();
    await shown();
    await select("7-2");
    expect(screen.getByTestId("mailbox-mark-new")).toBeDisabled();
    await fireEvent.click(screen.getByTestId("mailbox-mark-heard"));
    expect(row("7-2")).toHaveAttribute("data-heard", "true");
    expect(backend.act).toHaveBeenLastCalledWith("desk", "INBOX", "7-2", "markHeard");
    await waitFor(() => expect(screen.getByTestId("mailbox-status")).toHaveTextContent("Marked heard."));

    backend.act.mockResolvedValue(ok("queued"));
    await fireEvent.click(screen.getByTestId("mailbox-mark-new"));
    expect(row("7-2")).toHaveAttribute("data-heard", "false");
    expect(backend.act).toHaveBeenLastCalledWith("desk", "INBOX", "7-2", "markNew");
    await waitFor(() =>
      expect(screen.getByTestId("mailbox-status")).toHaveTextContent(
        "Marked new; it will be sent when the server is back.",
      ),
    );
  });

  it("puts a refused mark back and says why", async () => {
    const backend = fakeMailbox();
    backend.act.mockResolvedValue(refused("the message is gone"));
    await shown();
    await select("7-2");
    await fireEvent.click(screen.getByTestId("mailbox-mark-heard"));
    expect(await screen.findByTestId("mailbox-error")).toHaveTextContent("could not be marked heard: the message is gone");
    expect(row("7-2")).toHaveAttribute("data-heard", "false");
  });

  it("deletes after 6 s unless undone", async () => {
    const backend = fakeMailbox();
    await shown();
    await select("7-2");
    vi.useFakeTimers();
    await fireEvent.click(screen.getByTestId("mailbox-delete"));
    expect(ids()).toEqual(["7-3", "7-1"]);
    expect(selectedId()).toBe("7-1");
    expect(screen.getByTestId("mailbox-toast")).toHaveTextContent("Deleted · Undo");
    await vi.advanceTimersByTimeAsync(5000);
    expect(backend.act).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId("mailbox-undo"));
    expect(ids()).toEqual(["7-3", "7-2", "7-1"]);
    expect(selectedId()).toBe("7-2");
    expect(screen.queryByTestId("mailbox-toast")).not.toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(backend.act).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId("mailbox-delete"));
    await vi.advanceTimersByTimeAsync(5999);
    expect(backend.act).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.act).toHaveBeenCalledExactlyOnceWith("desk", "INBOX", "7-2", "delete");
    expect(screen.queryByTestId("mailbox-toast")).not.toBeInTheDocument();
    expect(ids()).toEqual(["7-3", "7-1"]);
    await vi.waitFor(() => expect(screen.getByTestId("mailbox-status")).toHaveTextContent("Deleted."));
  });

  it("keeps a queued deletion out of the list and says it is sent later", async () => {
    const backend = fakeMailbox();
    backend.act.mockResolvedValue(ok("queued"));
    await shown();
    await select("7-3");
    vi.useFakeTimers();
    await fireEvent.click(screen.getByTestId("mailbox-delete"));
    // A second deletion sends the first at once: one undo at a time.
    await fireEvent.click(screen.getByTestId("mailbox-delete"));
    expect(backend.act).toHaveBeenCalledExactlyOnceWith("desk", "INBOX", "7-3", "delete");
    await vi.waitFor(() =>
      expect(screen.getByTestId("mailbox-status")).toHaveTextContent(
        "Deleted; it will be sent when the server is back.",
      ),
    );
    vi.useRealTimers();
    backend.change({ account: "desk", folder: "INBOX", offline: null });
    await waitFor(() => expect(backend.list).toHaveBeenCalledTimes(2));
    expect(ids()).toEqual(["7-1"]);
  });

  it("brings a message back when the server refuses to delete it", async () => {
    const backend = fakeMailbox();
    backend.act.mockResolvedValue(refused("no Trash folder and EXPUNGE refused"));
    await shown();
    await select("7-2");
    vi.useFakeTimers();
    await fireEvent.click(screen.getByTestId("mailbox-delete"));
    await vi.advanceTimersByTimeAsync(6000);
    vi.useRealTimers();
    expect(await screen.findByTestId("mailbox-error")).toHaveTextContent(
      "The message from Alice Smith could not be deleted: no Trash folder and EXPUNGE refused",
    );
    expect(ids()).toEqual(["7-3", "7-2", "7-1"]);
  });

  it("sends a waiting deletion when the view closes", async () => {
    const backend = fakeMailbox();
    const { unmount } = await shown();
    await select("7-1");
    await fireEvent.click(screen.getByTestId("mailbox-delete"));
    unmount();
    expect(backend.act).toHaveBeenCalledExactlyOnceWith("desk", "INBOX", "7-1", "delete");
  });
});

describe("Mailbox: changes from elsewhere", () => {
  it("reloads the list on a change and keeps the selection", async () => {
    const backend = fakeMailbox();
    await shown();
    await waitFor(() => expect(backend.listeners).toBe(1));
    await select("7-2");
    backend.lists["desk INBOX"] = listing([message({ id: "7-4", callerName: "Dan" }), ...inbox()]);
    backend.change({ account: "sales", folder: "INBOX", offline: null });
    backend.change({ account: "desk", folder: "Old", offline: null });
    expect(backend.list).toHaveBeenCalledTimes(1);
    backend.change({ account: "desk", folder: "INBOX", offline: null });
    await waitFor(() => expect(ids()).toEqual(["7-4", "7-3", "7-2", "7-1"]));
    expect(selectedId()).toBe("7-2");

    // The selected message deleted elsewhere: the one that took its place is selected.
    backend.lists["desk INBOX"] = listing([message({ id: "7-4" }), ...inbox().filter((m) => m.id !== "7-2")]);
    backend.change({ account: "desk", folder: "INBOX", offline: null });
    await waitFor(() => expect(ids()).toEqual(["7-4", "7-3", "7-1"]));
    expect(selectedId()).toBe("7-1");
  });

  it("shows why the store is offline, keeps the list, and reloads when it is back", async () => {
    const backend = fakeMailbox();
    await shown();
    await waitFor(() => expect(backend.listeners).toBe(1));
    backend.change({ account: "desk", folder: "INBOX", offline: "connection refused" });
    const banner = await screen.findByTestId("mailbox-offline");
    expect(banner).toHaveTextContent("The mail server cannot be reached: connection refused.");
    expect(ids()).toEqual(["7-3", "7-2", "7-1"]);
    backend.change({ account: "desk", folder: "Old", offline: null });
    await waitFor(() => expect(screen.queryByTestId("mailbox-offline")).not.toBeInTheDocument());
    await waitFor(() => expect(backend.list).toHaveBeenCalledTimes(2));
  });

  it("stops listening when it closes", async () => {
    const backend = fakeMailbox();
    const { unmount } = await shown();
    await waitFor(() => expect(backend.listeners).toBe(1));
    unmount();
    expect(backend.listeners).toBe(0);
  });
});

describe("Mailbox: keys", () => {
  it("moves with the arrows, plays with Enter and Space, marks with h and n, deletes with Delete", async () => {
    const backend = fakeMailbox();
    await shown();
    const list = screen.getByTestId("mailbox-messages");
    list.focus();
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    expect(selectedId()).toBe("7-3");
    expect(list).toHaveAttribute("aria-activedescendant", row("7-3").id);
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    expect(selectedId()).toBe("7-1");
    await fireEvent.keyDown(list, { key: "ArrowUp" });
    expect(selectedId()).toBe("7-2");

    await fireEvent.keyDown(list, { key: "Enter" });
    await playing();
    expect(backend.audio).toHaveBeenCalledWith("desk", "INBOX", "7-2");
    await fireEvent.keyDown(list, { key: " " });
    expect(player()).toHaveAttribute("data-state", "paused");
    await fireEvent.keyDown(list, { key: " " });
    await playing();

    await fireEvent.keyDown(list, { key: "h" });
    expect(backend.act).toHaveBeenLastCalledWith("desk", "INBOX", "7-2", "markHeard");
    await fireEvent.keyDown(list, { key: "n" });
    expect(backend.act).toHaveBeenLastCalledWith("desk", "INBOX", "7-2", "markNew");

    vi.useFakeTimers();
    await fireEvent.keyDown(list, { key: "Delete" });
    expect(ids()).toEqual(["7-3", "7-1"]);
    expect(player()).toHaveAttribute("data-state", "idle");
    await fireEvent.keyDown(list, { key: "z", ctrlKey: true });
    expect(ids()).toEqual(["7-3", "7-2", "7-1"]);
    await vi.advanceTimersByTimeAsync(6000);
    expect(backend.act).toHaveBeenCalledTimes(2);
  });

  it("leaves keys typed into controls alone", async () => {
    const backend = fakeMailbox();
    await shown();
    await select("7-2");
    const speed = screen.getByTestId("mailbox-speed");
    await fireEvent.keyDown(speed, { key: "ArrowDown" });
    await fireEvent.keyDown(speed, { key: "h" });
    await fireEvent.keyDown(screen.getByTestId("mailbox-play"), { key: " " });
    expect(selectedId()).toBe("7-2");
    expect(backend.act).not.toHaveBeenCalled();
    expect(backend.audio).not.toHaveBeenCalled();
  });
});

describe("Mailbox: navigation", () => {
  it("selects the message asked for and plays it at once, fetching while the list loads", async () => {
    const backend = fakeMailbox(undefined, {
      "desk INBOX": listing(),
      "desk Work/Sales": listing([message({ id: "8-1", folder: "Work/Sales" })], "Work/Sales"),
    });
    const answer = deferred<Awaited<ReturnType<typeof commands.mailboxList>>>();
    backend.list.mockReturnValueOnce(answer.promise);
    render(Mailbox, {
      props: { params: params({ account: "desk", mailbox: "sip:1001@pbx", messageId: "Work/Sales/8-1", play: true }) },
    });
    await waitFor(() => expect(backend.audio).toHaveBeenCalledExactlyOnceWith("desk", "Work/Sales", "8-1"));
    expect(backend.list).toHaveBeenCalledExactlyOnceWith("desk", "Work/Sales");
    await playing();
    answer.resolve(ok(backend.lists["desk Work/Sales"]));
    await waitFor(() => expect(ids()).toEqual(["8-1"]));
    expect(selectedId()).toBe("8-1");
    expect(screen.getAllByTestId("mailbox-folder")[2]).toHaveAttribute("aria-current", "true");
    expect(player()).toHaveAttribute("data-state", "playing");
    expect(backend.audio).toHaveBeenCalledTimes(1);
  });

  it("selects without playing when not asked to play", async () => {
    const backend = fakeMailbox();
    await shown({ params: params({ account: "desk", messageId: "INBOX/7-1" }) });
    expect(selectedId()).toBe("7-1");
    // The list has the focus, so the keys work at once.
    await waitFor(() => expect(screen.getByTestId("mailbox-messages")).toHaveFocus());
    expect(player()).toHaveAttribute("data-state", "idle");
    expect(backend.audio).not.toHaveBeenCalled();
  });

  it("plays a bare id once the list says its folder", async () => {
    const backend = fakeMailbox();
    await shown({ params: params({ account: "desk", messageId: "7-2", play: true }) });
    await playing();
    expect(backend.audio).toHaveBeenCalledWith("desk", "INBOX", "7-2");
    expect(selectedId()).toBe("7-2");
  });

  it("keeps playing a message asked for that the list does not show (yet)", async () => {
    const backend = fakeMailbox();
    render(Mailbox, { props: { params: params({ account: "desk", messageId: "INBOX/7-9", play: true }) } });
    await playing();
    await waitFor(() => expect(ids()).toEqual(["7-3", "7-2", "7-1"]));
    expect(backend.audio).toHaveBeenCalledWith("desk", "INBOX", "7-9");
    expect(player()).toHaveAttribute("data-state", "playing");
    expect(selectedId()).toBeUndefined();
  });

  it("follows a new place in the URL", async () => {
    const backend = fakeMailbox();
    const { rerender } = await shown({ params: params({ account: "desk" }) });
    await rerender({ params: params({ account: "desk", messageId: "INBOX/7-3", play: true }) });
    await playing();
    expect(selectedId()).toBe("7-3");
    expect(backend.audio).toHaveBeenCalledWith("desk", "INBOX", "7-3");
  });
});
