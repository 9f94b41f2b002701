import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, formatRefusal, SERVER_METRICS_PORT, type Refusal, type ShapingConfig } from '@socklab/shared';
import { choosePlan, describePlan, type Capabilities, type ShapingPlan } from './plan.js';
import { HELPER, NfqueueHelper, QUEUE } from './nfqueue.js';
import { labInterfaces, must, run } from './system.js';

const IFB = 'socklab-ifb0';
const CHAIN_IN = 'SOCKLAB-IN';
const CHAIN_OUT = 'SOCKLAB-OUT';
/**
 * The lab's observation traffic is never shaped, either way: the server's metrics, the probe's, and those of
 * swarms run in the server's namespace (9466 up), so dashboards and the control endpoint keep working.
 */
const UNSHAPED_PORTS = `${SERVER_METRICS_PORT}:${SERVER_METRICS_PORT + 16}`;

/**
 * Which port of a packet says it is observation traffic. These ports are the server side's: on the link, what
 * leaves has them as source and what arrives as destination. Matching either port would also pass unshaped a
 * lab client whose ephemeral port happens to fall among them (the swarm's range is 1024-65535: about one
 * connection in 3,800). On loopback both ends are in the namespace, so either port counts.
 */
export function unshapedMatch(iface: string, dir: 'egress' | 'ingress'): string[] {
  const which = iface === 'lo' ? '--ports' : dir === 'egress' ? '--sports' : '--dports';
  return ['-m', 'multiport', which, UNSHAPED_PORTS];
}

/** Find out what this kernel offers: netem, ifb, tbf, NFQUEUE (the helper and iptables). */
export async function detectCapabilities(iface: string): Promise<Capabilities> {
  // The root-qdisc trials share the interface and go one after the other; the rest are independent.
  const qdiscs = async (): Promise<{ netem: boolean; tbf: boolean }> => {
    const netem = (await run('tc', ['qdisc', 'add', 'dev', iface, 'root', 'netem', 'delay', '0ms'])).ok;
    if (netem) await run('tc', ['qdisc', 'del', 'dev', iface, 'root']);
    const tbf = (await run('tc', ['qdisc', 'add', 'dev', iface, 'root', 'tbf', 'rate', '1gbit', 'burst', '64kb', 'latency', '50ms'])).ok;
    if (tbf) await run('tc', ['qdisc', 'del', 'dev', iface, 'root']);
    return { netem, tbf };
  };
  const link = async (): Promise<boolean> => {
    const ok = (await run('ip', ['link', 'add', IFB, 'type', 'ifb'])).ok;
    if (ok) await run('ip', ['link', 'del', IFB]);
    return ok;
  };
  const [{ netem, tbf }, ifb, iptables] = await Promise.all([qdiscs(), link(), run('iptables', ['-S'])]);
  return { netem, ifb, nfqueue: existsSync(HELPER) && iptables.ok, tbf };
}

/**
 * Whether a namespace holds shaping of socklab's (a previous probe's, left behind by a crash): our chains, our
 * ifb, or a netem, tbf or ingress qdisc on a lab interface. A fresh namespace holds none, and needs no clearing.
 */
export async function leftovers(ifaces: readonly string[]): Promise<boolean> {
  const [rules, links, ...qdiscs] = await Promise.all([
    run('iptables', ['-S']),
    run('ip', ['-o', 'link', 'show']),
    ...ifaces.map((i) => run('tc', ['qdisc', 'show', 'dev', i])),
  ]);
  return rules.output.includes('SOCKLAB') || links.output.includes(IFB) || qdiscs.some((q) => /\b(netem|tbf|ingress)\b/.test(q.output));
}

/**
 * Applies shaping to the namespace it shares with the server, and removes all of it on `clear`:
 * qdiscs on the lab interfaces and the ifb, the SOCKLAB chains, the helper.
 */
export class Shaper {
  private readonly helper: NfqueueHelper;
  private current: ShapingConfig | undefined;
  /** What there may be to remove: nothing after a clear or in a fresh namespace (`leftovers` says). */
  private dirty = { link: true, refusal: true };
  plan: ShapingPlan = { method: 'none', effects: [] };

  constructor(
    readonly caps: Capabilities,
    readonly labPort: number,
    private readonly ifaces: string[] = labInterfaces(),
    seed?: number,
  ) {
    this.helper = new NfqueueHelper(seed);
  }

  get helperStats(): NfqueueHelper['stats'] {
    return this.helper.stats;
  }

  get config(): ShapingConfig | undefined {
    return this.current;
  }

  async apply(cfg: ShapingConfig): Promise<ShapingPlan> {
    if (cfg.refusal.kind === 'abort-on-overflow') checkAbortOnOverflow();
    const plan = choosePlan(cfg, this.caps);
    const prev = this.current;
    // Only the helper's parameters changed: tell it, nothing else moves (takes effect at the next packet).
    if (prev && this.helper.running && sameExceptHelperParams(prev, cfg) && plan.method === 'nfqueue') {
      this.helper.set(cfg.delayMs * 1000, cfg.jitterMs * 1000, cfg.loss * 1e6);
    } else {
      await this.clearLink();
      this.dirty.link = true;
      await this.applyLink(cfg, plan);
    }
    await this.applyRefusal(cfg.refusal);
    this.current = cfg;
    this.plan = plan;
    for (const line of describePlan(plan)) console.log(`socklab probe: shaping: ${line}`);
    console.log(`socklab probe: refusal policy: ${formatRefusal(cfg.refusal)}`);
    return plan;
  }

  private async applyLink(cfg: ShapingConfig, plan: ShapingPlan): Promise<void> {
    const uses = (how: string, direction?: string): boolean =>
      plan.effects.some((e) => e.how === how && (direction === undefined || e.direction === direction));
    const rate = cfg.rateBps === null ? [] : ['rate', `${Math.round(cfg.rateBps)}bit`];
    const netemArgs = [
      ...(cfg.delayMs > 0 ? ['delay', `${cfg.delayMs}ms`, ...(cfg.jitterMs > 0 ? [`${cfg.jitterMs}ms`] : [])] : []),
      ...(cfg.loss > 0 ? ['loss', `${+(cfg.loss * 100).toFixed(4)}%`] : []),
    ];
    const tbf = (bps: number): string[] => {
      // A burst of at least 10 ms at the rate (and one MTU), a queue of 100 ms: what tc-tbf(8) suggests.
      const burst = Math.max(1600, Math.ceil(bps / 8 / 100));
      return ['tbf', 'rate', `${Math.round(bps)}bit`, 'burst', String(burst), 'latency', '100ms'];
    };
    const egress = cfg.direction !== 'ingress';
    const ingress = cfg.direction !== 'egress';

    for (const iface of this.ifaces) {
      if (egress && uses('netem', 'egress')) await must('tc', ['qdisc', 'replace', 'dev', iface, 'root', 'netem', ...netemArgs, ...rate]);
      if (egress && uses('tbf', 'egress') && cfg.rateBps !== null) await must('tc', ['qdisc', 'replace', 'dev', iface, 'root', ...tbf(cfg.rateBps)]);
    }
    if (ingress && (uses('ifb+netem') || uses('ifb+tbf'))) {
      await must('ip', ['link', 'add', IFB, 'type', 'ifb']);
      await must('ip', ['link', 'set', IFB, 'up']);
      for (const iface of this.ifaces) {
        await must('tc', ['qdisc', 'add', 'dev', iface, 'handle', 'ffff:', 'ingress']);
        await must('tc', ['filter', 'add', 'dev', iface, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
          'action', 'mirred', 'egress', 'redirect', 'dev', IFB]);
      }
      if (uses('ifb+netem')) await must('tc', ['qdisc', 'replace', 'dev', IFB, 'root', 'netem', ...netemArgs, ...rate]);
      else if (cfg.rateBps !== null) await must('tc', ['qdisc', 'replace', 'dev', IFB, 'root', ...tbf(cfg.rateBps)]);
    }
    if (uses('nfqueue')) {
      await this.helper.start(cfg.delayMs * 1000, cfg.jitterMs * 1000, cfg.loss * 1e6);
      await this.chains();
      const q = ['-j', 'NFQUEUE', '--queue-num', String(QUEUE), '--queue-bypass'];
      // Only the shaped interfaces, as netem would: loopback stays unshaped unless it is the link (IFACES=lo).
      for (const iface of this.ifaces) {
        for (const [chain, dir, flag] of [[CHAIN_OUT, 'egress', '-o'], [CHAIN_IN, 'ingress', '-i']] as const) {
          if (!uses('nfqueue', dir)) continue;
          await must('iptables', ['-A', chain, flag, iface, '-p', 'tcp', ...unshapedMatch(iface, dir), '-j', 'RETURN']);
          await must('iptables', ['-A', chain, flag, iface, '-p', 'tcp', ...q]);
        }
      }
    }
  }

  /** Our own chains, jumped to from INPUT and OUTPUT, so clearing never touches anyone else's rules. */
  private async chains(): Promise<void> {
    for (const [chain, parent] of [[CHAIN_IN, 'INPUT'], [CHAIN_OUT, 'OUTPUT']] as const) {
      if (!(await run('iptables', ['-N', chain])).ok) continue; // exists already
      await must('iptables', ['-I', parent, '1', '-j', chain]);
    }
  }

  private async applyRefusal(refusal: Refusal): Promise<void> {
    if (this.dirty.refusal) {
      await run('iptables', ['-D', 'INPUT', '-p', 'tcp', '--syn', '--dport', String(this.labPort), '-j', 'SOCKLAB-REFUSE']);
      await run('iptables', ['-F', 'SOCKLAB-REFUSE']);
      await run('iptables', ['-X', 'SOCKLAB-REFUSE']);
      this.dirty.refusal = false;
    }
    if (refusal.kind !== 'reject-above') return;
    this.dirty.refusal = true;
    // Clients beyond N concurrent connections get a RST to their SYN: ECONNREFUSED, as some other systems answer a full backlog.
    await must('iptables', ['-N', 'SOCKLAB-REFUSE']);
    await must('iptables', ['-A', 'SOCKLAB-REFUSE', '-p', 'tcp', '-m', 'connlimit', '--connlimit-above', String(refusal.n), '--connlimit-mask', '0',
      '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    // First in INPUT, before anything queues the SYN.
    await must('iptables', ['-I', 'INPUT', '1', '-p', 'tcp', '--syn', '--dport', String(this.labPort), '-j', 'SOCKLAB-REFUSE']);
  }

  private async clearLink(): Promise<void> {
    await this.helper.stop();
    if (!this.dirty.link) return;
    for (const [chain, parent] of [[CHAIN_IN, 'INPUT'], [CHAIN_OUT, 'OUTPUT']] as const) {
      await run('iptables', ['-D', parent, '-j', chain]);
      await run('iptables', ['-F', chain]);
      await run('iptables', ['-X', chain]);
    }
    for (const iface of this.ifaces) {
      await run('tc', ['qdisc', 'del', 'dev', iface, 'root']);
      await run('tc', ['qdisc', 'del', 'dev', iface, 'ingress']);
    }
    await run('ip', ['link', 'del', IFB]);
    this.dirty.link = false;
  }

  /** A namespace found clean (`leftovers`): nothing to clear before the first shaping. */
  assumeClean(): void {
    this.dirty = { link: false, refusal: false };
  }

  /** Remove every trace of shaping from the namespace (the server's, which outlives the probe). */
  async clear(): Promise<void> {
    await this.clearLink();
    await this.applyRefusal({ kind: 'drop' });
    this.current = undefined;
  }
}

function sameExceptHelperParams(a: ShapingConfig, b: ShapingConfig): boolean {
  return a.rateBps === b.rateBps && a.direction === b.direction && (a.delayMs > 0 || a.loss > 0) === (b.delayMs > 0 || b.loss > 0);
}

/** The probe cannot set it (/proc/sys is read-only in containers): the server container must be created with it. */
function checkAbortOnOverflow(): void {
  const v = readFileSync('/proc/sys/net/ipv4/tcp_abort_on_overflow', 'utf8').trim();
  if (v !== '1') {
    throw new ConfigError(
      'REFUSAL abort-on-overflow needs net.ipv4.tcp_abort_on_overflow=1 in the server\'s namespace, and it is ' +
        `${v}: create the server container with --sysctl net.ipv4.tcp_abort_on_overflow=1 (compose: sysctls) - ` +
        'a probe cannot change it, /proc/sys is read-only inside containers',
    );
  }
}
