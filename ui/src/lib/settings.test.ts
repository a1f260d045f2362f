import { describe, expect, it } from "vitest";
import { accountForm, fakeSettings, notifications, refused } from "../test/settings";
import {
  accountChange,
  accountDraft,
  accountErrorField,
  accountForm as formOf,
  accountUser,
  loadSettings,
  mailboxRow,
  mailboxWords,
  newAccountDraft,
  notificationsDraft,
  notificationsErrorField,
  notificationsForm,
  passwordSourceWords,
  saveAccount,
  splitQuietHours,
  validateAccount,
  validateNotifications,
  type AccountContext,
  type AccountDraft,
} from "./settings";

const adding: AccountContext = { existingId: null, hasPassword: false, otherIds: ["desk"] };
const editing: AccountContext = { existingId: "desk", hasPassword: true, otherIds: [] };

function draft(overrides: Partial<AccountDraft> = {}): AccountDraft {
  return { ...newAccountDraft(), id: "night", aor: "sip:2000@pbx.example", password: "pw", ...overrides };
}

describe("account drafts", () => {
  it("round-trip a configured account, with no password and every source kept", () => {
    for (const source of [
      { kind: "keyring" as const },
      { kind: "env" as const, value: "DESK_PW" },
      { kind: "file" as const, value: "/run/secrets/desk" },
    ]) {
      const form = accountForm({
        passwordSource: source,
        registrar: "sip:pbx.example;transport=tls",
        mailboxes: [{ uri: "sip:2200@pbx.example", displayName: null }],
        expires: 600,
      });
      const d = accountDraft(form);
      expect(d.password).toBe("");
      expect(formOf(d)).toEqual(form);
    }
  });

  it("turn blank texts into none and trim the rest", () => {
    const form = formOf(draft({ id: " night ", displayName: "  ", authUser: " 2000a ", expires: " 120 " }));
    expect(form).toMatchObject({ id: "night", displayName: null, authUser: "2000a", registrar: null, expires: 120 });
  });

  it("send a password only for the keyring and only when typed", () => {
    expect(accountChange(draft(), null).password).toBe("pw");
    expect(accountChange(draft({ password: "" }), "night").password).toBeNull();
    expect(accountChange(draft({ passwordKind: "file", passwordFile: "/pw" }), null)).toMatchObject({
      password: null,
      form: { passwordSource: { kind: "file", value: "/pw" } },
    });
  });

  it("give each mailbox row its own key", () => {
    expect(mailboxRow().key).not.toBe(mailboxRow().key);
  });
});

describe("account checks", () => {
  it("accept a complete new account", () => {
    expect(validateAccount(draft(), adding)).toEqual({});
  });

  it.each([
    ["", "Enter an id"],
    ["Desk", "a-z, 0-9, - and _"],
    ["front desk", "a-z, 0-9, - and _"],
    ["x".repeat(65), "1 to 64"],
    ["desk", "exists already"],
  ])("refuse the id %j", (id, words) => {
    expect(validateAccount(draft({ id }), adding).id).toContain(words);
  });

  it("do not check the fixed id of an edited account", () => {
    expect(validateAccount(draft({ id: "desk" }), editing).id).toBeUndefined();
    expect(validateAccount(draft({ id: "a".repeat(64) }), adding).id).toBeUndefined();
  });

  it.each(["", "1001@pbx", "tel:1001", "sip:pbx.example", "sip:@pbx", "sip:1001@", "http://1001@pbx"])(
    "refuse the address of record %j",
    (aor) => {
      expect(validateAccount(draft({ aor }), adding).aor).toBeDefined();
    },
  );

  it.each(["sip:1001@pbx.example", "SIPS:alice@pbx.example:5061;transport=tls"])("accept %j", (aor) => {
    expect(validateAccount(draft({ aor }), adding).aor).toBeUndefined();
  });

  it("want a password for a new keyring account, or one the keyring lacks", () => {
    expect(validateAccount(draft({ password: "" }), adding).password).toBe("Enter the account's password.");
    expect(validateAccount(draft({ password: "" }), editing).password).toBeUndefined();
    expect(validateAccount(draft({ password: "" }), { ...editing, hasPassword: false }).password).toContain(
      "holds none",
    );
    expect(validateAccount(draft({ password: "a\nb" }), adding).password).toContain("control characters");
    expect(validateAccount(draft({ password: "x".repeat(1025) }), adding).password).toContain("too long");
  });

  it("want the variable or file of the other sources", () => {
    expect(validateAccount(draft({ passwordKind: "env", password: "" }), adding)["password-env"]).toBeDefined();
    expect(validateAccount(draft({ passwordKind: "env", passwordEnv: "A B" }), adding)["password-env"]).toContain(
      "no spaces",
    );
    expect(validateAccount(draft({ passwordKind: "file" }), adding)["password-file"]).toBeDefined();
    expect(validateAccount(draft({ passwordKind: "file", passwordFile: "/pw" }), adding)).toEqual({});
  });

  it("check mailboxes like the address of record, and once each", () => {
    const errors = validateAccount(
      draft({
        mailboxes: [
          mailboxRow("sip:2200@pbx.example"),
          mailboxRow(""),
          mailboxRow("2300"),
          mailboxRow("SIP:2200@pbx.example"),
        ],
      }),
      adding,
    );
    expect(errors["mailbox-uri-0"]).toBeUndefined();
    expect(errors["mailbox-uri-1"]).toContain("remove this row");
    expect(errors["mailbox-uri-2"]).toContain("sip: or sips:");
    expect(errors["mailbox-uri-3"]).toContain("twice");
    expect(validateAccount(draft({ monitorOwn: false }), adding).mailboxes).toContain("monitors no mailbox");
  });

  it.each([
    ["59", true],
    ["60", false],
    ["86400", false],
    ["86401", true],
    ["3600.5", true],
    ["", true],
    ["abc", true],
  ])("check the expiry %j (refused: %s)", (expires, refused) => {
    expect(validateAccount(draft({ expires }), adding).expires !== undefined).toBe(refused);
  });

  it("check servers and the access code when given", () => {
    const errors = validateAccount(
      draft({ registrar: "pbx.example", outboundProxy: "sip:proxy", voicemailAccessCode: "*9a" }),
      adding,
    );
    expect(errors.registrar).toContain("sip: or sips:");
    expect(errors["outbound-proxy"]).toBeUndefined();
    expect(errors["voicemail-access-code"]).toContain("digits, * and #");
  });
});

describe("backend errors", () => {
  it.each([
    ["accounts[0].aor: no user part", "aor"],
    ["accounts[3].registrar: unknown transport", "registrar"],
    ["accounts[0].outbound_proxy: bad", "outbound-proxy"],
    ["accounts[0].mailboxes[2].uri: the mailbox sip:x@y is listed twice", "mailbox-uri-2"],
    ["accounts[0].mailboxes: the account monitors no mailbox", "mailboxes"],
    ["accounts[0].password_env: empty", "password-env"],
    ["accounts[0].expires: 5 seconds is out of range", "expires"],
    ["enter the account's password", "password"],
    ["the password could not be stored: no keyring", "password"],
    ['an account with id "desk" exists already', "id"],
    ["an account's id cannot change; remove it and add a new one", "id"],
    ["the OS keyring cannot be opened: no D-Bus", null],
    ["the configuration could not be written: permission denied", null],
    ['voicemail store: the scheme "http" is not IMAP', "voicemail-imap"],
    ["voicemail store: allow_plaintext is set but the URL is imaps://", "voicemail-plaintext"],
    ["accounts[0].voicemail.user: empty", "voicemail-user"],
    ["accounts[1].voicemail.imap: bad URL", "voicemail-imap"],
  ])("place %j at %s", (error, place) => {
    expect(accountErrorField(error)).toBe(place);
  });

  it("name the user a voicemail store logs in with by default", () => {
    expect(accountUser({ authUser: " 1001a ", aor: "sip:1001@pbx" })).toBe("1001a");
    expect(accountUser({ authUser: "", aor: "sips:2000@pbx.example" })).toBe("2000");
    expect(accountUser({ authUser: "", aor: "not an address" })).toBeNull();
  });

  it("round-trip a voicemail store and keep its fields while it is off", () => {
    const form = accountForm({
      voicemail: { imap: "imap://[::1]:10143", allowPlaintext: true, user: null, lampFromImap: true },
    });
    const d = accountDraft(form);
    expect(formOf(d)).toEqual(form);
    expect(validateAccount({ ...d, password: "pw" }, editing)).toEqual({});
    expect(formOf({ ...d, voicemail: false }).voicemail).toBeNull();
    expect(formOf({ ...d, voicemail: false, voicemailImap: "x" })).toEqual({ ...form, voicemail: null });
  });

  it.each([
    ["quiet hours: \"25:00\" is not a time", "quiet-end"],
    ["coalescing longer than 60 s would delay every notification too much", "coalesce"],
    ["notifications.urgent_reminder_minutes: 2000 minutes is out of range", "urgent-reminder"],
    ["the configuration could not be written", null],
  ])("place %j at %s", (error, place) => {
    expect(notificationsErrorField(error)).toBe(place);
  });
});

describe("backend calls", () => {
  it("answer the value, or the backend's words", async () => {
    const backend = fakeSettings();
    expect(await loadSettings()).toMatchObject({ ok: true, value: { configPath: expect.any(String) } });
    backend.save.mockResolvedValue(refused("accounts[0].aor: bad"));
    const change = accountChange(draft(), null);
    expect(await saveAccount(change)).toEqual({ ok: false, error: "accounts[0].aor: bad" });
    expect(backend.save).toHaveBeenCalledWith(change);
  });

  it("say in words when the backend cannot be reached", async () => {
    expect(await loadSettings()).toEqual({
      ok: false,
      error: expect.stringContaining("engine is not available"),
    });
  });
});

describe("notification settings", () => {
  it("split and join quiet hours", () => {
    expect(splitQuietHours("22:00-07:00")).toEqual({ start: "22:00", end: "07:00" });
    expect(splitQuietHours(" 7:30 - 9:05 ")).toEqual({ start: "07:30", end: "09:05" });
    expect(splitQuietHours(null)).toBeNull();
    expect(splitQuietHours("all night")).toBeNull();
    const d = notificationsDraft(notifications({ quietHours: "22:00-07:00" }));
    expect(notificationsForm({ ...d, quietEnd: "06:45:00" }).quietHours).toBe("22:00-06:45");
  });

  it("round-trip, with quiet hours off as none", () => {
    for (const form of [notifications(), notifications({ quietHours: "23:15-06:00", privacy: "callerAndDuration" })]) {
      expect(notificationsForm(notificationsDraft(form))).toEqual(form);
    }
    const off = notificationsDraft(notifications());
    expect(off.quiet).toBe(false);
    expect(off.quietStart).toBe("22:00");
  });

  it("check the numbers and the hours", () => {
    const ok = notificationsDraft(notifications());
    expect(validateNotifications(ok)).toEqual({});
    expect(validateNotifications({ ...ok, urgentReminderMinutes: "1441" })["urgent-reminder"]).toBeDefined();
    expect(validateNotifications({ ...ok, urgentReminderMinutes: "1440" })).toEqual({});
    expect(validateNotifications({ ...ok, coalesceSeconds: "-1" }).coalesce).toBeDefined();
    expect(validateNotifications({ ...ok, coalesceSeconds: "" }).coalesce).toBeDefined();
    expect(validateNotifications({ ...ok, quiet: true, quietStart: "", quietEnd: "07:00" })["quiet-start"]).toBeDefined();
    expect(validateNotifications({ ...ok, quiet: true, quietStart: "07:00", quietEnd: "07:00" })["quiet-end"]).toContain(
      "same time",
    );
    // Hours that are off are not checked.
    expect(validateNotifications({ ...ok, quiet: false, quietStart: "", quietEnd: "" })).toEqual({});
  });
});

describe("account summaries", () => {
  it("say which mailboxes are monitored", () => {
    const shared = [{ uri: "sip:2200@pbx.example", displayName: null }];
    expect(mailboxWords(accountForm())).toBe("Its own mailbox");
    expect(mailboxWords(accountForm({ mailboxes: shared }))).toBe("Its own mailbox and 1 shared mailbox");
    expect(mailboxWords(accountForm({ monitorOwn: false, mailboxes: [...shared, ...shared] }))).toBe(
      "2 shared mailboxes",
    );
  });
});

describe("password sources", () => {
  it("read in words", () => {
    expect(passwordSourceWords({ kind: "keyring" })).toBe("OS keyring");
    expect(passwordSourceWords({ kind: "env", value: "PW" })).toBe("Environment variable PW");
    expect(passwordSourceWords({ kind: "file", value: "/pw" })).toBe("File /pw");
  });
});
