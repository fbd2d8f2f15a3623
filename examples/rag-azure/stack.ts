import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  Cloud,
  EmbeddingModel,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  InferenceGateway,
  LlmModel,
  MigLayout,
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
 * RAG on AKS: Qwen2.5 7B on 3g.40gb MIG slices of A100 80GB GPUs, BGE-M3 and its reranker on T4s,
 * Qdrant in the cluster (API key generated at apply time, retained volumes), documents in a private
 * storage account with new-document events (Event Grid to a Storage queue) and an ingestion worker scaled by
 * KEDA from zero, and a chat app in its own namespace granted to query.
 *
 * The resource group, the VNet, the documents and the retained volumes live in `rag-azure-data`, deployed
 * first: `cdktf destroy rag-azure` tears the GPU compute down and keeps them.
 *
 * Deploy: `TF_VAR_deployer_cidr=<your egress IP>/32 TF_VAR_ingestion_image=<image:tag> cdktf deploy rag-azure-data rag-azure`.
 */
export class RagAzureStack extends TerraformStack {
  /** The resource group, network and retained data, which outlive the cluster. */
  public readonly dataStack: TerraformStack;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Private, Entra-only storage accounts: azurerm must not read them through the data plane.
    const azure = ExampleCloud.azure();
    azure.setUp(this);
    this.dataStack = azure.dataStack(scope, id);
    const cidr = deployerCidr(this);
    const ingestionImage = new TerraformVariable(this, 'ingestion_image', {
      type: 'string',
      description: 'Your ingestion worker image, pinned (reads the queue, embeds through the router, writes Qdrant)',
    });

    const cluster = new GpuInferenceCluster(this, 'Gpu', {
      cloud: Cloud.azure({ location: 'eastus2', authorizedIpRanges: [cidr] }),
      clusterName: 'rag-az',
      dataStack: this.dataStack,
      nodePools: [
        GpuNodePool.inference('llm', { gpu: Gpu.A100_80GB, mig: MigLayout.uniform('3g.40gb'), maxNodes: 2 }),
        GpuNodePool.inference('small', { gpu: Gpu.T4, maxNodes: 2 }),
      ],
    });
    const observability = new ObservabilityStack(this, 'Obs', { cluster });
    // One gateway per cluster, on an internal load balancer; its certificate is a Secret you create
    // (cert-manager or your PKI) named 'inference-gateway-tls' in namespace envoy-gateway-system.
    const gateway = new InferenceGateway(this, 'Gateway', { cluster });

    const rag = new RagStack(this, 'Rag', {
      cluster,
      gateway,
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'llm', contextLength: 8192, concurrentSequences: 16 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'small', maxReplicas: 1 }),
      reranker: ServedModel.of(RerankerModel.BGE_RERANKER_V2_M3, { pool: 'small', maxReplicas: 1 }),
      vectorStore: VectorStore.qdrant({ storageGib: 100 }),
      documents: { ingestion: { image: ingestionImage.stringValue } },
      prometheusUrl: observability.prometheusUrl,
      outputs: true,
    });

    const chat = new PlatformNamespace(this, 'ChatNamespace', { cluster, name: 'chat', podSecurity: PodSecurityLevel.RESTRICTED });
    const chatApi = cluster.bindServiceAccount(this, 'ChatApi', { namespace: 'chat', serviceAccountName: 'chat-api' });
    rag.grantQuery(chatApi, chat.dependables);
  }
}
