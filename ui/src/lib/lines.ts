/**
 * What a line tile shows. `active` is the only state whose counts are known;
 * unknown, stale and failed lamps never display a count, least of all 0.
 */
export type LampState = "unknown" | "active" | "stale" | "failed";

/** RFC 3842 counts; `urgent` is the urgent part of `new`. */
export interface MessageCounts {
  new: number;
  old: number;
  urgent: number;
}

export interface LineTileModel {
  /** Line or mailbox name as the user knows it. */
  name: string;
  lamp: LampState;
  /** Counts when known; ignored unless `lamp` is "active". */
  counts: MessageCounts | null;
  /** Health text: why the lamp is not known, or a note about an active one. */
  reason: string | null;
}

/** How the lamp looks: lit (new messages), urgent, off (known empty) or not known. */
export type LampLook = "urgent" | "lit" | "off" | "unknown" | "stale" | "failed";

export function knownCounts(line: LineTileModel): MessageCounts | null {
  return line.lamp === "active" ? line.counts : null;
}

export function lampLook(line: LineTileModel): LampLook {
  const counts = knownCounts(line);
  if (line.lamp !== "active") return line.lamp;
  if (counts === null) return "unknown";
  if (counts.urgent > 0) return "urgent";
  return counts.new > 0 ? "lit" : "off";
}

function messages(n: number): string {
  return n === 1 ? "message" : "messages";
}

/** One line of status text under the name; never a bare "0". */
export function statusText(line: LineTileModel): string {
  const counts = knownCounts(line);
  switch (lampLook(line)) {
    case "urgent":
      return `${counts?.urgent} urgent, ${counts?.new} new ${messages(counts?.new ?? 0)}`;
    case "lit":
      return `${counts?.new} new ${messages(counts?.new ?? 0)}`;
    case "off":
      return "No new messages";
    case "stale":
      return "Not known — out of date";
    case "failed":
      return "Not known — monitoring failed";
    case "unknown":
      return "Not known yet";
  }
}

export function defaultReason(lamp: LampState): string | null {
  switch (lamp) {
    case "unknown":
      return "Waiting for the first report from the server.";
    case "stale":
      return "The last report is out of date.";
    case "failed":
      return "The mailbox could not be monitored.";
    case "active":
      return null;
  }
}

export const NOT_KNOWN = "—";

/** A count cell: the number when known, otherwise a dash. */
export function countText(line: LineTileModel, key: keyof MessageCounts): string {
  const counts = knownCounts(line);
  return counts === null ? NOT_KNOWN : String(counts[key]);
}
