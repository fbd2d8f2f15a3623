#!/usr/bin/env node
// Synth wall time and peak RSS of the reference platform (the examples app) and of scaled clusters
// (20 and 200 node pools). Each scenario runs in a fresh process so RSS is its own.
// Then the reference platform compiled (esbuild to plain JS, so no transpiling in the timed process)
// against its floor: the same stacks, providers and resources built with cdktf's own classes after
// loading the same provider modules (bench/scenario.ts 'floor'); and the README's `npx cdktf synth`
// wall time against its 5 s goal (BENCH_SKIP_CLI=1 leaves it out).
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
    const r = spawnSync(process.execPath, ['-r', './examples/register.js', path.join(__dirname, 'scenario.ts'), arg], {
      cwd: root,
      encoding: 'utf8',
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
console.log(
  `load average while measuring: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores; medians of ${runs} runs`,
);

console.table(floorComparison());
if (process.env.BENCH_SKIP_CLI !== '1') console.table([cliSynth()]);

if (process.env.BENCH_SKIP_CONSUMER !== '1') console.table([consumerTypeCheck()]);

/** The compiled reference app and its floor, each as whole-process wall time and in-process synth time. */
function floorComparison() {
  const esbuild = require('esbuild');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-bench-floor-'));
  try {
    const build = path.join(work, 'build');
    const ts = (dir) => fs.readdirSync(path.join(root, dir), { recursive: true }).filter((f) => /(?<!\.d)\.ts$/.test(f));
    const entryPoints = ['lib', 'examples', 'bench'].flatMap((d) => ts(d).map((f) => path.join(root, d, f)));
    esbuild.buildSync({ entryPoints, outdir: build, outbase: root, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'error' });
    fs.cpSync(path.join(root, 'lib', 'addons', 'manifests-chart'), path.join(build, 'lib', 'addons', 'manifests-chart'), {
      recursive: true,
    });
    const keep = path.join(work, 'keep');
    fs.mkdirSync(keep);
    const scenario = path.join(build, 'bench', 'scenario.js');
    const timed = (args, env) => {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [scenario, ...args], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: path.join(root, 'node_modules'), ...env },
      });
      const wallMs = (Number(process.hrtime.bigint() - start) / 1e6) | 0;
      if (r.status !== 0) {
        process.stderr.write(r.stderr || r.stdout);
        process.exit(1);
      }
      return { wallMs, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
    };
    const median = (f) => {
      const samples = Array.from({ length: runs }, f).sort((a, b) => a.wallMs - b.wallMs);
      return samples[Math.floor(samples.length / 2)];
    };
    const app = median(() => timed(['reference'], { BENCH_KEEP: keep }));
    const floor = median(() => timed(['floor', keep]));
    const row = (scenario, m) => ({
      scenario,
      resources: m.resources,
      'process ms (median)': m.wallMs,
      'load ms': m.loadMs,
      'synth ms': m.synthMs,
    });
    return [
      row('floor: same resources, cdktf classes, same provider modules', floor),
      row('reference app, compiled', app),
      {
        scenario: 'ratio app / floor (goal <= 2)',
        'process ms (median)': +(app.wallMs / floor.wallMs).toFixed(2),
        'synth ms': +(app.synthMs / floor.synthMs).toFixed(2),
      },
    ];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The README's `npx cdktf synth` of all examples (cdktf.json's app), wall time against the 5 s goal. */
function cliSynth() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-bench-cli-'));
  try {
    const cli = path.join(root, 'node_modules', '.bin', 'cdktf');
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      const r = spawnSync(cli, ['synth', '--output', out], {
        cwd: root,
        encoding: 'utf8',
        env: { CHECKPOINT_DISABLE: '1', ...process.env },
      });
      samples.push((Number(process.hrtime.bigint() - start) / 1e6) | 0);
      if (r.status !== 0) {
        process.stderr.write(r.stdout + r.stderr);
        process.exit(1);
      }
    }
    samples.sort((a, b) => a - b);
    const ms = samples[Math.floor(samples.length / 2)];
    return { scenario: 'npx cdktf synth (README)', 'wall ms (median)': ms, 'goal ms': 5000, met: ms <= 5000 };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

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
