// JSON the build saves for the loader to read back (the shipped runbooks' data and expressions),
// escaped to ASCII: the loader reads it as Latin-1, which is the same text, sooner than UTF-8.
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
