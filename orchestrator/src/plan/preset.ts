import { presetFields, type SwarmPreset } from '@socklab/shared';
import type { SwarmInput } from '@socklab/shared/scenario';

/**
 * A swarm with its preset spelled out as the scenario's own fields (those it sets itself win), so the plan sizes
 * it, bounds it and hands it to a cell by what it really does: c100k's 4-minute bound and hold included.
 */
export function spellPreset(sw: SwarmInput): SwarmInput {
  if (sw.preset === undefined) return sw;
  const given = Object.fromEntries(Object.entries(sw).filter(([k, v]) => k !== 'preset' && v !== undefined));
  return { ...presetFields(sw.preset as SwarmPreset), ...given } as SwarmInput;
}

