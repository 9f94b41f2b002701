import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS, parseServerConfig, parseWork, serverEnv } from './server-config.js';

describe('server configuration from the environment', () => {
  it('defaults to the event loop on port 7000 with metrics on 9464', () => {
    const c = parseServerConfig({});
    assert.equal(c.model, 'event-loop');
    assert.equal(c.port, 7000);
    assert.equal(c.metricsPort, 9464);
  });

  it('reads work as io or cpu with a duration', () => {
    assert.deepEqual(parseWork('io:5s'), { kind: 'io', ms: 5000 });
    assert.deepEqual(parseWork('cpu:200ms'), { kind: 'cpu', ms: 200 });
    assert.throws(() => parseWork('disk:1s'), /WORK "disk:1s".*io:<duration>/);
  });

  it('names every valid model when the model is unknown', () => {
    assert.throws(() => parseServerConfig({ MODEL: 'forking' }), (e: Error) => {
      assert.match(e.message, /MODEL "forking"/);
      for (const m of MODELS) assert.ok(e.message.includes(m), m);
      return true;
    });
  });

  it('rejects a negative backlog and a metrics port equal to the lab port', () => {
    assert.throws(() => parseServerConfig({ BACKLOG: '-1' }), /BACKLOG "-1"/);
    assert.throws(() => parseServerConfig({ PORT: '9000', METRICS_PORT: '9000' }), /METRICS_PORT/);
  });

  it('round-trips through the environment it produces', () => {
    const c = parseServerConfig({ MODEL: 'pool', WORK: 'io:1.5s', POOL_SIZE: '8', BACKLOG: '1', RECV_TIMEOUT: '1s' });
    assert.deepEqual(parseServerConfig(serverEnv(c)), c);
  });
});
