import { Construct } from 'constructs';
import type { IWorkloadIdentity } from './cluster';
import type { IObjectStore } from './data-services';

/** An environment variable with a literal value. */
export interface FeastEnvValue {
  /** Name. */
  readonly name: string;
  /** Value. */
  readonly value: string;
}

/** Where Feast's file engine (Dask over fsspec) finds parquet in an object store, and how it reaches it. */
export interface FeastObjectStoreLocation {
  /** Base URL for FileSource paths: `s3://<bucket>/` or `az://<container>/`. */
  readonly dataUrl: string;
  /** Environment fsspec needs to reach the store with the pod's identity. */
  readonly env: FeastEnvValue[];
}

/** What a pod needs for its workload identity when the identity's webhook does not mutate it. */
export interface FeastPodIdentity {
  /** Environment variables (Kubernetes YAML shape). */
  readonly env: { [key: string]: any }[];
  /** Volumes (Kubernetes YAML shape). */
  readonly volumes: { [key: string]: any }[];
  /** Volume mounts (Kubernetes YAML shape). */
  readonly mounts: { [key: string]: any }[];
}

/** Where Feast's own online tables go (DynamoDB): tables Feast creates at `feast apply`, named `<project>.<view>`. */
export interface FeastOnlineTablesOptions {
  /** Feast project: the tables' name prefix. */
  readonly project: string;
  /** Region of the tables. */
  readonly region: string;
  /** Unique suffix of the grants' names (IAM statement ids). */
  readonly grantId: string;
}

/** Feast's online tables of one project, granted per access level. */
export interface IFeastOnlineTables {
  /** Lets the identity use the tables: 'read', 'materialize' or 'write' (Feast's access levels). */
  grant(identity: IWorkloadIdentity, access: string): void;
}

/**
 * The cloud's part of a Feast feature store: what Feast's SDK needs of the cloud's services, and what it
 * cannot use there. Reached through `cluster.dataServices.feast`; FeatureStore and its stores ask it and
 * never branch on the cloud.
 */
export interface IFeastBackend {
  /**
   * Problems of Feast's online store type ('redis', 'dynamodb', 'postgres') on this cloud, as
   * `onlineStore <value> <problem>; <fix>`: a service the cloud lacks, or one Feast's client cannot log in to.
   */
  onlineStoreProblems(kind: string): string[];
  /** Problems of an offline store in the object store read by pods running `image` (`stockImage`: Feast's own, feast[minimal]). */
  offlineStoreProblems(image: string, stockImage: boolean): string[];
  /** Problems of a registry file in the object store read by pods running `image`. */
  fileRegistryProblems(image: string, stockImage: boolean): string[];
  /** Where the file engine finds parquet in `store`, and the environment it needs. */
  offlineLocation(store: IObjectStore): FeastObjectStoreLocation;
  /** Settings of a file registry beyond its path (the registry store class Feast needs on this cloud). */
  fileRegistrySettings(): { [key: string]: string };
  /** Instance type of a small PostgreSQL server (the registry's, without high availability). */
  readonly smallPostgresInstanceType: string;
  /** Feast's own online tables of a project, created by Feast, under `scope`; undefined where the cloud has none. */
  onlineTables(scope: Construct, options: FeastOnlineTablesOptions): IFeastOnlineTables | undefined;
  /** Environment every Feast pod sets for the cloud's SDKs (the region for boto3). */
  sdkEnvironment(region: string): FeastEnvValue[];
  /**
   * The directory (tenant) workload identity tokens are exchanged in, read under `scope` (once per scope).
   * @returns undefined where pods need none
   */
  identityTenant(scope: Construct): string | undefined;
  /** What a pod of `identity`, carrying none of the identity's pod labels, needs to obtain its credentials. */
  podIdentity(identity: IWorkloadIdentity, tenantId?: string): FeastPodIdentity;
}
