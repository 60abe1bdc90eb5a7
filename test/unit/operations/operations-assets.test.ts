/**
 * The dashboard and the alert rules in docs/operations/ load in their tools and name only series
 * Doklad really exports: a renamed metric breaks this test, not a dashboard nobody looks at.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/platform/metrics.js';
import { packageRoot } from '../../../src/platform/package-root.js';

const docs = path.join(packageRoot(), 'docs', 'operations');
const rulesFile = path.join(docs, 'prometheus-alerts.yml');
const dashboardFile = path.join(docs, 'grafana-dashboard.json');

/** Every series name a scrape can contain (histograms as _bucket, _count and _sum). */
async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

const seriesIn = (expr: string) => [...expr.matchAll(/\bdoklad_[a-z0-9_]+/g)].map((m) => m[0]);

describe('alert rules (docs/operations/prometheus-alerts.yml)', () => {
  const text = readFileSync(rulesFile, 'utf8');

  it('covers 5xx rate, p99 latency, queue age, failed jobs, chain lag, webhook disablement and lockout spikes', () => {
    const alerts = [...text.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    for (const name of [
      'DokladHigh5xxRate',
      'DokladHighP99Latency',
      'DokladQueueBacklogOld',
      'DokladJobsFailing',
      'DokladAuditChainLag',
      'DokladWebhookEndpointDisabled',
      'DokladLockoutSpike',
    ])
      expect(alerts).toContain(name);
    expect(new Set(alerts).size).toBe(alerts.length);
  });

  it('names only series that Doklad exports', async () => {
    const exported = await exportedSeries();
    const used = seriesIn(text);
    expect(used.length).toBeGreaterThan(15);
    for (const name of used) expect(exported, name).toContain(name);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it.skipIf(!promtool)('passes `promtool check rules` (skipped: promtool is not installed)', () => {
    const result = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});

describe('Grafana dashboard (docs/operations/grafana-dashboard.json)', () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    uid: string;
    schemaVersion: number;
    templating: { list: Array<{ name: string; type: string }> };
    panels: Array<{
      id: number;
      type: string;
      title: string;
      datasource?: { uid: string };
      targets?: Array<{ expr: string; refId: string }>;
    }>;
  };

  it('is an importable dashboard: uid, schema version, a Prometheus datasource variable, unique panel ids', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only series that Doklad exports, through the datasource variable', async () => {
    const exported = await exportedSeries();
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(15);
    for (const panel of graphs) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) {
        const used = seriesIn(target.expr);
        expect(used.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const name of used) expect(exported, `${panel.title}: ${name}`).toContain(name);
      }
    }
  });
});
