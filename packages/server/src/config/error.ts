/**
 * A configuration the server refuses to start with. The CLI prints `message` as the single line the user
 * sees, so it always names the setting as the user wrote it (env var, `--flag` or `key in <file>`) and
 * what would have been accepted.
 */
export class ConfigError extends Error {
  readonly code = "config_invalid";
  /** The setting as the user wrote it: `AGENTBOARD_PORT`, `--port`, `port in /etc/agentboard.json`. */
  readonly option: string;

  constructor(option: string, message: string) {
    // One line, whatever a JSON parser or the OS put into the text: log shippers split on newlines.
    super(message.replace(/\s*[\r\n]+\s*/g, " ").trim());
    this.name = "ConfigError";
    this.option = option;
  }
}
