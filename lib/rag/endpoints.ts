import { Token } from 'cdktf';
import { IObjectEventQueue, IObjectStore, ServiceLogin } from '../core/data-services';
import { ServedModels } from './serving';
import { ModelTask } from './served-model';
import { ServingPlan } from './serving-plan';
import { IVectorStoreBinding } from './types';

/** What the endpoints ConfigMap of a RagStack says. */
export interface EndpointsInput {
  readonly served: ServedModels;
  readonly plans: { [task: string]: ServingPlan };
  /** Name of the API key secret. */
  readonly apiKeySecretName: string;
  readonly vectorStore: IVectorStoreBinding;
  readonly documents: IObjectStore;
  /** @default - no document events */
  readonly documentEvents?: IObjectEventQueue;
  /**
   * Gateway base URL of each served model, by task, when the models are served through the inference gateway.
   * @default - none: clients use the routers
   */
  readonly gatewayUrls?: { [task: string]: string };
}

/** The endpoints every client of a RagStack reads (its ConfigMap, in the stack's and each granted namespace). */
export function ragEndpoints(o: EndpointsInput): { [key: string]: string } {
  const { plans, vectorStore: store } = o;
  const pooling = o.served.poolingRouterUrl;
  const gw = o.gatewayUrls;
  return {
    // Through the gateway each model has its own base URL; through the routers one URL serves every model.
    OPENAI_BASE_URL: gw?.[ModelTask.GENERATE] ?? `${o.served.routerUrl}/v1`,
    ...(pooling
      ? {
          EMBEDDINGS_BASE_URL: gw?.[ModelTask.EMBED] ?? `${pooling}/v1`,
          RERANK_BASE_URL: gw?.[ModelTask.SCORE] ?? `${pooling}/v1`,
        }
      : {}),
    API_KEY_SECRET: o.apiKeySecretName,
    ...(plans[ModelTask.GENERATE] ? { GENERATOR_MODEL: plans[ModelTask.GENERATE].servedName } : {}),
    ...(plans[ModelTask.EMBED] ? { EMBEDDING_MODEL: plans[ModelTask.EMBED].servedName } : {}),
    ...(plans[ModelTask.SCORE] ? { RERANKER_MODEL: plans[ModelTask.SCORE].servedName } : {}),
    VECTOR_STORE_KIND: store.kind,
    VECTOR_STORE_HOST: store.host,
    VECTOR_STORE_PORT: Token.isUnresolved(store.port) ? Token.asString(store.port) : String(store.port),
    ...(store.database ? { VECTOR_STORE_DATABASE: store.database } : {}),
    ...(store.apiKeySecret ? { VECTOR_STORE_SECRET: store.apiKeySecret.name } : {}),
    DOCUMENTS_URL: o.documents.url,
    ...(o.documentEvents ? { DOCUMENTS_QUEUE_URL: o.documentEvents.queueUrl } : {}),
  };
}

/**
 * What a client of the vector store needs besides host, port and database to connect with `login` (no
 * secret): user, authentication ('aws-iam', 'entra' or 'api-key'), sslmode, and the region IAM tokens
 * are signed for.
 */
export function loginEndpoints(login: ServiceLogin, store: IVectorStoreBinding, region: string): { [key: string]: string } {
  return {
    VECTOR_STORE_USER: login.user,
    VECTOR_STORE_AUTH: login.authentication,
    ...(store.sslMode ? { VECTOR_STORE_SSLMODE: store.sslMode } : {}),
    ...(login.authentication === 'aws-iam' ? { AWS_REGION: region } : {}),
    // The secret this login's key is in (a reader's is the read-only key's), and its key.
    ...(login.passwordSecret ? { VECTOR_STORE_SECRET: login.passwordSecret.name, VECTOR_STORE_SECRET_KEY: login.passwordSecret.key } : {}),
  };
}
