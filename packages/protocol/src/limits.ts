/**
 * Named limits shared by server, SDK and web app. Each bounds the work an untrusted caller can make us do;
 * the server enforces them before expensive work, the SDK checks them early to fail fast with the same words.
 */
export const LIMITS = {
  /** A whole dashboard document, serialised as JSON (UTF-8 bytes). Keeps sync frames and caches small. */
  maxDocumentBytes: 256 * 1024,
  /** Widgets per dashboard: a grid with more is not readable by a human anyway. */
  maxWidgets: 200,
  /** Length of ids (widget ids, task ids, entry ids). */
  maxIdLength: 128,
  /** Short labels: titles, names, column labels. */
  maxLabelLength: 200,
  /** Free text: alert messages, activity text. */
  maxTextLength: 4_000,
  /** Markdown of a note widget. */
  maxMarkdownLength: 64 * 1024,
  /** URLs in links. */
  maxUrlLength: 2_048,
  /** Items of lists inside widget props (tasks, metric items, activity entries, table rows, points...). */
  maxListItems: 1_000,
  /** Operations in one JSON Patch. */
  maxPatchOps: 500,
  /** Segments of one JSON Pointer: deeper than any valid dashboard path. */
  maxPointerSegments: 16,
  /** Nesting of any JSON value accepted by the server (objects + arrays). */
  maxJsonDepth: 64,
} as const;

/** The identifier rule for widget ids and other ids used as JSON Pointer segments. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
