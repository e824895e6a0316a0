import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_OPTIONS, renderConfigTable } from "../../src/config.js";

const read = (path: string) => readFileSync(new URL(`../../../../${path}`, import.meta.url), "utf8");

describe("documentation stays true", () => {
  it("docs/configuration.md carries the generated option table (run `npm run docs:config` after changing options)", () => {
    expect(read("docs/configuration.md")).toContain(renderConfigTable());
  });

  it("the README names the two set-up commands and links the configuration docs", () => {
    const readme = read("README.md");
    expect(readme).toContain("npm start");
    expect(readme).toContain("npm test");
    expect(readme).toContain("docs/configuration.md");
    for (const option of CONFIG_OPTIONS.filter((o) => o.flag)) expect(readme).toContain(option.flag!);
  });
});
