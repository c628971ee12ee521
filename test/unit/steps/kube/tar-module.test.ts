// The tar library is loaded on first use and then reused: packing and unpacking steps get the
// real library, the same one each time.
import { describe, expect, it } from 'vitest';
import { tarModule } from '../../../../src/steps/kube/tar-module.js';

describe('tarModule', () => {
  it('loads the tar library once', () => {
    const first = tarModule();
    expect(typeof first.Pack).toBe('function');
    expect(typeof first.Parser).toBe('function');
    expect(tarModule()).toBe(first);
  });
});
