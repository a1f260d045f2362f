export type ThemePreference = "system" | "light" | "dark";

export const THEME_STORAGE_KEY = "voicelamp.theme";

export const THEME_CHOICES: readonly { value: ThemePreference; label: string }[] = [
  { value: "system", label: "System" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

export function isThemePreference(value: unknown): value is ThemePreference {
  return value === "system" || value === "light" || value === "dark";
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: themes still work for this session
  }
}

export function loadTheme(): ThemePreference {
  try {
    const stored = storage()?.getItem(THEME_STORAGE_KEY);
    return isThemePreference(stored) ? stored : "system";
  } catch {
    return "system";
  }
}

export function saveTheme(theme: ThemePreference): void {
  try {
    storage()?.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // quota or privacy mode: keep the in-memory choice only
  }
}

/**
 * `data-theme="light|dark"` forces a palette; `system` follows
 * `prefers-color-scheme` (see app.css).
 */
export function applyTheme(theme: ThemePreference, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
}

export function setTheme(theme: ThemePreference): void {
  saveTheme(theme);
  applyTheme(theme);
}
