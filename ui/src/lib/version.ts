/** Version of this web UI build (from ui/package.json). */
export const UI_VERSION: string = __UI_VERSION__;
