import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fmt } from './lang.js';

describe('numbers as the reports write them', () => {
  it('axis ticks keep small values apart (0.0003 cores is not 0) in both languages', () => {
    const ticks = [0, 0.0003, 0.0006, 0.0009, 0.0012];
    assert.deepEqual(ticks.map((v) => fmt('en').tick(v)), ['0', '0.0003', '0.0006', '0.0009', '0.0012']);
    assert.deepEqual(ticks.map((v) => fmt('pt-BR').tick(v)), ['0', '0,0003', '0,0006', '0,0009', '0,0012']);
    assert.deepEqual([0.5, 1, 1.5, 2500].map((v) => fmt('pt-BR').tick(v)), ['0,5', '1', '1,5', '2.500']);
  });
});
