/// <reference types="svelte" />
/// <reference types="vite/client" />

/** The UI's own version (package.json), injected at build time. */
declare const __UI_VERSION__: string;
