import { Construct } from 'constructs';
import {
  IPlatformCluster,
  IWorkloadIdentity,
  KeyValueCache,
  ObjectStore,
  PlatformNamespace,
  PodSecurityLevel,
  PostgresDatabase,
  ServiceLogin,
} from '../../lib';

/** What a RAG workload's data looks like to the app team. */
export interface RagData {
  readonly identity: IWorkloadIdentity;
  readonly documents: ObjectStore;
  readonly vectors: PostgresDatabase;
  readonly cache: KeyValueCache;
  /** How the API logs in to PostgreSQL (IAM or Entra token; the SQL that creates the role). */
  readonly databaseLogin: ServiceLogin;
  /** How the API logs in to the cache (IAM token on AWS, the key in a Kubernetes secret on Azure). */
  readonly cacheLogin: ServiceLogin;
}

/**
 * The data a RAG API needs, on either cloud, through the same three constructs: documents in the object
 * store, pgvector in managed PostgreSQL, a cache. Each is granted to the API's workload identity only
 * (namespace `rag`, service account `rag-api`), never to a key in the configuration.
 */
export function ragData(scope: Construct, cluster: IPlatformCluster): RagData {
  const ns = new PlatformNamespace(scope, 'RagNamespace', { cluster, name: 'rag', podSecurity: PodSecurityLevel.RESTRICTED });
  const identity = cluster.bindServiceAccount(scope, 'RagApi', { namespace: 'rag', serviceAccountName: 'rag-api' });
  const documents = new ObjectStore(scope, 'Documents', { cluster });
  documents.grantRead(identity);
  const vectors = new PostgresDatabase(scope, 'Vectors', { cluster, databaseName: 'rag', highAvailability: true });
  const databaseLogin = vectors.grantConnect(identity, 'rag_api');
  const cache = new KeyValueCache(scope, 'Cache', { cluster });
  const cacheLogin = cache.grantReadWrite(identity, ns.dependables);
  return { identity, documents, vectors, cache, databaseLogin, cacheLogin };
}
