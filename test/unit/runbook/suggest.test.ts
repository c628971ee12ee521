// Did-you-mean: the likely intent, never the word itself, and short field names get one when
// exactly one field is a single edit away.
import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../src/runbook/suggest.js';

describe('didYouMean', () => {
  it('never suggests the word it was given', () => {
    expect(didYouMean('name', ['name', 'names'])).toBe('names');
    expect(didYouMean('name', ['name'])).toBeUndefined();
  });

  it('suggests for a two-letter field name when one field is one edit away', () => {
    expect(didYouMean('fr', ['for', 'failWhen', 'timeout'], { short: true })).toBe('for');
    expect(didYouMean('fr', ['for', 'fry'], { short: true })).toBeUndefined();
    // Among the names an expression reads, a short word is left alone: "it" is not "int".
    expect(didYouMean('it', ['int', 'items'])).toBeUndefined();
  });

  it('keeps the long-word rules', () => {
    expect(didYouMean('comand', ['command', 'shell'])).toBe('command');
    expect(didYouMean('<<', ['id'], { short: true })).toBeUndefined();
  });
});
