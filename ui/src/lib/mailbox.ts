// The Mailbox view's model: the voicemail-store commands and event (through the generated
// bindings), what a message row shows, where a navigation points, audio as Blob URLs, and
// the player's remembered choices.
import {
  commands,
  events,
  type ActionOutcome,
  type AudioChunk,
  type AudioClip,
  type MailboxChanged_Serialize,
  type MessageAction,
  type MessageList_Serialize,
  type MessageView_Serialize,
  type StoreInfo,
} from "../bindings";
import { outcome, type Outcome, type Unlisten } from "./api";
import { ago, exactTime, parseTime } from "./clock";

/** An account that has a voicemail store. */
export type { ActionOutcome, AudioChunk, AudioClip, MessageAction, Outcome, StoreInfo };
/** A folder's messages, newest first, and every folder's name. */
export type MessageList = MessageList_Serialize;
/** One voicemail message. */
export type MessageView = MessageView_Serialize;
/** A store changed elsewhere, or went offline (`offline` says why) or came back. */
export type MailboxChanged = MailboxChanged_Serialize;

/** The accounts that have a voicemail store. */
export function listStores(): Promise<Outcome<StoreInfo[]>> {
  return outcome(() => commands.mailboxStores());
}

/** The messages of `folder` (the store's first, INBOX, when none). */
export function listMessages(account: string, folder: string | null): Promise<Outcome<MessageList>> {
  return outcome(() => commands.mailboxList(account, folder));
}

/**
 * A message's audio, decoded to WAV by the backend, as a Blob: read chunk by chunk (each at
 * most `clip.chunk` bytes, so a two-hour stereo message of 1.27 GB crosses the socket in
 * bounded messages), then played and sought from the Blob.
 */
export async function fetchAudio(account: string, folder: string, id: string): Promise<Outcome<Blob>> {
  const clip = await outcome(() => commands.mailboxAudio(account, folder, id));
  if (!clip.ok) return clip;
  const { chunk, mime } = clip.value;
  const size = clip.value.size ?? 0;
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  // Bounded: every chunk but the last is whole, so this is size / chunk calls at most.
  const calls = chunk > 0 ? Math.ceil(size / chunk) : 0;
  for (let call = 0; call < calls && offset < size; call += 1) {
    const piece = await outcome(() => commands.mailboxAudioChunk(account, folder, id, offset, chunk));
    if (!piece.ok) return piece;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = chunkBytes(piece.value, offset);
    } catch {
      return { ok: false, error: "The message's audio arrived damaged; try again." };
    }
    if (bytes.length === 0) break;
    parts.push(bytes);
    offset += bytes.length;
  }
  if (offset !== size) return { ok: false, error: "The message's audio arrived cut short; try again." };
  return { ok: true, value: new Blob(parts, { type: mime || "audio/wav" }) };
}

/** A chunk's bytes, checked to start where asked (throws on a wrong place or bad base64). */
export function chunkBytes(chunk: AudioChunk, offset: number): Uint8Array<ArrayBuffer> {
  if (chunk.offset !== offset) throw new Error(`chunk at ${chunk.offset}, asked ${offset}`);
  return decodeBase64(chunk.base64);
}

/** Marks a message heard or new, or deletes it; "queued" while the server is away. */
export function actOn(
  account: string,
  folder: string,
  id: string,
  action: MessageAction,
): Promise<Outcome<ActionOutcome>> {
  return outcome(() => commands.mailboxAct(account, folder, id, action));
}

/** Every change of a store: changed elsewhere, offline, back. */
export function onMailboxChanged(handler: (change: MailboxChanged) => void): Promise<Unlisten> {
  return events.mailboxChanged.listen((event) => handler(event.payload));
}

// ---------------------------------------------------------------------------------------
// Audio

type FromBase64 = (text: string) => Uint8Array<ArrayBuffer>;

/** The bytes of base64 text (throws on text that is not base64). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  // Newer webviews decode natively; elsewhere a minute of 8 kHz audio (1.3 MB of base64)
  // takes 6-20 ms this way (Node 20).
  const native = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
  if (native !== undefined) return native.call(Uint8Array, text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// A Blob URL plays and seeks in every platform's webview; WebKitGTK refuses media from the
// app's own scheme.

// ---------------------------------------------------------------------------------------
// Where a navigation points

/** A message in a store: the account, the folder and the id within it. */
export interface MessageKey {
  account: string;
  folder: string;
  id: string;
}

export function sameKey(a: MessageKey | null, b: MessageKey | null): boolean {
  return a !== null && b !== null && a.account === b.account && a.folder === b.folder && a.id === b.id;
}

/**
 * `folder/id` (the id is the part after the last `/`, so folders may hold `/`) → its parts;
 * a bare id has no folder.
 */
export function parseMessageRef(ref: string | null): { folder: string | null; id: string } | null {
  if (ref === null) return null;
  const at = ref.lastIndexOf("/");
  const id = ref.slice(at + 1);
  if (id === "") return null;
  const folder = at <= 0 ? null : ref.slice(0, at);
  return { folder, id };
}

// ---------------------------------------------------------------------------------------
// What a row shows

/** INBOX reads as "Inbox"; other folders as the server names them. */
export function folderName(name: string): string {
  return name.toUpperCase() === "INBOX" ? "Inbox" : name;
}

/** "1:05" for 65 s; "0:00" for nothing; hours as "1:02:03". */
export function clockTime(seconds: number | null | undefined): string {
  const whole = seconds === null || seconds === undefined || !Number.isFinite(seconds) ? 0 : Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** The message's length as m:ss, or null when the server does not say. */
export function durationWords(message: Pick<MessageView, "durationS">): string | null {
  return message.durationS === null || message.durationS === undefined ? null : clockTime(message.durationS);
}

function present(text: string | null | undefined): string | null {
  const trimmed = text?.trim();
  return trimmed ? trimmed : null;
}

/** Who called: a name and a number when known; "Unknown caller" when neither is. */
export function callerOf(message: Pick<MessageView, "callerName" | "callerNumber">): {
  name: string;
  number: string | null;
  known: boolean;
} {
  const name = present(message.callerName);
  const number = present(message.callerNumber);
  if (name !== null) return { name, number: number === name ? null : number, known: true };
  if (number !== null) return { name: number, number: null, known: true };
  return { name: "Unknown caller", number: null, known: false };
}

/** When it was left: "3 min ago" and the exact local time; "time unknown" when unreadable. */
export function receivedWords(message: Pick<MessageView, "receivedAt">, at: number): {
  text: string;
  exact: string | null;
} {
  const then = parseTime(message.receivedAt);
  if (then === null) return { text: "time unknown", exact: null };
  return { text: ago(then, at), exact: exactTime(then) };
}

/** One line for screen readers and titles: caller, time, length, urgent, unheard. */
export function messageLabel(message: MessageView, at: number): string {
  const caller = callerOf(message);
  const parts = [caller.number === null ? caller.name : `${caller.name} (${caller.number})`];
  parts.push(receivedWords(message, at).text);
  const length = durationWords(message);
  if (length !== null) parts.push(length);
  if (message.urgent) parts.push("urgent");
  parts.push(message.heard ? "heard" : "unheard");
  return parts.join(", ");
}

/** The id `delta` rows from `current` (clamped); the first row when nothing is selected. */
export function stepSelection(
  messages: readonly { id: string }[],
  current: string | null,
  delta: number,
): string | null {
  if (messages.length === 0) return null;
  const at = messages.findIndex((m) => m.id === current);
  if (at < 0) return messages[delta < 0 ? messages.length - 1 : 0].id;
  return messages[Math.min(messages.length - 1, Math.max(0, at + delta))].id;
}

/** What an action's outcome reads as in the status line. */
export function outcomeWords(action: MessageAction, result: ActionOutcome): string {
  const done = { markHeard: "Marked heard", markNew: "Marked new", delete: "Deleted" }[action];
  return result === "queued" ? `${done}; it will be sent when the server is back.` : `${done}.`;
}

// ---------------------------------------------------------------------------------------
// The player's remembered choices

export const SPEEDS = [0.75, 1, 1.25, 1.5, 2] as const;
export const AUTO_HEARD_KEY = "voicelamp.mailbox.autoHeard";
export const SPEED_KEY = "voicelamp.mailbox.speed";

function stored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // storage disabled or full: the choice lasts for this session
  }
}

/** Mark a message heard when its playback ends (on unless turned off). */
export function loadAutoHeard(): boolean {
  return stored(AUTO_HEARD_KEY) !== "false";
}

export function saveAutoHeard(on: boolean): void {
  store(AUTO_HEARD_KEY, String(on));
}

/** The playback speed last chosen (1 unless one of {@link SPEEDS} was). */
export function loadSpeed(): number {
  const speed = Number(stored(SPEED_KEY));
  return (SPEEDS as readonly number[]).includes(speed) ? speed : 1;
}

export function saveSpeed(speed: number): void {
  store(SPEED_KEY, String(speed));
}
