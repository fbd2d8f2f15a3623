#!/usr/bin/env node
// Synth wall time and peak RSS of the reference platform (the examples app) and of scaled clusters
// (20 and 200 node pools). Each scenario runs in a fresh process so RSS is its own.
// Then what a user's editor and build pay: `tsc --noEmit` of the consumer app that
// .ci/consumer-check.sh installs from the packed tarball (BENCH_SKIP_CONSUMER=1 leaves it out).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const scenarios = [
  ['reference (examples app)', 'reference'],
  ['RAG on both clouds (rag-aws + rag-azure)', 'rag'],
  ['scaled: 20 node pools', '20'],
  ['scaled: 200 node pools', '200'],
];
const runs = Number(process.env.BENCH_RUNS || 3);
const rows = [];
for (const [label, arg] of scenarios) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'scenario.ts'), arg], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    if (r.status !== 0) {
      process.stderr.write(r.stderr || r.stdout);
      process.exit(1);
    }
    samples.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  samples.sort((a, b) => a.synthMs - b.synthMs);
  const med = samples[Math.floor(samples.length / 2)];
  rows.push({
    scenario: label,
    resources: med.resources,
    'load ms': med.loadMs,
    'synth ms (median)': med.synthMs,
    'peak RSS MiB': Math.max(...samples.map((s) => s.peakRssMiB)),
  });
}
console.table(rows);

if (process.env.BENCH_SKIP_CONSUMER !== '1') console.table([consumerTypeCheck()]);

/** Wall time (median) and peak RSS (max) of `tsc --noEmit` in the consumer app, set up by the CI script. */
function consumerTypeCheck() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-bench-consumer-'));
  try {
    const setup = spawnSync('bash', [path.join(root, '.ci', 'consumer-check.sh'), '--keep', work, '--setup-only'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (setup.status !== 0) {
      process.stderr.write(setup.stdout + setup.stderr);
      process.exit(1);
    }
    const app = path.join(work, 'app');
    const tsc = [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json'];
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(measure(process.execPath, tsc, app));
    samples.sort((a, b) => a.ms - b.ms);
    return {
      scenario: 'consumer app: tsc --noEmit',
      'wall ms (median)': samples[Math.floor(samples.length / 2)].ms,
      'peak RSS MiB': Math.max(...samples.map((x) => x.rssMiB)),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs a command; peak RSS from GNU time where installed, else from a preload that reports the child's own. */
function measure(cmd, args, cwd) {
  const gnuTime = '/usr/bin/time';
  const start = process.hrtime.bigint();
  let r;
  let rssKiB;
  if (fs.existsSync(gnuTime)) {
    r = spawnSync(gnuTime, ['-f', 'maxrss_kib=%M', cmd, ...args], { cwd, encoding: 'utf8' });
    rssKiB = Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1]);
  } else {
    const hook = "process.on('exit',()=>process.stderr.write('maxrss_kib='+process.resourceUsage().maxRSS+'\\n'))";
    r = spawnSync(cmd, ['-e', `${hook};require(process.argv[1])`, '--', ...args], { cwd, encoding: 'utf8' });
    rssKiB = Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1]);
  }
  const ms = (Number(process.hrtime.bigint() - start) / 1e6) | 0;
  if (r.status !== 0 || !rssKiB) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(1);
  }
  return { ms, rssMiB: Math.round(rssKiB / 1024) };
}
