/**
 * Nesting beyond any value the server accepts (bodies are capped at LIMITS.maxJsonDepth); the guard only
 * keeps a hostile in-process value from overflowing the stack.
 */
const MAX_CANONICAL_DEPTH = 256;

/**
 * The one text form of a JSON value that hashing relies on: object keys sorted by UTF-16 code units (as
 * RFC 8785 does), no whitespace, strings and numbers as JSON.stringify writes them. Two values that are
 * equal as JSON always give the same text, whatever order their keys were built in, which is what makes
 * `argsHash` and the audit chain reproducible on another machine or in another language.
 *
 * Only plain JSON is accepted: object keys whose value is `undefined` are left out (as JSON.stringify does,
 * so optional TypeScript fields behave), but `undefined` in an array, non-finite numbers, bigints,
 * functions, symbols and class instances (Date, Map…) throw a TypeError instead of being coerced silently.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, 0, out);
  return out.join("");
}

function write(value: unknown, depth: number, out: string[]): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      // JSON.stringify writes -0 as 0 and uses the shortest round-trip form, like RFC 8785.
      out.push(JSON.stringify(value));
      return;
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
  if (depth >= MAX_CANONICAL_DEPTH)
    throw new TypeError(`canonicalJson: nesting deeper than ${MAX_CANONICAL_DEPTH}`);
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      if (value[i] === undefined) throw new TypeError(`canonicalJson: undefined at array index ${i}`);
      write(value[i], depth + 1, out);
    }
    out.push("]");
    return;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError("canonicalJson: only plain objects, arrays and primitives are JSON values");
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  out.push("{");
  keys.forEach((key, i) => {
    if (i > 0) out.push(",");
    out.push(JSON.stringify(key), ":");
    write(record[key], depth + 1, out);
  });
  out.push("}");
}
