import { readFileSync } from "node:fs";

/**
 * The token-count corpus (tests and bench/token-count.bench.ts): hand-written fixtures (code, prose, CJK, emoji,
 * edge cases) plus text generated here from a seeded PRNG, so a run is reproducible and nothing is downloaded.
 */
export interface CorpusSample {
  name: string;
  text: string;
}

export interface ChatSample {
  name: string;
  messages: { role: string; content: string; name?: string }[];
}

const fixture = (file: string) => readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8");

/** mulberry32: a tiny deterministic PRNG; the corpus must not change between runs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code point ranges the generator draws from: each one stresses a different part of the BPE pre-split regex. */
const POOLS: readonly (readonly [number, number])[] = [
  [0x61, 0x7a], // a-z
  [0x41, 0x5a], // A-Z
  [0x30, 0x39], // digits
  [0x21, 0x2f], // ASCII punctuation
  [0xc0, 0x17f], // Latin-1 and Latin Extended-A
  [0x391, 0x3c9], // Greek
  [0x410, 0x44f], // Cyrillic
  [0x4e00, 0x4fff], // CJK ideographs
  [0x3041, 0x3096], // hiragana
  [0xac00, 0xad00], // Hangul syllables
  [0x1f300, 0x1f5ff], // emoji (astral: surrogate pairs in JS strings)
  [0x1f600, 0x1f64f], // emoticons
];
const SEPARATORS = [" ", " ", " ", "  ", "\n", "\r\n", "\t", "\n\n", " \n", "'s ", "'ll "];

function generated(seed: number, length: number): string {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let out = "";
  while (out.length < length) {
    const [from, to] = pick(POOLS);
    const wordLength = 1 + Math.floor(random() * 9);
    for (let i = 0; i < wordLength; i++)
      out += String.fromCodePoint(from + Math.floor(random() * (to - from + 1)));
    out += pick(SEPARATORS);
  }
  return out;
}

export function textCorpus(): CorpusSample[] {
  const files = ["code.txt", "prose.txt", "cjk.txt", "emoji.txt", "edge.txt"];
  const samples: CorpusSample[] = files.map((file) => ({ name: file, text: fixture(file) }));
  samples.push(
    { name: "empty", text: "" },
    { name: "one space", text: " " },
    { name: "CRLF lines", text: fixture("prose.txt").replaceAll("\n", "\r\n") },
    { name: "whitespace runs", text: `${" ".repeat(190)}x${"\n".repeat(150)}\t\t${" ".repeat(64)}y` },
    { name: "long digits", text: "9".repeat(2000) },
    // Under MAX_EXACT_PIECE (200): longer runs are counted in chunks, exact: false (token-count.test.ts).
    { name: "long word", text: "supercalifragilistic".repeat(9) },
    { name: "all fixtures", text: files.map(fixture).join("\n") },
  );
  for (let seed = 1; seed <= 24; seed++)
    samples.push({ name: `generated #${seed}`, text: generated(seed, 1_500) });
  return samples;
}

export function chatCorpus(): ChatSample[] {
  const chats = JSON.parse(fixture("chats.json")) as ChatSample["messages"][];
  const samples: ChatSample[] = chats.map((messages, i) => ({ name: `chats.json[${i}]`, messages }));
  const random = prng(99);
  for (let n = 0; n < 6; n++) {
    const roles = ["system", "user", "assistant", "tool"];
    const messages = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => ({
      role: roles[Math.floor(random() * roles.length)] as string,
      content: generated(1_000 + n * 10 + i, 50 + Math.floor(random() * 400)),
      ...(random() < 0.3 ? { name: `agent_${i}` } : {}),
    }));
    samples.push({ name: `generated chat #${n}`, messages });
  }
  return samples;
}
