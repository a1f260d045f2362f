import { fireEvent, render, screen } from "@testing-library/svelte";
import { get } from "svelte/store";
import { describe, expect, it } from "vitest";
import { applyNavigation, dialRequest } from "../lib/navigation";
import { fakeActions } from "../test/call";
import { account, navigation } from "../test/engine";
import DialBanner from "./DialBanner.svelte";

const desk = account("desk", "registered", null, "Front desk");
const lab = account("lab", "registered", null, "Lab");

describe("DialBanner", () => {
  it("a sip:/tel: link calls after one click that names the line", async () => {
    const actions = fakeActions();
    render(DialBanner, { accounts: [desk], actions });
    expect(screen.queryByTestId("dial-banner")).not.toBeInTheDocument();
    applyNavigation(navigation({ dial: "+1-555-0100" }));
    expect(await screen.findByTestId("dial-number")).toHaveTextContent("+1-555-0100");
    // Nothing is dialled until the click.
    expect(actions.start).not.toHaveBeenCalled();
    const confirm = screen.getByTestId("dial-confirm");
    expect(confirm).toHaveTextContent("Call from Front desk");
    await fireEvent.click(confirm);
    expect(actions.start).toHaveBeenCalledWith("desk", "+1-555-0100");
    expect(get(dialRequest)).toBeNull();
  });

  it("another line can be chosen; the button says which", async () => {
    const actions = fakeActions();
    render(DialBanner, { accounts: [desk, lab], actions });
    dialRequest.set("sip:bob@pbx");
    await fireEvent.change(await screen.findByTestId("dial-banner-line"), {
      target: { value: "lab" },
    });
    expect(screen.getByTestId("dial-confirm")).toHaveTextContent("Call from Lab");
    await fireEvent.click(screen.getByTestId("dial-confirm"));
    expect(actions.start).toHaveBeenCalledWith("lab", "sip:bob@pbx");
  });

  it("a refusal stays on the banner; Dismiss forgets the link", async () => {
    const actions = fakeActions("the line is not registered yet: wait a moment or check Settings");
    render(DialBanner, { accounts: [desk], actions });
    dialRequest.set("1002");
    await fireEvent.click(await screen.findByTestId("dial-confirm"));
    expect(await screen.findByTestId("dial-banner-error")).toHaveTextContent("not registered");
    expect(get(dialRequest)).toBe("1002");
    await fireEvent.click(screen.getByTestId("dial-dismiss"));
    expect(screen.queryByTestId("dial-banner")).not.toBeInTheDocument();
    expect(get(dialRequest)).toBeNull();
  });

  it("without an account it says to add one and offers no call", async () => {
    render(DialBanner, { accounts: [], actions: fakeActions() });
    dialRequest.set("1002");
    expect(await screen.findByTestId("dial-banner")).toHaveTextContent("Add an account in Settings");
    expect(screen.queryByTestId("dial-confirm")).not.toBeInTheDocument();
    dialRequest.set(null);
  });
});
