// A fast first reading of a YAML file as plain data, with no positions.
//
// The full parser (the `yaml` package) keeps where every value was written, which is what an error
// message needs, but it builds a node for every scalar: for the shipped upgrade (655 KB over 45
// files) that was 40 % of what `validate` spent. A runbook that is well formed, which is nearly
// every one, only needs its positions when a problem is found. So js-yaml reads it first, and the
// full parser runs only when a position is asked for, or when this reading declines.
//
// This reading must never give a different value from the full one: it declines (returns
// undefined) on anything where the two could differ, and the caller then parses the file fully.
import jsyaml from 'js-yaml';

// The YAML 1.2 core schema, exactly as the `yaml` package resolves plain scalars with its default
// options (yaml/dist/schema/core and schema/common/null.js): js-yaml's own core schema also accepts
// `_` in numbers and `0b` binary, which YAML 1.2 reads as strings.
const nullType = new jsyaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || /^(?:~|[Nn]ull|NULL)?$/.test(data),
  construct: () => null,
});

const boolType = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(data),
  construct: (data: string) => data[0] === 't' || data[0] === 'T',
});

const INT_DECIMAL = /^[-+]?[0-9]+$/;
const INT_OCTAL = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const intType = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (INT_DECIMAL.test(data) || INT_OCTAL.test(data) || INT_HEX.test(data)),
  construct: (data: string) => (INT_OCTAL.test(data) ? parseInt(data.slice(2), 8) : INT_HEX.test(data) ? parseInt(data.slice(2), 16) : parseInt(data, 10)),
});

const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXPONENT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_POINT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const floatType = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (FLOAT_SPECIAL.test(data) || FLOAT_EXPONENT.test(data) || FLOAT_POINT.test(data)),
  construct: (data: string) => {
    if (!FLOAT_SPECIAL.test(data)) return parseFloat(data);
    if (data.slice(-3).toLowerCase() === 'nan') return NaN;
    return data[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  },
});

// No merge (`<<`), timestamp, binary, set or omap types: under YAML 1.2 they are not resolved
// implicitly, and an explicit tag for one makes js-yaml throw, which hands the file to the full parser.
const CORE = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

const DIRECTIVE = /^%/m;

// `&name` where YAML reads an anchor: after a space, an indicator or the line's start (not `&&`).
const ANCHOR = /(?:^|[\s:,[{-])&[^\s,[\]{}&]/m;

/**
 * The document as plain data, or undefined when the full parser must decide: a syntax error, more
 * than one document, a directive, a tag, or a key the two parsers turn into different strings.
 */
export function readPlainYaml(text: string): { value: unknown } | undefined {
  // A directive (`%YAML 1.1` changes how `yes` and `0777` read; `%TAG` names tags) is the full parser's.
  if (DIRECTIVE.test(text)) return undefined;
  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: CORE, json: false });
  } catch {
    return undefined;
  }
  try {
    // Only an anchor lets a value appear twice (or inside itself): without one, no value is met
    // twice and the walk keeps no record of what it met.
    if (!keysAgree(value, ANCHOR.test(text) ? new Set() : undefined)) return undefined;
  } catch {
    // Too deep to walk (or an anchor the test missed made a cycle): the full parser decides.
    return undefined;
  }
  // An empty document: the full parser reads null.
  return { value: value === undefined ? null : value };
}

/**
 * js-yaml turns a null key into "null" and a collection key into "[object Object]" or "a,b"; the
 * full parser into "" and YAML text. `{{ name }}` written unquoted is such a collection key, and
 * the full parser's reading reports it. Decline on any key of that sort; also on an implicit key
 * over 1024 characters, which YAML forbids and js-yaml lets through.
 */
function keysAgree(value: unknown, seen: Set<object> | undefined): boolean {
  if (value === null || typeof value !== 'object' || seen?.has(value)) return true;
  seen?.add(value);
  if (Array.isArray(value)) return value.every((item) => keysAgree(item, seen));
  for (const key of Object.keys(value)) {
    if (key === 'null' || key.length > 1024 || key.includes('[object Object]') || key.includes(',')) return false;
    if (!keysAgree((value as Record<string, unknown>)[key], seen)) return false;
  }
  return true;
}
