import { ChartOverrides } from '../addons/chart';
import { isToken } from '../private/validation';

/** How the feature server runs and scales. */
export interface FeatureServerOptions {
  /**
   * Replicas kept at all times (the autoscaler's minimum).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Most replicas the autoscaler adds.
   * @default 3 times `replicas`
   */
  readonly maxReplicas?: number;
  /**
   * CPU use per replica, in percent of its request, the autoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilization?: number;
  /**
   * Requests per second per replica the autoscaler aims for (`feast_feature_server_request_total`, scraped
   * once the feature server's PodMonitor is in place).
   * @default - CPU only
   */
  readonly targetRequestsPerSecond?: number;
  /**
   * CPU request of a replica.
   * @default '500m'
   */
  readonly cpu?: string;
  /**
   * Memory request and limit of a replica.
   * @default '1Gi'
   */
  readonly memory?: string;
  /**
   * Gunicorn workers per replica (`feast serve --workers`).
   * @default 2
   */
  readonly workers?: number;
  /**
   * Also run Feast's web UI (the same server in `ui` mode, one replica, read-only registry access), reachable
   * inside the cluster (`kubectl port-forward svc/<name>-ui 8888:80`).
   * @default false
   */
  readonly ui?: boolean;
  /**
   * No longer used: setting it is reported at synth. The server is not installed from the
   * feast-feature-server chart any more, whose Deployment always sets `replicas` and so reset the count
   * KEDA chose on every upgrade; the library renders the same Deployment and Service without it.
   * @deprecated the server's Deployment is rendered by the library; use image, cpu, memory and workers
   * @default - none
   */
  readonly chart?: ChartOverrides;
}

/** Resolved server settings. */
export interface ResolvedServerOptions {
  /** Minimum replicas. */
  readonly replicas: number;
  /** Maximum replicas. */
  readonly maxReplicas: number;
  /** Target CPU utilization, percent. */
  readonly targetCpuUtilization: number;
  /** CPU request. */
  readonly cpu: string;
  /** Memory. */
  readonly memory: string;
  /** Gunicorn workers. */
  readonly workers: number;
}

/** Applies defaults. */
export function resolveServerOptions(o: FeatureServerOptions): ResolvedServerOptions {
  const replicas = o.replicas ?? 2;
  return {
    replicas,
    maxReplicas: o.maxReplicas ?? replicas * 3,
    targetCpuUtilization: o.targetCpuUtilization ?? 70,
    cpu: o.cpu ?? '500m',
    memory: o.memory ?? '1Gi',
    workers: o.workers ?? 2,
  };
}

/** Problems of the server options. */
export function validateServerOptions(o: FeatureServerOptions): string[] {
  const out: string[] = [];
  const r = resolveServerOptions(o);
  const whole = (v: number) => isToken(v) || (Number.isInteger(v) && v >= 1);
  if (!whole(r.replicas)) out.push(`server.replicas ${o.replicas} is not a whole number >= 1; use e.g. 2 (one replica has no redundancy)`);
  if (!whole(r.maxReplicas)) out.push(`server.maxReplicas ${o.maxReplicas} is not a whole number >= 1; use e.g. 6`);
  else if (whole(r.replicas) && !isToken(r.maxReplicas) && !isToken(r.replicas) && r.maxReplicas < r.replicas)
    out.push(`server.maxReplicas ${r.maxReplicas} is below replicas ${r.replicas}; raise maxReplicas or lower replicas`);
  if (!(Number.isInteger(r.targetCpuUtilization) && r.targetCpuUtilization >= 10 && r.targetCpuUtilization <= 100))
    out.push(`server.targetCpuUtilization ${o.targetCpuUtilization} is not a whole percentage from 10 to 100; use e.g. 70`);
  if (o.targetRequestsPerSecond !== undefined && !(o.targetRequestsPerSecond > 0))
    out.push(
      `server.targetRequestsPerSecond ${o.targetRequestsPerSecond} is not positive; use the requests per second one replica serves, e.g. 200`,
    );
  if (!(Number.isInteger(r.workers) && r.workers >= 1 && r.workers <= 32))
    out.push(`server.workers ${o.workers} is not a whole number from 1 to 32; use e.g. 2`);
  if (!isToken(r.cpu) && parseCpu(r.cpu) === undefined)
    out.push(`server.cpu '${r.cpu}' is not a Kubernetes CPU quantity; use e.g. '500m' or '1'`);
  if (o.chart !== undefined)
    out.push(
      `server.chart is set, but the feature server no longer comes from the feast-feature-server chart (its Deployment always sets replicas, which resets KEDA's count on every upgrade); remove server.chart and use server.image, cpu, memory and workers`,
    );
  return out;
}

/** Cores of a Kubernetes CPU quantity ('500m', '1', '1.5'), or undefined. */
export function parseCpu(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}
