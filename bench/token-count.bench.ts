/**
 * Token counting throughput: the server's counting path (countText / countChat over gpt-tokenizer 4, what
 * POST /api/tokens/count and the MCP gateway's tokenBudget run) against js-tiktoken, the JS port of OpenAI's
 * tiktoken, in the same run. Goal (issue 15): ≥ 4× js-tiktoken's tokens/s with identical counts.
 *
 *   npm run bench:tokens        (= npx tsx bench/token-count.bench.ts, about a minute)
 *
 * Corpus: the token-count test corpus (code, prose, CJK, emoji, edge cases, seeded random text, chats) plus this
 * repository's docs and TypeScript sources, so nothing is downloaded. Every sample must count the same in both
 * (chats by OpenAI's cookbook rule over js-tiktoken); that pass is also the warm-up.
 *
 * Each round times every category as a block per candidate, in rotated order, after a full GC, so each pays for
 * its own garbage and not for the other's. A block repeats its category until it holds ~BLOCK_TOKENS tokens, so
 * small categories are not timer noise; totals weight each category by its size in the corpus. Ratio =
 * js-tiktoken's time ÷ ours in the same round, median of ROUNDS rounds.
 *
 * gpt-tokenizer keeps an LRU cache of merged pieces (its own, 100,000 entries, process-wide). "warm": the cache
 * holds the category's pieces, as a long-running server holds common ones; "cold": the cache is cleared
 * before every pass, so only repeats within one pass hit it, as for text of a kind the server never saw.
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

const ROUNDS = 3;
const BLOCK_TOKENS = 60_000;
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
function referenceCount(reference: Tiktoken, sample: Sample): number {
  const count = (text: string) => reference.encode(text, [], []).length;
  if ("text" in sample) return count(sample.text);
  let tokens = 3;
  for (const { role, content, name } of sample.messages) {
    tokens += 3 + count(role) + count(content) + (name === undefined ? 0 : count(name) + 1);
  }
  return tokens;
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
  const categories = new Map<string, { samples: Sample[]; tokens: number }>();
  let mismatches = 0;
  for (const sample of samples) {
    const a = oursCount(sample);
    const b = referenceCount(reference, sample);
    if (!a.exact) {
      console.log(`  ${encoding}: left out, counted in chunks: ${sample.name} (${a.tokens} vs ${b} tokens)`);
      continue;
    }
    if (a.tokens !== b) {
      mismatches++;
      console.log(`  ${encoding}: COUNT DIFFERS for ${sample.name}: ${a.tokens} vs js-tiktoken ${b}`);
    }
    const entry = categories.get(sample.category) ?? { samples: [], tokens: 0 };
    entry.samples.push(sample);
    entry.tokens += b;
    categories.set(sample.category, entry);
  }

  type Mode = "ref" | "warm" | "cold";
  const modes: Mode[] = ["ref", "warm", "cold"];
  const run: Record<Mode, (sample: Sample) => unknown> = {
    ref: (sample) => referenceCount(reference, sample),
    warm: oursCount,
    cold: oursCount,
  };
  /** ms per pass over the category, per mode, per round. */
  const perPass = new Map<string, Record<Mode, number[]>>();
  const interleaved = { ours: [] as number[], ref: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [category, { samples: block, tokens }] of categories) {
      const passes = Math.max(1, Math.round(BLOCK_TOKENS / tokens));
      const times = perPass.get(category) ?? { ref: [], warm: [], cold: [] };
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(i + round) % modes.length] as Mode;
        if (mode === "warm") for (const sample of block) oursCount(sample);
        gc();
        let ms = 0;
        for (let pass = 0; pass < passes; pass++) {
          if (mode === "cold") ours.clearMergeCache();
          const start = performance.now();
          for (const sample of block) run[mode](sample);
          ms += performance.now() - start;
        }
        times[mode].push(ms / passes);
      }
      perPass.set(category, times);
    }
    // The whole corpus sample by sample, alternating candidates: each starts every sample after the other's run.
    for (const { samples: block } of categories.values()) for (const sample of block) oursCount(sample);
    gc();
    let oursMs = 0;
    let referenceMs = 0;
    for (const { samples: block } of categories.values()) {
      for (const sample of block) {
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
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes)
      total[mode].push([...perPass.values()].reduce((sum, times) => sum + (times[mode][round] ?? 0), 0));
  }
  const ratio = (times: Record<Mode, number[]>, mode: "warm" | "cold") =>
    `${median(times.ref.map((ms, round) => ms / (times[mode][round] ?? Number.NaN))).toFixed(1)}×`;
  const row = (name: string, tokens: number, times: Record<Mode, number[]>) =>
    `| ${name} | ${tokens.toLocaleString("en-US")} | ${rate(tokens, median(times.warm))} | ${rate(tokens, median(times.cold))} | ${rate(tokens, median(times.ref))} | ${ratio(times, "warm")} | ${ratio(times, "cold")} |`;

  console.log(
    `\n${encoding}: identical counts: ${mismatches === 0 ? "yes" : `NO (${mismatches} samples)`}; load ms ours ${oursLoad.toFixed(0)} / js-tiktoken ${referenceLoad.toFixed(0)}\n`,
  );
  console.log(
    "| category | tokens | ours warm M tok/s | ours cold M tok/s | js-tiktoken M tok/s | ratio warm | ratio cold |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [category, { tokens }] of categories)
    console.log(row(category, tokens, perPass.get(category) ?? total));
  const allTokens = [...categories.values()].reduce((sum, { tokens }) => sum + tokens, 0);
  console.log(`${row("**all**", allTokens, total)}\n`);
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
