import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../scenario/load.js';
import { buildPlan } from './build.js';
import { sizeForLimits } from './capacity.js';

const scenario = (servers: string, swarms: string) => parseScenarioText(`name: t\ntitle: t\nquestion: q?\nservers: ${servers}\nswarms: ${swarms}\n`, 't.yaml');
const HERE = { perProcess: 20_000, measured: true };

describe('sizing a scenario to the open-files limit', () => {
  it('100,000 held connections on 20,000 open files: 8 swarm containers (connect() slows past 14,000 each) sharing clients and rate, 6 worker processes', () => {
    const s = scenario('[{name: big, model: event-loop-workers}]', '[{name: clients, target: big, clients: 100000, arrival: steady, rate: 5000, hold: 30s}]');
    const { scenario: sized, sizing } = sizeForLimits(s, HERE);
    assert.deepEqual(sized.swarms.map((w) => w.name), Array.from({ length: 8 }, (_, i) => `clients-${i + 1}`));
    assert.equal(sized.swarms.reduce((a, w) => a + (w.clients ?? 0), 0), 100_000);
    assert.ok(sized.swarms.every((w) => w.rate === 625 && w.target === 'big' && w.hold === '30s'));
    assert.equal(sized.servers[0]?.processes, 6);
    assert.match(sizing.notes[0] ?? '', /open files per process: 20,000, read from this engine/);
    assert.ok(sizing.notes.some((n) => /clients: 100,000 connections in 8 swarm containers/.test(n)), sizing.notes.join('\n'));
    assert.ok(sizing.notes.some((n) => /big: 6 worker processes for 100,000 connections/.test(n)), sizing.notes.join('\n'));
  });

  it('where nothing was measured it says the limit is assumed', () => {
    const s = scenario('[{name: big, model: event-loop-workers, processes: 8}]', '[{name: c, target: big, clients: 100000}]');
    const { scenario: sized, sizing } = sizeForLimits(s, { perProcess: 1_048_576, measured: false });
    assert.equal(sized.swarms.length, 8, '14,000 at most each, however many files');
    assert.equal(sized.servers[0]?.processes, 8, 'processes the scenario states are kept');
    assert.match(sizing.notes[0] ?? '', /assumed/);
  });

  it("a server's own lower limit sizes its processes: 3,000 connections at 1,024 open files need 4", () => {
    const s = scenario('[{name: w, model: event-loop-workers, openFiles: 1024}]', '[{name: c, target: w, clients: 3000}]');
    const { scenario: sized } = sizeForLimits(s, HERE);
    assert.equal(sized.servers[0]?.processes, 4);
    assert.equal(sized.swarms.length, 1, '3,000 fit one swarm container');
  });

  it("a swarm's own lower limit splits it: 3,000 connections at 1,024 open files in 4 containers, each held to 1,024", () => {
    const s = scenario('[{name: w, model: event-loop-workers, openFiles: 1024}]', '[{name: c, target: w, clients: 3000, openFiles: 1024}]');
    const plan = buildPlan(s, { source: 't', openFiles: HERE });
    const swarms = plan.trials[0]?.swarms ?? [];
    assert.deepEqual(swarms.map((w) => [w.name, w.clients, w.container.nofile]), [['c-1', 750, 1024], ['c-2', 750, 1024], ['c-3', 750, 1024], ['c-4', 750, 1024]]);
    assert.equal(plan.trials[0]?.servers[0]?.server.nofile, 1024);
  });

  it('a one-process model aimed past its limit is warned about (EMFILE), not changed', () => {
    const s = scenario('[{name: one, model: event-loop}]', '[{name: c, target: one, clients: 30000}]');
    const { scenario: sized, sizing } = sizeForLimits(s, HERE);
    assert.deepEqual(sized.servers, s.servers);
    assert.ok(sizing.notes.some((n) => /one: one event-loop process may open 20,000 files, fewer than the 30,000 connections aimed at it at once.*EMFILE/.test(n)), sizing.notes.join('\n'));
    const steady = scenario('[{name: one, model: event-loop}]', '[{name: c, target: one, arrival: steady, rate: 500, duration: 60s}]');
    assert.ok(!sizeForLimits(steady, HERE).sizing.notes.some((n) => /EMFILE/.test(n)), '30,000 short connections over a minute are not all open at once');
  });

  it('a scenario within the limits is left as it is, with nothing to say', () => {
    const s = scenario('[{name: server, model: threaded}]', '[{name: c, target: server, clients: 200}]');
    const { scenario: sized, sizing } = sizeForLimits(s, HERE);
    assert.deepEqual(sized, s);
    assert.deepEqual(sizing.notes, []);
  });

  it('the plan runs every split swarm from a client host of its own and records the sizing', () => {
    const s = scenario('[{name: big, model: event-loop-workers}]', '[{name: clients, target: big, clients: 100000, arrival: steady, rate: 5000}]');
    const plan = buildPlan(s, { source: 't', openFiles: HERE });
    assert.equal(plan.trials[0]?.swarms.length, 8);
    assert.equal(plan.clientHosts.length, 8);
    assert.equal(plan.trials[0]?.servers[0]?.server.env.PROCESSES, '6');
    assert.equal(plan.sizing.openFiles.perProcess, 20_000);
  });
});
