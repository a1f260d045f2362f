import { readable, type Readable } from "svelte/store";
import { DEFAULT_VIEW, isViewId, type ViewId } from "./views";

/** `#/settings` → "settings"; anything unknown or empty → the default view. */
export function viewFromHash(hash: string): ViewId {
  const segment = hash.replace(/^#\/?/, "").split(/[/?]/, 1)[0].toLowerCase();
  return isViewId(segment) ? segment : DEFAULT_VIEW;
}

export function hrefFor(view: ViewId): string {
  return `#/${view}`;
}

export function navigate(view: ViewId): void {
  const href = hrefFor(view);
  if (window.location.hash !== href) {
    window.location.hash = href;
  }
}

/** The view named by the location hash; follows `hashchange`. */
export const currentView: Readable<ViewId> = readable<ViewId>(DEFAULT_VIEW, (set) => {
  const update = () => {
    const view = viewFromHash(window.location.hash);
    const canonical = hrefFor(view);
    if (window.location.hash !== canonical) {
      // Normalise unknown or empty hashes without adding a history entry.
      window.history.replaceState(window.history.state, "", canonical);
    }
    set(view);
  };
  update();
  window.addEventListener("hashchange", update);
  return () => window.removeEventListener("hashchange", update);
});
