import { ChartRef } from '../addons/chart';

/**
 * Pinned charts of the in-cluster vector stores (versions of the reference copies the library's values are
 * checked against).
 */
export class VectorStoreCharts {
  /** Qdrant (app v1.19.0). */
  public static readonly QDRANT: ChartRef = {
    chart: 'qdrant',
    repository: 'https://qdrant.github.io/qdrant-helm',
    version: '1.19.0',
  };
  /** Milvus (app 2.6.15), run standalone with its bundled etcd and MinIO. */
  public static readonly MILVUS: ChartRef = {
    chart: 'milvus',
    repository: 'https://zilliztech.github.io/milvus-helm/',
    version: '5.0.19',
  };
  /** Weaviate (app 1.38.2). */
  public static readonly WEAVIATE: ChartRef = {
    chart: 'weaviate',
    repository: 'https://weaviate.github.io/weaviate-helm',
    version: '17.8.3',
  };
}
