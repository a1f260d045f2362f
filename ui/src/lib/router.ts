import { derived, readable, type Readable } from "svelte/store";
import { DEFAULT_VIEW, isViewId, type ViewId } from "./views";

/**
 * Which mailbox the Mailbox view should show, from the location hash:
 * `#/mailbox?account=desk&mailbox=sip%3A1001%40pbx&message=42&play=1`.
 */
export interface MailboxParams {
  /** Account id. */
  account: string | null;
  /** Mailbox URI. */
  mailbox: string | null;
  /** The message to select. */
  messageId: string | null;
  /** Start playing the selected message. */
  play: boolean;
}

/** A view and, for the Mailbox view, what it should show. */
export interface Route {
  view: ViewId;
  /** Always empty unless `view` is "mailbox". */
  params: MailboxParams;
}

export const NO_PARAMS: Readonly<MailboxParams> = Object.freeze({
  account: null,
  mailbox: null,
  messageId: null,
  play: false,
});

/** Query keys in the hash, in the order the canonical hash writes them. */
const KEYS = {
  account: "account",
  mailbox: "mailbox",
  messageId: "message",
  play: "play",
} as const;

function nonEmpty(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === "" ? null : value;
}

function paramsFrom(query: URLSearchParams): MailboxParams {
  const play = query.get(KEYS.play);
  return {
    account: nonEmpty(query.get(KEYS.account)),
    mailbox: nonEmpty(query.get(KEYS.mailbox)),
    messageId: nonEmpty(query.get(KEYS.messageId)),
    play: play === "1" || play === "true",
  };
}

/** `#/mailbox?account=a&mailbox=m` → the view and its parameters; unknown → default view. */
export function routeFromHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  const segment = path.split(/[/?]/, 1)[0].toLowerCase();
  if (!isViewId(segment)) return { view: DEFAULT_VIEW, params: NO_PARAMS };
  if (segment !== "mailbox") return { view: segment, params: NO_PARAMS };
  const queryAt = path.indexOf("?");
  const query = new URLSearchParams(queryAt < 0 ? "" : path.slice(queryAt + 1));
  return { view: segment, params: paramsFrom(query) };
}

/** `#/settings` → "settings"; anything unknown or empty → the default view. */
export function viewFromHash(hash: string): ViewId {
  return routeFromHash(hash).view;
}

/** The hash of a view; only the Mailbox view keeps `params`. */
export function hrefFor(view: ViewId, params: Partial<MailboxParams> = {}): string {
  if (view !== "mailbox") return `#/${view}`;
  // Built by hand rather than with URLSearchParams: every tile has one of
  // these, and encodeURIComponent is the cheaper of the two.
  const pairs: string[] = [];
  for (const key of ["account", "mailbox", "messageId"] as const) {
    const value = nonEmpty(params[key]);
    if (value !== null) pairs.push(`${KEYS[key]}=${encodeURIComponent(value)}`);
  }
  if (params.play === true) pairs.push(`${KEYS.play}=1`);
  return pairs.length === 0 ? "#/mailbox" : `#/mailbox?${pairs.join("&")}`;
}

/** Go to a view (and, for the Mailbox view, a mailbox). Adds a history entry. */
export function navigate(view: ViewId, params: Partial<MailboxParams> = {}): void {
  const href = hrefFor(view, params);
  if (window.location.hash !== href) {
    window.location.hash = href;
  }
}

function sameParams(a: MailboxParams, b: MailboxParams): boolean {
  return (
    a.account === b.account &&
    a.mailbox === b.mailbox &&
    a.messageId === b.messageId &&
    a.play === b.play
  );
}

/** The route named by the location hash; follows `hashchange`. */
export const currentRoute: Readable<Route> = readable<Route>(
  { view: DEFAULT_VIEW, params: NO_PARAMS },
  (set) => {
    let last: Route | null = null;
    const update = () => {
      const route = routeFromHash(window.location.hash);
      const canonical = hrefFor(route.view, route.params);
      if (window.location.hash !== canonical) {
        // Normalise unknown, empty or untidy hashes without adding a history entry.
        window.history.replaceState(window.history.state, "", canonical);
      }
      if (last === null || last.view !== route.view || !sameParams(last.params, route.params)) {
        last = route;
        set(route);
      }
    };
    update();
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  },
);

/** The view named by the location hash; changes only when the view does. */
export const currentView: Readable<ViewId> = derived(currentRoute, (route) => route.view);
