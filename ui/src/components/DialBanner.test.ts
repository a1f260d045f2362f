import { fireEvent, render, screen } from "@testing-library/svelte";
import { get } from "svelte/store";
import { describe, expect, it } from "vitest";
import { applyNavigation, dialRequest } from "../lib/navigation";
import DialBanner from "./DialBanner.svelte";

describe("DialBanner", () => {
  it("shows what a sip:/tel: link asked to call until dismissed", async () => {
    render(DialBanner);
    expect(screen.queryByTestId("dial-banner")).not.toBeInTheDocument();
    applyNavigation({
      view: "lines",
      account: null,
      mailbox: null,
      messageId: null,
      play: false,
      dial: "+1-555-0100",
    });
    expect(await screen.findByTestId("dial-number")).toHaveTextContent("+1-555-0100");
    await fireEvent.click(screen.getByTestId("dial-dismiss"));
    expect(screen.queryByTestId("dial-banner")).not.toBeInTheDocument();
    expect(get(dialRequest)).toBeNull();
  });
});
