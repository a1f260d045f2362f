/** The app's top-level views, in navigation order (Alt+1 … Alt+4). */
export const VIEWS = [
  { id: "lines", name: "Lines" },
  { id: "mailbox", name: "Mailbox" },
  { id: "settings", name: "Settings" },
  { id: "diagnostics", name: "Diagnostics" },
] as const;

export type ViewId = (typeof VIEWS)[number]["id"];

export const DEFAULT_VIEW: ViewId = "lines";

export function isViewId(value: string): value is ViewId {
  return VIEWS.some((view) => view.id === value);
}

export function viewName(id: ViewId): string {
  return VIEWS.find((view) => view.id === id)?.name ?? id;
}
