/**
 * Two disjoint halves of the token-count corpus (bench/token-count.bench.ts, "warm on other text"): the merge cache
 * is filled by counting half A, then half B is timed, so no timed text is text the cache has seen.
 */

export interface Piece {
  category: string;
  /** The sample's name: orders the deal first, so editing a repo file does not move it to the other half. */
  name: string;
  /** What decides the half: the text with CRLF as LF and outer whitespace trimmed. */
  key: string;
}

/**
 * A one-file fixture is cut into lines (a non-blank line with the blank lines after it), so its category has
 * enough pieces to split; every other sample is one piece. The bench joins a fixture's lines of one half again.
 */
export function linesOf(text: string): string[] {
  return text.split(/(?<=\n)(?=.*\S)/);
}

export const pieceKey = (text: string) => text.replaceAll("\r\n", "\n").trim();

/** FNV-1a over the seed and the key: a fixed pseudo-random order that does not depend on the corpus order. */
function seededHash(seed: number, key: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Within each category (in order of first appearance) the keys not yet placed are sorted by seeded hash (of the
 * sample's name, then of the key) and dealt alternately to A and B. A key is placed once, for every category,
 * so the same text (a fixture and the "all fixtures" copy of it, a CRLF variant of a line) is always on one side.
 */
export function splitHalves<P extends Piece>(pieces: readonly P[], seed: number): { a: P[]; b: P[] } {
  const half = new Map<string, "a" | "b">();
  const categories = [...new Set(pieces.map((piece) => piece.category))];
  for (const category of categories) {
    const nameOf = new Map<string, string>();
    for (const piece of pieces)
      if (piece.category === category && !half.has(piece.key) && !nameOf.has(piece.key))
        nameOf.set(piece.key, piece.name);
    const order = (key: string) => [seededHash(seed, nameOf.get(key) ?? ""), seededHash(seed, key)] as const;
    const fresh = [...nameOf.keys()].sort((x, y) => {
      const [a, b] = [order(x), order(y)];
      return a[0] - b[0] || a[1] - b[1] || (x < y ? -1 : 1);
    });
    for (const [i, key] of fresh.entries()) half.set(key, i % 2 === 0 ? "a" : "b");
  }
  return {
    a: pieces.filter((piece) => half.get(piece.key) === "a"),
    b: pieces.filter((piece) => half.get(piece.key) === "b"),
  };
}
