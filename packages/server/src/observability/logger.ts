import pino, { type Logger } from "pino";

/**
 * Structured logs without secrets: credentials in headers, cookies and bodies are redacted at the logger, so
 * no code path can leak them by logging a request by mistake.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-metrics-key"]',
  'res.headers["set-cookie"]',
  "token",
  "secret",
  "code",
  "*.token",
  "*.secret",
  "*.password",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, destination);
}
