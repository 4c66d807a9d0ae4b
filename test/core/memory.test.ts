import v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { favourMemory } from '../../src/core/memory.ts';

describe('favourMemory', () => {
  it('sets the V8 flag once, however often it is asked', () => {
    const spy = vi.spyOn(v8, 'setFlagsFromString');
    favourMemory();
    favourMemory();
    expect(spy.mock.calls.filter((c) => c[0] === '--optimize-for-size').length).toBeLessThanOrEqual(1);
    spy.mockRestore();
  });
});
