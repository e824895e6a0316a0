/**
 * Tool-name patterns of `allow`, `deny` and `requireApproval`: `*` matches any run of characters, anything
 * else matches itself (case-sensitive, as MCP tool names are). `delete_*` matches `delete_entities`.
 */
export function matchesPattern(name: string, pattern: string): boolean {
  const parts = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(name);
}

export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchesPattern(name, pattern));
}
