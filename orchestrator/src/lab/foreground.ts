import { composeForeground } from '../runtime/compose.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { REPO_ROOT } from '../paths.js';
import { grafanaAvailable, grafanaImage, labDownArgs, labUpArgs } from './compose-lab.js';

export interface ForegroundLab {
  /** The Compose to run (`docker compose` or `docker-compose`), as composeCommand() found it. */
  readonly compose: readonly string[];
  /** Ctrl-C or SIGTERM: nothing in the lab is worth Compose's graceful stop. */
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
}

/**
 * The whole lab of the compose files in the foreground, until Compose ends or the signal aborts. On abort every
 * container, network and volume of the lab is killed and removed at once (Compose, in the same process group,
 * finds its containers gone and ends); when the lab ends by itself, Compose's own down. Either way everything
 * labelled is removed again at the end (Compose may have made a container while the first removal ran).
 * Resolves true when it ended on the signal.
 */
export async function foregroundLab(rt: ContainerRuntime, o: ForegroundLab): Promise<boolean> {
  const v1 = o.compose[0] === 'docker-compose';
  const grafana = await grafanaAvailable(rt);
  const onAbort = (): void => {
    o.say('\nsocklab lab: stopping; removing every container, network and volume of the lab');
    void rt.removeLabelled('lab').catch(() => {});
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const prometheus = `http://localhost:${process.env.SOCKLAB_PROMETHEUS_PORT ?? '9090'}`;
    if (grafana.ok) o.say(`socklab lab: starting; open http://localhost:${process.env.SOCKLAB_GRAFANA_PORT ?? '3000'} (Grafana) or ${prometheus} (Prometheus); Ctrl-C stops and removes the lab`);
    else o.say(`socklab lab: Grafana's image ${grafanaImage()} cannot be pulled here (${grafana.why}); starting the rest: Prometheus on ${prometheus}; Ctrl-C stops and removes the lab`);
    await composeForeground(o.compose, labUpArgs({ v1, grafana: grafana.ok }), REPO_ROOT, o.signal);
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    if (!o.signal.aborted) await composeForeground(o.compose, labDownArgs({ v1 }), REPO_ROOT);
    await rt.removeLabelled('lab');
  }
  return o.signal.aborted;
}
