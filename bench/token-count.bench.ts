/**
 * Token counting throughput: the server's counting path (countText / countChat over gpt-tokenizer 4, what
 * POST /api/tokens/count and the MCP gateway's tokenBudget run) against js-tiktoken, the JS port of OpenAI's
 * tiktoken, in the same run. Goal (issue 15): ≥ 4× js-tiktoken's tokens/s with identical counts.
 *
 *   npm run bench:tokens        (= npx tsx bench/token-count.bench.ts, about two minutes)
 *
 * Corpus: the token-count test corpus (code, prose, CJK, emoji, edge cases, seeded random text, chats) plus this
 * repository's docs and TypeScript sources, so nothing is downloaded. Every sample must count the same in both
 * (chats by OpenAI's cookbook rule over js-tiktoken); that pass is also the warm-up.
 *
 * Each round cuts every category into units of ~UNIT_TOKENS tokens (a small category is repeated to that size)
 * and times each unit with each candidate in turn, the order rotating from unit to unit: each candidate counts a
 * unit with its own data hot in the CPU caches, and a burst of load from other processes hits all of them alike.
 * A full GC before each category. Totals weight each category by its size in the corpus. Ratio = js-tiktoken's
 * time ÷ ours in the same round, median of ROUNDS rounds. The last line times the corpus sample by sample,
 * alternating candidates at every sample (this bench's former method), for comparison.
 *
 * gpt-tokenizer keeps an LRU cache of merged pieces (its own, 100,000 entries, process-wide). "warm": the cache
 * holds the unit's pieces, as a long-running server holds common ones; "cold": the cache is emptied before
 * every sample, so only repeats within one text hit, as for text of a kind the server never saw. "warm on other
 * text": the corpus is split into two halves that share no text (bench/lib/token-halves.ts); the cache holds
 * exactly what counting half A left in it when each sample of half B starts (what a sample adds is deleted again
 * after it, untimed), as in a server that has counted other text of the same kinds.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { getEncoding, type Tiktoken } from "js-tiktoken";
import { countChat, countText, loadEncoder } from "../packages/server/src/tokens/token-counter.js";
import type { ChatMessageInput } from "../packages/server/src/tokens/token-types.js";
import { chatCorpus, textCorpus } from "../packages/server/test/tokens/corpus.js";
import { linesOf, type Piece, pieceKey, splitHalves } from "./lib/token-halves.js";

const ROUNDS = 3;
/** Candidates alternate every unit of about this many tokens (rotated order), so load bursts hit all alike. */
const UNIT_TOKENS = 20_000;
const SMALL_CATEGORY_UNITS = 3;
const ENCODINGS = ["o200k_base", "cl100k_base"] as const;
/** The framing model countTokens uses for each encoding (token-counter.ts). */
const FRAMING = { o200k_base: "gpt-4o", cl100k_base: "gpt-4" } as const;
const HALVES_SEED = 15;

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

/** The one-file fixtures and their copies: split by line, so each category has lines on both sides. */
const SPLIT_BY_LINE = new Set([...Object.keys(fixtureCategory), "edge.txt"]);
type SamplePiece = Sample & Piece & { source: number };
const split = splitHalves(
  samples.flatMap((sample, source): SamplePiece[] =>
    "text" in sample && SPLIT_BY_LINE.has(sample.name)
      ? linesOf(sample.text).map((text) => ({ ...sample, text, source, key: pieceKey(text) }))
      : [
          {
            ...sample,
            source,
            key: pieceKey("text" in sample ? sample.text : JSON.stringify(sample.messages)),
          },
        ],
  ),
  HALVES_SEED,
);
const keysOfA = new Set(split.a.map((piece) => piece.key));
if (split.b.some((piece) => keysOfA.has(piece.key))) throw new Error("the two halves share text");

/** A half as samples: the lines of one fixture that fell on the same side joined again, in order. */
function joined(pieces: SamplePiece[], half: string): Sample[] {
  const out: SamplePiece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (last?.source === piece.source && "text" in last && "text" in piece) last.text += piece.text;
    else out.push({ ...piece, name: `${piece.name} (${half})` });
  }
  return out;
}
const halfA = joined(split.a, "A");
const halfB = joined(split.b, "B");

/** gpt-tokenizer's LRU merge cache; private, read here to fill it with exactly half A's pieces again. */
function mergeCacheOf(encoder: typeof import("gpt-tokenizer/encoding/o200k_base")) {
  const core = (encoder.default as unknown as { bytePairEncodingCoreProcessor: unknown })
    .bytePairEncodingCoreProcessor as { mergeCache?: Map<string, number[]>; mergeCacheSize: number };
  if (!core.mergeCache) throw new Error("gpt-tokenizer's merge cache is off");
  return { cache: core.mergeCache, limit: core.mergeCacheSize };
}

/** OpenAI's cookbook rule (num_tokens_from_messages): 3 per message, its values, 1 per name, 3 for the reply. */
function referenceCount(reference: Tiktoken, sample: Sample): number {
  const count = (text: string) => reference.encode(text, [], []).length;
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
  `halves (seed ${HALVES_SEED}): A ${halfA.length} samples, B ${halfB.length} samples, no text in both`,
);
console.log(
  `token-count bench: ${samples.length} samples, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
);
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}\n`,
);

for (const encoding of ENCODINGS) {
  let t = performance.now();
  const ours = await loadEncoder(encoding);
  const oursLoad = performance.now() - t;
  t = performance.now();
  const reference = getEncoding(encoding);
  const referenceLoad = performance.now() - t;
  const oursCount = (sample: Sample) =>
    "text" in sample
      ? countText(ours, encoding, sample.text)
      : countChat(ours, encoding, sample.messages, FRAMING[encoding]);

  // Identical counts (and the warm-up). A sample with a piece over MAX_EXACT_PIECE is counted in chunks on
  // purpose (exact: false): it is left out and named.
  let mismatches = 0;
  const verified = (list: Sample[]) => {
    const byCategory = new Map<string, { sample: Sample; tokens: number }[]>();
    for (const sample of list) {
      const a = oursCount(sample);
      const b = referenceCount(reference, sample);
      if (!a.exact) {
        console.log(
          `  ${encoding}: left out, counted in chunks: ${sample.name} (${a.tokens} vs ${b} tokens)`,
        );
        continue;
      }
      if (a.tokens !== b) {
        mismatches++;
        console.log(`  ${encoding}: COUNT DIFFERS for ${sample.name}: ${a.tokens} vs js-tiktoken ${b}`);
      }
      byCategory.set(sample.category, [...(byCategory.get(sample.category) ?? []), { sample, tokens: b }]);
    }
    return byCategory;
  };
  const counted = verified(samples);
  const categories = new Map([...counted].map(([category, items]) => [category, unitsOf(items)]));

  // Warm on other text: the merge cache emptied, then filled by counting half A (js-tiktoken counts it too, so
  // both have run the same text before timing); every half-B sample starts from exactly that cache.
  const countedA = [...verified(halfA).values()].flat();
  const onOtherUnits = new Map([...verified(halfB)].map(([category, items]) => [category, unitsOf(items)]));
  const missing = [...categories.keys()].filter((category) => !onOtherUnits.has(category));
  if (missing.length > 0) throw new Error(`no half-B text in ${missing.join(", ")}`);
  const { cache, limit } = mergeCacheOf(ours);
  ours.clearMergeCache();
  for (const { sample } of countedA) {
    oursCount(sample);
    referenceCount(reference, sample);
  }
  const cacheAfterA = [...cache];
  const restoreHalfA = () => {
    cache.clear();
    for (const [key, value] of cacheAfterA) cache.set(key, value);
  };
  // What each half-B sample adds to half A's cache: deleting just that after the sample restores the cache
  // without sweeping the CPU caches as a full refill before every sample would (for both candidates). The LRU
  // order it leaves differs, which changes nothing while the cache stays below its limit (checked).
  const cachedForA = new Set(cacheAfterA.map(([key]) => key));
  const addedBy = new Map<Sample, string[]>();
  for (const { units } of onOtherUnits.values()) {
    for (const sample of units.flatMap((unit) => unit.samples)) {
      restoreHalfA();
      oursCount(sample);
      addedBy.set(
        sample,
        [...cache.keys()].filter((key) => !cachedForA.has(key)),
      );
    }
  }
  if (cacheAfterA.length + Math.max(...[...addedBy.values()].map((keys) => keys.length)) >= limit)
    throw new Error("half A and a half-B sample overflow the merge cache");
  const forgetSample = (sample: Sample) => {
    for (const key of addedBy.get(sample) ?? []) cache.delete(key);
    if (cache.size !== cacheAfterA.length)
      throw new Error(`merge cache not back to half A after ${sample.name}`);
  };
  // How much of half B the cache from half A can serve: half B's distinct merged pieces, and those A left.
  ours.clearMergeCache();
  for (const sample of addedBy.keys()) oursCount(sample);
  const piecesOfB = [...cache.keys()];
  const alsoInA = piecesOfB.filter((key) => cachedForA.has(key)).length;
  const tokensOf = (items: { tokens: number }[]) => items.reduce((sum, item) => sum + item.tokens, 0);
  const n = (value: number) => value.toLocaleString("en-US");
  console.log(
    `${encoding}: merge cache after counting half A (${countedA.length} samples, ${n(tokensOf(countedA))} tokens): ${n(cacheAfterA.length)} of ${n(limit)} entries; half B: ${n([...onOtherUnits.values()].reduce((sum, { tokens }) => sum + tokens, 0))} tokens, ${n(piecesOfB.length)} distinct merged pieces, ${n(alsoInA)} (${((100 * alsoInA) / piecesOfB.length).toFixed(0)} %) of them in that cache`,
  );
  /** Both candidates sample by sample, rotated per unit, the cache back to half A's before each sample. */
  const timeOnOtherText = (units: Unit[], round: number) => {
    const ms = { ref: 0, other: 0 };
    let measured = 0;
    restoreHalfA();
    for (const [u, unit] of units.entries()) {
      measured += unit.tokens * unit.reps;
      for (let i = 0; i < 2; i++) {
        const mode = (i + u + round) % 2 === 0 ? "ref" : "other";
        for (let rep = 0; rep < unit.reps; rep++) {
          for (const sample of unit.samples) {
            const start = performance.now();
            if (mode === "ref") referenceCount(reference, sample);
            else oursCount(sample);
            ms[mode] += performance.now() - start;
            if (mode === "other") forgetSample(sample);
          }
        }
      }
    }
    return { ms, measured };
  };
  const onOther = new Map<string, { ref: number[]; other: number[] }>();

  type Mode = "ref" | "warm" | "cold";
  const modes: Mode[] = ["ref", "warm", "cold"];
  const run: Record<"ref" | "warm", (sample: Sample) => unknown> = {
    ref: (sample) => referenceCount(reference, sample),
    warm: oursCount,
  };
  /** ms per pass over the category, per mode, per round. */
  const perPass = new Map<string, Record<Mode, number[]>>();
  const interleaved = { ours: [] as number[], ref: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [category, { units, tokens }] of categories) {
      gc();
      const ms: Record<Mode, number> = { ref: 0, warm: 0, cold: 0 };
      let measured = 0;
      for (const [u, unit] of units.entries()) {
        measured += unit.tokens * unit.reps;
        for (let i = 0; i < modes.length; i++) {
          const mode = modes[(i + u + round) % modes.length] as Mode;
          if (mode === "warm") for (const sample of unit.samples) oursCount(sample);
          for (let rep = 0; rep < unit.reps; rep++) {
            if (mode === "cold") {
              for (const sample of unit.samples) {
                ours.clearMergeCache();
                const start = performance.now();
                oursCount(sample);
                ms.cold += performance.now() - start;
              }
              continue;
            }
            const start = performance.now();
            for (const sample of unit.samples) run[mode](sample);
            ms[mode] += performance.now() - start;
          }
        }
      }
      const times = perPass.get(category) ?? { ref: [], warm: [], cold: [] };
      for (const mode of modes) times[mode].push((ms[mode] * tokens) / measured);
      perPass.set(category, times);
      gc();
      const other = timeOnOtherText(onOtherUnits.get(category)?.units ?? [], round);
      const otherTimes = onOther.get(category) ?? { ref: [], other: [] };
      otherTimes.ref.push((other.ms.ref * tokens) / other.measured);
      otherTimes.other.push((other.ms.other * tokens) / other.measured);
      onOther.set(category, otherTimes);
    }
    // The whole corpus sample by sample, alternating candidates: each starts every sample after the other's run.
    for (const { sample } of [...counted.values()].flat()) oursCount(sample);
    gc();
    let oursMs = 0;
    let referenceMs = 0;
    for (const items of counted.values()) {
      for (const { sample } of items) {
        let start = performance.now();
        oursCount(sample);
        oursMs += performance.now() - start;
        start = performance.now();
        referenceCount(reference, sample);
        referenceMs += performance.now() - start;
      }
    }
    interleaved.ours.push(oursMs);
    interleaved.ref.push(referenceMs);
    process.stdout.write(`${encoding} round ${round + 1} of ${ROUNDS} done\n`);
  }

  const total = { ref: [] as number[], warm: [] as number[], cold: [] as number[] };
  const totalOnOther = { ref: [] as number[], other: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes)
      total[mode].push([...perPass.values()].reduce((sum, times) => sum + (times[mode][round] ?? 0), 0));
    for (const mode of ["ref", "other"] as const)
      totalOnOther[mode].push(
        [...onOther.values()].reduce((sum, times) => sum + (times[mode][round] ?? 0), 0),
      );
  }
  const ratio = (times: Record<Mode, number[]>, mode: "warm" | "cold") =>
    `${median(times.ref.map((ms, round) => ms / (times[mode][round] ?? Number.NaN))).toFixed(1)}×`;
  const row = (name: string, tokens: number, times: Record<Mode, number[]>, other?: typeof totalOnOther) =>
    `| ${name} | ${tokens.toLocaleString("en-US")} | ${rate(tokens, median(times.warm))} | ${rate(tokens, median(times.cold))} | ${other ? rate(tokens, median(other.other)) : "—"} | ${rate(tokens, median(times.ref))} | ${ratio(times, "warm")} | ${ratio(times, "cold")} | ${other ? `${median(other.ref.map((ms, round) => ms / (other.other[round] ?? Number.NaN))).toFixed(1)}×` : "—"} |`;

  console.log(
    `\n${encoding}: identical counts: ${mismatches === 0 ? "yes" : `NO (${mismatches} samples)`}; load ms ours ${oursLoad.toFixed(0)} / js-tiktoken ${referenceLoad.toFixed(0)}\n`,
  );
  console.log(
    "| category | tokens | ours warm M tok/s | ours cold M tok/s | ours warm on other text M tok/s | js-tiktoken M tok/s | ratio warm | ratio cold | ratio warm on other text |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [category, { tokens }] of categories)
    console.log(row(category, tokens, perPass.get(category) ?? total, onOther.get(category)));
  const allTokens = [...categories.values()].reduce((sum, { tokens }) => sum + tokens, 0);
  console.log(`${row("**all**", allTokens, total, totalOnOther)}\n`);
  const interleavedRatio = median(
    interleaved.ref.map((ms, round) => ms / (interleaved.ours[round] ?? Number.NaN)),
  );
  console.log(
    `interleaved sample by sample (warm): ours ${rate(allTokens, median(interleaved.ours))}, js-tiktoken ${rate(allTokens, median(interleaved.ref))} M tok/s, ratio ${interleavedRatio.toFixed(1)}×\n`,
  );
  if (mismatches > 0) process.exitCode = 1;
}
console.log(
  `load average at end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
