/**
 * State codec benchmark: how big a cached DashboardState is in browser storage, and what it costs to write
 * and read it, for our codec's encodings against lz-string (the baseline we did not pick) in the same run.
 *
 *   npx tsx bench/codec.bench.ts        (or: npm run bench:codec)
 *
 * Every candidate goes value → stored string → value, so JSON.stringify/parse are included everywhere and
 * our candidates pay for the envelope exactly as the web app will store it. Candidates run interleaved,
 * round after round, so that GC pauses and CPU frequency drift hit all of them alike.
 */
import os from "node:os";
import { isDeepStrictEqual } from "node:util";
import LZString from "lz-string";
import {
  decodeState,
  encodeState,
  parseEncodedState,
  type StateEncoding,
  serializeEncodedState,
} from "../packages/protocol/src/codec/index.js";
import { makeDashboardState } from "./fixtures/dashboard-state.js";

const TARGET_SIZES = [5_000, 50_000];
const WARMUP_ROUNDS = 30;
const MAX_ROUNDS = 400;
/** Per size; with the warm-up this keeps a whole run well under a minute on a 2-core machine. */
const TIME_BUDGET_MS = 12_000;
const BASELINE = "lz-string compressToUTF16";

interface Candidate {
  name: string;
  encode(value: unknown): string;
  decode(stored: string): unknown;
}

const ourCodec = (enc: StateEncoding): Candidate => ({
  name: `codec ${enc}`,
  encode: (value) => serializeEncodedState(encodeState(value, { enc })),
  decode: (stored) => decodeState(parseEncodedState(stored)),
});

const CANDIDATES: Candidate[] = [
  {
    name: BASELINE,
    encode: (value) => LZString.compressToUTF16(JSON.stringify(value)),
    decode: (stored) => JSON.parse(LZString.decompressFromUTF16(stored)),
  },
  {
    name: "lz-string compressToBase64",
    encode: (value) => LZString.compressToBase64(JSON.stringify(value)),
    decode: (stored) => JSON.parse(LZString.decompressFromBase64(stored)),
  },
  ourCodec("zlib-utf16"),
  ourCodec("zlib-base64"),
  ourCodec("deflate-base64"),
  {
    name: "plain JSON (no compression)",
    encode: (value) => JSON.stringify(value),
    decode: (stored) => JSON.parse(stored),
  },
];

interface Samples {
  encodeMs: number[];
  decodeMs: number[];
}

interface Row {
  name: string;
  chars: number;
  storedBytes: number;
  encodeMs: number;
  decodeMs: number;
}

/**
 * Bytes a string occupies where Chromium keeps it (localStorage and IndexedDB alike): 1 byte per character
 * when every character fits in Latin-1 (base64, ASCII JSON), else 2 bytes per UTF-16 unit.
 */
function storedBytes(stored: string): number {
  for (let i = 0; i < stored.length; i++) {
    if (stored.charCodeAt(i) > 0xff) return stored.length * 2;
  }
  return stored.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeMs<T>(run: () => T): [T, number] {
  const started = performance.now();
  const result = run();
  return [result, performance.now() - started];
}

/** Aborts the whole run: a candidate that does not give back the same state has no business being timed. */
function assertRoundTrip(candidate: Candidate, state: unknown): string {
  const stored = candidate.encode(state);
  if (!isDeepStrictEqual(candidate.decode(stored), state)) {
    throw new Error(`${candidate.name} did not round-trip the state; aborting`);
  }
  return stored;
}

function runRounds(state: unknown, stored: readonly string[]): { samples: Samples[]; rounds: number } {
  const samples: Samples[] = CANDIDATES.map(() => ({ encodeMs: [], decodeMs: [] }));
  const started = performance.now();
  let rounds = 0;
  for (let round = 0; round < WARMUP_ROUNDS + MAX_ROUNDS; round++) {
    if (round >= WARMUP_ROUNDS && performance.now() - started > TIME_BUDGET_MS) break;
    CANDIDATES.forEach((candidate, i) => {
      const [, encodeMs] = timeMs(() => candidate.encode(state));
      const [, decodeMs] = timeMs(() => candidate.decode(stored[i]!));
      if (round >= WARMUP_ROUNDS) {
        samples[i]!.encodeMs.push(encodeMs);
        samples[i]!.decodeMs.push(decodeMs);
      }
    });
    if (round >= WARMUP_ROUNDS) rounds++;
  }
  return { samples, rounds };
}

function measure(targetBytes: number): { jsonBytes: number; rows: Row[]; rounds: number } {
  const state = makeDashboardState(targetBytes);
  const jsonBytes = new TextEncoder().encode(JSON.stringify(state)).length;
  const stored = CANDIDATES.map((candidate) => assertRoundTrip(candidate, state));
  const { samples, rounds } = runRounds(state, stored);
  const rows = CANDIDATES.map((candidate, i) => ({
    name: candidate.name,
    chars: stored[i]!.length,
    storedBytes: storedBytes(stored[i]!),
    encodeMs: median(samples[i]!.encodeMs),
    decodeMs: median(samples[i]!.decodeMs),
  }));
  return { jsonBytes, rows, rounds };
}

const ratio = (value: number, reference: number) => (value / reference).toFixed(2);
const ms = (value: number) => value.toFixed(value < 1 ? 3 : 2);

function table(jsonBytes: number, rows: readonly Row[]): string {
  const base = rows.find((row) => row.name === BASELINE)!;
  const header = [
    "candidate",
    "chars",
    "stored B",
    "vs JSON",
    "size vs lz",
    "encode ms",
    "enc vs lz",
    "decode ms",
    "dec vs lz",
  ];
  const cells = rows.map((row) => [
    row.name,
    String(row.chars),
    String(row.storedBytes),
    ratio(row.storedBytes, jsonBytes),
    ratio(row.storedBytes, base.storedBytes),
    ms(row.encodeMs),
    ratio(row.encodeMs, base.encodeMs),
    ms(row.decodeMs),
    ratio(row.decodeMs, base.decodeMs),
  ]);
  return markdownTable(header, cells);
}

/** Aligned the way Biome formats markdown, so the table can be pasted into docs/benchmarks.md as is. */
function markdownTable(header: readonly string[], cells: readonly string[][]): string {
  const widths = header.map((title, col) => Math.max(title.length, ...cells.map((row) => row[col]!.length)));
  // Headers are left-aligned; in the body the first column is text (left), the others numbers (right).
  const line = (row: readonly string[]) => `| ${row.join(" | ")} |`;
  const headerRow = header.map((title, col) => title.padEnd(widths[col]!));
  const rule = widths.map((width, col) => (col === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`));
  const body = cells.map((row) =>
    row.map((text, col) => (col === 0 ? text.padEnd(widths[col]!) : text.padStart(widths[col]!))),
  );
  return [line(headerRow), line(rule), ...body.map(line)].join("\n");
}

function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.platform()}/${os.arch()}`;
}

function main(): void {
  console.log("# Codec benchmark (bench/codec.bench.ts)\n");
  console.log(machineLine());
  console.log(
    [
      "stored B: bytes of the stored string as Chromium keeps it in localStorage/IndexedDB: 1 byte per char when",
      "every char is Latin-1 (base64, most JSON), else 2 bytes per UTF-16 char (lz-string UTF16, zlib-utf16, JSON",
      'with one "—"). chars: string length, for engines that count quota in characters. vs JSON: stored B ÷',
      "UTF-8 bytes of the JSON. Times: medians per call, value → stored string and back, JSON.stringify/parse",
      "and our envelope included. Ratios below 1 beat the baseline, lz-string compressToUTF16.",
    ].join("\n"),
  );
  for (const target of TARGET_SIZES) {
    const { jsonBytes, rows, rounds } = measure(target);
    console.log(
      `\n## ~${target / 1000} KB state: ${jsonBytes} bytes of JSON, ${rounds} rounds after ${WARMUP_ROUNDS} warm-up\n`,
    );
    console.log(table(jsonBytes, rows));
  }
}

main();
