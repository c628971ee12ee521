// Secret values never reach logs, state files or reports: every text that leaves the process
// passes through the redactor of its run.

export const REDACTED = '<redacted>';

export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: readonly string[] = []) {
    // Longest first, so a secret that contains another is replaced whole. Very short values would
    // blank out unrelated text; they are still replaced, because leaking them is worse.
    this.secrets = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  }

  add(secret: string): void {
    if (secret && !this.secrets.includes(secret)) {
      this.secrets.push(secret);
      this.secrets.sort((a, b) => b.length - a.length);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
      // The JSON form of a secret with quotes or backslashes differs from the raw one.
      const json = JSON.stringify(s).slice(1, -1);
      if (json !== s && out.includes(json)) out = out.split(json).join(REDACTED);
    }
    return out;
  }

  redactValue<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    return JSON.parse(this.redact(JSON.stringify(value))) as T;
  }
}
