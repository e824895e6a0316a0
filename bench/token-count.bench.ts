/**
 * Token counting throughput: the server's counting path (Tokenizer.count / countChat in token-counter.ts, what
 * POST /api/tokens/count and the MCP gateway's tokenBudget run) against js-tiktoken, the JS port of OpenAI's
 * tiktoken, in the same run. Goal (issue 15): ≥ 4× js-tiktoken's tokens/s with identical counts.
 *
 *   npm run bench:tokens        (= npx tsx bench/token-count.bench.ts, about a minute)
 *
 * Corpus: the token-count test corpus (code, prose, CJK, emoji, edge cases, seeded random text, chats) plus this
 * repository's docs and TypeScript sources, so nothing is downloaded. Every sample must count the same in both
 * (chats by OpenAI's cookbook rule over js-tiktoken); that pass is also the warm-up.
 *
 * Our counter keeps no cache, so it has no warm or cold case: every text costs what text it never saw costs.
 * gpt-tokenizer's countTokens (the counter before ours) is timed beside it for comparison, in its two cases:
 * "cold" with its merge cache emptied before each sample (untimed), "warm" with the cache holding the timed
 * unit's own pieces (its best case; a server meets new text).
 *
 * Each round cuts every category into units of ~UNIT_TOKENS tokens (a small category is repeated to that size)
 * and times each unit with each candidate in turn, the order rotating from unit to unit: each candidate counts a
 * unit with its own data hot in the CPU caches, and a burst of load from other processes hits all of them alike.
 * A full GC before each category. Totals weight each category by its size in the corpus. Ratio = js-tiktoken's
 * time ÷ the candidate's in the same round, median of ROUNDS rounds.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { getEncoding, type Tiktoken } from "js-tiktoken";
import { countChat, loadTokenizer, PLAIN_TEXT } from "../packages/server/src/tokens/token-counter.js";
import type { ChatMessageInput } from "../packages/server/src/tokens/token-types.js";
import { chatCorpus, textCorpus } from "../packages/server/test/tokens/corpus.js";

const ROUNDS = 3;
/** Candidates alternate every unit of about this many tokens (rotated order), so load bursts hit all alike. */
const UNIT_TOKENS = 20_000;
const SMALL_CATEGORY_UNITS = 3;
const ENCODINGS = ["o200k_base", "cl100k_base"] as const;
/** The framing model countTokens uses for each encoding (token-counter.ts). */
const FRAMING = { o200k_base: "gpt-4o", cl100k_base: "gpt-4" } as const;

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

type Sample = { category: string; name: string } & ({ text: string } | { messages: ChatMessageInput[] });

const fixtureCategory: Record<string, string> = {
  "code.txt": "code",
  "prose.txt": "prose",
  "CRLF lines": "prose",
  "cjk.txt": "CJK",
  "emoji.txt": "emoji",
  "all fixtures": "all fixtures",
};
const repoFiles = execFileSync("git", ["ls-files", "docs/*.md", "packages/*/src/**/*.ts", "README.md"], {
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);
const samples: Sample[] = [
  ...textCorpus().map(({ name, text }) => ({
    name,
    text,
    category: name.startsWith("generated") ? "seeded random" : (fixtureCategory[name] ?? "edge cases"),
  })),
  ...chatCorpus().map(({ name, messages }) => ({ name, messages, category: "chat" })),
  ...repoFiles.map((file) => ({
    name: file,
    text: readFileSync(file, "utf8"),
    category: file.endsWith(".md") ? "repo docs" : "repo sources",
  })),
];

/** OpenAI's cookbook rule (num_tokens_from_messages): 3 per message, its values, 1 per name, 3 for the reply. */
function cookbookCount(count: (text: string) => number, sample: Sample): number {
  if ("text" in sample) return count(sample.text);
  let tokens = 3;
  for (const { role, content, name } of sample.messages) {
    tokens += 3 + count(role) + count(content) + (name === undefined ? 0 : count(name) + 1);
  }
  return tokens;
}

interface Unit {
  samples: Sample[];
  tokens: number;
  /** Passes over the samples per timing (small categories are repeated so a timing is not timer noise). */
  reps: number;
}

/** A category in units of about UNIT_TOKENS: a big one cut into runs of samples, a small one repeated. */
function unitsOf(items: { sample: Sample; tokens: number }[]): { units: Unit[]; tokens: number } {
  const tokens = items.reduce((sum, item) => sum + item.tokens, 0);
  const samples = items.map((item) => item.sample);
  if (tokens < UNIT_TOKENS) {
    const reps = Math.max(1, Math.round(UNIT_TOKENS / tokens));
    return { tokens, units: Array.from({ length: SMALL_CATEGORY_UNITS }, () => ({ samples, tokens, reps })) };
  }
  const units: Unit[] = [];
  let unit: Unit = { samples: [], tokens: 0, reps: 1 };
  for (const item of items) {
    unit.samples.push(item.sample);
    unit.tokens += item.tokens;
    if (unit.tokens >= UNIT_TOKENS) {
      units.push(unit);
      unit = { samples: [], tokens: 0, reps: 1 };
    }
  }
  if (unit.samples.length > 0) units.push(unit);
  return { tokens, units };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rate = (tokens: number, ms: number) => (tokens / (ms / 1000) / 1e6).toFixed(2);

console.log(
  `token-count bench: ${samples.length} samples, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
);
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}\n`,
);

const CANDIDATES = ["js-tiktoken", "ours", "gpt-tokenizer cold", "gpt-tokenizer warm"] as const;
type Candidate = (typeof CANDIDATES)[number];

let mismatches = 0;
for (const encoding of ENCODINGS) {
  let t = performance.now();
  const ours = await loadTokenizer(encoding);
  const oursLoad = performance.now() - t;
  t = performance.now();
  const reference: Tiktoken = getEncoding(encoding);
  const referenceLoad = performance.now() - t;
  const library =
    encoding === "o200k_base"
      ? await import("gpt-tokenizer/encoding/o200k_base")
      : await import("gpt-tokenizer/encoding/cl100k_base");

  const run: Record<Exclude<Candidate, "gpt-tokenizer cold">, (sample: Sample) => number> = {
    "js-tiktoken": (sample) => cookbookCount((text) => reference.encode(text, [], []).length, sample),
    ours: (sample) =>
      "text" in sample
        ? ours.count(sample.text).tokens
        : countChat(ours, sample.messages, FRAMING[encoding]).tokens,
    "gpt-tokenizer warm": (sample) => cookbookCount((text) => library.countTokens(text, PLAIN_TEXT), sample),
  };

  // Identical counts (and the warm-up). A sample with a piece over MAX_EXACT_PIECE is counted in chunks on
  // purpose (exact: false): it is left out and named.
  const byCategory = new Map<string, { sample: Sample; tokens: number }[]>();
  for (const sample of samples) {
    const counted =
      "text" in sample ? ours.count(sample.text) : countChat(ours, sample.messages, FRAMING[encoding]);
    const expected = run["js-tiktoken"](sample);
    if (!counted.exact) {
      console.log(
        `  ${encoding}: left out, counted in chunks: ${sample.name} (${counted.tokens} vs ${expected})`,
      );
      continue;
    }
    for (const [name, tokens] of [
      ["ours", counted.tokens],
      ["gpt-tokenizer", run["gpt-tokenizer warm"](sample)],
    ] as const) {
      if (tokens === expected) continue;
      mismatches++;
      console.log(
        `  ${encoding}: COUNT DIFFERS for ${sample.name}: ${name} ${tokens} vs js-tiktoken ${expected}`,
      );
    }
    byCategory.set(sample.category, [
      ...(byCategory.get(sample.category) ?? []),
      { sample, tokens: expected },
    ]);
  }
  const categories = new Map([...byCategory].map(([category, items]) => [category, unitsOf(items)]));

  /** ms per pass over the category, per candidate, per round. */
  const perPass = new Map<string, Record<Candidate, number[]>>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [category, { units, tokens }] of categories) {
      gc();
      const ms: Record<Candidate, number> = {
        "js-tiktoken": 0,
        ours: 0,
        "gpt-tokenizer cold": 0,
        "gpt-tokenizer warm": 0,
      };
      let measured = 0;
      for (const [u, unit] of units.entries()) {
        measured += unit.tokens * unit.reps;
        for (let i = 0; i < CANDIDATES.length; i++) {
          const candidate = CANDIDATES[(i + u + round) % CANDIDATES.length] as Candidate;
          if (candidate === "gpt-tokenizer cold") {
            for (let rep = 0; rep < unit.reps; rep++) {
              for (const sample of unit.samples) {
                library.clearMergeCache();
                const start = performance.now();
                run["gpt-tokenizer warm"](sample);
                ms[candidate] += performance.now() - start;
              }
            }
            continue;
          }
          // Untimed: fills gpt-tokenizer's cache with the unit's pieces (its warm case) and warms the others alike.
          for (const sample of unit.samples) run[candidate](sample);
          const start = performance.now();
          for (let rep = 0; rep < unit.reps; rep++) for (const sample of unit.samples) run[candidate](sample);
          ms[candidate] += performance.now() - start;
        }
      }
      const times = perPass.get(category) ?? {
        "js-tiktoken": [],
        ours: [],
        "gpt-tokenizer cold": [],
        "gpt-tokenizer warm": [],
      };
      for (const candidate of CANDIDATES) times[candidate].push((ms[candidate] * tokens) / measured);
      perPass.set(category, times);
    }
    process.stdout.write(`${encoding} round ${round + 1} of ${ROUNDS} done\n`);
  }

  const total = Object.fromEntries(
    CANDIDATES.map((candidate) => [
      candidate,
      Array.from({ length: ROUNDS }, (_, round) =>
        [...perPass.values()].reduce((sum, times) => sum + (times[candidate][round] ?? 0), 0),
      ),
    ]),
  ) as Record<Candidate, number[]>;
  const ratio = (times: Record<Candidate, number[]>, candidate: Candidate) =>
    `${median(times["js-tiktoken"].map((ms, round) => ms / (times[candidate][round] ?? Number.NaN))).toFixed(1)}×`;
  const row = (name: string, tokens: number, times: Record<Candidate, number[]>) =>
    `| ${name} | ${tokens.toLocaleString("en-US")} | ${rate(tokens, median(times.ours))} | ${rate(tokens, median(times["js-tiktoken"]))} | **${ratio(times, "ours")}** | ${ratio(times, "gpt-tokenizer cold")} | ${ratio(times, "gpt-tokenizer warm")} |`;

  console.log(
    `\n${encoding}: identical counts: ${mismatches === 0 ? "yes" : `NO (${mismatches} samples)`}; load ms ours ${oursLoad.toFixed(0)} / js-tiktoken ${referenceLoad.toFixed(0)}\n`,
  );
  console.log(
    "| category | tokens | ours M tok/s | js-tiktoken M tok/s | **ratio ours** | ratio gpt-tokenizer cold | ratio gpt-tokenizer warm |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [category, { tokens }] of categories)
    console.log(row(category, tokens, perPass.get(category) ?? total));
  const allTokens = [...categories.values()].reduce((sum, { tokens }) => sum + tokens, 0);
  console.log(`${row("**all**", allTokens, total)}\n`);
}
if (mismatches > 0) process.exitCode = 1;
console.log(
  `load average at end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
