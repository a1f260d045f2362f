// The first media element a webview plays starts its media framework (WebKitGTK: GStreamer,
// about half a second here). Loading a few milliseconds of silence when the window opens moves
// that cost out of the way of the first voicemail a person plays from a notification.

/** A WAV file of `samples` samples of silence, 8 kHz, 16-bit mono. */
export function silentWav(samples = 80): Uint8Array<ArrayBuffer> {
  const data = samples * 2;
  const bytes = new Uint8Array(44 + data);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + data, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, 8000, true);
  view.setUint32(28, 16000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, data, true);
  return bytes;
}

/** Loads silence into a detached audio element (never played, never heard). */
export function warmUpMedia(): void {
  if (typeof Audio === "undefined" || typeof URL.createObjectURL !== "function") return;
  try {
    const url = URL.createObjectURL(new Blob([silentWav()], { type: "audio/wav" }));
    const audio = new Audio();
    audio.preload = "auto";
    const done = () => URL.revokeObjectURL(url);
    audio.addEventListener("canplaythrough", done, { once: true });
    audio.addEventListener("error", done, { once: true });
    audio.src = url;
    audio.load();
  } catch {
    // Warming up is an optimisation only.
  }
}
