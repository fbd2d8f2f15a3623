import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IPlatformCluster } from '../core/cluster';
import { Duration } from '../core/duration';
import type { AlertRule } from '../observability/alerts';
import { sameStack } from '../private/cluster-access';
import { longestIntervalSeconds, validateSchedule } from '../private/cron';
import { isToken } from '../private/validation';
import { FEATURE_STORE_YAML, k8sName } from './feature-store-yaml';
import { FeastIdentityConfig, feastPodSpec, feastShell } from './workload';

/** When and how `feast materialize-incremental` runs. */
export interface MaterializationOptions {
  /** A 5-field cron schedule or a macro such as '@hourly', evaluated in UTC, e.g. '*\/15 * * * *'. */
  readonly schedule: string;
  /**
   * Longest a run may take (`activeDeadlineSeconds` of each Job); a run still going is killed.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
  /**
   * Retries of a failed run (`backoffLimit`).
   * @default 2
   */
  readonly retries?: number;
  /**
   * How late a missed run may still start (`startingDeadlineSeconds`); later, it is skipped.
   * @default Duration.minutes(5)
   */
  readonly startingDeadline?: Duration;
  /**
   * CPU request of a run.
   * @default '1'
   */
  readonly cpu?: string;
  /**
   * Memory request and limit of a run (Feast's file engine reads each view's new rows into memory).
   * @default '4Gi'
   */
  readonly memory?: string;
}

/** Resolved materialization settings. */
interface Resolved {
  readonly schedule: string;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startingDeadlineSeconds: number;
  readonly cpu: string;
  readonly memory: string;
}

/** Problems of materialization options (`<prop> <value> <problem>; <fix>`). */
export function validateMaterialization(o: MaterializationOptions): string[] {
  const out = validateSchedule(o.schedule, 'materialization.schedule');
  const seconds = (d: Duration) => d.toMilliseconds() / 1000;
  if (o.timeout !== undefined && (!Number.isInteger(seconds(o.timeout)) || seconds(o.timeout) < 60))
    out.push(`materialization.timeout ${o.timeout} is shorter than a minute or not whole seconds; use e.g. Duration.hours(1)`);
  if (o.retries !== undefined && !isToken(o.retries) && !(Number.isInteger(o.retries) && o.retries >= 0 && o.retries <= 10))
    out.push(`materialization.retries ${o.retries} is not a whole number from 0 to 10; use e.g. 2`);
  if (o.startingDeadline !== undefined && (!Number.isInteger(seconds(o.startingDeadline)) || seconds(o.startingDeadline) < 10))
    out.push(
      `materialization.startingDeadline ${o.startingDeadline} is under 10 seconds (the CronJob controller checks every 10 s, so runs could be skipped) or not whole seconds; use e.g. Duration.minutes(5)`,
    );
  return out;
}

function resolve(o: MaterializationOptions): Resolved {
  return {
    schedule: o.schedule,
    timeoutSeconds: (o.timeout ?? Duration.hours(1)).toMilliseconds() / 1000,
    retries: o.retries ?? 2,
    startingDeadlineSeconds: (o.startingDeadline ?? Duration.minutes(5)).toMilliseconds() / 1000,
    cpu: o.cpu ?? '1',
    memory: o.memory ?? '4Gi',
  };
}

/** Props of Materialization. */
export interface MaterializationProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace. */
  readonly namespace: string;
  /** CronJob name. */
  readonly name: string;
  /** The options. */
  readonly options: MaterializationOptions;
  /** The materializer's service account (bound to an identity that reads offline and writes online). */
  readonly serviceAccountName: string;
  /** Pod labels of the materializer's identity. */
  readonly podLabels: { [key: string]: string };
  /** The materializer's configuration. */
  readonly config: FeastIdentityConfig;
  /** Image. */
  readonly image: string;
  /** What the CronJob waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The scheduled `feast materialize-incremental <now>`: it loads every feature view from the registry (the
 * CLI builds the store from feature_store.yaml alone and `FeatureStore.materialize_incremental` lists views
 * through the registry, Feast 0.66.0 `cli/cli.py`, `feature_store.py`), reads new rows from the offline
 * store since each view's watermark, writes them online and moves the watermark in the registry. It never
 * runs `feast apply`, which would reset the watermarks (feast-dev/feast#2905): definitions come from the
 * team's CI. One run at a time (`Forbid`), killed after `timeout`, retried `retries` times.
 */
export class Materialization extends Construct {
  /** The CronJob. */
  public readonly cronJob: CronJobV1;
  /** Name of the CronJob (the `cronjob` label of kube-state-metrics series). */
  public readonly cronJobName: string;
  /** The schedule. */
  public readonly schedule: string;

  constructor(scope: Construct, id: string, props: MaterializationProps) {
    super(scope, id);
    const r = resolve(props.options);
    this.cronJobName = props.name;
    this.schedule = r.schedule;
    const labels = {
      'app.kubernetes.io/name': 'feast-materialization',
      'app.kubernetes.io/instance': props.name,
      'app.kubernetes.io/part-of': 'ai-platform',
    };
    const script = `exec feast -f ${FEATURE_STORE_YAML} --log-level INFO materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"`;
    this.cronJob = new CronJobV1(this, 'CronJob', {
      provider: props.cluster.providers(this).kubernetes,
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        schedule: r.schedule,
        timezone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: r.startingDeadlineSeconds,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: r.retries,
            activeDeadlineSeconds: r.timeoutSeconds,
            template: {
              metadata: { labels: { ...labels, ...props.podLabels } },
              spec: feastPodSpec({
                cluster: props.cluster,
                serviceAccountName: props.serviceAccountName,
                config: props.config,
                image: props.image,
                containerName: 'materialize',
                command: feastShell(script, props.config.postgres),
                cpu: r.cpu,
                memory: r.memory,
              }) as any,
            },
          },
        },
      },
      dependsOn: sameStack(this, props.dependsOn),
    });
  }

  /**
   * A feature-freshness alert: no successful run for `missedSchedules` times the schedule's longest gap
   * (or, before the first success, that long since the CronJob was created). Data for a PrometheusRule
   * (`ObservabilityStack` alert groups); the series come from kube-state-metrics.
   */
  public freshnessAlert(namespace: string, missedSchedules = 3): AlertRule {
    const interval = isToken(this.schedule) ? 3600 : longestIntervalSeconds(this.schedule) || 3600;
    const threshold = Math.max(1, missedSchedules) * interval;
    const sel = `{namespace="${namespace}",cronjob="${this.cronJobName}"}`;
    return {
      alert: 'FeastMaterializationStale',
      expr:
        `(time() - max(kube_cronjob_status_last_successful_time${sel}) > ${threshold})` +
        ` or (absent(kube_cronjob_status_last_successful_time${sel}) and on() (time() - max(kube_cronjob_created${sel})) > ${threshold})`,
      pendingFor: '5m',
      severity: 'warning',
      summary: `Feast materialization ${namespace}/${this.cronJobName} has not succeeded for ${missedSchedules} schedules (${threshold} s): online features are stale`,
    };
  }
}

/** Props of RegistryInit. */
export interface RegistryInitProps {
  /** The cluster. */
  readonly cluster: IPlatformCluster;
  /** Namespace. */
  readonly namespace: string;
  /** Job name prefix. */
  readonly name: string;
  /** A writer's service account (the materializer's). */
  readonly serviceAccountName: string;
  /** Pod labels of its identity. */
  readonly podLabels: { [key: string]: string };
  /** Its configuration. */
  readonly config: FeastIdentityConfig;
  /** Image. */
  readonly image: string;
  /** What the job waits for. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Creates the registry before any reader starts: an empty registry file (Feast commits one when none
 * exists) or the SQL registry's tables and project row (`schema_mode: auto`, run as the writer group).
 * Without it the feature server, a reader, would try to write on its first start and fail. Idempotent; the
 * job is kept after it succeeds so Terraform does not rerun it.
 */
export class RegistryInit extends Construct {
  /** The job. */
  public readonly job: JobV1;

  constructor(scope: Construct, id: string, props: RegistryInitProps) {
    super(scope, id);
    const labels = { 'app.kubernetes.io/name': 'feast-registry-init', 'app.kubernetes.io/part-of': 'ai-platform' };
    // Twice: Feast's SQL registry records a new project in feast_metadata on its first start and copies it
    // into the projects table on the next (SqlRegistry.__init__), a write readers could not make.
    const python = [
      'from feast import FeatureStore',
      'for _ in range(2):',
      `    store = FeatureStore(repo_path="/tmp", fs_yaml_file="${FEATURE_STORE_YAML}")`,
      '    store.refresh_registry()',
      'print("feast registry ready for project", store.project)',
    ].join('\n');
    this.job = new JobV1(this, 'Job', {
      provider: props.cluster.providers(this).kubernetes,
      metadata: { name: k8sName(props.name, 'registry-init'), namespace: props.namespace, labels },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 1200,
        template: {
          metadata: { labels: { ...labels, ...props.podLabels } },
          spec: feastPodSpec({
            cluster: props.cluster,
            serviceAccountName: props.serviceAccountName,
            config: props.config,
            image: props.image,
            containerName: 'registry-init',
            command: feastShell(`exec python3 -c '${python}'`, props.config.postgres),
            cpu: '100m',
            memory: '512Mi',
          }) as any,
        },
      },
      waitForCompletion: true,
      timeouts: { create: '20m', update: '20m', delete: '5m' },
      dependsOn: sameStack(this, props.dependsOn),
    });
  }
}
