import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import {
  accountChange,
  accountDraft,
  newAccountDraft,
  validateAccount,
} from "../../lib/settings";
import { accountForm } from "../../test/settings";
import CallFields from "./CallFields.svelte";

describe("CallFields", () => {
  it("incoming calls are off by default, and so are the stutter tone and the PIN", () => {
    const draft = $state(newAccountDraft());
    render(CallFields, { draft, errors: {} });
    expect(screen.getByTestId("account-field-incoming-calls-off")).toBeChecked();
    expect(screen.getByTestId("account-field-stutter-dial-tone")).not.toBeChecked();
    expect(screen.getByTestId("account-field-pin-send")).not.toBeChecked();
    expect(screen.queryByTestId("account-field-voicemail-pin")).not.toBeInTheDocument();
    // The risk is said before anyone turns it on.
    expect(screen.getByTestId("account-pin-risk")).toHaveTextContent("anyone who can use this computer");
  });

  it("asks about a desk phone and suggests subscribe-only or a device of its own", async () => {
    const draft = $state(newAccountDraft());
    render(CallFields, { draft, errors: {} });
    expect(screen.queryByTestId("account-desk-phone-advice")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("account-field-desk-phone-yes"));
    const advice = screen.getByTestId("account-desk-phone-advice");
    expect(advice).toHaveTextContent("desk phone can silently stop ringing");
    expect(advice).toHaveTextContent("a device of its own");
    await fireEvent.click(screen.getByTestId("account-field-incoming-calls-ring"));
    await fireEvent.click(screen.getByTestId("account-subscribe-only"));
    expect(draft.register).toBe(false);
    expect(draft.incomingCalls).toBe("off");
    expect(await screen.findByTestId("account-subscribe-only-note")).toBeInTheDocument();
    expect(screen.queryByTestId("account-field-desk-phone-yes")).not.toBeInTheDocument();
  });

  it("the PIN and its delay go with the save; an empty field keeps the stored PIN", async () => {
    const draft = $state(accountDraft(accountForm()));
    render(CallFields, { draft, errors: {} });
    await fireEvent.click(screen.getByTestId("account-field-pin-send"));
    await fireEvent.input(screen.getByTestId("account-field-voicemail-pin"), {
      target: { value: "4711#" },
    });
    await fireEvent.input(screen.getByTestId("account-field-voicemail-pin-delay"), {
      target: { value: "5" },
    });
    await fireEvent.click(screen.getByTestId("account-field-stutter-dial-tone"));
    await fireEvent.click(screen.getByTestId("account-field-incoming-calls-ring"));
    const change = accountChange(draft, "desk");
    expect(change.voicemailPin).toBe("4711#");
    expect(change.form.voicemailPinDelay).toBe(5);
    expect(change.form.stutterDialTone).toBe(true);
    expect(change.form.incomingCalls).toBe("ring");
    draft.pin = "";
    expect(accountChange(draft, "desk").voicemailPin).toBeUndefined();
    draft.pin = "1234";
    draft.pinSend = false;
    const off = accountChange(draft, "desk");
    expect(off.voicemailPin).toBeUndefined();
    // No delay: the backend removes the stored PIN.
    expect(off.form.voicemailPinDelay).toBeNull();
  });

  it("checks the PIN and the delay", () => {
    const draft = { ...newAccountDraft(), pinSend: true, pin: "12a", pinDelay: "90" };
    const errors = validateAccount(draft, { otherIds: [], hasPassword: true, existingId: "desk" });
    expect(errors["voicemail-pin"]).toMatch(/digits/);
    expect(errors["voicemail-pin-delay"]).toMatch(/1 to 60/);
    const fine = validateAccount(
      { ...draft, pin: "", pinDelay: "3" },
      { otherIds: [], hasPassword: true, existingId: "desk" },
    );
    expect(fine["voicemail-pin"]).toBeUndefined();
    expect(fine["voicemail-pin-delay"]).toBeUndefined();
  });

  it("a saved account shows what it has", () => {
    const draft = $state(
      accountDraft(accountForm({ incomingCalls: "ring", voicemailPinDelay: 4, stutterDialTone: true })),
    );
    render(CallFields, { draft, errors: {}, hasPin: true });
    expect(screen.getByTestId("account-field-incoming-calls-ring")).toBeChecked();
    expect(screen.getByTestId("account-field-stutter-dial-tone")).toBeChecked();
    expect(screen.getByTestId("account-field-voicemail-pin-delay")).toHaveValue(4);
    expect(screen.getByText("A PIN is stored; leave empty to keep it.")).toBeInTheDocument();
  });
});
