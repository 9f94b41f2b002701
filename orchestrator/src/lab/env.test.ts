import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkLabEnv, LAB_VARIABLES, labEnv } from './env.js';
import { REPO_ROOT } from '../paths.js';

const FILES = ['docker-compose.yml', 'docker-compose.override.yml', 'docker-stack.yml', 'docker-stack-shaping.yml'];

describe('the lab\'s variables', () => {
  it('every SOCKLAB_* variable the compose and stack files read has a check, and its default passes it', () => {
    const seen = new Map<string, string>();
    for (const f of FILES) {
      for (const m of readFileSync(path.join(REPO_ROOT, f), 'utf8').matchAll(/\$\{(SOCKLAB_[A-Z0-9_]+):-([^}]*)\}/g)) seen.set(m[1]!, m[2]!);
    }
    assert.deepEqual([...seen.keys()].sort(), Object.keys(LAB_VARIABLES).sort());
    for (const [name, def] of seen) if (def !== '') assert.doesNotThrow(() => checkLabEnv({ [name]: def }), `${name}=${def}`);
  });

  it('names each bad value with its valid forms, all at once', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ SOCKLAB_DELAY: 'fast' }, /invalid SOCKLAB_DELAY "fast": expected a number with a unit/],
      [{ SOCKLAB_LOSS: '150%' }, /invalid SOCKLAB_LOSS "150%": expected a percentage from 0 to 100/],
      [{ SOCKLAB_NERVOUS_CLIENTS: '0' }, /invalid SOCKLAB_NERVOUS_CLIENTS "0": expected a whole number from 1 to 50000/],
      [{ SOCKLAB_CHALLENGE_CLIENTS: '10000000' }, /invalid SOCKLAB_CHALLENGE_CLIENTS "10000000": expected a whole number from 1 to 50000/],
      [{ SOCKLAB_BACKLOG: '-1' }, /invalid SOCKLAB_BACKLOG "-1": expected a whole number from 0 to 65535/],
      [{ SOCKLAB_WORK: 'io:soon' }, /invalid SOCKLAB_WORK "io:soon": expected none, io:<duration>/],
      [{ SOCKLAB_PRESET: 'angry' }, /invalid SOCKLAB_PRESET "angry": expected one of client, nervous, challenge, c10k/],
      // More than the lab's one swarm container holds: named, with the presets it may take.
      [{ SOCKLAB_PRESET: 'c100k' }, /invalid SOCKLAB_PRESET "c100k": expected one of client, nervous, challenge, c10k$/m],
      [{ SOCKLAB_DIRECTION: 'up' }, /invalid SOCKLAB_DIRECTION "up": expected one of egress, ingress, both/],
      [{ SOCKLAB_REFUSAL: 'maybe' }, /invalid SOCKLAB_REFUSAL "maybe": expected drop/],
      [{ SOCKLAB_REFUSAL: 'abort-on-overflow' }, /SOCKLAB_REFUSAL "abort-on-overflow": expected it together with SOCKLAB_ABORT_ON_OVERFLOW=1/],
      [{ SOCKLAB_ABORT_ON_OVERFLOW: 'yes' }, /invalid SOCKLAB_ABORT_ON_OVERFLOW "yes": expected one of 0, 1/],
      [{ SOCKLAB_SERVER_MEMORY: 'lots' }, /invalid SOCKLAB_SERVER_MEMORY "lots": expected a size like 128m/],
      [{ SOCKLAB_SWARM_CPUS: '-1' }, /invalid SOCKLAB_SWARM_CPUS "-1": expected a number of CPUs above 0/],
      [{ SOCKLAB_SUBNET: '8.8.8.0/24' }, /invalid SOCKLAB_SUBNET "8.8.8.0\/24": expected a private IPv4 subnet/],
      [{ SOCKLAB_SUBNET: '172.31.250.0' }, /invalid SOCKLAB_SUBNET "172.31.250.0": expected a private IPv4 subnet in CIDR form/],
      [{ SOCKLAB_BIND: 'localhost:80' }, /invalid SOCKLAB_BIND "localhost:80": expected an IP address/],
      [{ SOCKLAB_GRAFANA_PORT: '70000' }, /invalid SOCKLAB_GRAFANA_PORT "70000": expected a whole number from 1 to 65535/],
      [{ SOCKLAB_GRAFANA_IMAGE: 'Grafana Latest' }, /invalid SOCKLAB_GRAFANA_IMAGE "Grafana Latest": expected an image reference/],
      [{ SOCKLAB_DELAY: '10ms', SOCKLAB_JITTER: '20ms' }, /invalid SOCKLAB_JITTER "20ms": expected at most SOCKLAB_DELAY \(10ms\)/],
      [{ SOCKLAB_DELAYY: '100ms' }, /invalid variable "SOCKLAB_DELAYY": expected one of the lab's: SOCKLAB_WORK,/],
    ];
    for (const [env, re] of cases) assert.throws(() => checkLabEnv(env), (e: Error & { exitCode?: number }) => e.exitCode === 2 && re.test(e.message), JSON.stringify(env));
    assert.throws(() => checkLabEnv({ SOCKLAB_DELAY: 'fast', SOCKLAB_LOSS: '150%' }), /2 lab variables are wrong:\n  invalid SOCKLAB_DELAY "fast".*\n  invalid SOCKLAB_LOSS "150%"/);
    assert.doesNotThrow(() => checkLabEnv({ SOCKLAB_DELAY: '', SOCKLAB_REFUSAL: 'reject-above=3', SOCKLAB_SUBNET: '10.99.0.0/16', SOCKLAB_BIND: '0.0.0.0' }), 'empty means the default');
  });

  it('reads the project\'s .env file as Compose does, the shell winning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'socklab-env-'));
    writeFileSync(path.join(dir, '.env'), '# lab\nSOCKLAB_DELAY=fast\nexport SOCKLAB_LOSS="5%"\n');
    assert.throws(() => checkLabEnv(labEnv(dir, {})), /SOCKLAB_DELAY "fast"/);
    const env = labEnv(dir, { SOCKLAB_DELAY: '100ms' });
    assert.equal(env.SOCKLAB_DELAY, '100ms');
    assert.equal(env.SOCKLAB_LOSS, '5%');
    assert.doesNotThrow(() => checkLabEnv(env));
  });
});
