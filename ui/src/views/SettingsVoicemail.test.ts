// The account editor's "Voicemail store" section, through the Settings view.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { VoicemailForm } from "../lib/settings";
import { accountForm, accountSettings, fakeSettings, ok, refused, settingsView } from "../test/settings";
import Settings from "./Settings.svelte";

const field = (name: string) => screen.getByTestId(`account-field-${name}`) as HTMLInputElement;

async function type(name: string, value: string) {
  await fireEvent.input(field(name), { target: { value } });
}

async function openEdit() {
  const rows = await screen.findAllByTestId("settings-account-row");
  await fireEvent.click(within(rows[0]).getByTestId("account-edit"));
  return screen.getByTestId("account-form");
}

const store = (overrides: Partial<VoicemailForm> = {}): VoicemailForm => ({
  imap: "imaps://mail.example.com:993",
  allowPlaintext: false,
  user: null,
  lampFromImap: false,
  ...overrides,
});

describe("Settings: an account's voicemail store", () => {
  it("adds a store to an account: URL, default login, lamp choice", async () => {
    const backend = fakeSettings(settingsView([accountSettings({ authUser: "1001a" })]));
    render(Settings);
    const form = await openEdit();
    expect(screen.queryByTestId("account-voicemail-store")).not.toBeInTheDocument();
    expect(field("voicemail")).not.toBeChecked();
    expect(screen.queryByTestId("account-field-voicemail-imap")).not.toBeInTheDocument();
    expect(field("voicemail")).toHaveAccessibleName("Browse voicemail from the mail server");

    await fireEvent.click(field("voicemail"));
    await waitFor(() => expect(field("voicemail-imap")).toHaveFocus());
    expect(field("voicemail-imap")).toHaveAttribute("placeholder", "imaps://mail.example.com");
    // The login defaults to the account's user; the password is the account's.
    expect(field("voicemail-user")).toHaveAttribute("placeholder", "1001a");
    expect(field("voicemail-user")).toHaveAccessibleDescription(
      expect.stringContaining("the account's user (1001a)"),
    );
    expect(field("voicemail-user")).toHaveAccessibleDescription(
      expect.stringContaining("The password is the account's password."),
    );
    // A registering account's lamp comes from SIP unless asked otherwise.
    expect(field("voicemail-lamp")).not.toBeChecked();
    expect(field("voicemail-plaintext")).not.toBeChecked();
    expect(screen.queryByTestId("account-voicemail-plaintext-warning")).not.toBeInTheDocument();

    await type("voicemail-imap", " imaps://mail.example.com ");
    await fireEvent.click(field("voicemail-lamp"));
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save).toHaveBeenCalledExactlyOnceWith({
      existingId: "desk",
      form: accountForm({
        authUser: "1001a",
        voicemail: store({ imap: "imaps://mail.example.com", lampFromImap: true }),
      }),
      password: null,
    });
  });

  it("shows a configured store and removes it when unticked, keeping the fields meanwhile", async () => {
    const configured = store({ imap: "imap://127.0.0.1:10143", allowPlaintext: true, user: "vm1001", lampFromImap: true });
    const backend = fakeSettings(settingsView([accountSettings({ voicemail: configured })]));
    render(Settings);
    const rows = await screen.findAllByTestId("settings-account-row");
    expect(within(rows[0]).getByTestId("account-voicemail-store")).toHaveTextContent(
      "Voicemail store: imap://127.0.0.1:10143 (drives the lamp too)",
    );
    const form = await openEdit();
    expect(field("voicemail")).toBeChecked();
    expect(field("voicemail-imap")).toHaveValue("imap://127.0.0.1:10143");
    expect(field("voicemail-user")).toHaveValue("vm1001");
    expect(field("voicemail-user")).toHaveAttribute("placeholder", "1001");
    expect(field("voicemail-lamp")).toBeChecked();
    expect(field("voicemail-plaintext")).toBeChecked();
    expect(screen.getByTestId("account-voicemail-plaintext-warning")).toHaveTextContent("unencrypted");
    expect(field("voicemail-plaintext")).toHaveAccessibleDescription(expect.stringContaining("unencrypted"));
    // Unchanged: the form is as saved.
    expect(screen.getByTestId("account-cancel")).toHaveTextContent("Close");

    await fireEvent.click(field("voicemail"));
    expect(screen.queryByTestId("account-field-voicemail-imap")).not.toBeInTheDocument();
    expect(screen.getByTestId("account-cancel")).toHaveTextContent("Cancel");
    await fireEvent.click(field("voicemail"));
    expect(field("voicemail-imap")).toHaveValue("imap://127.0.0.1:10143");
    expect(field("voicemail-lamp")).toBeChecked();
    expect(screen.getByTestId("account-cancel")).toHaveTextContent("Close");

    await fireEvent.click(field("voicemail"));
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save).toHaveBeenCalledExactlyOnceWith({
      existingId: "desk",
      form: accountForm({ voicemail: null }),
      password: null,
    });
  });

  it("lets a store drive the lamp by default for an account that does not register", async () => {
    fakeSettings(settingsView([accountSettings({ register: false })]));
    render(Settings);
    await openEdit();
    await fireEvent.click(field("voicemail"));
    expect(field("voicemail-lamp")).toBeChecked();
  });

  it.each([
    ["", "Enter the mail server's address"],
    ["mail.example.com", "starts with imaps://"],
    ["https://mail.example.com", "starts with imaps://"],
    ["imaps://1001@mail.example.com", "Name only the server"],
    ["imaps://mail.example.com/INBOX", "Name only the server"],
  ])("refuses the IMAP address %j before sending", async (url, words) => {
    const backend = fakeSettings();
    render(Settings);
    const form = await openEdit();
    await fireEvent.click(field("voicemail"));
    await type("voicemail-imap", url);
    await fireEvent.click(screen.getByTestId("account-save"));
    expect(form).toHaveAttribute("data-state", "invalid");
    expect(screen.getByTestId("account-field-voicemail-imap-error")).toHaveTextContent(words);
    expect(field("voicemail-imap")).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(field("voicemail-imap")).toHaveFocus());
    expect(backend.save).not.toHaveBeenCalled();
  });

  it("refuses plaintext on an imaps:// address, and accepts it on imap://", async () => {
    const backend = fakeSettings();
    render(Settings);
    const form = await openEdit();
    await fireEvent.click(field("voicemail"));
    await type("voicemail-imap", "imaps://mail.example.com");
    await fireEvent.click(field("voicemail-plaintext"));
    expect(screen.getByTestId("account-voicemail-plaintext-warning")).toHaveAttribute("role", "alert");
    await fireEvent.click(screen.getByTestId("account-save"));
    expect(form).toHaveAttribute("data-state", "invalid");
    expect(screen.getByTestId("account-field-voicemail-plaintext-error")).toHaveTextContent("imap:// only");
    await waitFor(() => expect(field("voicemail-plaintext")).toHaveFocus());

    await type("voicemail-imap", "imap://127.0.0.1:10143");
    expect(screen.queryByTestId("account-field-voicemail-plaintext-error")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "saved"));
    expect(backend.save.mock.calls[0][0].form.voicemail).toEqual(
      store({ imap: "imap://127.0.0.1:10143", allowPlaintext: true }),
    );
  });

  it("marks the IMAP address when the backend refuses the store", async () => {
    const backend = fakeSettings();
    backend.save.mockResolvedValue(refused('voicemail store: "65536" is not a port number (1 to 65535)'));
    render(Settings);
    const form = await openEdit();
    await fireEvent.click(field("voicemail"));
    await type("voicemail-imap", "imaps://mail.example.com:65536");
    await fireEvent.click(screen.getByTestId("account-save"));
    await waitFor(() => expect(form).toHaveAttribute("data-state", "error"));
    expect(screen.getByTestId("account-field-voicemail-imap-error")).toHaveTextContent("is not a port number");
    await waitFor(() => expect(field("voicemail-imap")).toHaveFocus());
    backend.save.mockResolvedValue(ok(null));
    await type("voicemail-imap", "imaps://mail.example.com:993");
    expect(screen.queryByTestId("account-field-voicemail-imap-error")).not.toBeInTheDocument();
  });
});
