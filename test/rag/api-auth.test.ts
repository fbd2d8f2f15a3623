import { spawnSync } from 'child_process';
import { App, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import { routerPodMonitor, servingPodMonitor } from '../../lib/observability/scrape';
import { apiAuthFiles, apiAuthHash } from '../../lib/rag/api-auth';
import { resources } from '../helpers';

// Written here, not imported: the test checks the rendered configuration against what vLLM and the router
// images need, independently of the library's constants.
const MOUNT = '/etc/ai-platform/api-auth';
const MIDDLEWARE = 'ai_platform_api_auth.BearerKeyMiddleware';
const LAUNCHER = `${MOUNT}/vllm_router_main.py`;

/** The app's Deployments of vLLM and of the router, and the ConfigMaps by name. */
function rendered(make: (app: App) => unknown) {
  const app = Testing.app();
  const stack = make(app) as any;
  const doc = JSON.parse(Testing.synth(stack, true));
  const deployments = Object.entries<any>(resources(doc, 'kubernetes_deployment_v1'));
  const configMaps = Object.entries<any>(resources(doc, 'kubernetes_config_map_v1'));
  const kind = (d: any) => d.metadata.labels['app.kubernetes.io/name'];
  return {
    doc,
    servers: deployments.filter(([, d]) => kind(d) === 'vllm'),
    routers: deployments.filter(([, d]) => kind(d) === 'vllm-router'),
    configMaps,
  };
}

/** The ConfigMap a Deployment mounts at the middleware's path, checked to be wired read-only onto PYTHONPATH. */
function mounted(r: ReturnType<typeof rendered>, d: any): { id: string; cm: any } {
  const pod = d.spec.template.spec;
  const c = pod.container[0];
  const mount = c.volume_mount.find((m: any) => m.mount_path === MOUNT);
  expect(mount).toEqual({ name: mount.name, mount_path: MOUNT, read_only: true });
  const volume = pod.volume.find((v: any) => v.name === mount.name);
  expect(volume.config_map.default_mode).toBe('0444');
  const hit = r.configMaps.find(([, m]) => m.metadata.name === volume.config_map.name && m.metadata.namespace === d.metadata.namespace);
  expect(hit).toBeDefined();
  const [id, cm] = hit!;
  expect(c.env).toContainEqual({ name: 'PYTHONPATH', value: MOUNT });
  // The key the middleware reads is the stack's generated secret.
  const key = c.env.find((e: any) => e.name === 'VLLM_API_KEY');
  expect(key.value_from.secret_key_ref).toEqual({ name: 'rag-api-key', key: 'api-key' });
  // The pods wait for the ConfigMap; it rolls them when its code changes.
  expect(d.depends_on).toContain(`kubernetes_config_map_v1.${id}`);
  expect(d.spec.template.metadata.annotations['ai-platform.dev/api-auth-sha256']).toBe(apiAuthHash(cm.data));
  // The probes stay keyless, on the one path left open.
  for (const p of ['startup_probe', 'readiness_probe', 'liveness_probe'].filter((k) => c[k]))
    expect(c[p].http_get).toEqual({ path: '/health', port: '8000' });
  return { id, cm };
}

describe.each([
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
])('%s: every model server and router checks the key on every route', (_name, make) => {
  const r = rendered(make);

  test('there are model servers and routers', () => {
    expect(r.servers.length).toBeGreaterThanOrEqual(2);
    expect(r.routers.length).toBe(2);
  });

  test.each(['servers', 'routers'] as const)('%s mount the middleware read-only and put it on PYTHONPATH', (which) => {
    for (const [, d] of r[which]) {
      const { cm } = mounted(r, d);
      expect(Object.keys(cm.data)).toContain('ai_platform_api_auth.py');
      // The ConfigMap waits for the namespace only, never for a staging job.
      expect((cm.depends_on as string[]).some((x) => x.startsWith('kubernetes_job_v1.'))).toBe(false);
      expect(cm.depends_on).toContain('kubernetes_namespace_v1.Rag_Namespace_0F7D770F');
    }
  });

  test('vLLM loads it with --middleware', () => {
    for (const [, d] of r.servers) {
      const args: string[] = d.spec.template.spec.container[0].args;
      expect(args[args.indexOf('--middleware') + 1]).toBe(MIDDLEWARE);
      expect(d.spec.template.spec.container[0].command).toBeUndefined();
    }
  });

  test('no dev, profiler, runtime-LoRA or tokenizer-info routes are switched on', () => {
    for (const [, d] of [...r.servers, ...r.routers]) {
      const c = d.spec.template.spec.container[0];
      const names = (c.env as any[]).map((e) => e.name);
      for (const v of ['VLLM_SERVER_DEV_MODE', 'VLLM_TORCH_PROFILER_DIR', 'VLLM_ALLOW_RUNTIME_LORA_UPDATING'])
        expect(names).not.toContain(v);
      expect(c.args).not.toContain('--enable-tokenizer-info-endpoint');
      expect(c.args).not.toContain('--enable-batch-api');
    }
  });

  test('the router starts through the launcher, with its own arguments', () => {
    for (const [, d] of r.routers) {
      const c = d.spec.template.spec.container[0];
      expect(c.command).toEqual(['/opt/venv/bin/python', LAUNCHER]);
      expect(c.args.slice(0, 4)).toEqual(['--host', '0.0.0.0', '--port', '8000']);
      expect(Object.keys(mounted(r, d).cm.data)).toContain('vllm_router_main.py');
    }
  });
});

describe('the hash annotation', () => {
  test('follows the files', () => {
    const files = apiAuthFiles(false);
    expect(apiAuthHash(files)).toMatch(/^[0-9a-f]{16}$/);
    expect(apiAuthHash({ ...files, 'ai_platform_api_auth.py': `${files['ai_platform_api_auth.py']}\n# changed` })).not.toBe(
      apiAuthHash(files),
    );
    expect(apiAuthHash(apiAuthFiles(true))).not.toBe(apiAuthHash(files));
  });
});

/**
 * The middleware and launcher, as rendered into the ConfigMaps, run under python3: the middleware wraps a
 * stand-in app (what vLLM or the router serve behind it) and is driven with ASGI scopes; the launcher
 * starts a stand-in `vllm_router.app`.
 */
describe('the rendered middleware under python3', () => {
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  test('python3 is installed (these tests run the rendered code)', () => {
    expect(python.status).toBe(0);
  });

  const r = rendered((app) => new RagAwsStack(app, 'rag-aws'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'api-auth-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  // The router's ConfigMap holds both files; written where the pod mounts them, under root.
  const [, routerDeployment] = r.routers[0];
  const { cm } = mounted(r, routerDeployment);
  const dir = path.join(root, MOUNT);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries<string>(cm.data)) fs.writeFileSync(path.join(dir, file), text);
  // Each server's ConfigMap holds the same module.
  for (const [, d] of r.servers) expect(mounted(r, d).cm.data['ai_platform_api_auth.py']).toBe(cm.data['ai_platform_api_auth.py']);

  const key = `k${Date.now().toString(16)}0123456789abcdef`;
  // Loads the class as vLLM's build_app does with --middleware (import path, must be a class), builds it as
  // Starlette does (cls(app)) around an app that answers 200, and runs each case.
  const harness = `
import asyncio, importlib, inspect, json, sys
module, name = sys.argv[1].rsplit(".", 1)
cls = getattr(importlib.import_module(module), name)
assert inspect.isclass(cls), "not a class"
reached = []
async def inner(scope, receive, send):
    reached.append(scope["type"])
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    elif scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
mw = cls(inner)
async def run(case):
    sent = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    del reached[:]
    scope = {"type": case.get("type", "http"), "path": case["path"], "root_path": case.get("root", ""),
             "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in case.get("headers", [])]}
    if scope["type"] == "http":
        scope["method"] = case.get("method", "GET")
    await mw(scope, receive, send)
    first = sent[0] if sent else {}
    return {"reached": bool(reached), "status": first.get("status"), "close": first.get("code") if first.get("type") == "websocket.close" else None,
            "headers": {k.decode(): v.decode() for k, v in first.get("headers", [])}}
cases = json.load(sys.stdin)
print(json.dumps([asyncio.run(run(c)) for c in cases]))
`;
  fs.writeFileSync(path.join(root, 'harness.py'), harness);
  const run = (cases: any[], env: { [k: string]: string } = { VLLM_API_KEY: key }) =>
    spawnSync('python3', [path.join(root, 'harness.py'), MIDDLEWARE], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: dir, PYTHONDONTWRITEBYTECODE: '1', ...env },
    });
  const results = (cases: any[]) => {
    const out = run(cases);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    return JSON.parse(out.stdout) as { reached: boolean; status: number | null; close: number | null; headers: any }[];
  };
  const bearer = (value: string) => [['authorization', value]];

  // vLLM v0.11.0 routes outside /v1 (its own check skips them), the router's, and /v1 ones.
  const routes: [string, string][] = [
    ['POST', '/rerank'],
    ['POST', '/v2/rerank'],
    ['POST', '/score'],
    ['POST', '/tokenize'],
    ['POST', '/detokenize'],
    ['POST', '/pooling'],
    ['POST', '/classify'],
    ['POST', '/invocations'],
    ['GET', '/ping'],
    ['POST', '/ping'],
    ['GET', '/load'],
    ['GET', '/version'],
    ['GET', '/docs'],
    ['GET', '/openapi.json'],
    ['POST', '/scale_elastic_ep'],
    ['POST', '/is_scaling_elastic_ep'],
    ['POST', '/sleep'],
    ['POST', '/wake_up'],
    ['GET', '/is_sleeping'],
    ['POST', '/reset_prefix_cache'],
    ['POST', '/reset_mm_cache'],
    ['POST', '/collective_rpc'],
    ['POST', '/start_profile'],
    ['POST', '/stop_profile'],
    ['GET', '/server_info'],
    ['GET', '/engines'],
    ['GET', '/v1/models'],
    ['POST', '/v1/chat/completions'],
    ['POST', '/v1/rerank'],
    ['POST', '/v1/load_lora_adapter'],
    ['POST', '/v1/files'],
    // Not the open paths: other methods, other spellings.
    ['POST', '/health'],
    ['POST', '/metrics'],
    ['OPTIONS', '/v1/models'],
    ['GET', '/health/'],
    ['GET', '/metrics/extra'],
    ['GET', '//health'],
    ['GET', '/Health'],
  ];

  test('no key: 401 on every route but the probe and scrape paths, and the app is never reached', () => {
    const out = results(routes.map(([method, p]) => ({ method, path: p })));
    out.forEach((o, i) => {
      expect({ route: routes[i], status: o.status, reached: o.reached }).toEqual({ route: routes[i], status: 401, reached: false });
      expect(o.headers['www-authenticate']).toBe('Bearer');
    });
  });

  test('a wrong key, another scheme, an empty token or two Authorization headers: 401', () => {
    const wrong = [
      bearer('Bearer wrong'),
      bearer(`Bearer ${key}x`),
      bearer(`Bearer ${key.slice(0, -1)}`),
      bearer(`Basic ${key}`),
      bearer(key),
      bearer('Bearer '),
      bearer('Bearer'),
      [
        ['authorization', `Bearer ${key}`],
        ['authorization', 'Bearer wrong'],
      ],
    ];
    const cases = routes.flatMap(([method, p]) => wrong.map((headers) => ({ method, path: p, headers })));
    const out = results(cases);
    out.forEach((o, i) =>
      expect({ case: cases[i], status: o.status, reached: o.reached }).toEqual({ case: cases[i], status: 401, reached: false }),
    );
  });

  test('the key: every route reaches the app (scheme in any case)', () => {
    const out = results(
      routes.flatMap(([method, p]) => [`Bearer ${key}`, `bearer ${key}`].map((h) => ({ method, path: p, headers: bearer(h) }))),
    );
    out.forEach((o) => expect({ status: o.status, reached: o.reached }).toEqual({ status: 200, reached: true }));
  });

  test('GET and HEAD of /health (probes) and /metrics (the PodMonitors) need no key', () => {
    const scrapePaths = [servingPodMonitor(), routerPodMonitor()].map((m) => m.podMetricsEndpoints[0].path);
    expect(new Set(scrapePaths)).toEqual(new Set(['/metrics']));
    const open = ['/health', ...scrapePaths].flatMap((p) => ['GET', 'HEAD'].map((method) => ({ method, path: p })));
    const out = results([...open, ...open.map((c) => ({ ...c, headers: bearer('Bearer wrong') }))]);
    out.forEach((o) => expect({ status: o.status, reached: o.reached }).toEqual({ status: 200, reached: true }));
  });

  test('a root path is taken off before the open paths are matched, never to open more', () => {
    const out = results([
      { path: '/api/health', root: '/api' },
      { method: 'POST', path: '/api/rerank', root: '/api' },
      { path: '/api/health', root: '/other' },
    ]);
    expect(out.map((o) => o.status)).toEqual([200, 401, 401]);
  });

  test('WebSockets: refused before the handshake without the key, through with it; lifespan passes', () => {
    const out = results([
      { type: 'websocket', path: '/v1/realtime' },
      { type: 'websocket', path: '/v1/realtime', headers: bearer('Bearer wrong') },
      { type: 'websocket', path: '/v1/realtime', headers: bearer(`Bearer ${key}`) },
      { type: 'lifespan', path: '' },
    ]);
    expect(out.map((o) => [o.close, o.reached])).toEqual([
      [1008, false],
      [1008, false],
      [null, true],
      [null, true],
    ]);
  });

  test('without a key the app does not start', () => {
    for (const env of [{}, { VLLM_API_KEY: '' }] as { [k: string]: string }[]) {
      const out = run([{ path: '/health' }], env);
      expect(out.status).not.toBe(0);
      expect(out.stderr).toContain('VLLM_API_KEY is not set: refusing to serve without an API key');
    }
  });

  test("the router's launcher adds the middleware to the router's app, then runs its main() with the rendered arguments", () => {
    // A stand-in for the router image's vllm_router.app: a module-level app and main(), as in production-stack 0.1.12.
    const stub = path.join(root, 'stub', 'vllm_router');
    fs.mkdirSync(stub, { recursive: true });
    fs.writeFileSync(path.join(stub, '__init__.py'), '');
    fs.writeFileSync(
      path.join(stub, 'app.py'),
      [
        'import json, sys',
        'class _App:',
        '    def __init__(self):',
        '        self.middleware = []',
        '    def add_middleware(self, cls, *args, **kwargs):',
        '        self.middleware.append(cls.__module__ + "." + cls.__qualname__)',
        'app = _App()',
        'def main():',
        '    print(json.dumps({"middleware": app.middleware, "argv": sys.argv[1:]}))',
        '    return 3',
      ].join('\n'),
    );
    const c = routerDeployment.spec.template.spec.container[0];
    const script = path.join(root, c.command[1]);
    const out = spawnSync('python3', [script, ...c.args], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PYTHONPATH: `${path.join(root, c.env.find((e: any) => e.name === 'PYTHONPATH').value)}:${path.join(root, 'stub')}`,
        PYTHONDONTWRITEBYTECODE: '1',
        VLLM_API_KEY: key,
      },
    });
    expect(out.stderr).toBe('');
    // main()'s exit status is the process's.
    expect(out.status).toBe(3);
    expect(JSON.parse(out.stdout)).toEqual({ middleware: [MIDDLEWARE], argv: c.args });
  });
});
