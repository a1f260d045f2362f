import { describe, expect, it } from "vitest";
import {
  isDialShortcut,
  isVoicemailShortcut,
  shortcutFor,
  viewForShortcut,
  type ShortcutKey,
} from "./shortcuts";

function key(digit: string, mods: Partial<ShortcutKey> = {}): ShortcutKey {
  return {
    key: digit,
    code: `Digit${digit}`,
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    ...mods,
  };
}

describe("viewForShortcut", () => {
  it.each([
    ["1", "lines"],
    ["2", "mailbox"],
    ["3", "settings"],
    ["4", "diagnostics"],
  ])("Alt+%s and Ctrl+%s select %s", (digit, view) => {
    expect(viewForShortcut(key(digit, { altKey: true }))).toBe(view);
    expect(viewForShortcut(key(digit, { ctrlKey: true }))).toBe(view);
    expect(viewForShortcut(key(digit, { metaKey: true }))).toBe(view);
  });

  it("uses the physical key when the layout types another character", () => {
    expect(viewForShortcut({ ...key("1", { altKey: true }), key: "¡" })).toBe("lines");
    expect(viewForShortcut({ ...key("3", { altKey: true }), code: "Numpad3" })).toBe("settings");
  });

  it("ignores digits beyond the views, plain digits and other modifiers", () => {
    expect(viewForShortcut(key("5", { altKey: true }))).toBeNull();
    expect(viewForShortcut(key("0", { altKey: true }))).toBeNull();
    expect(viewForShortcut(key("2"))).toBeNull();
    expect(viewForShortcut(key("2", { altKey: true, ctrlKey: true }))).toBeNull();
    expect(viewForShortcut(key("2", { altKey: true, shiftKey: true }))).toBeNull();
    expect(viewForShortcut({ ...key("a", { altKey: true }), code: "KeyA" })).toBeNull();
  });

  it("announces Alt+n for each view", () => {
    expect(shortcutFor("lines")).toBe("Alt+1");
    expect(shortcutFor("diagnostics")).toBe("Alt+4");
  });
});

describe("call shortcuts", () => {
  const key = (k: Partial<ShortcutKey>): ShortcutKey => ({
    key: "",
    code: "",
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    ...k,
  });

  it("Ctrl+Shift+V (or Cmd+Shift+V) is the voicemail key, by code or by key", () => {
    expect(isVoicemailShortcut(key({ code: "KeyV", key: "V", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isVoicemailShortcut(key({ key: "V", metaKey: true, shiftKey: true }))).toBe(true);
    expect(isVoicemailShortcut(key({ code: "KeyV", key: "v", ctrlKey: true }))).toBe(false);
    expect(isVoicemailShortcut(key({ code: "KeyV", ctrlKey: true, shiftKey: true, altKey: true }))).toBe(false);
    expect(isVoicemailShortcut(key({ code: "KeyV", ctrlKey: true, metaKey: true, shiftKey: true }))).toBe(false);
    expect(isVoicemailShortcut(key({ code: "KeyB", key: "B", ctrlKey: true, shiftKey: true }))).toBe(false);
  });

  it("Ctrl+Shift+D opens the dial pad", () => {
    expect(isDialShortcut(key({ code: "KeyD", key: "D", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isDialShortcut(key({ code: "KeyD", key: "d", ctrlKey: true }))).toBe(false);
  });
});
