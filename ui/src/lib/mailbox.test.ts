import { describe, expect, it, vi } from "vitest";
import { chunkOf, fakeMailbox, message, refused } from "../test/mailbox";
import {
  callerOf,
  clockTime,
  decodeBase64,
  durationWords,
  fetchAudio,
  folderName,
  listStores,
  loadAutoHeard,
  loadSpeed,
  messageLabel,
  outcomeWords,
  parseMessageRef,
  receivedWords,
  saveAutoHeard,
  saveSpeed,
  stepSelection,
} from "./mailbox";

describe("where a navigation points", () => {
  it.each([
    ["INBOX/7-2", { folder: "INBOX", id: "7-2" }],
    ["Work/Sales/8-1", { folder: "Work/Sales", id: "8-1" }],
    ["7-2", { folder: null, id: "7-2" }],
    ["/7-2", { folder: null, id: "7-2" }],
    ["INBOX/", null],
    [null, null],
  ])("reads %j", (ref, parts) => {
    expect(parseMessageRef(ref)).toEqual(parts);
  });
});

describe("what a row shows", () => {
  it("writes lengths as m:ss", () => {
    expect(clockTime(0)).toBe("0:00");
    expect(clockTime(7.9)).toBe("0:07");
    expect(clockTime(65)).toBe("1:05");
    expect(clockTime(3723)).toBe("1:02:03");
    expect(clockTime(NaN)).toBe("0:00");
    expect(clockTime(null)).toBe("0:00");
    expect(durationWords({ durationS: null })).toBeNull();
    expect(durationWords({ durationS: 42 })).toBe("0:42");
  });

  it("names the caller by name and number, by number alone, or as unknown", () => {
    expect(callerOf({ callerName: "Alice", callerNumber: "1002" })).toEqual({ name: "Alice", number: "1002", known: true });
    expect(callerOf({ callerName: null, callerNumber: " 1002 " })).toEqual({ name: "1002", number: null, known: true });
    expect(callerOf({ callerName: "1002", callerNumber: "1002" })).toEqual({ name: "1002", number: null, known: true });
    expect(callerOf({ callerName: "", callerNumber: null })).toEqual({ name: "Unknown caller", number: null, known: false });
  });

  it("says when a message was left, and the exact time", () => {
    const at = Date.parse("2026-11-27T10:00:00Z");
    const words = receivedWords({ receivedAt: "2026-11-27T09:57:00Z" }, at);
    expect(words.text).toBe("3 min ago");
    expect(words.exact).toMatch(/2026/);
    expect(receivedWords({ receivedAt: "yesterday" }, at)).toEqual({ text: "time unknown", exact: null });
  });

  it("labels a row for screen readers without absent data", () => {
    const at = Date.now();
    expect(messageLabel(message({ urgent: true, receivedAt: new Date(at).toISOString() }), at)).toBe(
      "Alice Smith (1002), just now, 0:42, urgent, unheard",
    );
    expect(
      messageLabel(message({ callerName: null, callerNumber: null, durationS: null, heard: true }), at + 1000),
    ).toBe("Unknown caller, 5 min ago, heard");
  });

  it("moves the selection within the list", () => {
    const rows = [{ id: "a" }, { id: "b" }, { id: "c" }];
    expect(stepSelection(rows, null, 1)).toBe("a");
    expect(stepSelection(rows, null, -1)).toBe("c");
    expect(stepSelection(rows, "b", 1)).toBe("c");
    expect(stepSelection(rows, "c", 1)).toBe("c");
    expect(stepSelection(rows, "b", -5)).toBe("a");
    expect(stepSelection([], "b", 1)).toBeNull();
  });

  it("words outcomes and folders", () => {
    expect(outcomeWords("delete", "done")).toBe("Deleted.");
    expect(outcomeWords("markHeard", "queued")).toBe("Marked heard; it will be sent when the server is back.");
    expect(folderName("INBOX")).toBe("Inbox");
    expect(folderName("Old")).toBe("Old");
  });
});

/** A Blob's bytes (jsdom's Blob has no arrayBuffer()). */
function bytesOf(blob: Blob): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve([...new Uint8Array(reader.result as ArrayBuffer)]);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

describe("audio", () => {
  it("decodes base64 to bytes", () => {
    expect([...decodeBase64("UklGRg==")]).toEqual([0x52, 0x49, 0x46, 0x46]);
  });

  it("decodes natively where the webview can", () => {
    const native = vi.fn(() => new Uint8Array([1, 2]));
    Object.assign(Uint8Array, { fromBase64: native });
    try {
      expect([...decodeBase64("AQI=")]).toEqual([1, 2]);
      expect(native).toHaveBeenCalledWith("AQI=");
    } finally {
      delete (Uint8Array as { fromBase64?: unknown }).fromBase64;
    }
  });

  it("reads the clip chunk by chunk into a WAV Blob, and says why when it cannot", async () => {
    const backend = fakeMailbox();
    const clip = await fetchAudio("desk", "INBOX", "7-2");
    expect(clip.ok && clip.value.type).toBe("audio/wav");
    expect(clip.ok && clip.value.size).toBe(4);
    expect(clip.ok && (await bytesOf(clip.value))).toEqual([0x52, 0x49, 0x46, 0x46]);
    expect(backend.chunk.mock.calls.map((c) => [c[3], c[4]])).toEqual([
      [0, 3],
      [3, 3],
    ]);
    backend.chunk.mockResolvedValueOnce({ status: "ok", data: { offset: 0, base64: "not base64!" } });
    expect(await fetchAudio("desk", "INBOX", "7-2")).toEqual({ ok: false, error: expect.stringContaining("damaged") });
    backend.chunk.mockResolvedValueOnce({ status: "ok", data: { offset: 3, base64: "UklG" } });
    expect(await fetchAudio("desk", "INBOX", "7-2")).toEqual({ ok: false, error: expect.stringContaining("damaged") });
    backend.chunk.mockResolvedValue({ status: "ok", data: { offset: 0, base64: "" } });
    expect(await fetchAudio("desk", "INBOX", "7-2")).toEqual({ ok: false, error: expect.stringContaining("cut short") });
    backend.chunk.mockResolvedValue(refused("the mail server is away"));
    expect(await fetchAudio("desk", "INBOX", "7-2")).toEqual({ ok: false, error: "the mail server is away" });
    backend.audio.mockResolvedValue(refused("no such message"));
    expect(await fetchAudio("desk", "INBOX", "7-2")).toEqual({ ok: false, error: "no such message" });
  });

  it("asks a long message's chunks in order, each within the chunk size", async () => {
    const backend = fakeMailbox();
    const wav = new Uint8Array(10_000).map((_, i) => (i * 7) & 255);
    backend.audio.mockResolvedValue({ status: "ok", data: { mime: "audio/wav", size: wav.length, chunk: 4096 } });
    backend.chunk.mockImplementation(async (_a, _f, _i, offset, len) => ({
      status: "ok",
      data: chunkOf(wav, offset ?? 0, Math.min(len, 4096)),
    }));
    const clip = await fetchAudio("desk", "INBOX", "7-2");
    expect(clip.ok && (await bytesOf(clip.value))).toEqual([...wav]);
    expect(backend.chunk.mock.calls.map((c) => c[3])).toEqual([0, 4096, 8192]);
  });

  it("says the engine is away without a backend", async () => {
    expect(await listStores()).toEqual({ ok: false, error: expect.stringContaining("not available") });
  });
});

describe("remembered choices", () => {
  it("marks heard at the end unless turned off", () => {
    expect(loadAutoHeard()).toBe(true);
    saveAutoHeard(false);
    expect(loadAutoHeard()).toBe(false);
    saveAutoHeard(true);
    expect(loadAutoHeard()).toBe(true);
  });

  it("keeps a known speed only", () => {
    expect(loadSpeed()).toBe(1);
    saveSpeed(1.25);
    expect(loadSpeed()).toBe(1.25);
    window.localStorage.setItem("voicelamp.mailbox.speed", "9");
    expect(loadSpeed()).toBe(1);
  });
});
