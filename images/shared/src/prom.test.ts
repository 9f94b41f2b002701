import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Gauge, Registry } from 'prom-client';
import { labelNode } from './prom.js';

describe('the node label on Docker Swarm', () => {
  it('every series carries the node a task runs on when SOCKLAB_NODE says it, and none elsewhere', async () => {
    const onSwarm = new Registry();
    new Gauge({ name: 'x_connections', help: 'h', labelNames: ['server'], registers: [onSwarm] }).set({ server: 'gargalo' }, 3);
    labelNode(onSwarm, { SOCKLAB_NODE: 'node-2' });
    assert.match(await onSwarm.metrics(), /x_connections\{server="gargalo",node="node-2"\} 3/);
    const elsewhere = new Registry();
    new Gauge({ name: 'x_connections', help: 'h', registers: [elsewhere] }).set(3);
    labelNode(elsewhere, { SOCKLAB_NODE: '  ' });
    assert.match(await elsewhere.metrics(), /^x_connections 3$/m);
  });
});
