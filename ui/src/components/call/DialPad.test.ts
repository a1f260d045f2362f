import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { account } from "../../test/engine";
import { fakeActions } from "../../test/call";
import DialPad from "./DialPad.svelte";

describe("DialPad", () => {
  it("takes keys and typing; Enter calls on the line named", async () => {
    const actions = fakeActions();
    const onclose = vi.fn();
    render(DialPad, { accounts: [account("desk", "registered", null, "Front desk")], actions, onclose });
    const input = screen.getByTestId("dial-input") as HTMLInputElement;
    expect(input).toHaveFocus();
    expect(screen.getByTestId("dial-line-name")).toHaveTextContent("Call from Front desk");
    expect(screen.getByTestId("dial-call")).toBeDisabled();
    const keys = screen.getByTestId("keypad");
    await fireEvent.click(within(keys).getByRole("button", { name: "star" }));
    await fireEvent.click(within(keys).getByRole("button", { name: "9" }));
    await fireEvent.click(within(keys).getByRole("button", { name: "7" }));
    expect(input.value).toBe("*97");
    await fireEvent.click(screen.getByTestId("dial-erase"));
    await fireEvent.input(input, { target: { value: "*97" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    expect(actions.start).toHaveBeenCalledWith("desk", "*97");
    await vi.waitFor(() => expect(onclose).toHaveBeenCalled());
  });

  it("with several lines the person picks one; a refusal stays on the pad", async () => {
    const actions = fakeActions("busy (486): the line is busy");
    const onclose = vi.fn();
    render(DialPad, {
      accounts: [account("desk", "registered", null, "Front desk"), account("lab", "registered", null, "Lab")],
      actions,
      onclose,
    });
    await fireEvent.change(screen.getByTestId("dial-line"), { target: { value: "lab" } });
    await fireEvent.input(screen.getByTestId("dial-input"), { target: { value: "+1 555 0100" } });
    await fireEvent.click(screen.getByTestId("dial-call"));
    expect(actions.start).toHaveBeenCalledWith("lab", "+1 555 0100");
    expect(await screen.findByTestId("dial-error")).toHaveTextContent("busy (486)");
    expect(onclose).not.toHaveBeenCalled();
  });

  it("refuses words, and Escape closes", async () => {
    const actions = fakeActions();
    const onclose = vi.fn();
    render(DialPad, { accounts: [account("desk")], actions, onclose });
    const input = screen.getByTestId("dial-input");
    await fireEvent.input(input, { target: { value: "reception" } });
    expect(screen.getByTestId("dial-call")).toBeDisabled();
    await fireEvent.keyDown(input, { key: "Enter" });
    expect(actions.start).not.toHaveBeenCalled();
    expect(screen.getByTestId("dial-error")).toHaveTextContent("Type a number");
    await fireEvent.keyDown(input, { key: "Escape" });
    expect(onclose).toHaveBeenCalled();
  });

  it("without an account it says to add one", () => {
    render(DialPad, { accounts: [], actions: fakeActions(), onclose: () => {} });
    expect(screen.getByTestId("dial-error")).toHaveTextContent("Add an account in Settings");
  });
});
