// The window's share of a notification click: from opening the Mailbox view with
// `play` to the player's `playing`, with a backend that answers at once (so the figure is
// the UI's own work: render, listing 200 rows, decoding a minute of audio, Blob URL, play).
// Run with `npm run bench:mailbox`; figures only, no timed assertions. jsdom has no layout,
// paint or audio, so the end-to-end figure (click → sound) comes from the app's E2E tests.
import { render } from "@testing-library/svelte";
import { bench, describe } from "vitest";
import { commands } from "../bindings";
import { decodeBase64 } from "../lib/mailbox";
import { NO_PARAMS } from "../lib/router";
import { fakeMailbox, fakeMedia, listing, message } from "../test/mailbox";
import Mailbox from "./Mailbox.svelte";

const ROWS = 200;
/** A minute of 8 kHz 16-bit mono WAV, as the backend sends it. */
const SECONDS = 60;
const WAV_BYTES = 44 + SECONDS * 8000 * 2;

function minuteOfAudio(): Uint8Array {
  const bytes = new Uint8Array(WAV_BYTES);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31) & 255;
  return bytes;
}

function asBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const wav = minuteOfAudio();
const base64 = asBase64(wav);
/** The backend's chunk size (1 MiB). */
const CHUNK = 1024 * 1024;
const inbox = listing(
  Array.from({ length: ROWS }, (_, i) =>
    message({ id: `7-${ROWS - i}`, callerNumber: String(1000 + i), urgent: i % 9 === 0, heard: i % 3 === 0 }),
  ),
);

/** Resolves when `el` has `data-state="playing"`. */
function playing(el: () => Element | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const look = () => {
      if (el()?.getAttribute("data-state") === "playing") resolve();
      else if (Date.now() - started > 5000) reject(new Error("never reached playing"));
      else setTimeout(look, 0);
    };
    look();
  });
}

describe(`Mailbox, ${ROWS} messages, ${SECONDS} s of audio (${(base64.length / 1e6).toFixed(2)} MB base64)`, () => {
  bench(`decode ${SECONDS} s of audio from base64`, () => {
    decodeBase64(base64);
  });

  const rendered: (() => void)[] = [];
  bench(
    "open with play → playing",
    async () => {
      fakeMailbox(undefined, { "desk INBOX": inbox });
      fakeMedia();
      const spy = commands.mailboxAudio as unknown as { mockResolvedValue: (v: unknown) => void };
      spy.mockResolvedValue({ status: "ok", data: { mime: "audio/wav", size: wav.length, chunk: CHUNK } });
      const chunks = commands.mailboxAudioChunk as unknown as {
        mockImplementation: (f: (...args: unknown[]) => Promise<unknown>) => void;
      };
      chunks.mockImplementation(async (...args: unknown[]) => {
        const offset = args[3] as number;
        return { status: "ok", data: { offset, base64: asBase64(wav.subarray(offset, offset + CHUNK)) } };
      });
      const params = { ...NO_PARAMS, account: "desk", messageId: `INBOX/7-${ROWS}`, play: true };
      const { container, unmount } = render(Mailbox, { props: { params } });
      rendered.push(unmount);
      await playing(() => container.querySelector("[data-testid=mailbox-player]"));
    },
    {
      iterations: 10,
      warmupIterations: 2,
      time: 0,
      teardown: () => rendered.splice(0).forEach((unmount) => unmount()),
    },
  );
});
