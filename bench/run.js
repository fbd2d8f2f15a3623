#!/usr/bin/env node
// Synth wall time and peak RSS of the reference platform (the examples app) and of scaled clusters
// (20 and 200 node pools). Each scenario runs in a fresh process so RSS is its own.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const scenarios = [
  ['reference (examples app)', 'reference'],
  ['scaled: 20 node pools', '20'],
  ['scaled: 200 node pools', '200'],
];
const runs = Number(process.env.BENCH_RUNS || 3);
const rows = [];
for (const [label, arg] of scenarios) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'scenario.ts'), arg], {
      cwd: root, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    if (r.status !== 0) { process.stderr.write(r.stderr || r.stdout); process.exit(1); }
    samples.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  samples.sort((a, b) => a.synthMs - b.synthMs);
  const med = samples[Math.floor(samples.length / 2)];
  rows.push({ scenario: label, resources: med.resources, 'load ms': med.loadMs, 'synth ms (median)': med.synthMs, 'peak RSS MiB': Math.max(...samples.map((s) => s.peakRssMiB)) });
}
console.table(rows);
