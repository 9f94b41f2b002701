import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROBE_METRICS, SERVER_METRICS, SWARM_METRICS } from '@socklab/shared';
import { BLOCKED_TITLE, DATASOURCE, dashboards, queriesOf } from './dashboards.js';
import { DASHBOARDS_DIR, dashboardJson } from './generate.js';

const GRAFANA = path.resolve(DASHBOARDS_DIR, '..');
const DEFINED = new Set<string>([...Object.values(SERVER_METRICS), ...Object.values(SWARM_METRICS), ...Object.values(PROBE_METRICS)].map((m) => m.name));
/** Metrics every Node image exports by prom-client's defaults, allowed beside socklab's own. */
const DEFAULTS = new Set(['process_cpu_seconds_total', 'process_resident_memory_bytes']);

describe('Grafana dashboards, as code', () => {
  it('the committed JSON is what the code generates (run `npm run dashboards` after changing it)', () => {
    const generated = dashboards();
    assert.deepEqual(readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort(), Object.keys(generated).map((n) => `${n}.json`).sort());
    for (const [name, d] of Object.entries(generated)) {
      assert.equal(readFileSync(path.join(DASHBOARDS_DIR, `${name}.json`), 'utf8'), dashboardJson(d), `${name}.json is stale`);
    }
  });

  it('every panel has a description, a query, the provisioned datasource, and a unit', () => {
    for (const [name, d] of Object.entries(dashboards())) {
      assert.ok((d.panels ?? []).length >= 10, `${name}: ${(d.panels ?? []).length} panels`);
      for (const p of d.panels ?? []) {
        const panel = p as { title?: string; description?: string; datasource?: unknown; targets?: Array<{ expr?: string }>; fieldConfig?: { defaults?: { unit?: string } }; type?: string };
        assert.ok((panel.description ?? '').length > 40, `${name} / ${panel.title}: a description that says what to look for`);
        assert.deepEqual(panel.datasource, DATASOURCE, `${name} / ${panel.title}`);
        assert.ok((panel.targets ?? []).length > 0 && panel.targets!.every((t) => (t.expr ?? '').length > 0), `${name} / ${panel.title}: a query`);
        if (panel.type === 'timeseries') assert.ok(panel.fieldConfig?.defaults?.unit, `${name} / ${panel.title}: a unit`);
      }
    }
  });

  it('every panel fits the 24-column grid and none overlaps another (a repeated panel takes its row)', () => {
    for (const [name, d] of Object.entries(dashboards())) {
      const boxes = (d.panels ?? []).map((p) => {
        const q = p as { title?: string; gridPos?: { x: number; y: number; w: number; h: number }; repeat?: string };
        const g = q.gridPos!;
        return { title: q.title ?? '', x: g.x, y: g.y, w: q.repeat ? 24 : g.w, h: g.h };
      });
      for (const b of boxes) assert.ok(b.x >= 0 && b.x + b.w <= 24, `${name} / ${b.title}: x ${b.x} + w ${b.w} within 24 columns`);
      for (const [i, a] of boxes.entries()) {
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          assert.ok(!overlap, `${name}: ${a.title} and ${b.title} overlap`);
        }
      }
    }
  });

  it('every metric in a query is one images/shared defines', () => {
    for (const d of Object.values(dashboards())) {
      for (const q of queriesOf(d)) {
        for (const m of q.expr.match(/\b(socklab_[a-z_]+|process_[a-z_]+)\b/g) ?? []) {
          const base = m.replace(/_(bucket|sum|count)$/, '');
          assert.ok(DEFINED.has(m) || DEFINED.has(base) || DEFAULTS.has(m), `${q.panel}: ${m} is not defined in images/shared`);
        }
      }
    }
  });

  it('the overview has the panels a teacher looks for; the run view takes a run id', () => {
    const d = dashboards();
    const titles = (d.overview?.panels ?? []).map((p) => (p as { title?: string }).title);
    for (const t of ['Connections accepted per second', 'Client outcomes per second', 'How full each accept queue is', 'ListenOverflows and ListenDrops per second', 'Half-open handshakes (SYN_RECV)', 'Threads of each server (its own)', BLOCKED_TITLE, 'Resident memory of the server', 'CPU of the server', 'Connection time percentiles', 'Link shaping in effect']) {
      assert.ok(titles.includes(t), t);
    }
    assert.deepEqual(d.run?.templating?.list?.map((v) => v.name), ['run', 'server']);
    assert.deepEqual(d.model?.templating?.list?.map((v) => v.name), ['model', 'run', 'server']);
    const perServer = (d.overview?.panels ?? []).find((p) => (p as { title?: string }).title === BLOCKED_TITLE) as { repeat?: string } | undefined;
    assert.equal(perServer?.repeat, 'server', 'one small panel per server');
    // Six calls at most (send, connect and the rest folded into other), and the runtime's threads apart: a dashed
    // line on an axis of its own, so they do not set the scale the model's own threads are read on.
    const blocked = perServer as unknown as { targets: Array<{ expr: string; legendFormat: string }>; fieldConfig: { overrides: Array<{ matcher: { options: string }; properties: Array<{ id: string; value: unknown }> }> } };
    assert.match(blocked.targets[0]!.expr, /call!~"send\|connect\|other"\}\) or label_replace\(sum\(.*call=~"send\|connect\|other"\}\), "call", "other", "", ""\)$/);
    const apart = blocked.fieldConfig.overrides.find((o) => o.matcher.options === blocked.targets[1]!.legendFormat)!;
    assert.deepEqual(apart.properties.find((x) => x.id === 'custom.axisPlacement')?.value, 'right');
    assert.deepEqual((apart.properties.find((x) => x.id === 'custom.stacking')?.value as { mode: string }).mode, 'none');
    const legends = (d.overview?.panels ?? []).flatMap((p) => ((p as { targets?: Array<{ legendFormat?: string }> }).targets ?? []).map((t) => t.legendFormat ?? ''));
    assert.ok(legends.every((l) => !/\{\{model\}\} \{\{server\}\}/.test(l)), 'one name per series, the server\'s');
    assert.equal(d.overview?.refresh, '1s');
  });

  it('provisioning: the datasource uid the dashboards use, a file provider for them, anonymous viewers and no login form', () => {
    const ds = parse(readFileSync(path.join(GRAFANA, 'provisioning/datasources/socklab.yaml'), 'utf8')) as { apiVersion: number; datasources: Array<Record<string, unknown>> };
    assert.equal(ds.apiVersion, 1);
    assert.equal(ds.datasources.length, 1);
    const source = ds.datasources[0]!;
    for (const k of ['name', 'type', 'uid', 'access', 'url']) assert.ok(k in source, `datasource key ${k}`);
    assert.equal(source.uid, DATASOURCE.uid);
    assert.equal(source.type, DATASOURCE.type);
    assert.equal(source.access, 'proxy');
    const dp = parse(readFileSync(path.join(GRAFANA, 'provisioning/dashboards/socklab.yaml'), 'utf8')) as { apiVersion: number; providers: Array<{ type: string; options: { path: string } }> };
    assert.equal(dp.apiVersion, 1);
    assert.equal(dp.providers[0]?.type, 'file');
    assert.equal(dp.providers[0]?.options.path, '/var/lib/grafana/dashboards');
    const ini = readFileSync(path.join(GRAFANA, 'grafana.ini'), 'utf8');
    const section = (name: string): string => new RegExp(`\\[${name.replace('.', '\\.')}\\]\\n([^[]*)`).exec(ini)?.[1] ?? '';
    assert.match(section('auth.anonymous'), /^enabled = true$/m);
    assert.match(section('auth.anonymous'), /^org_role = Viewer$/m);
    assert.match(section('auth'), /^disable_login_form = true$/m);
    assert.match(section('dashboards'), /^default_home_dashboard_path = \/var\/lib\/grafana\/dashboards\/overview\.json$/m);
    assert.match(section('dashboards'), /^min_refresh_interval = 1s$/m);
    assert.match(section('analytics'), /^reporting_enabled = false$/m);
    assert.match(section('analytics'), /^check_for_updates = false$/m);
  });
});
