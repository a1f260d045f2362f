// A stand-in for the voicemail-store commands and event of the generated bindings, messages
// shaped as the backend sends them, and the media pieces jsdom lacks (play, pause, Blob URLs).
import { vi } from "vitest";
import { commands, events } from "../bindings";
import type { ActionOutcome, MailboxChanged, MessageList, MessageView, StoreInfo } from "../lib/mailbox";
import { fakeEvent } from "./engine";

const ok = <T>(data: T) => ({ status: "ok" as const, data });
const refused = (error: string) => ({ status: "error" as const, error });

/** A message as the backend lists it. */
export function message(overrides: Partial<MessageView> = {}): MessageView {
  return {
    id: "7-1",
    folder: "INBOX",
    callerNumber: "1002",
    callerName: "Alice Smith",
    receivedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    durationS: 42,
    urgent: false,
    heard: false,
    format: "gsm",
    ...overrides,
  };
}

/** Three messages of INBOX, newest first: unheard urgent, unheard, heard. */
export function inbox(): MessageView[] {
  return [
    message({ id: "7-3", callerName: "Bob Jones", callerNumber: "1003", urgent: true, durationS: 65 }),
    message({ id: "7-2" }),
    message({ id: "7-1", callerName: null, callerNumber: "+15551234", heard: true, durationS: 7 }),
  ];
}

export function listing(messages: MessageView[] = inbox(), folder = "INBOX"): MessageList {
  return { folders: ["INBOX", "Old", "Work/Sales"], folder, messages };
}

/** "RIFF": enough of a WAV for a Blob, served in chunks of 3 bytes (two calls). */
export const WAV = new Uint8Array([0x52, 0x49, 0x46, 0x46]);
export const CLIP = { mime: "audio/wav", size: WAV.length, chunk: 3 };

/** The chunk of `wav` at `offset`, as the backend sends it. */
export function chunkOf(wav: Uint8Array, offset: number, len: number): { offset: number; base64: string } {
  return { offset, base64: btoa(String.fromCharCode(...wav.subarray(offset, offset + len))) };
}

/** The store commands answering as a working backend would; each spy can be re-aimed. */
export function fakeMailbox(
  stores: StoreInfo[] = [{ account: "desk", name: "Front desk" }],
  lists: Record<string, MessageList> = { "desk INBOX": listing() },
) {
  const changed = fakeEvent<MailboxChanged>(events.mailboxChanged);
  return {
    stores: vi.spyOn(commands, "mailboxStores").mockResolvedValue(ok(stores)),
    list: vi.spyOn(commands, "mailboxList").mockImplementation(async (account, folder) => {
      const found = lists[`${account} ${folder ?? "INBOX"}`];
      return found === undefined ? refused(`no folder ${folder}`) : ok(found);
    }),
    audio: vi.spyOn(commands, "mailboxAudio").mockResolvedValue(ok(CLIP)),
    chunk: vi
      .spyOn(commands, "mailboxAudioChunk")
      .mockImplementation(async (_account, _folder, _id, offset, len) => ok(chunkOf(WAV, offset ?? 0, len))),
    act: vi.spyOn(commands, "mailboxAct").mockResolvedValue(ok<ActionOutcome>("done")),
    lists,
    get listeners() {
      return changed.listeners;
    },
    change: (payload: MailboxChanged) => changed.fire(payload),
  };
}

/**
 * jsdom's media elements neither play nor pause, and it has no Blob URLs: play() resolves and
 * fires `playing`, pause() fires `pause`, and each Blob gets a `blob:` URL of its own.
 */
export function fakeMedia() {
  let made = 0;
  const blobs: Blob[] = [];
  const create = vi.fn((blob: Blob) => {
    blobs.push(blob);
    made += 1;
    return `blob:voicelamp/${made}`;
  });
  const revoke = vi.fn();
  Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke });
  const play = vi
    .spyOn(HTMLMediaElement.prototype, "play")
    .mockImplementation(function (this: HTMLMediaElement) {
      this.dispatchEvent(new Event("playing"));
      return Promise.resolve();
    });
  const pause = vi
    .spyOn(HTMLMediaElement.prototype, "pause")
    .mockImplementation(function (this: HTMLMediaElement) {
      this.dispatchEvent(new Event("pause"));
    });
  return { create, revoke, blobs, play, pause };
}

export { ok, refused };
