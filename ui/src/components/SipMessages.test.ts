import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import SipMessages from "./SipMessages.svelte";

describe("SipMessages", () => {
  it("lists the recent SIP messages newest first, with their first line", async () => {
    vi.spyOn(commands, "sipTrace").mockResolvedValue([
      {
        at: "2026-11-27T05:00:00Z",
        sent: true,
        peer: "127.0.0.1:5060",
        text: "SUBSCRIBE sip:1001@pbx SIP/2.0\r\nEvent: message-summary",
      },
      {
        at: "2026-11-27T05:00:01Z",
        sent: false,
        peer: "127.0.0.1:5060",
        text: "SIP/2.0 200 OK\r\nExpires: 3600",
      },
    ]);
    render(SipMessages);
    await fireEvent.click(screen.getByTestId("diag-sip-load"));
    const rows = await screen.findAllByTestId("diag-sip-message");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("← from 127.0.0.1:5060");
    expect(rows[0]).toHaveTextContent("SIP/2.0 200 OK");
    expect(rows[1]).toHaveTextContent("SUBSCRIBE sip:1001@pbx SIP/2.0");
  });

  it("says when nothing was exchanged yet", async () => {
    vi.spyOn(commands, "sipTrace").mockResolvedValue([]);
    render(SipMessages);
    await fireEvent.click(screen.getByTestId("diag-sip-load"));
    expect(await screen.findByTestId("diag-sip-empty")).toBeInTheDocument();
  });
});
