import type { Direction, KernelOffers, ShapingConfig, ShapingMethod } from '@socklab/shared';

/** What this namespace's kernel offers (detected at start, or told by KERNEL_OFFERS). */
export type Capabilities = KernelOffers;

export type Effect = 'delay' | 'jitter' | 'loss' | 'rate';
export type How = 'netem' | 'nfqueue' | 'tbf' | 'ifb+netem' | 'ifb+tbf' | 'none';

export interface EffectPlan {
  readonly effect: Effect;
  readonly direction: Exclude<Direction, 'both'>;
  readonly how: How;
  readonly real: boolean;
}

export interface ShapingPlan {
  readonly method: ShapingMethod;
  readonly effects: readonly EffectPlan[];
}

/**
 * Choose how to apply each requested effect: netem where the kernel has it (ingress through ifb), else the
 * NFQUEUE helper for delay, jitter and loss (it sees both directions through INPUT and OUTPUT) and tbf for rate
 * (ingress through ifb). An effect nothing here can apply is listed with real=false, never silently dropped.
 */
export function choosePlan(cfg: ShapingConfig, caps: Capabilities): ShapingPlan {
  const method: ShapingMethod = caps.netem ? 'netem' : caps.nfqueue ? 'nfqueue' : 'none';
  const directions: Array<Exclude<Direction, 'both'>> = cfg.direction === 'both' ? ['egress', 'ingress'] : [cfg.direction];
  const requested: Effect[] = [];
  if (cfg.delayMs > 0) requested.push('delay');
  if (cfg.jitterMs > 0) requested.push('jitter');
  if (cfg.loss > 0) requested.push('loss');
  if (cfg.rateBps !== null) requested.push('rate');

  const effects: EffectPlan[] = [];
  for (const direction of directions) {
    for (const effect of requested) {
      const how = howFor(effect, direction, caps);
      effects.push({ effect, direction, how, real: how !== 'none' });
    }
  }
  return { method, effects };
}

function howFor(effect: Effect, direction: 'egress' | 'ingress', caps: Capabilities): How {
  if (caps.netem) {
    if (direction === 'egress') return 'netem';
    return caps.ifb ? 'ifb+netem' : caps.nfqueue && effect !== 'rate' ? 'nfqueue' : 'none';
  }
  if (effect === 'rate') {
    if (!caps.tbf) return 'none';
    if (direction === 'egress') return 'tbf';
    return caps.ifb ? 'ifb+tbf' : 'none';
  }
  return caps.nfqueue ? 'nfqueue' : 'none';
}

/** One line per effect for the log: what is real and what is not available. */
export function describePlan(plan: ShapingPlan): string[] {
  if (plan.effects.length === 0) return ['no shaping requested'];
  return plan.effects.map(
    (e) => `${e.effect} ${e.direction}: ${e.real ? `applied with ${e.how}` : 'NOT AVAILABLE on this kernel (no netem, no fallback for it)'}`,
  );
}
