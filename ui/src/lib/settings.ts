// The Settings view's model: the backend's settings commands (through the generated
// bindings), the account and notification forms as the inputs hold them (drafts of
// strings), the checks the configuration file applies that can be made before sending,
// and where a backend error belongs in the form.
import {
  commands,
  type AccountChange_Deserialize,
  type AccountForm_Serialize,
  type AccountSettings_Serialize,
  type CheckReport,
  type NotificationsForm_Serialize,
  type PasswordSourceForm,
  type PrivacyForm,
  type SettingsView_Serialize,
  type UnsolicitedForm,
  type VoicemailForm_Serialize,
} from "../bindings";
import { outcome, type Outcome } from "./api";

/** One account as the backend sends it. */
export type AccountForm = AccountForm_Serialize;
/** One account and whether the OS keyring holds its password. */
export type AccountSettings = AccountSettings_Serialize;
/** Everything the Settings view edits. */
export type SettingsView = SettingsView_Serialize;
/** The notification settings as the backend sends and takes them. */
export type NotificationsForm = NotificationsForm_Serialize;
/** An account's voicemail store (IMAP) as the backend sends and takes it. */
export type VoicemailForm = VoicemailForm_Serialize;
/** What the backend is sent to add, change or try an account. */
export type AccountChange = AccountChange_Deserialize;
export type { CheckReport, PasswordSourceForm, PrivacyForm, UnsolicitedForm };

export type { Outcome };

/** The accounts and notification settings in the configuration file. */
export function loadSettings(): Promise<Outcome<SettingsView>> {
  return outcome(() => commands.settingsGet());
}

/** Adds (no `existingId`) or changes an account; the engine restarts the accounts. */
export function saveAccount(change: AccountChange): Promise<Outcome<null>> {
  return outcome(() => commands.accountSave(change));
}

/** Removes an account and its keyring entry. */
export function removeAccount(id: string): Promise<Outcome<null>> {
  return outcome(() => commands.accountRemove(id));
}

/** Registers the account as filled in for up to 10 s and says what works and what to fix. */
export function testAccount(change: AccountChange): Promise<Outcome<CheckReport>> {
  return outcome(() => commands.accountTest(change));
}

/** Changes the notification settings. */
export function saveNotifications(form: NotificationsForm): Promise<Outcome<null>> {
  return outcome(() => commands.notificationsSave(form));
}

/** Whether Voicelamp starts (in the tray, without a window) when the person logs in. */
export function getAutostart(): Promise<Outcome<boolean>> {
  return outcome(() => commands.autostartGet());
}

/** Turns starting at login on or off; answers the state now in effect. */
export function setAutostart(enabled: boolean): Promise<Outcome<boolean>> {
  return outcome(() => commands.autostartSet(enabled));
}

// ---------------------------------------------------------------------------------------
// Accounts

/** Where a password comes from, as the form's radio buttons name it. */
export type PasswordKind = PasswordSourceForm["kind"];

/** A monitored (shared) mailbox row; `key` keeps a row's inputs when others are removed. */
export interface MailboxDraft {
  key: number;
  uri: string;
  displayName: string;
}

/** The account form as its inputs hold it. */
export interface AccountDraft {
  id: string;
  displayName: string;
  aor: string;
  authUser: string;
  registrar: string;
  outboundProxy: string;
  register: boolean;
  monitorOwn: boolean;
  mailboxes: MailboxDraft[];
  voicemailAccessCode: string;
  unsolicited: UnsolicitedForm;
  tlsCaFile: string;
  tlsInsecureSkipVerify: boolean;
  expires: string;
  passwordKind: PasswordKind;
  passwordEnv: string;
  passwordFile: string;
  /** A new password for the keyring; never filled from the backend. */
  password: string;
  /** The account has a voicemail store (the fields below are kept while it is off). */
  voicemail: boolean;
  voicemailImap: string;
  /** Login name; blank for the account's user. */
  voicemailUser: string;
  voicemailPlaintext: boolean;
  voicemailLamp: boolean;
  /** Incoming calls ring here, or are refused. */
  incomingCalls: "ring" | "off";
  /** The answer to "does this line also ring a desk phone?" (asked, not saved). */
  deskPhone: "yes" | "no";
  stutterDialTone: boolean;
  /** Send the voicemail PIN after `pinDelay` seconds. */
  pinSend: boolean;
  pinDelay: string;
  /** A new PIN for the keyring; never filled from the backend. */
  pin: string;
}

/** The fields of the account form, named as their inputs' test ids end. */
export type AccountField =
  | "id"
  | "display-name"
  | "aor"
  | "password"
  | "password-env"
  | "password-file"
  | "monitor-own"
  | "mailboxes"
  | "auth-user"
  | "registrar"
  | "outbound-proxy"
  | "voicemail-access-code"
  | "voicemail-pin"
  | "voicemail-pin-delay"
  | "tls-ca-file"
  | "expires"
  | "voicemail-imap"
  | "voicemail-user"
  | "voicemail-plaintext"
  | `mailbox-uri-${number}`;

/** What is wrong, per field, in words. */
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** The default registration expiry (the file's default), seconds. */
export const DEFAULT_EXPIRES = 3600;
export const MIN_EXPIRES = 60;
export const MAX_EXPIRES = 86_400;
export const MAX_ID_LENGTH = 64;
/** Longest wait before the voicemail PIN is sent (core's `MAX_PIN_DELAY`), and the suggested one. */
export const MAX_PIN_DELAY = 60;
export const DEFAULT_PIN_DELAY = 3;
/** The longest password the backend accepts. */
export const MAX_PASSWORD = 1024;

const ID = /^[a-z0-9_-]{1,64}$/;
const ADDRESS = /^sips?:[^@\s]+@[^@\s;?]+/i;
const SERVER = /^sips?:\S+$/i;
const ACCESS_CODE = /^[0-9*#]{1,32}$/;
const IMAP_URL = /^imaps?:\/\/[^\s/@?#]+\/?$/i;
const IMAP_EXAMPLE = "imaps://mail.example.com";
// Control characters (C0, DEL, C1), which the backend refuses in a password.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let nextKey = 0;

/** A mailbox row with a fresh key. */
export function mailboxRow(uri = "", displayName = ""): MailboxDraft {
  nextKey += 1;
  return { key: nextKey, uri, displayName };
}

/** The draft of a new account. */
export function newAccountDraft(): AccountDraft {
  return {
    id: "",
    displayName: "",
    aor: "",
    authUser: "",
    registrar: "",
    outboundProxy: "",
    register: true,
    monitorOwn: true,
    mailboxes: [],
    voicemailAccessCode: "",
    unsolicited: "registrar",
    tlsCaFile: "",
    tlsInsecureSkipVerify: false,
    expires: String(DEFAULT_EXPIRES),
    passwordKind: "keyring",
    passwordEnv: "",
    passwordFile: "",
    password: "",
    voicemail: false,
    voicemailImap: "",
    voicemailUser: "",
    voicemailPlaintext: false,
    voicemailLamp: false,
    incomingCalls: "off",
    deskPhone: "no",
    stutterDialTone: false,
    pinSend: false,
    pinDelay: String(DEFAULT_PIN_DELAY),
    pin: "",
  };
}

/** The draft of a configured account (the password stays empty). */
export function accountDraft(form: AccountForm): AccountDraft {
  const source = form.passwordSource;
  return {
    id: form.id,
    displayName: form.displayName ?? "",
    aor: form.aor,
    authUser: form.authUser ?? "",
    registrar: form.registrar ?? "",
    outboundProxy: form.outboundProxy ?? "",
    register: form.register,
    monitorOwn: form.monitorOwn,
    mailboxes: form.mailboxes.map((m) => mailboxRow(m.uri, m.displayName ?? "")),
    voicemailAccessCode: form.voicemailAccessCode ?? "",
    unsolicited: form.unsolicited,
    tlsCaFile: form.tlsCaFile ?? "",
    tlsInsecureSkipVerify: form.tlsInsecureSkipVerify,
    expires: String(form.expires),
    passwordKind: source.kind,
    passwordEnv: source.kind === "env" ? source.value : "",
    passwordFile: source.kind === "file" ? source.value : "",
    password: "",
    voicemail: form.voicemail !== null,
    voicemailImap: form.voicemail?.imap ?? "",
    voicemailUser: form.voicemail?.user ?? "",
    voicemailPlaintext: form.voicemail?.allowPlaintext ?? false,
    voicemailLamp: form.voicemail?.lampFromImap ?? false,
    incomingCalls: form.incomingCalls ?? "off",
    deskPhone: "no",
    stutterDialTone: form.stutterDialTone ?? false,
    pinSend: (form.voicemailPinDelay ?? null) !== null,
    pinDelay: String(form.voicemailPinDelay ?? DEFAULT_PIN_DELAY),
    pin: "",
  };
}

function optional(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === "" ? null : trimmed;
}

function passwordSource(draft: AccountDraft): PasswordSourceForm {
  switch (draft.passwordKind) {
    case "env":
      return { kind: "env", value: draft.passwordEnv.trim() };
    case "file":
      return { kind: "file", value: draft.passwordFile.trim() };
    default:
      return { kind: "keyring" };
  }
}

/** The account a draft describes, as the backend takes it (blank texts become none). */
export function accountForm(draft: AccountDraft): AccountForm {
  return {
    id: draft.id.trim(),
    displayName: optional(draft.displayName),
    aor: draft.aor.trim(),
    authUser: optional(draft.authUser),
    registrar: optional(draft.registrar),
    outboundProxy: optional(draft.outboundProxy),
    register: draft.register,
    monitorOwn: draft.monitorOwn,
    mailboxes: draft.mailboxes.map((m) => ({ uri: m.uri.trim(), displayName: optional(m.displayName) })),
    voicemailAccessCode: optional(draft.voicemailAccessCode),
    unsolicited: draft.unsolicited,
    tlsCaFile: optional(draft.tlsCaFile),
    tlsInsecureSkipVerify: draft.tlsInsecureSkipVerify,
    expires: Number(draft.expires.trim()),
    passwordSource: passwordSource(draft),
    voicemail: draft.voicemail
      ? {
          imap: draft.voicemailImap.trim(),
          allowPlaintext: draft.voicemailPlaintext,
          user: optional(draft.voicemailUser),
          lampFromImap: draft.voicemailLamp,
        }
      : null,
    incomingCalls: draft.incomingCalls,
    voicemailPinDelay: draft.pinSend ? Number(draft.pinDelay.trim()) : null,
    stutterDialTone: draft.stutterDialTone,
  };
}

/** The user an account logs in with: its authentication user, else the user of its address. */
export function accountUser(draft: Pick<AccountDraft, "authUser" | "aor">): string | null {
  const auth = draft.authUser.trim();
  if (auth !== "") return auth;
  return /^sips?:([^@\s]+)@/i.exec(draft.aor.trim())?.[1] ?? null;
}

/**
 * What Save and Test send: the form, the account it replaces (none for a new one) and the
 * typed password — only for the keyring and only when one was typed (none keeps the stored one).
 */
export function accountChange(draft: AccountDraft, existingId: string | null): AccountChange {
  const password = draft.passwordKind === "keyring" && draft.password !== "" ? draft.password : null;
  // An empty field keeps the stored PIN (a PIN no longer sent is removed by the backend).
  const pin = draft.pin.trim();
  const voicemailPin = draft.pinSend && pin !== "" ? pin : null;
  return { existingId, form: accountForm(draft), password, ...(voicemailPin === null ? {} : { voicemailPin }) };
}

/** What the checks need to know besides the draft. */
export interface AccountContext {
  /** The account being edited; none for a new one. */
  existingId: string | null;
  /** The keyring holds a password for the account being edited. */
  hasPassword: boolean;
  /** The ids of the other accounts. */
  otherIds: readonly string[];
}

const ADDRESS_EXAMPLE = "sip:1001@pbx.example.com";

/** The checks of the configuration file that can be made before sending, per field. */
export function validateAccount(draft: AccountDraft, context: AccountContext): FieldErrors<AccountField> {
  const errors: FieldErrors<AccountField> = {};
  const id = draft.id.trim();
  if (context.existingId === null) {
    if (id === "") errors.id = "Enter an id, e.g. desk.";
    else if (!ID.test(id)) {
      errors.id = `Use 1 to ${MAX_ID_LENGTH} characters from a-z, 0-9, - and _ (no capitals or spaces).`;
    } else if (context.otherIds.includes(id)) errors.id = `An account with the id ${id} exists already.`;
  }

  const aor = draft.aor.trim();
  if (aor === "") errors.aor = `Enter the address of record, e.g. ${ADDRESS_EXAMPLE}.`;
  else if (!ADDRESS.test(aor)) {
    errors.aor = `An address of record starts with sip: or sips: and has a user and a host, e.g. ${ADDRESS_EXAMPLE}.`;
  }

  switch (draft.passwordKind) {
    case "keyring":
      if (draft.password === "" && !(context.existingId !== null && context.hasPassword)) {
        errors.password =
          context.existingId === null
            ? "Enter the account's password."
            : "Enter the account's password: the OS keyring holds none for it yet.";
      } else if (draft.password.length > MAX_PASSWORD) {
        errors.password = `The password is too long (at most ${MAX_PASSWORD} characters).`;
      } else if (CONTROL.test(draft.password)) {
        errors.password = "The password contains control characters.";
      }
      break;
    case "env": {
      const name = draft.passwordEnv.trim();
      if (name === "") errors["password-env"] = "Enter the name of the environment variable.";
      else if (/[\s=]/.test(name)) {
        errors["password-env"] = "An environment variable's name has no spaces and no =.";
      }
      break;
    }
    case "file":
      if (draft.passwordFile.trim() === "") errors["password-file"] = "Enter the path of the password file.";
      break;
  }

  const seen = new Set<string>();
  draft.mailboxes.forEach((mailbox, index) => {
    const uri = mailbox.uri.trim();
    const field = `mailbox-uri-${index}` as const;
    if (uri === "") errors[field] = "Enter the mailbox's address, or remove this row.";
    else if (!ADDRESS.test(uri)) {
      errors[field] = `A mailbox address starts with sip: or sips: and has a user and a host, e.g. sip:2200@pbx.example.com.`;
    } else if (seen.has(uri.toLowerCase())) errors[field] = "This mailbox is listed twice.";
    seen.add(uri.toLowerCase());
  });
  if (!draft.monitorOwn && draft.mailboxes.length === 0) {
    errors.mailboxes = "The account monitors no mailbox: monitor its own or add a shared one.";
  }

  for (const [field, value] of [
    ["registrar", draft.registrar],
    ["outbound-proxy", draft.outboundProxy],
  ] as const) {
    const text = value.trim();
    if (text !== "" && !SERVER.test(text)) {
      errors[field] = "A server address starts with sip: or sips:, e.g. sip:pbx.example.com;transport=tls.";
    }
  }

  const code = draft.voicemailAccessCode.trim();
  if (code !== "" && !ACCESS_CODE.test(code)) {
    errors["voicemail-access-code"] = "Use up to 32 digits, * and #, e.g. *97.";
  }

  if (draft.pinSend) {
    const pin = draft.pin.trim();
    if (pin !== "" && !/^[0-9*#]{1,16}$/.test(pin)) {
      errors["voicemail-pin"] = "Use up to 16 digits, * and #.";
    }
    const delay = Number(draft.pinDelay.trim());
    if (!Number.isInteger(delay) || delay < 1 || delay > MAX_PIN_DELAY) {
      errors["voicemail-pin-delay"] = `Enter a whole number of seconds from 1 to ${MAX_PIN_DELAY}.`;
    }
  }

  if (draft.voicemail) validateVoicemail(draft, errors);

  const expires = draft.expires.trim();
  const seconds = Number(expires);
  if (expires === "" || !Number.isInteger(seconds) || seconds < MIN_EXPIRES || seconds > MAX_EXPIRES) {
    errors.expires = `Enter a whole number of seconds from ${MIN_EXPIRES} to ${MAX_EXPIRES}.`;
  }
  return errors;
}

/** The voicemail store's checks (the file's rules for `[accounts.voicemail]`). */
function validateVoicemail(draft: AccountDraft, errors: FieldErrors<AccountField>): void {
  const url = draft.voicemailImap.trim();
  if (url === "") errors["voicemail-imap"] = `Enter the mail server's address, e.g. ${IMAP_EXAMPLE}.`;
  else if (!/^imaps?:\/\//i.test(url)) {
    errors["voicemail-imap"] =
      `An IMAP address starts with imaps:// (or imap:// for STARTTLS), e.g. ${IMAP_EXAMPLE}.`;
  } else if (!IMAP_URL.test(url)) {
    errors["voicemail-imap"] =
      `Name only the server (and a port), with no user, folder or path, e.g. ${IMAP_EXAMPLE}:993.`;
  } else if (draft.voicemailPlaintext && /^imaps:/i.test(url)) {
    errors["voicemail-plaintext"] = "imaps:// is always encrypted: plaintext applies to imap:// only.";
  }
  if (/\s/.test(draft.voicemailUser.trim())) errors["voicemail-user"] = "A login name has no spaces.";
}

/** The fields that sit in the editor's "Advanced" part. */
export const ADVANCED_FIELDS: readonly AccountField[] = [
  "auth-user",
  "registrar",
  "outbound-proxy",
  "voicemail-access-code",
  "tls-ca-file",
  "expires",
];

const FILE_FIELDS: Record<string, AccountField> = {
  id: "id",
  display_name: "display-name",
  aor: "aor",
  auth_user: "auth-user",
  registrar: "registrar",
  outbound_proxy: "outbound-proxy",
  mailboxes: "mailboxes",
  voicemail_access_code: "voicemail-access-code",
  expires: "expires",
  "tls.ca_file": "tls-ca-file",
  ca_file: "tls-ca-file",
  password_env: "password-env",
  password_file: "password-file",
  voicemail: "voicemail-imap",
  "voicemail.imap": "voicemail-imap",
  "voicemail.user": "voicemail-user",
  "voicemail.allow_plaintext": "voicemail-plaintext",
};

/**
 * The field a backend error about an account is about, when it says: the file's rules name it
 * (`accounts[0].aor: …`, `accounts[1].mailboxes[2].uri: …`); the keyring and id checks say it in
 * words.
 */
export function accountErrorField(error: string): AccountField | null {
  const named = /^accounts\[\d+\]\.([a-z_.]+(?:\[(\d+)\])?[a-z_.]*)\s*:/.exec(error);
  if (named !== null) {
    const mailbox = /^mailboxes\[(\d+)\]/.exec(named[1]);
    if (mailbox !== null) return `mailbox-uri-${Number(mailbox[1])}`;
    return FILE_FIELDS[named[1]] ?? null;
  }
  if (/^voicemail store:/i.test(error)) {
    return /allow_plaintext/.test(error) ? "voicemail-plaintext" : "voicemail-imap";
  }
  if (/password/i.test(error) && !/environment variable or a file/.test(error)) return "password";
  if (/\bid\b/.test(error)) return "id";
  return null;
}

/** How an account's password source reads in the list. */
export function passwordSourceWords(source: PasswordSourceForm): string {
  switch (source.kind) {
    case "env":
      return `Environment variable ${source.value}`;
    case "file":
      return `File ${source.value}`;
    default:
      return "OS keyring";
  }
}

/** Which mailboxes an account monitors, in words. */
export function mailboxWords(form: AccountForm): string {
  const shared = form.mailboxes.length;
  const sharedWords = shared === 1 ? "1 shared mailbox" : `${shared} shared mailboxes`;
  if (form.monitorOwn) return shared === 0 ? "Its own mailbox" : `Its own mailbox and ${sharedWords}`;
  return shared === 0 ? "No mailbox" : sharedWords.charAt(0).toUpperCase() + sharedWords.slice(1);
}

/** The name an account is shown by. */
export function accountName(form: AccountForm): string {
  return form.displayName?.trim() || form.id;
}

// ---------------------------------------------------------------------------------------
// Notifications

/** The notification form as its inputs hold it. */
export interface NotificationsDraft {
  enabled: boolean;
  privacy: PrivacyForm;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  urgentReminderMinutes: string;
  coalesceSeconds: string;
}

export type NotificationsField = "quiet-start" | "quiet-end" | "urgent-reminder" | "coalesce";

/** Longest urgent reminder interval (a day), minutes. */
export const MAX_REMINDER_MINUTES = 24 * 60;
/** Longest coalescing time the backend accepts, seconds. */
export const MAX_COALESCE_SECONDS = 60;

/** The privacy levels, with what a notification then shows. */
export const PRIVACY_CHOICES: readonly { value: PrivacyForm; label: string; example: string }[] = [
  { value: "countOnly", label: "Count only", example: "Front desk: 2 new voice messages" },
  { value: "caller", label: "Caller", example: "Front desk: new voice message from Alice Smith (1002)" },
  {
    value: "callerAndDuration",
    label: "Caller and duration",
    example: "Front desk: new voice message from Alice Smith (1002), 0:42",
  },
];

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Quiet hours `HH:MM-HH:MM` as start and end, or none when not set or unreadable. */
export function splitQuietHours(text: string | null): { start: string; end: string } | null {
  if (text === null) return null;
  const match = /^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/.exec(text);
  if (match === null) return null;
  const pad = (t: string) => t.padStart(5, "0");
  return { start: pad(match[1]), end: pad(match[2]) };
}

/** Start and end as the backend writes quiet hours. */
export function joinQuietHours(start: string, end: string): string {
  return `${start.slice(0, 5)}-${end.slice(0, 5)}`;
}

/** The draft of the notification settings. */
export function notificationsDraft(form: NotificationsForm): NotificationsDraft {
  const quiet = splitQuietHours(form.quietHours);
  return {
    enabled: form.enabled,
    privacy: form.privacy,
    quiet: quiet !== null,
    quietStart: quiet?.start ?? "22:00",
    quietEnd: quiet?.end ?? "07:00",
    urgentReminderMinutes: String(form.urgentReminderMinutes),
    coalesceSeconds: String(form.coalesceSeconds),
  };
}

/** The notification settings a draft describes. */
export function notificationsForm(draft: NotificationsDraft): NotificationsForm {
  return {
    enabled: draft.enabled,
    privacy: draft.privacy,
    quietHours: draft.quiet ? joinQuietHours(draft.quietStart, draft.quietEnd) : null,
    urgentReminderMinutes: Number(draft.urgentReminderMinutes.trim()),
    coalesceSeconds: Number(draft.coalesceSeconds.trim()),
  };
}

function wholeNumberIn(text: string, max: number): boolean {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(n) && n >= 0 && n <= max;
}

/** The checks of the notification settings, per field. */
export function validateNotifications(draft: NotificationsDraft): FieldErrors<NotificationsField> {
  const errors: FieldErrors<NotificationsField> = {};
  if (draft.quiet) {
    const start = draft.quietStart.slice(0, 5);
    const end = draft.quietEnd.slice(0, 5);
    if (!HH_MM.test(start)) errors["quiet-start"] = "Enter the time quiet hours start, e.g. 22:00.";
    if (!HH_MM.test(end)) errors["quiet-end"] = "Enter the time quiet hours end, e.g. 07:00.";
    else if (start === end) {
      errors["quiet-end"] = "Quiet hours start and end at the same time; turn them off for none.";
    }
  }
  if (!wholeNumberIn(draft.urgentReminderMinutes, MAX_REMINDER_MINUTES)) {
    errors["urgent-reminder"] = `Enter whole minutes from 0 (never) to ${MAX_REMINDER_MINUTES}.`;
  }
  if (!wholeNumberIn(draft.coalesceSeconds, MAX_COALESCE_SECONDS)) {
    errors.coalesce = `Enter whole seconds from 0 to ${MAX_COALESCE_SECONDS}.`;
  }
  return errors;
}

/** The field a backend error about the notification settings is about, when it says. */
export function notificationsErrorField(error: string): NotificationsField | null {
  if (/^(quiet hours|notifications\.quiet_hours)/i.test(error)) return "quiet-end";
  if (/urgent_reminder|reminder/i.test(error)) return "urgent-reminder";
  if (/coalesc/i.test(error)) return "coalesce";
  return null;
}

/** The first field in `order` that has an error. */
export function firstError<F extends string>(errors: FieldErrors<F>, order: readonly F[]): F | null {
  return order.find((field) => errors[field] !== undefined) ?? null;
}
