import { isSafeHref } from "@agentboard/protocol";
import DOMPurify from "dompurify";
import { micromark } from "micromark";

/** What markdown may turn into. Images are left out: they would load third-party URLs (tracking pixels). */
const ALLOWED_TAGS = [
  "p",
  "br",
  "hr",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "strong",
  "em",
  "del",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "a",
];
const ALLOWED_ATTR = ["href", "title"];

let hooked = false;

function installLinkHook(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName !== "A") return;
    const href = node.getAttribute("href");
    // Same rule as link props in the protocol: https:, http: or app-relative. Anything else stays text.
    if (href === null || !isSafeHref(href)) {
      node.removeAttribute("href");
      return;
    }
    if (/^https?:/i.test(href)) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
}

/**
 * Markdown of a note widget to HTML that is safe to insert: micromark escapes raw HTML and drops dangerous
 * link protocols by default; DOMPurify then keeps only the tags above and the link rule, as a second guard
 * should either default ever change.
 */
export function renderMarkdown(markdown: string): string {
  installLinkHook();
  const html = micromark(markdown);
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
  });
}
