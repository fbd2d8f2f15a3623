#!/usr/bin/env node
// Synth wall time and peak RSS of the reference platform (the examples app) and of scaled clusters
// (20 and 200 node pools). Each scenario runs in a fresh process so RSS is its own.
// Then the reference platform compiled (esbuild to plain JS, so no transpiling in the timed process)
// against its floor: the same stacks, providers and resources built with cdktf's own classes after
// loading the same provider modules (bench/scenario.ts 'floor'), in wall and CPU time; and the README's
// `npx cdktf synth` wall time against its 5 s goal, beside the CLI alone (an empty app) and the examples app
// without the CLI (`npm run synth`) (BENCH_SKIP_CLI=1 leaves these out).
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
if (process.env.BENCH_SKIP_CLI !== '1') console.table(cliSynth());

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
    // The data files the package ships beside the code (package.json `files` folders under lib/).
    const assets = require(path.join(root, 'package.json'))
      .files.filter((f) => f.startsWith('lib/') && f.endsWith('/**'))
      .map((f) => f.slice(0, -'/**'.length));
    for (const dir of assets) fs.cpSync(path.join(root, dir), path.join(build, dir), { recursive: true });
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
      'process CPU ms': m.cpuMs,
    });
    return [
      row('floor: same resources, cdktf classes, same provider modules', floor),
      row('reference app, compiled', app),
      {
        scenario: 'ratio app / floor (goal <= 2)',
        'process ms (median)': +(app.wallMs / floor.wallMs).toFixed(2),
        'synth ms': +(app.synthMs / floor.synthMs).toFixed(2),
        'process CPU ms': +(app.cpuMs / floor.cpuMs).toFixed(2),
      },
    ];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The README's `npx cdktf synth` of all examples (cdktf.json's app), wall time against the 5 s goal; beside
 * it the same CLI synthesizing an app of one empty stack: the CLI's own cost (loading its bundle, running
 * `terraform version` several times), which no change to the library can reduce; and the examples' app run
 * directly (`npm run synth`), which is what is left to the library.
 */
function cliSynth() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-bench-cli-'));
  try {
    const cli = path.join(root, 'node_modules', '.bin', 'cdktf');
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);
    const cdktf = JSON.stringify(path.join(root, 'node_modules', 'cdktf'));
    fs.writeFileSync(
      path.join(empty, 'app.js'),
      `const { App, TerraformStack } = require(${cdktf});\nconst app = new App();\nnew TerraformStack(app, 'empty');\napp.synth();\n`,
    );
    fs.writeFileSync(
      path.join(empty, 'cdktf.json'),
      JSON.stringify({
        language: 'typescript',
        app: 'node app.js',
        sendCrashReports: 'false',
        terraformProviders: [],
        terraformModules: [],
      }),
    );
    const env = { CHECKPOINT_DISABLE: '1', ...process.env };
    const wall = (cmd, args, cwd, extraEnv = {}) => {
      const samples = [];
      for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...env, ...extraEnv } });
        samples.push((Number(process.hrtime.bigint() - start) / 1e6) | 0);
        if (r.status !== 0) {
          process.stderr.write(r.stdout + r.stderr);
          process.exit(1);
        }
      }
      return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
    };
    const ms = wall(cli, ['synth', '--output', path.join(work, 'out')], root);
    const cliOnly = wall(cli, ['synth', '--output', path.join(work, 'empty-out')], empty);
    const app = wall(process.execPath, ['-r', './examples/register.js', 'examples/main.ts'], root, {
      CDKTF_OUTDIR: path.join(work, 'app-out'),
    });
    return [
      { scenario: 'npx cdktf synth (README)', 'wall ms (median)': ms, 'goal ms': 5000, met: ms <= 5000 },
      { scenario: 'npx cdktf synth of one empty stack (the CLI alone)', 'wall ms (median)': cliOnly },
      { scenario: 'npm run synth (the examples app without the CLI)', 'wall ms (median)': app },
    ];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
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
