// Settings as the backend sends them, and spies on the settings commands of the generated
// bindings that answer the way tauri-specta's wrapper does (`{ status, data | error }`).
import { vi } from "vitest";
import { commands } from "../bindings";
import type { AccountForm, AccountSettings, CheckReport, NotificationsForm, SettingsView } from "../lib/settings";

export function accountForm(overrides: Partial<AccountForm> = {}): AccountForm {
  return {
    id: "desk",
    displayName: "Front desk",
    aor: "sip:1001@pbx.example",
    authUser: null,
    registrar: null,
    outboundProxy: null,
    register: true,
    monitorOwn: true,
    mailboxes: [],
    voicemailAccessCode: null,
    unsolicited: "registrar",
    tlsCaFile: null,
    tlsInsecureSkipVerify: false,
    expires: 3600,
    passwordSource: { kind: "keyring" },
    voicemail: null,
    incomingCalls: "off",
    voicemailPinDelay: null,
    stutterDialTone: false,
    ...overrides,
  };
}

export function accountSettings(overrides: Partial<AccountForm> = {}, hasPassword = true): AccountSettings {
  return { form: accountForm(overrides), hasPassword, hasVoicemailPin: false };
}

export function notifications(overrides: Partial<NotificationsForm> = {}): NotificationsForm {
  return {
    enabled: true,
    privacy: "caller",
    quietHours: null,
    urgentReminderMinutes: 15,
    coalesceSeconds: 3,
    ...overrides,
  };
}

export function settingsView(
  accounts: AccountSettings[] = [accountSettings()],
  n: NotificationsForm = notifications(),
): SettingsView {
  return { accounts, notifications: n, configPath: "~/.config/voicelamp/config.toml" };
}

const ok = <T>(data: T) => ({ status: "ok" as const, data });
const refused = (error: string) => ({ status: "error" as const, error });

/** The settings commands answering as a working backend would; each spy can be re-aimed. */
export function fakeSettings(view: SettingsView | string = settingsView()) {
  return {
    get: vi
      .spyOn(commands, "settingsGet")
      .mockResolvedValue(typeof view === "string" ? refused(view) : ok(view)),
    save: vi.spyOn(commands, "accountSave").mockResolvedValue(ok(null)),
    remove: vi.spyOn(commands, "accountRemove").mockResolvedValue(ok(null)),
    test: vi
      .spyOn(commands, "accountTest")
      .mockResolvedValue(ok<CheckReport>({ report: "Registered.", ok: true })),
    notifications: vi.spyOn(commands, "notificationsSave").mockResolvedValue(ok(null)),
    autostartGet: vi.spyOn(commands, "autostartGet").mockResolvedValue(ok(false)),
    autostartSet: vi
      .spyOn(commands, "autostartSet")
      .mockImplementation((enabled: boolean) => Promise.resolve(ok(enabled))),
  };
}

export { ok, refused };
