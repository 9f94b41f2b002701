import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, MODELS } from '@socklab/shared';
import { scenarioJsonSchema } from '@socklab/shared/scenario';
import { REPO_ROOT } from '../paths.js';
import { builtinScenarios, loadScenario, parseScenarioText } from './load.js';
import { scenarioFromFlags } from './flags.js';

const rejects = (f: () => unknown, re: RegExp): void => {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof ConfigError, `a ConfigError (exit 2), got ${e.name}: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
};

describe('scenarios', () => {
  it('every built-in scenario parses and states its question', () => {
    const all = builtinScenarios();
    assert.ok(all.length >= 10, `${all.length} built-in scenarios`);
    for (const b of all) assert.ok(b.scenario.question.endsWith('?'), `${b.name}: ${b.scenario.question}`);
    // Each reads whole in Portuguese too: its title, its question and what it reproduces.
    for (const b of all) {
      const pt = b.scenario.translations?.['pt-BR'];
      assert.ok(pt?.title && pt.question.endsWith('?'), `${b.name}: translated title and question`);
      if (b.scenario.reproduces !== undefined) assert.ok(pt.reproduces, `${b.name}: what it reproduces, translated`);
    }
    assert.deepEqual(
      ['sequential', 'backlog', 'threaded', 'event-loop', 'challenge', 'deadlock', 'deadlock-timeout', 'polling', 'cpu-vs-io', 'refusal', 'backlog-rtt'].filter((n) => !all.some((b) => b.name === n)),
      [],
    );
  });

  it('names file:line:col, the path, the bad value and the valid forms, for every problem at once', () => {
    const text = ['name: bad', 'title: t', 'question: q?', 'servers:', '  - model: forking', '    backlog: -1', '    shaping: { loss: 150%, delay: fast }', '    backlg: 2', 'swarms:', '  - clients: 0'].join('\n');
    rejects(() => parseScenarioText(text, 'bad.yaml'), new RegExp(`bad.yaml:5:12: servers\\[0\\]\\.model: invalid value "forking": expected one of ${MODELS.join(', ')}`));
    rejects(() => parseScenarioText(text, 'bad.yaml'), /bad.yaml:6:14: servers\[0\]\.backlog: invalid value -1: expected a whole number from 0 to 65535/);
    rejects(() => parseScenarioText(text, 'bad.yaml'), /servers\[0\]\.shaping\.loss: invalid value "150%": expected a percentage from 0 to 100/);
    rejects(() => parseScenarioText(text, 'bad.yaml'), /servers\[0\]\.shaping\.delay: invalid value "fast": expected a number with a unit/);
    rejects(() => parseScenarioText(text, 'bad.yaml'), /bad.yaml:8:5: servers\[0\]\.backlg: invalid value 2: unknown key: expected one of name, model, image, program, port, localhost, backlog/);
    rejects(() => parseScenarioText(text, 'bad.yaml'), /swarms\[0\]\.clients: invalid value 0: expected a whole number from 1 to 1000000/);
  });

  it('YAML syntax errors and missing fields say where', () => {
    rejects(() => parseScenarioText('name: x\n  title: [unclosed', 's.yaml'), /s\.yaml:\d+:\d+: invalid YAML/);
    rejects(() => parseScenarioText('name: x\ntitle: t\nquestion: q\nswarms: [{}]', 's.yaml'), /servers: missing: /);
    rejects(() => parseScenarioText('name: x\ntitle: t\nquestion: q\nservers: [{model: sequential}]\nswarms: [{target: srv}]', 's.yaml'), /swarms\[0\]\.target: invalid value "srv": expected the name of a server of this scenario: server/);
    const head = 'name: x\ntitle: t\nquestion: q\nservers: [{model: threaded}]\n';
    rejects(() => parseScenarioText(`${head}swarms: [{arrival: ramp, rate: 1000, duration: 4s, clients: 4000}]`, 's.yaml'), /swarms\[0\]\.clients: invalid value 4000: expected 2000 or nothing: a ramp arrival at 1000\/s over 4s makes 2000 connections/);
    rejects(() => parseScenarioText(`${head}swarms: [{arrival: steady, duration: 4s}]`, 's.yaml'), /swarms\[0\]\.arrival: invalid value "steady": expected rate, and duration or clients, with steady arrivals \(rate missing\)/);
  });

  it('unknown scenarios list the built-in ones; missing files are named', () => {
    rejects(() => loadScenario('backlogg'), /invalid scenario "backlogg": expected a built-in scenario \(sequential, backlog,/);
    rejects(() => loadScenario('nope/x.yaml'), /invalid scenario file "nope\/x.yaml": no such file/);
  });

  it('flags build the same scenario, and their errors name the flag', () => {
    const s = scenarioFromFlags({ model: 'sequential', backlog: '1', work: 'io:2s', clients: '10', delay: '100ms' });
    assert.equal(s.servers[0]?.backlog, 1);
    assert.equal(s.servers[0]?.shaping?.delay, '100ms');
    assert.equal(s.swarms[0]?.clients, 10);
    rejects(() => scenarioFromFlags({ model: 'forking' }), /invalid --model "forking": expected one of sequential/);
    rejects(() => scenarioFromFlags({ model: 'sequential', backlog: '-1' }), /invalid --backlog "-1": expected a whole number from 0 to 65535/);
    rejects(() => scenarioFromFlags({ model: 'sequential', loss: '150%' }), /invalid --loss "150%": expected a percentage/);
    rejects(() => scenarioFromFlags({ model: 'sequential', delay: 'fast' }), /invalid --delay "fast"/);
    rejects(() => scenarioFromFlags({ model: 'sequential', clients: '10000000' }), /invalid --clients "10000000": expected a whole number from 1 to 1000000/);
    rejects(() => scenarioFromFlags({ model: 'sequential', sysctl: ['net.ipv4.ip_forward=1'] }), /net\.ipv4\.ip_forward.*expected one of net\.core\.somaxconn/);
    rejects(() => scenarioFromFlags({ model: 'sequential', expect: ['oks=3'] }), /invalid --expect "oks=3": expected KEY=N/);
    rejects(() => scenarioFromFlags({ clients: '3' }), /needs a scenario .*, --model M, or a server of your own/);
  });

  it('a scenario made of flags reads in Portuguese too: its title and question', () => {
    const s = scenarioFromFlags({ model: 'threaded', clients: '10', backlog: '1' });
    assert.deepEqual(s.translations?.['pt-BR'], { title: 'threaded backlog 1 contra 10 cliente(s)', question: 'Como este servidor se comporta sob esses clientes?' });
  });

  it('flags laid over a built-in scenario change every server and swarm', () => {
    const base = loadScenario('refusal').scenario;
    const s = scenarioFromFlags({ delay: '50ms', readTimeout: '5s' }, base);
    assert.ok(s.servers.every((x) => x.shaping?.delay === '50ms'));
    assert.equal(s.servers.find((x) => x.name === 'reject')?.shaping?.refusal, 'reject-above=3', 'other shaping stays');
    assert.ok(s.swarms.every((x) => x.readTimeout === '5s'));
  });

  it('the committed JSON Schema for editors is the one the code emits', () => {
    const committed = JSON.parse(readFileSync(path.join(REPO_ROOT, 'orchestrator', 'scenario.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(committed, scenarioJsonSchema());
  });

  it('a file of the user\'s own runs from its path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'socklab-scn-'));
    const file = path.join(dir, 'mine.yaml');
    writeFileSync(file, 'name: mine\ntitle: mine\nquestion: does it?\nservers: [{model: threaded}]\nswarms: [{preset: nervous}]\n');
    assert.equal(loadScenario(file).scenario.servers[0]?.model, 'threaded');
  });
});
