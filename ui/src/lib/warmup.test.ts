import { describe, expect, it } from "vitest";
import { silentWav } from "./warmup";

describe("silentWav", () => {
  it("is a valid 8 kHz 16-bit mono PCM WAV of silence", () => {
    const wav = silentWav(80);
    const view = new DataView(wav.buffer);
    const text = (at: number) => String.fromCharCode(...wav.slice(at, at + 4));
    expect(text(0)).toBe("RIFF");
    expect(text(8)).toBe("WAVE");
    expect(view.getUint32(4, true)).toBe(wav.length - 8);
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(8000);
    expect(view.getUint32(40, true)).toBe(160);
    expect(wav.slice(44).every((b) => b === 0)).toBe(true);
  });
});
