// The string formats of ours a step schema may name, which no other JSON Schema tool knows. Kept
// apart from the checker so that validators generated at build time (schema-compile.ts) can import
// them without the rest of it.
import semver from 'semver';

export interface OwnFormat {
  type: 'string';
  /** What a value of this format is, for messages. */
  word: string;
  validate: (s: string) => boolean;
}

// A templated value is not checked at load time (the caller's `ignore` skips it) but once
// rendered, at run time, like every other rule of the schema.
export const FORMATS: Record<string, OwnFormat> = {
  // A range semver.satisfies can use: one it cannot parse matches no version, so a wait would never end.
  semverRange: { type: 'string', word: 'semver range (e.g. ">=3.3.2 <3.4.0")', validate: (s) => semver.validRange(s) !== null },
};

export const OWN_FORMATS: ReadonlySet<string> = new Set(Object.keys(FORMATS));
