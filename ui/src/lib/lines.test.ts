import { describe, expect, it } from "vitest";
import { account, counts, line } from "../test/engine";
import {
  countCells,
  countText,
  extraReason,
  filterLines,
  lampLook,
  mailboxNumber,
  registrationWords,
  reuseUnchanged,
  sameLine,
  shownCounts,
  totalsWords,
  troubledAccounts,
  type CountKey,
} from "./lines";
import type { LampState } from "./api";

const KEYS: CountKey[] = ["new", "old", "urgent"];
const LAMPS: LampState[] = ["unknown", "active", "stale", "failed"];

describe("what a tile may show", () => {
  it.each(LAMPS)("%s: counts only when active, or last known when stale", (lamp) => {
    for (const sent of [null, counts(0), counts(4, 2, 1)]) {
      const l = line({ lamp, counts: sent });
      const shown = shownCounts(l);
      if (lamp === "unknown" || lamp === "failed") {
        expect(shown).toBeNull();
        expect(KEYS.map((k) => countText(l, k))).toEqual(["—", "—", "—"]);
        expect(countCells(l).every((cell) => cell.note === "not known")).toBe(true);
      } else {
        expect(shown).toBe(sent);
      }
      if (lamp === "stale" && sent !== null) {
        expect(countCells(l).every((cell) => cell.note === "last known, out of date")).toBe(true);
      }
    }
  });

  it("looks: urgent, lit, off, or the state itself", () => {
    expect(lampLook(line({ counts: counts(2, 0, 1) }))).toBe("urgent");
    expect(lampLook(line({ counts: counts(2) }))).toBe("lit");
    expect(lampLook(line({ counts: { ...counts(0), waitingWithoutCount: true } }))).toBe("lit");
    expect(lampLook(line({ counts: counts(0, 9) }))).toBe("off");
    expect(lampLook(line({ lamp: "active", counts: null }))).toBe("unknown");
    expect(lampLook(line({ lamp: "stale", counts: counts(5) }))).toBe("stale");
    expect(lampLook(line({ lamp: "failed" }))).toBe("failed");
  });

  it("says a reason once", () => {
    expect(extraReason(line({ lamp: "failed", reason: "403 Forbidden" }))).toBeNull();
    expect(extraReason({ ...line(), reason: "Unsolicited NOTIFY only" })).toBe(
      "Unsolicited NOTIFY only",
    );
    expect(extraReason({ ...line(), reason: "  " })).toBeNull();
  });

  it("reads the number of a mailbox", () => {
    expect(mailboxNumber("sip:1001@pbx")).toBe("1001");
    expect(mailboxNumber("sips:+4930123;user=phone@pbx")).toBe("+4930123");
    expect(mailboxNumber("tel:+4930123")).toBe("+4930123");
  });
});

describe("filterLines", () => {
  const lines = [
    line({ name: "Front desk", number: "1001", accountName: "Reception" }),
    line({ name: "Sales", number: "2200", account: "shop", accountName: "Shop", own: false }),
  ];
  it("matches every word against name, account and number, in any case", () => {
    expect(filterLines(lines, "").length).toBe(2);
    expect(filterLines(lines, "FRONT")).toEqual([lines[0]]);
    expect(filterLines(lines, "shop 2200")).toEqual([lines[1]]);
    expect(filterLines(lines, "reception sales")).toEqual([]);
    expect(filterLines(lines, "pbx.example")).toEqual(lines);
  });
});

describe("reuseUnchanged", () => {
  it("keeps the objects of unchanged lines and the array when nothing changed", () => {
    const a = line({ number: "1001" });
    const b = line({ number: "2002", counts: counts(1) });
    const before = [a, b];
    const copies = [{ ...a }, { ...b, counts: counts(1) }];
    const same = reuseUnchanged(before, copies, (l) => l.key, sameLine);
    expect(same).toBe(before);

    const bMore = { ...b, counts: counts(2), status: "2 new" };
    const after = reuseUnchanged(before, [bMore, { ...a }], (l) => l.key, sameLine);
    expect(after).not.toBe(before);
    expect(after[0]).toBe(bMore);
    expect(after[1]).toBe(a);

    const reordered = reuseUnchanged(before, [{ ...b }, { ...a }], (l) => l.key, sameLine);
    expect(reordered).toEqual([b, a]);
    expect(reordered[0]).toBe(b);
  });
});

describe("accounts", () => {
  it("lists those that are failed or not known yet", () => {
    const all = [
      account("a", "registered"),
      account("b", "failed", "403"),
      account("c", "unknown"),
      account("d", "disabled"),
      account("e", "unregistered"),
    ];
    expect(troubledAccounts(all).map((a) => a.id)).toEqual(["b", "c"]);
    expect(all.map(registrationWords)).toEqual([
      "Registered",
      "Not registered",
      "Registering…",
      "Registration turned off",
      "Unregistered",
    ]);
  });
});

describe("totalsWords", () => {
  const totals = { new: 0, urgent: 0, notKnown: false, failed: false, mailboxes: 3 };
  it("sums up what waits and says when it is not all known", () => {
    expect(totalsWords({ ...totals, mailboxes: 0 })).toBeNull();
    expect(totalsWords(totals)).toBe("No new messages");
    expect(totalsWords({ ...totals, new: 1 })).toBe("1 new message");
    expect(totalsWords({ ...totals, new: 6, urgent: 1 })).toBe("6 new messages, 1 urgent");
    expect(totalsWords({ ...totals, notKnown: true })).toBe(
      "No new messages known — some lines are not up to date",
    );
    expect(totalsWords({ ...totals, new: 2, notKnown: true, failed: true })).toBe(
      "2 new messages — some lines cannot be monitored",
    );
  });
});
