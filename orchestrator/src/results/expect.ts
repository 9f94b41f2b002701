import { OUTCOMES } from '@socklab/shared';
import { EXPECTATION_KEYS, type Bound, type ExpectationKey } from '@socklab/shared/scenario';
import { trialMeasures, type TrialMeasures } from './measures.js';
import type { ExpectationCheck, Results } from './types.js';

function measured(m: TrialMeasures, key: ExpectationKey): number | null {
  if ((OUTCOMES as readonly string[]).includes(key)) return m.outcomes[key as (typeof OUTCOMES)[number]];
  const sum = (f: (s: TrialMeasures['servers'][number]) => number | null): number | null => {
    const xs = m.servers.map(f).filter((x): x is number => x !== null);
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0);
  };
  const peak = (f: (s: TrialMeasures['servers'][number]) => number | null): number | null => {
    const xs = m.servers.map(f).filter((x): x is number => x !== null);
    return xs.length === 0 ? null : Math.max(...xs);
  };
  switch (key) {
    case 'listenOverflows':
      return sum((s) => s.listenOverflows);
    case 'acceptQueuePeak':
      return peak((s) => s.acceptQueuePeak);
    case 'threadsPeak':
      return peak((s) => s.threadsPeak);
    case 'inServicePeak':
      return peak((s) => s.inServicePeak);
    case 'completionMs':
      return m.completionMs;
    case 'oomKills':
      return m.servers.filter((s) => s.oomKilled).length;
    default:
      return null;
  }
}

function describeBound(b: Bound): string {
  if (typeof b === 'number') return `= ${b}`;
  if (b.min !== undefined && b.max !== undefined) return `${b.min}..${b.max}`;
  if (b.min !== undefined) return `>= ${b.min}`;
  return `<= ${b.max}`;
}

const within = (v: number, b: Bound): boolean => (typeof b === 'number' ? v === b : (b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max));

/** Check a scenario's stated expectations against every trial (each repetition must meet them). */
export function checkExpectations(r: Pick<Results, 'plan' | 'trials'>): ExpectationCheck[] {
  const expect = r.plan.scenario.expect;
  if (!expect) return [];
  const out: ExpectationCheck[] = [];
  for (const t of r.trials) {
    const m = trialMeasures(t);
    for (const key of EXPECTATION_KEYS) {
      const b = expect[key];
      if (b === undefined) continue;
      const v = measured(m, key);
      out.push({ trial: t.id, key, expected: describeBound(b), measured: v, met: v !== null && within(v, b) });
    }
  }
  return out;
}
