import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER_METRICS } from '@socklab/shared';
import { Lab, metricValue, type SwarmRun } from './support/lab.js';

describe('walking skeleton: event-loop server and a swarm of 10 on an internal network', () => {
  let lab: Lab;
  let run: SwarmRun;
  let metrics: string;

  before(async () => {
    lab = await Lab.create('skeleton');
    const server = await lab.server({ MODEL: 'event-loop', WORK: 'io:200ms' });
    run = await lab.swarm(['--target', lab.target('server'), '--clients', '10', '--metrics-port', '0']);
    metrics = await lab.scrape(server);
  });

  after(async () => {
    await lab?.[Symbol.asyncDispose]();
    const left = await lab?.leftovers();
    assert.deepEqual(left, { containers: [], networks: [], volumes: [] }, 'nothing labelled with the run is left');
  });

  it('all 10 clients end ok', () => {
    assert.equal(run.exit.code, 0, run.logs);
    assert.ok(run.summary, `no JSON summary in the swarm's output:\n${run.logs}`);
    assert.equal(run.summary.outcomes.ok, 10);
    assert.equal(Object.values(run.summary.outcomes).reduce((a, b) => a + b, 0), 10);
  });

  it('the server counted 10 accepted connections, scraped over HTTP', () => {
    assert.equal(metricValue(metrics, SERVER_METRICS.connectionsAccepted.name, { model: 'event-loop' }), 10);
    assert.equal(metricValue(metrics, SERVER_METRICS.connectionsHandled.name, { outcome: 'ok' }), 10);
  });
});
