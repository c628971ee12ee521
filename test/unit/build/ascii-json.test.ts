// What the build saves for the loader is JSON in ASCII, read back as Latin-1 to the same value.
import { describe, expect, it } from 'vitest';
import { asciiJson } from '../../../src/build/ascii-json.js';

describe('asciiJson', () => {
  it('escapes every character past ASCII, and reads back as Latin-1 to the same value', () => {
    const value = { name: 'café', quote: '“x”', emoji: '🙂', plain: 'a"b\\c' };
    const text = asciiJson(value);
    expect(text).toBe('{"name":"caf\\u00e9","quote":"\\u201cx\\u201d","emoji":"\\ud83d\\ude42","plain":"a\\"b\\\\c"}');
    expect(JSON.parse(Buffer.from(text, 'utf8').toString('latin1'))).toEqual(value);
  });
});
