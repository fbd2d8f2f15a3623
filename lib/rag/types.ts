import { ITerraformDependable } from 'cdktf';
import { IAcceleratorCluster, IWorkloadIdentity } from '../core/cluster';
import { KubernetesSecretKeyRef, RemovalPolicy, ServiceLogin } from '../core/data-services';

/** What a RagStack hands to its parts (vector store, serving, ingestion). */
export interface RagContext {
  /** The cluster. */
  readonly cluster: IAcceleratorCluster;
  /** Namespace of the RAG workloads (exists once `dependables` are applied). */
  readonly namespace: string;
  /** What in-namespace resources wait for (the namespace and its policies). */
  readonly dependables: ITerraformDependable[];
  /** What destroy does to stateful parts. */
  readonly removalPolicy: RemovalPolicy;
}

/** A port that pods of other namespaces may reach. */
export interface ExposedPort {
  /** Labels of the pods that serve it. */
  readonly podLabels: { [key: string]: string };
  /** TCP port. */
  readonly port: number;
}

/** A vector store once created for a RagStack. */
export interface IVectorStoreBinding {
  /** 'pgvector', 'qdrant', 'milvus' or 'weaviate'. */
  readonly kind: string;
  /** Host name (in-cluster DNS name or the managed server's private name). */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /**
   * Database (pgvector) or collection prefix.
   * @default - none
   */
  readonly database?: string;
  /**
   * Kubernetes secret with the API key of an in-cluster store (generated at apply time).
   * @default - none: the store takes cloud tokens (pgvector)
   */
  readonly apiKeySecret?: KubernetesSecretKeyRef;
  /**
   * The API key itself, as a Terraform reference (never a literal), so grants can copy it into the app's
   * namespace.
   * @default - none
   */
  readonly apiKeyValue?: string;
  /**
   * Kubernetes secret with the store's read-only API key (generated at apply time), which the store
   * accepts for searches only: what `grantAccess` without `write` hands out.
   * @default - none: the store has no read-only key (Milvus) or takes cloud tokens (pgvector)
   */
  readonly readOnlyKeySecret?: KubernetesSecretKeyRef;
  /**
   * The read-only API key, as a Terraform reference (never a literal), so query grants can copy it.
   * @default - none
   */
  readonly readOnlyKeyValue?: string;
  /** Ports of in-cluster store pods that granted namespaces may reach (none for a managed store). */
  readonly exposedPorts: ExposedPort[];
  /**
   * libpq `sslmode` clients connect with (pgvector: 'require', both managed servers force TLS).
   * @default - none: not a PostgreSQL store
   */
  readonly sslMode?: string;
  /** What a workload using the store waits for (release, bootstrap job, server). */
  readonly dependables: ITerraformDependable[];
  /**
   * Lets the identity read vectors, and with `write` also create and write tables whose rows every reader
   * may read; returns how it logs in. pgvector: a login role per workload; Qdrant and Weaviate: the
   * read-only key for readers, the admin key for writers; Milvus: the root password for all.
   */
  grantAccess(identity: IWorkloadIdentity, write?: boolean): ServiceLogin;
}
