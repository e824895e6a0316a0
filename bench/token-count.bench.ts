/**
 * Token counting throughput: the server's counting path (gpt-tokenizer 4 behind encodeBounded, what
 * POST /api/tokens/count and the MCP gateway's tokenBudget run) against js-tiktoken, the JS port of OpenAI's
 * tiktoken, in the same run. Goal (issue 15): ≥ 4× js-tiktoken's tokens/s with identical counts.
 *
 *   npx tsx bench/token-count.bench.ts        (or: npm run bench:tokens)
 *
 * Corpus: the token-count test corpus (code, prose, CJK, emoji, edge cases, seeded random text) plus this
 * repository's docs and TypeScript sources, so nothing is downloaded. Every sample is counted by both;
 * candidates alternate within a round so CPU frequency drift and GC hit both alike. 3 rounds, median reported.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { getEncoding } from "js-tiktoken";
import { encodeBounded, loadEncoder } from "../packages/server/src/tokens/token-counter.js";
import { textCorpus } from "../packages/server/test/tokens/corpus.js";

const ROUNDS = 3;
const ENCODINGS = ["o200k_base", "cl100k_base"] as const;

const repoFiles = execFileSync("git", ["ls-files", "docs/*.md", "packages/*/src/**/*.ts", "README.md"], {
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);
const named = [
  ...textCorpus().map((s) => [s.name, s.text] as const),
  ...repoFiles.map((file) => [file, readFileSync(file, "utf8")] as const),
].filter(([, text]) => text.length > 0);
const names = named.map(([name]) => name);
const samples = named.map(([, text]) => text);
const chars = samples.reduce((sum, text) => sum + text.length, 0);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

console.log(`token-count bench: ${samples.length} samples, ${(chars / 1e6).toFixed(2)} M UTF-16 units`);
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}\n`);

const rows: string[] = [];
for (const encoding of ENCODINGS) {
  let t = performance.now();
  const ours = await loadEncoder(encoding);
  const oursLoad = performance.now() - t;
  t = performance.now();
  const reference = getEncoding(encoding);
  const referenceLoad = performance.now() - t;

  // Counts first (also warms both up): every sample must count the same. A sample with a run over
  // MAX_EXACT_PIECE is counted in chunks on purpose (exact: false): it is left out and reported.
  let tokens = 0;
  let mismatches = 0;
  const excluded: string[] = [];
  const timed: string[] = [];
  for (const [i, text] of samples.entries()) {
    const a = encodeBounded(ours, encoding, text);
    const b = reference.encode(text, [], []).length;
    if (!a.exact) {
      excluded.push(`${names[i]} (${a.tokens.length} vs ${b} tokens)`);
      continue;
    }
    if (a.tokens.length !== b) mismatches++;
    tokens += b;
    timed.push(text);
  }
  if (excluded.length > 0) console.log(`  ${encoding}: left out, counted in chunks: ${excluded.join(", ")}`);

  const oursRates: number[] = [];
  const referenceRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let oursMs = 0;
    let referenceMs = 0;
    for (const text of timed) {
      let start = performance.now();
      encodeBounded(ours, encoding, text);
      oursMs += performance.now() - start;
      start = performance.now();
      reference.encode(text, [], []);
      referenceMs += performance.now() - start;
    }
    oursRates.push(tokens / (oursMs / 1000));
    referenceRates.push(tokens / (referenceMs / 1000));
    ratios.push(referenceMs / oursMs);
    console.log(
      `${encoding} round ${round + 1}: gpt-tokenizer ${(tokens / (oursMs / 1000) / 1e6).toFixed(2)} M tok/s, js-tiktoken ${(tokens / (referenceMs / 1000) / 1e6).toFixed(2)} M tok/s`,
    );
  }
  // The ratio of the same round (same machine state), median over rounds.
  const ratio = median(ratios);
  rows.push(
    `| ${encoding} | ${tokens.toLocaleString("en-US")} | ${(median(oursRates) / 1e6).toFixed(2)} | ${(median(referenceRates) / 1e6).toFixed(2)} | ${ratio.toFixed(1)}× | ${mismatches === 0 ? "yes" : `no (${mismatches})`} | ${oursLoad.toFixed(0)} / ${referenceLoad.toFixed(0)} |`,
  );
}

console.log(
  "\n| encoding | tokens | gpt-tokenizer M tok/s | js-tiktoken M tok/s | ratio | identical counts | load ms (ours / js-tiktoken) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | :---: | ---: |");
for (const row of rows) console.log(row);
