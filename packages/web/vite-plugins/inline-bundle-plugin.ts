import { createHash } from "node:crypto";
import type { Plugin, Rollup } from "vite";

type OutputAsset = Rollup.OutputAsset;
type OutputChunk = Rollup.OutputChunk;

/**
 * Turns a one-page build into one self-contained HTML file (the MCP Apps widget view): the entry's script
 * and stylesheet go inline and their files are dropped, and a Content-Security-Policy meta tag allows
 * exactly those two inline blocks (by SHA-256) and no network at all. The build fails if anything else
 * would be left as a separate file, since the HTML alone is what a host loads.
 */
export function inlineBundlePlugin(): Plugin {
  return {
    name: "agentboard-inline-bundle",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const files = Object.values(bundle);
      const pages = files.filter(
        (file): file is OutputAsset => file.type === "asset" && file.fileName.endsWith(".html"),
      );
      const chunks = files.filter((file): file is OutputChunk => file.type === "chunk");
      const styles = files.filter(
        (file): file is OutputAsset => file.type === "asset" && file.fileName.endsWith(".css"),
      );
      const page = pages[0];
      if (pages.length !== 1 || !page) return this.error(`expected one HTML page, got ${pages.length}`);
      if (chunks.length !== 1 || !chunks[0]) {
        return this.error(
          `expected one script chunk, got ${chunks.map((chunk) => chunk.fileName).join(", ")}`,
        );
      }
      const inlined = new Set<string>([page, chunks[0], ...styles].map((file) => file.fileName));
      const others = files.filter((file) => !inlined.has(file.fileName));
      if (others.length > 0)
        return this.error(`cannot inline ${others.map((file) => file.fileName).join(", ")}`);

      const script = escapeEnd(chunks[0].code, "script");
      if (opensScriptInComment(script)) {
        return this.error(
          "the script has `<!--` followed by `<script` before `-->`: inline it would not end",
        );
      }
      const style = escapeEnd(styles.map((file) => String(file.source)).join("\n"), "style");
      let html = String(page.source)
        .replace(/\s*<script\b[^>]*\bsrc="[^"]*"[^>]*><\/script>/g, "")
        .replace(/\s*<link\b[^>]*\brel="stylesheet"[^>]*>/g, "");
      if (/\b(src|href)="/.test(html)) return this.error("the page still refers to a file after inlining");
      if (!/<meta charset="utf-8" \/>/i.test(html))
        return this.error('the page needs <meta charset="utf-8" />');
      const csp = [
        "default-src 'none'",
        `script-src '${sha256(script)}'`,
        `style-src '${sha256(style)}'`,
        "img-src data:",
        "font-src data:",
        "connect-src 'none'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
      ].join("; ");
      // Replacer functions: the code is full of `$&`-like sequences a replacement string would expand.
      html = html
        // Right after the charset, which must stay within the first 1024 bytes.
        .replace(
          /<meta charset="utf-8" \/>/i,
          (charset) => `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`,
        )
        .replace("</head>", () => `    <style>${style}</style>\n  </head>`)
        .replace("</body>", () => `    <script type="module">${script}</script>\n  </body>`);
      for (const file of [chunks[0], ...styles]) delete bundle[file.fileName];
      page.source = html;
    },
  };
}

/** `</script` (or `</style`) inside the inlined text would end the element early; `<\/` means the same in JS. */
function escapeEnd(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</${tag}`, "gi"), `<\\/${tag}`);
}

/**
 * Inside an inline script, `<!--` then `<script` (before a `-->`) puts the HTML parser in a state where
 * `</script>` no longer ends the element. Bundled libraries do carry both (`<!-->` in DOMPurify, `<script>`
 * in React), so this is checked rather than assumed.
 */
function opensScriptInComment(code: string): boolean {
  for (let at = code.indexOf("<!--"); at !== -1; at = code.indexOf("<!--", at + 4)) {
    const closed = code.indexOf("-->", at + 2);
    const script = code.slice(at).search(/<script[\s/>]/i);
    if (script !== -1 && (closed === -1 || at + script < closed)) return true;
  }
  return false;
}

function sha256(text: string): string {
  return `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;
}
