import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { CheckReport } from "../lib/settings";
import {
  accountForm,
  accountSettings,
  fakeSettings,
  notifications,
  ok,
  refused,
  settingsView,
} from "../test/settings";
import Settings from "./Settings.svelte";

const field = (name: string) => screen.getByTestId(`account-field-${name}`) as HTMLInputElement;

async function type(name: string, value: string) {
  await fireEvent.input(field(name), { target: { value } });
}

async function openAdd() {
  await fireEvent.click(await screen.findByTestId("settings-add-account"));
  return screen.getByTestId("account-form");
}

async function openEdit(index = 0) {
  const rows = await screen.findAllByTestId("settings-account-row");
  await fireEvent.click(within(rows[index]).getByTestId("account-edit"));
  return screen.getByTestId("account-form");
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("Settings: account list", () => {
  it("lists each account with its name, address, password source and stored badge", async () => {
    fakeSettings(
      settingsView([
        accountSettings(),
        accountSettings(
          { id: "night", displayName: null, aor: "sips:2000@pbx.example", passwordSource: { kind: "env", value: "NIGHT_PW" } },
          false,
        ),
        accountSettings({ id: "lab", displayName: "Lab", tlsInsecureSkipVerify: true }, false),
      ]),
    );
    render(Settings);
    const list = await screen.findByTestId("settings-account-list");
    const rows = within(list).getAllByTestId("settings-account-row");
    expect(rows.map((r) => r.dataset.account)).toEqual(["desk", "night", "lab"]);

    expect(within(rows[0]).getByTestId("account-name")).toHaveTextContent("Front desk");
    expect(rows[0]).toHaveTextContent("(desk)");
    expect(within(rows[0]).getByTestId("account-aor")).toHaveTextContent("sip:1001@pbx.example");
    expect(within(rows[0]).getByTestId("account-password-source")).toHaveTextContent("OS keyring");
    expect(within(rows[0]).getByTestId("account-password-stored")).toHaveTextContent("password stored");
    expect(within(rows[0]).getByTestId("account-mailboxes")).toHaveTextContent("Its own mailbox");

    expect(within(rows[1]).getByTestId("account-name")).toHaveTextContent("night");
    expect(within(rows[1]).getByTestId("account-password-source")).toHaveTextContent(
      "Environment variable NIGHT_PW",
    );
    expect(within(rows[1]).queryByTestId("account-password-stored")).not.toBeInTheDocument();
    expect(within(rows[1]).queryByTestId("account-password-missing")).not.toBeInTheDocument();

    expect(within(rows[2]).getByTestId("account-password-missing")).toHaveTextContent("no password stored");
    expect(within(rows[2]).getByTestId("account-tls-insecure")).toBeInTheDocument();
    expect(screen.getByTestId("settings-config-path")).toHaveTextContent("~/.config/voicelamp/config.toml");
    expect(screen.getByRole("button", { name: "Edit Front desk" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Remove Lab" })).toBeInTheDocument();
  });

  it("says there are no accounts yet, and keeps the theme switch", async () => {
    fakeSettings(settingsView([]));
    render(Settings);
    expect(await screen.findByTestId("settings-no-accounts")).toBeInTheDocument();
    expect(screen.getByTestId("settings-add-account")).toBeEnabled();
    for (const name of ["Accounts", "Notifications", "Privacy", "Startup", "Appearance"]) {
      expect(screen.getByRole("heading", { level: 2, name })).toBeInTheDocument();
    }
    expect(screen.getByTestId("theme-dark")).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("theme-dark"));
    expect(document.documentElement.dataset.theme).toBe("dark");
  });

  it("shows why the settings cannot be read, and tries again", async () => {
    const backend = fakeSettings("line 3: accounts[0].aor: not a SIP URI");
    render(Settings);
    expect(screen.getByTestId("view-settings")).toHaveAttribute("data-state", "loading");
    expect(await screen.findByTestId("settings-error")).toHaveTextContent("line 3: accounts[0].aor: not a SIP URI");
    expect(screen.getByTestId("view-settings")).toHaveAttribute("data-state", "error");
    expect(screen.queryByTestId("settings-account-list")).not.toBeInTheDocument();
    backend.get.mockResolvedValue(ok(settingsView()));
    await fireEvent.click(screen.getByTestId("settings-retry"));
    expect(await screen.findByTestId("settings-account-list")).toBeInTheDocument();
    expect(screen.queryByTestId("settings-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("view-settings")).toHaveAttribute("data-state", "ready");
  });

  it("says the engine is unavailable when the call itself fails", async () => {
    render(Settings);
    expect(await screen.findByTestId("settings-error")).toHaveTextContent("engine is not available");
  });

  it("asks before removing, says the keyring entry goes too, and removes on confirmation", async () => {
    const backend = fakeSettings(settingsView([accountSettings(), accountSettings({ id: "night", displayName: "Night" })]));
    render(Settings);
    const rows = await screen.findAllByTestId("settings-account-row");
    await fireEvent.click(within(rows[0]).getByTestId("account-remove"));
    expect(rows[0]).toHaveTextContent("Remove Front desk? Its password is removed from the OS keyring too.");
    expect(within(rows[0]).getByTestId("account-remove-cancel")).toHaveFocus();
    expect(backend.remove).not.toHaveBeenCalled();

    await fireEvent.click(within(rows[0]).getByTestId("account-remove-cancel"));
    expect(within(rows[0]).queryByTestId("account-remove-confirm")).not.toBeInTheDocument();
    expect(within(rows[0]).getByTestId("account-remove")).toHaveFocus();
    await fireEvent.click(within(rows[0]).getByTestId("account-remove"));
    await fireEvent.keyDown(within(rows[0]).getByTestId("account-remove-cancel"), { key: "Escape" });
    expect(within(rows[0]).queryByTestId("account-remove-confirm")).not.toBeInTheDocument();
    expect(within(rows[0]).getByTestId("account-remove")).toHaveFocus();
    expect(backend.remove).not.toHaveBeenCalled();

    backend.get.mockResolvedValue(ok(settingsView([accountSettings({ id: "night", displayName: "Night" })])));
    await fireEvent.click(within(rows[0]).getByTestId("account-remove"));
    await fireEvent.click(within(rows[0]).getByTestId("account-remove-confirm"));
    expect(backend.remove).toHaveBeenCalledExactlyOnceWith("desk");
    await waitFor(() =>
      expect(screen.getAllByTestId("settings-account-row").map((r) => r.dataset.account)).toEqual(["night"]),
    );
    expect(backend.get).toHaveBeenCalledTimes(2);
  });

  it("shows a refused removal in the row", async () => {
    const backend = fakeSettings();
    backend.remove.mockResolvedValue(refused('there is no account "desk"'));
    render(Settings);
    const [row] = await screen.findAllByTestId("settings-account-row");
    await fireEvent.click(within(row).getByTestId("account-remove"));
    await fireEvent.click(within(row).getByTestId("account-remove-confirm"));
    expect(await within(row).findByTestId("account-remove-error")).toHaveTextContent('there is no account "desk"');
    expect(backend.get).toHaveBeenCalledTimes(1);
  });
});

describe("Settings: account editor", () => {
  it("adds a keyring account: sends the form, the typed password and no existing id", async () => {
    const backend = fakeSettings(settingsView([]));
    render(Settings);
    const form = await openAdd();
    expect(field("id")).toHaveFocus();
    expect(field("id")).not.toHaveAttribute("readonly");
    expect(field("password")).toHaveAttribute("type", "password");
    expect(field("password")).toHaveValue("");

    await type("id", "desk");
    await type("display-name", " Front desk ");
    await type("aor", "sip:1001@pbx.example");
    await type("password", "pw-1001");
    backend.get.mockResolvedValue(ok(settingsView([accountSettings()])));
    await fireEvent.click(screen.getByTestId("account-save"));

    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save).toHaveBeenCalledExactlyOnceWith({
      existingId: null,
      form: accountForm(),
      password: "pw-1001",
    });
    expect(screen.getByTestId("account-status")).toHaveTextContent("Saved");
    expect(screen.getByRole("heading", { name: "Edit Front desk" })).toBeInTheDocument();
    expect(screen.getByTestId("account-cancel")).toHaveTextContent("Close");
    // Now the saved account is being edited: the id is fixed and the password field empty.
    expect(field("id")).toHaveAttribute("readonly");
    expect(field("password")).toHaveValue("");
    expect(field("password")).toHaveAttribute("placeholder", "stored in the OS keyring");
    expect(backend.get).toHaveBeenCalledTimes(2);

    await fireEvent.click(screen.getByTestId("account-cancel"));
    expect(screen.queryByTestId("account-form")).not.toBeInTheDocument();
    expect(screen.getAllByTestId("settings-account-row")).toHaveLength(1);
    expect(screen.getByTestId("settings-add-account")).toHaveFocus();
  });

  it("sends no password for an account that reads it from the environment", async () => {
    const backend = fakeSettings(settingsView([]));
    render(Settings);
    const form = await openAdd();
    await type("id", "night");
    await type("aor", "sips:2000@pbx.example");
    // A password typed before choosing another source is not sent.
    await type("password", "typed-then-abandoned");
    await fireEvent.click(field("password-source-env"));
    expect(screen.queryByTestId("account-field-password")).not.toBeInTheDocument();
    await type("password-env", "NIGHT_PW");
    await fireEvent.click(screen.getByTestId("account-add-mailbox"));
    expect(field("mailbox-uri-0")).toHaveFocus();
    await type("mailbox-uri-0", "sip:2200@pbx.example");
    await type("mailbox-name-0", "Sales");
    await fireEvent.click(field("monitor-own"));
    await fireEvent.click(screen.getByTestId("account-save"));

    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save).toHaveBeenCalledExactlyOnceWith({
      existingId: null,
      form: accountForm({
        id: "night",
        displayName: null,
        aor: "sips:2000@pbx.example",
        monitorOwn: false,
        mailboxes: [{ uri: "sip:2200@pbx.example", displayName: "Sales" }],
        passwordSource: { kind: "env", value: "NIGHT_PW" },
      }),
      password: null,
    });
  });

  it("edits with the id read-only and keeps the stored password unless one is typed", async () => {
    const backend = fakeSettings(
      settingsView([accountSettings({ mailboxes: [{ uri: "sip:2200@pbx.example", displayName: null }] })]),
    );
    render(Settings);
    const form = await openEdit();
    expect(screen.getByRole("heading", { name: "Edit Front desk" })).toBeInTheDocument();
    expect(field("id")).toHaveValue("desk");
    expect(field("id")).toHaveAttribute("readonly");
    expect(field("display-name")).toHaveFocus();
    expect(field("password")).toHaveValue("");
    expect(field("password")).toHaveAttribute("placeholder", "stored in the OS keyring");
    expect(field("password")).not.toBeRequired();
    expect(field("mailbox-uri-0")).toHaveValue("sip:2200@pbx.example");
    expect(screen.getByTestId("account-cancel")).toHaveTextContent("Close");

    await type("display-name", "Reception");
    await fireEvent.click(screen.getByTestId("account-remove-mailbox-0"));
    expect(screen.queryByTestId("account-field-mailbox-uri-0")).not.toBeInTheDocument();
    expect(screen.getByTestId("account-cancel")).toHaveTextContent("Cancel");
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save).toHaveBeenCalledExactlyOnceWith({
      existingId: "desk",
      form: accountForm({ displayName: "Reception" }),
      password: null,
    });

    // Typing after a save makes the form unsaved again.
    await type("password", "new-secret");
    expect(form).toHaveAttribute("data-state", "idle");
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(backend.save).toHaveBeenCalledTimes(2));
    expect(backend.save.mock.calls[1][0]).toMatchObject({ existingId: "desk", password: "new-secret" });
  });

  it("checks the form before sending and links each message to its input", async () => {
    const backend = fakeSettings(settingsView([accountSettings()]));
    render(Settings);
    const form = await openAdd();
    await fireEvent.click(screen.getByTestId("account-save"));
    expect(form).toHaveAttribute("data-state", "invalid");
    expect(backend.save).not.toHaveBeenCalled();
    expect(screen.getByTestId("account-field-id-error")).toHaveTextContent("Enter an id");
    expect(screen.getByTestId("account-field-aor-error")).toHaveTextContent("Enter the address of record");
    expect(screen.getByTestId("account-field-password-error")).toHaveTextContent("Enter the account's password.");
    expect(field("id")).toHaveAttribute("aria-invalid", "true");
    expect(field("id").getAttribute("aria-describedby")).toContain("account-field-id-error");
    expect(field("id")).toHaveAccessibleDescription(expect.stringContaining("Enter an id"));
    await waitFor(() => expect(field("id")).toHaveFocus());

    await type("id", "Front Desk");
    expect(screen.getByTestId("account-field-id-error")).toHaveTextContent("a-z, 0-9, - and _");
    await type("id", "desk");
    expect(screen.getByTestId("account-field-id-error")).toHaveTextContent("exists already");
    await type("id", "desk2");
    expect(screen.queryByTestId("account-field-id-error")).not.toBeInTheDocument();
    expect(field("id")).not.toHaveAttribute("aria-invalid");

    await type("aor", "1001@pbx.example");
    expect(screen.getByTestId("account-field-aor-error")).toHaveTextContent("starts with sip: or sips:");
    await type("aor", "sip:pbx.example");
    expect(screen.getByTestId("account-field-aor-error")).toHaveTextContent("has a user and a host");
    await type("aor", "sip:1002@pbx.example");
    await type("password", "pw");

    await fireEvent.click(screen.getByTestId("account-add-mailbox"));
    await type("mailbox-uri-0", "2200");
    expect(screen.getByTestId("account-field-mailbox-uri-0-error")).toHaveTextContent("starts with sip: or sips:");
    await type("mailbox-uri-0", "sip:2200@pbx.example");

    const advanced = screen.getByTestId("account-advanced") as HTMLDetailsElement;
    expect(advanced.open).toBe(false);
    await type("expires", "30");
    await fireEvent.click(screen.getByTestId("account-save"));
    expect(form).toHaveAttribute("data-state", "invalid");
    expect(screen.getByTestId("account-field-expires-error")).toHaveTextContent("from 60 to 86400");
    await waitFor(() => expect(advanced.open).toBe(true));
    await waitFor(() => expect(field("expires")).toHaveFocus());
    expect(backend.save).not.toHaveBeenCalled();

    await type("expires", "600");
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save).toHaveBeenCalledTimes(1);
  });

  it("shows the backend's refusal in words, at the field it names", async () => {
    const backend = fakeSettings(settingsView([]));
    backend.save.mockResolvedValue(
      refused('accounts[0].registrar: "sip:pbx.example;transport=carrier-pigeon" names an unknown transport'),
    );
    render(Settings);
    const form = await openAdd();
    await type("id", "desk");
    await type("aor", "sip:1001@pbx.example");
    await type("password", "pw");
    await type("registrar", "sip:pbx.example;transport=carrier-pigeon");
    await fireEvent.click(screen.getByTestId("account-save"));

    await waitFor(() => expect(form).toHaveAttribute("data-state", "error"));
    expect(screen.getByTestId("account-error")).toHaveTextContent(
      'accounts[0].registrar: "sip:pbx.example;transport=carrier-pigeon" names an unknown transport',
    );
    expect(screen.getByTestId("account-error")).toHaveAttribute("role", "alert");
    expect(screen.getByTestId("account-field-registrar-error")).toHaveTextContent("names an unknown transport");
    expect(field("registrar")).toHaveAttribute("aria-invalid", "true");
    expect(backend.get).toHaveBeenCalledTimes(1);

    // The field stays marked until it changes; the message stays until the next attempt.
    await type("registrar", "sip:pbx.example;transport=tls");
    expect(screen.queryByTestId("account-field-registrar-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("account-error")).toBeInTheDocument();
    backend.save.mockResolvedValue(ok(null));
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(screen.queryByTestId("account-error")).not.toBeInTheDocument();
  });

  it("runs Test on the form as filled in and shows the diagnosis", async () => {
    const backend = fakeSettings();
    const answer = deferred<{ status: "ok"; data: CheckReport }>();
    backend.test.mockReturnValue(answer.promise);
    render(Settings);
    const form = await openEdit();
    await type("password", "typed-only");
    const test = screen.getByTestId("account-test");
    await fireEvent.click(test);

    expect(form).toHaveAttribute("data-test-state", "testing");
    expect(test).toBeDisabled();
    expect(screen.getByTestId("account-test-running")).toBeInTheDocument();
    expect(backend.test).toHaveBeenCalledExactlyOnceWith({
      existingId: "desk",
      form: accountForm(),
      password: "typed-only",
    });
    expect(backend.save).not.toHaveBeenCalled();

    const report = "Registration: refused with 403 Forbidden.\nFix: check the password.";
    answer.resolve(ok({ report, ok: false }));
    await waitFor(() => expect(form).toHaveAttribute("data-test-state", "problem"));
    const shown = screen.getByTestId("account-test-report");
    expect(shown.tagName).toBe("PRE");
    expect(shown.textContent).toBe(report);
    expect(shown).toHaveAttribute("data-ok", "false");
    expect(shown.closest("section")).toHaveClass("problem");
    expect(screen.getByRole("heading", { name: "Something needs fixing" })).toBeInTheDocument();
    expect(test).toBeEnabled();

    backend.test.mockResolvedValue(ok({ report: "Registered.\nMWI subscription accepted.", ok: true }));
    await fireEvent.click(test);
    await waitFor(() => expect(form).toHaveAttribute("data-test-state", "ok"));
    expect(screen.getByTestId("account-test-report")).toHaveAttribute("data-ok", "true");
    expect(screen.getByRole("heading", { name: "The account works" })).toBeInTheDocument();
  });

  it("does not test a form that fails the checks", async () => {
    const backend = fakeSettings();
    render(Settings);
    const form = await openEdit();
    await type("aor", "pbx.example");
    await fireEvent.click(screen.getByTestId("account-test"));
    expect(form).toHaveAttribute("data-test-state", "invalid");
    expect(screen.getByTestId("account-field-aor-error")).toBeInTheDocument();
    await waitFor(() => expect(field("aor")).toHaveFocus());
    expect(backend.test).not.toHaveBeenCalled();
  });

  it("shows a refused test as an error", async () => {
    const backend = fakeSettings();
    backend.test.mockResolvedValue(refused("accounts[0].aor: the host is missing"));
    render(Settings);
    const form = await openEdit();
    await fireEvent.click(screen.getByTestId("account-test"));
    await waitFor(() => expect(form).toHaveAttribute("data-test-state", "error"));
    expect(screen.getByTestId("account-error")).toHaveTextContent("the host is missing");
    expect(screen.queryByTestId("account-test-report")).not.toBeInTheDocument();
  });

  it("warns plainly while any TLS certificate is accepted", async () => {
    fakeSettings();
    render(Settings);
    await openEdit();
    expect(screen.queryByTestId("account-tls-warning")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByText("Advanced"));
    await fireEvent.click(field("tls-insecure-skip-verify"));
    const warning = screen.getByTestId("account-tls-warning");
    expect(warning).toHaveAttribute("role", "alert");
    expect(warning).toHaveTextContent("Any TLS certificate is accepted");
    expect(field("tls-insecure-skip-verify")).toHaveAccessibleDescription(
      expect.stringContaining("Any TLS certificate is accepted"),
    );
    await fireEvent.click(field("tls-insecure-skip-verify"));
    expect(screen.queryByTestId("account-tls-warning")).not.toBeInTheDocument();
  });

  it("names every input and button of the forms", async () => {
    fakeSettings(settingsView([accountSettings({ mailboxes: [{ uri: "sip:2200@pbx.example", displayName: "Sales" }] })]));
    render(Settings);
    const form = await openEdit();
    const controls = [
      ...form.querySelectorAll("input, button"),
      ...screen.getByTestId("notifications-form").querySelectorAll("input, button"),
    ];
    expect(controls.length).toBeGreaterThan(30);
    for (const control of controls) expect(control).toHaveAccessibleName();
    for (const input of form.querySelectorAll("input:not([type=radio])")) {
      expect(input.id).toBe(input.getAttribute("data-testid"));
    }
  });

  it("opens Advanced for an account that uses it, and Cancel drops the changes", async () => {
    const backend = fakeSettings(
      settingsView([accountSettings({ registrar: "sip:pbx.example;transport=tls", tlsInsecureSkipVerify: true })]),
    );
    render(Settings);
    await openEdit();
    expect((screen.getByTestId("account-advanced") as HTMLDetailsElement).open).toBe(true);
    expect(field("registrar")).toHaveValue("sip:pbx.example;transport=tls");
    expect(screen.getByTestId("account-tls-warning")).toBeInTheDocument();
    await type("display-name", "Changed");
    await fireEvent.click(screen.getByTestId("account-cancel"));
    expect(screen.queryByTestId("account-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("account-edit")).toHaveFocus();
    expect(screen.getByTestId("account-name")).toHaveTextContent("Front desk");
    expect(backend.save).not.toHaveBeenCalled();
  });
});

describe("Settings: notifications", () => {
  it("shows the settings and saves the form as changed", async () => {
    const backend = fakeSettings(settingsView([], notifications({ quietHours: "22:00-07:00" })));
    render(Settings);
    const form = await screen.findByTestId("notifications-form");
    const input = (name: string) => screen.getByTestId(`notifications-field-${name}`) as HTMLInputElement;
    expect(input("enabled")).toBeChecked();
    expect(input("privacy-caller")).toBeChecked();
    expect(input("privacy-countOnly")).toHaveAccessibleDescription(expect.stringContaining("2 new voice messages"));
    expect(input("quiet")).toBeChecked();
    expect(input("quiet-start")).toHaveValue("22:00");
    expect(input("quiet-end")).toHaveValue("07:00");
    expect(input("urgent-reminder")).toHaveValue(15);
    expect(input("coalesce")).toHaveValue(3);

    await fireEvent.click(input("privacy-countOnly"));
    await fireEvent.input(input("quiet-start"), { target: { value: "21:30" } });
    await fireEvent.input(input("urgent-reminder"), { target: { value: "0" } });
    await fireEvent.input(input("coalesce"), { target: { value: "5" } });
    await fireEvent.click(screen.getByTestId("notifications-save"));

    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.notifications).toHaveBeenCalledExactlyOnceWith({
      enabled: true,
      privacy: "countOnly",
      quietHours: "21:30-07:00",
      urgentReminderMinutes: 0,
      coalesceSeconds: 5,
    });
    expect(screen.getByTestId("notifications-status")).toHaveTextContent("Saved");

    await fireEvent.click(input("quiet"));
    expect(input("quiet-start")).toBeDisabled();
    await fireEvent.click(input("enabled"));
    await fireEvent.click(screen.getByTestId("notifications-save"));
    await waitFor(() => expect(backend.notifications).toHaveBeenCalledTimes(2));
    expect(backend.notifications.mock.calls[1][0]).toMatchObject({ enabled: false, quietHours: null });
  });

  it("checks the numbers and quiet hours, and shows the backend's refusal", async () => {
    const backend = fakeSettings();
    render(Settings);
    const form = await screen.findByTestId("notifications-form");
    const input = (name: string) => screen.getByTestId(`notifications-field-${name}`) as HTMLInputElement;
    await fireEvent.input(input("coalesce"), { target: { value: "61" } });
    await fireEvent.click(input("quiet"));
    await fireEvent.input(input("quiet-end"), { target: { value: "22:00" } });
    await fireEvent.click(screen.getByTestId("notifications-save"));
    expect(form).toHaveAttribute("data-state", "invalid");
    expect(backend.notifications).not.toHaveBeenCalled();
    expect(screen.getByTestId("notifications-field-coalesce-error")).toHaveTextContent("from 0 to 60");
    expect(screen.getByTestId("notifications-field-quiet-end-error")).toHaveTextContent("same time");
    expect(input("coalesce")).toHaveAccessibleDescription(expect.stringContaining("from 0 to 60"));
    await waitFor(() => expect(input("quiet-end")).toHaveFocus());

    await fireEvent.input(input("coalesce"), { target: { value: "4" } });
    await fireEvent.input(input("quiet-end"), { target: { value: "06:00" } });
    backend.notifications.mockResolvedValue(refused("the configuration could not be written: permission denied"));
    await fireEvent.click(screen.getByTestId("notifications-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "error"));
    expect(screen.getByTestId("notifications-error")).toHaveTextContent("permission denied");
  });
});

describe("Settings: startup", () => {
  it("reads and changes starting at login, showing what is in effect", async () => {
    const backend = fakeSettings();
    render(Settings);
    const wrapper = screen.getByTestId("settings-startup");
    const box = screen.getByTestId("settings-autostart") as HTMLInputElement;
    expect(box).toHaveAccessibleName("Start Voicelamp when you sign in");
    await waitFor(() => expect(wrapper).toHaveAttribute("data-state", "ready"));
    expect(box).not.toBeChecked();
    expect(box).toBeEnabled();

    await fireEvent.click(box);
    await waitFor(() => expect(backend.autostartSet).toHaveBeenCalledExactlyOnceWith(true));
    await waitFor(() => expect(wrapper).toHaveAttribute("data-state", "ready"));
    expect(box).toBeChecked();

    backend.autostartSet.mockResolvedValue(refused("the login item cannot be changed: read-only file system"));
    await fireEvent.click(box);
    await waitFor(() => expect(wrapper).toHaveAttribute("data-state", "error"));
    expect(screen.getByTestId("settings-autostart-error")).toHaveTextContent("read-only file system");
    expect(box).toHaveAccessibleDescription(expect.stringContaining("read-only file system"));
    expect(box).toBeChecked();
  });

  it("says why the login items cannot be read", async () => {
    const backend = fakeSettings();
    backend.autostartGet.mockResolvedValue(refused("the login items cannot be read: no session bus"));
    render(Settings);
    expect(await screen.findByTestId("settings-autostart-error")).toHaveTextContent("no session bus");
    expect(screen.getByTestId("settings-startup")).toHaveAttribute("data-state", "error");
  });
});
