// Where the backend asks the window to go: a tray menu row or a notification
// click. The request waiting from before the window was ready is taken once at
// start; later ones arrive as events.
import { holdListener, onNavigateTo, takeNavigation, type Navigation } from "./api";
import { navigate } from "./router";
import { DEFAULT_VIEW, isViewId } from "./views";

/** Go where `navigation` says: a view, or a mailbox (and message) in the Mailbox view. */
export function applyNavigation(navigation: Navigation): void {
  const view = isViewId(navigation.view) ? navigation.view : DEFAULT_VIEW;
  if (view === "mailbox") {
    navigate(view, {
      account: navigation.account,
      mailbox: navigation.mailbox,
      messageId: navigation.messageId,
      play: navigation.play,
    });
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
