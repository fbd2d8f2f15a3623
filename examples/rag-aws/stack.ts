import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  Cloud,
  EmbeddingModel,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  InferenceGateway,
  LlmModel,
  ObservabilityStack,
  PlatformNamespace,
  PodSecurityLevel,
  RagStack,
  RerankerModel,
  ServedModel,
  VectorStore,
} from '../../lib';
import { deployerCidr, ExampleCloud } from '../shared/cloud';

/**
 * RAG on EKS: Qwen2.5 7B (ungated; Llama and Gemma need `huggingFaceToken`) on H100s, BGE-M3 and its reranker on L4s, pgvector on RDS (IAM auth, created
 * by an in-cluster bootstrap job), documents in S3 with new-document events on SQS and an ingestion worker
 * scaled by KEDA from zero, and a chat app in its own namespace granted to query.
 *
 * The VPC, the database, the documents bucket and the model cache live in `rag-aws-data`, deployed first:
 * `cdktf destroy rag-aws` tears the GPU compute down and keeps them.
 *
 * Deploy: `TF_VAR_deployer_cidr=<your egress IP>/32 TF_VAR_ingestion_image=<image:tag> cdktf deploy rag-aws-data rag-aws`.
 */
export class RagAwsStack extends TerraformStack {
  /** The network and the retained data, which outlive the cluster. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const aws = ExampleCloud.aws('us-east-2');
    aws.setUp(this);
    this.dataStack = aws.dataStack(scope, id);
    const cidr = deployerCidr(this);
    const ingestionImage = new TerraformVariable(this, 'ingestion_image', {
      type: 'string',
      description: 'Your ingestion worker image, pinned (reads the queue, embeds through the router, writes pgvector)',
    });

    const cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate([cidr]) }),
      clusterName: 'rag-prod',
      dataStack: this.dataStack,
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, maxNodes: 4 }),
        GpuNodePool.inference('small', { gpu: Gpu.L4, maxNodes: 4 }),
      ],
    });
    const observability = new ObservabilityStack(this, 'Obs', { cluster });
    // One gateway per cluster, on an internal load balancer; its certificate is a Secret you create
    // (cert-manager or your PKI) named 'inference-gateway-tls' in namespace envoy-gateway-system.
    const gateway = new InferenceGateway(this, 'Gateway', { cluster });

    const rag = new RagStack(this, 'Rag', {
      cluster,
      gateway,
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'llm', contextLength: 8192, concurrentSequences: 32 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'small', maxReplicas: 2 }),
      reranker: ServedModel.of(RerankerModel.BGE_RERANKER_V2_M3, { pool: 'small', minReplicas: 0, maxReplicas: 2 }),
      vectorStore: VectorStore.pgvector({ highAvailability: true }),
      documents: { ingestion: { image: ingestionImage.stringValue } },
      autoscaling: { maxReplicas: 4, targetQueueDepth: 5 }, // within the pools at maxNodes (synth warns otherwise)
      prometheusUrl: observability.prometheusUrl,
      outputs: true,
    });

    // An application team's namespace and identity: it may call the models and query the store.
    const chat = new PlatformNamespace(this, 'ChatNamespace', { cluster, name: 'chat', podSecurity: PodSecurityLevel.RESTRICTED });
    const chatApi = cluster.bindServiceAccount(this, 'ChatApi', { namespace: 'chat', serviceAccountName: 'chat-api' });
    rag.grantQuery(chatApi, chat.dependables);
  }
}
