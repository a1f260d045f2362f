// Where the backend asks the window to go: a tray menu row or a notification
// click. The request waiting from before the window was ready is taken once at
// start; later ones arrive as events.
import { readable, writable, type Readable } from "svelte/store";
import { holdListener, onNavigateTo, takeNavigation, type Navigation } from "./api";
import { navigate, type MailboxParams } from "./router";
import { DEFAULT_VIEW, isViewId } from "./views";

/** One request for a place in the Mailbox view; `seq` grows with every request. */
export interface MailboxRequest {
  seq: number;
  params: MailboxParams;
}

let lastRequest: MailboxRequest | null = null;
const requestListeners = new Set<(request: MailboxRequest) => void>();

/**
 * Every request for a place in the Mailbox view, the last one first. The location hash
 * cannot tell a second request for the same place (a second click on the same notification:
 * "play it again") from no request at all, since the hash does not change; this store can.
 */
export const mailboxRequests: Readable<MailboxRequest | null> = readable<MailboxRequest | null>(
  null,
  (set) => {
    set(lastRequest);
    requestListeners.add(set);
    return () => requestListeners.delete(set);
  },
);

/**
 * What a `sip:`/`tel:` link asked to call, until the person calls it (one click that names the
 * line) or dismisses it.
 */
export const dialRequest = writable<string | null>(null);

/** Go where `navigation` says: a view, or a mailbox (and message) in the Mailbox view. */
export function applyNavigation(navigation: Navigation): void {
  const view = isViewId(navigation.view) ? navigation.view : DEFAULT_VIEW;
  if (navigation.dial) dialRequest.set(navigation.dial);
  if (view === "mailbox") {
    const params: MailboxParams = {
      account: navigation.account ?? null,
      mailbox: navigation.mailbox ?? null,
      messageId: navigation.messageId ?? null,
      play: navigation.play,
    };
    navigate(view, params);
    lastRequest = { seq: (lastRequest?.seq ?? 0) + 1, params };
    for (const listener of requestListeners) listener(lastRequest);
  } else {
    navigate(view);
  }
}

/**
 * Takes the pending navigation once and follows `navigateTo` events until the
 * returned function is called. A request that arrives as an event is newer than
 * the pending one, so the pending one is dropped if it answers later.
 */
export function followNavigation(
  apply: (navigation: Navigation) => void = applyNavigation,
): () => void {
  let live = true;
  let heard = false;

  const stopListening = holdListener(
    onNavigateTo((navigation) => {
      if (!live) return;
      heard = true;
      apply(navigation);
    }),
  );

  takeNavigation().then(
    (pending) => {
      if (live && !heard && pending !== null) apply(pending);
    },
    () => {
      // No backend (a plain browser or a test): nothing is pending.
    },
  );

  return () => {
    live = false;
    stopListening();
  };
}
