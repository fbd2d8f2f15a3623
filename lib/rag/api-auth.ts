import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Construct } from 'constructs';
import { createHash } from 'crypto';
import { kubernetesName } from '../private/naming';
import { RagContext } from './types';

/**
 * The API key on every route of vLLM and the vLLM router.
 *
 * vLLM checks `VLLM_API_KEY` on paths under `/v1` only (its AuthenticationMiddleware skips every other
 * path): `/tokenize`, `/detokenize`, `/pooling`, `/classify`, `/score`, `/rerank`, `/v2/rerank`,
 * `/invocations`, `/ping`, `/load`, `/version`, `/scale_elastic_ep`, the docs and, when enabled, the dev,
 * profiler and LoRA routes answer anyone who reaches the port. The production-stack router checks no key at
 * all: it forwards `/tokenize`, `/rerank`, `/score` unchecked, answers `/v1/models`, `/engines`, `/version`
 * itself and calls `/sleep`, `/wake_up` and `/is_sleeping` on the servers with its own key.
 *
 * Both are FastAPI apps: a pure ASGI middleware (Python standard library only, so it needs nothing the
 * images lack), shipped in a ConfigMap mounted read-only, asks for `Authorization: Bearer <VLLM_API_KEY>` on
 * every HTTP and WebSocket request except GET/HEAD of the probe path `/health` and the scrape path
 * `/metrics`. vLLM loads it with `--middleware` (added after its own, so it runs first); the router, which
 * has no such flag, starts through a launcher that adds it to the router's app before `main()`.
 */

/** Where the middleware's ConfigMap is mounted (read-only) and what PYTHONPATH names. */
export const API_AUTH_MOUNT_PATH = '/etc/ai-platform/api-auth';
/** Python module of the middleware. */
export const API_AUTH_MODULE = 'ai_platform_api_auth';
/** Import path vLLM's `--middleware` takes. */
export const API_AUTH_MIDDLEWARE = `${API_AUTH_MODULE}.BearerKeyMiddleware`;
/** The router's launcher script (in the same ConfigMap). */
export const ROUTER_LAUNCHER = 'vllm_router_main.py';
/** The router image's Python (a uv virtualenv with vllm_router installed; its entrypoint is /opt/venv/bin/vllm-router). */
export const ROUTER_PYTHON = '/opt/venv/bin/python';
/** Paths answered without the key (GET and HEAD only): the probes' and Prometheus'. */
export const API_AUTH_OPEN_PATHS = ['/health', '/metrics'];
/** Pod template annotation carrying a hash of the mounted code, so a changed middleware rolls the pods. */
export const API_AUTH_HASH_ANNOTATION = 'ai-platform.dev/api-auth-sha256';
/** Name of the pod volume. */
const VOLUME = 'api-auth';

/** The middleware module. */
export function apiAuthMiddlewareSource(): string {
  const open = API_AUTH_OPEN_PATHS.map((p) => JSON.stringify(p)).join(', ');
  return `"""Bearer-key check on every route of an ASGI app (vLLM, the vLLM router); written by cdktf-ai-platform.

vLLM checks its API key on paths under /v1 only. This middleware runs first and asks for
"Authorization: Bearer <key>" on every HTTP and WebSocket request, except GET and HEAD of the
health probe path and the Prometheus scrape path. The key is the environment's VLLM_API_KEY;
without one the app does not start. Standard library only.
"""
import hashlib
import hmac
import os

KEY_ENV = "VLLM_API_KEY"
OPEN_PATHS = frozenset((${open}))
OPEN_METHODS = frozenset(("GET", "HEAD"))
_BODY = b'{"error": "Unauthorized"}'


def _digest(value):
    # Equal-length digests: the comparison takes the same time whatever the token's length.
    return hashlib.sha256(value).digest()


class BearerKeyMiddleware:
    """Pure ASGI middleware; Starlette builds it as BearerKeyMiddleware(app)."""

    def __init__(self, app, *args, **kwargs):
        key = os.environ.get(KEY_ENV, "")
        if not key:
            raise RuntimeError(KEY_ENV + " is not set: refusing to serve without an API key")
        self.app = app
        self._key = _digest(key.encode("utf-8"))

    def _authorized(self, scope):
        values = [v for (k, v) in scope.get("headers") or () if k.lower() == b"authorization"]
        if len(values) != 1:
            return False
        scheme, _, token = values[0].partition(b" ")
        if scheme.lower() != b"bearer" or not token:
            return False
        return hmac.compare_digest(_digest(token), self._key)

    async def __call__(self, scope, receive, send):
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            # lifespan: startup and shutdown of the app itself.
            await self.app(scope, receive, send)
            return
        path = scope.get("path") or ""
        root = scope.get("root_path") or ""
        if root and path.startswith(root):
            path = path[len(root):]
        if kind == "http" and scope.get("method") in OPEN_METHODS and path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self._authorized(scope):
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            # Closing before accepting refuses the handshake (HTTP 403).
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_BODY)).encode("ascii")),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _BODY})
`;
}

/** The router's launcher: the router's own entrypoint (`vllm_router.app:main`) with the middleware added first. */
export function routerLauncherSource(): string {
  return `"""Starts the vLLM production-stack router with BearerKeyMiddleware; written by cdktf-ai-platform.

The router has no --middleware option: its FastAPI app is a module attribute that main() serves,
so the middleware is added to it before main() parses the arguments and starts uvicorn.
"""
import importlib
import sys

from ${API_AUTH_MODULE} import BearerKeyMiddleware

router = importlib.import_module("vllm_router.app")
router.app.add_middleware(BearerKeyMiddleware)
sys.exit(router.main())
`;
}

/** Files of the ConfigMap: the middleware, and for a router its launcher. */
export function apiAuthFiles(router: boolean): { [file: string]: string } {
  return {
    [`${API_AUTH_MODULE}.py`]: apiAuthMiddlewareSource(),
    ...(router ? { [ROUTER_LAUNCHER]: routerLauncherSource() } : {}),
  };
}

/** A short hash of the files, for the pod template annotation. */
export function apiAuthHash(files: { [file: string]: string }): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(`${name}\0${files[name]}\0`);
  return h.digest('hex').slice(0, 16);
}

/** Options of the middleware's ConfigMap. */
export interface ApiAuthConfigProps {
  /** Where it lives. */
  readonly ctx: RagContext;
  /** Name of the Deployment it serves; the ConfigMap is `<name>-api-auth`. */
  readonly workloadName: string;
  /** Whether it serves a router (adds the launcher). */
  readonly router: boolean;
}

/**
 * The middleware's ConfigMap of one Deployment, and the pieces that wire it into the pod: a read-only
 * volume, PYTHONPATH, and a hash annotation that rolls the pods when the code changes.
 */
export class ApiAuthConfig extends Construct {
  /** The ConfigMap. */
  public readonly configMap: ConfigMapV1;
  /** Name of the ConfigMap. */
  public readonly name: string;
  /** Hash of the mounted files. */
  public readonly hash: string;

  constructor(scope: Construct, id: string, props: ApiAuthConfigProps) {
    super(scope, id);
    const files = apiAuthFiles(props.router);
    this.hash = apiAuthHash(files);
    this.name = kubernetesName(`${props.workloadName}-api-auth`, 'subdomain');
    this.configMap = new ConfigMapV1(this, 'Resource', {
      provider: props.ctx.cluster.providers(this).kubernetes,
      metadata: { name: this.name, namespace: props.ctx.namespace, labels: { 'app.kubernetes.io/part-of': 'ai-platform' } },
      data: files,
      // The namespace only: not what the workload waits for (a staging job), so it never holds up the pods.
      dependsOn: [...props.ctx.cluster.addonDependencies(this), ...props.ctx.dependables],
    });
  }

  /** Pod template annotations. */
  public get podAnnotations(): { [key: string]: string } {
    return { [API_AUTH_HASH_ANNOTATION]: this.hash };
  }

  /** Environment of the container: the module on PYTHONPATH. */
  public get env(): { name: string; value: string }[] {
    return [{ name: 'PYTHONPATH', value: API_AUTH_MOUNT_PATH }];
  }

  /** The pod volume (files read-only to everyone, nothing writes them). */
  public get volume(): { name: string; configMap: { name: string; defaultMode: string } } {
    return { name: VOLUME, configMap: { name: this.name, defaultMode: '0444' } };
  }

  /** The container's read-only mount. */
  public get volumeMount(): { name: string; mountPath: string; readOnly: boolean } {
    return { name: VOLUME, mountPath: API_AUTH_MOUNT_PATH, readOnly: true };
  }
}
