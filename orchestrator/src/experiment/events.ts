import type { Outcome } from '@socklab/shared';

/** What a run reports as it goes. The terminal display is one subscriber, `--json` mode another. */
export type RunEvent =
  | { readonly type: 'phase'; readonly trial: string; readonly trials: number; readonly phase: Phase; readonly detail: string }
  | {
      readonly type: 'live';
      readonly trial: string;
      readonly elapsedMs: number;
      readonly outcomes: Readonly<Record<Outcome, number>>;
      readonly inFlight: number;
      readonly acceptQueue: number | null;
      readonly acceptQueueMax: number | null;
    }
  | { readonly type: 'line'; readonly trial: string; readonly source: string; readonly text: string }
  | { readonly type: 'warn'; readonly message: string };

const PHASES = ['network', 'servers', 'ready', 'swarm', 'collect', 'cleanup', 'done'] as const;
export type Phase = (typeof PHASES)[number];

export type Emit = (e: RunEvent) => void;
