import { ChartRef, pinnedChart } from '../addons/chart';

/**
 * Pinned charts of the in-cluster vector stores (versions of the reference copies the library's values are
 * checked against).
 */
export class VectorStoreCharts {
  /** Qdrant (app v1.19.0). */
  public static readonly QDRANT: ChartRef = pinnedChart('qdrant', 'https://qdrant.github.io/qdrant-helm', '1.19.0');
  /** Milvus (app 2.6.15), run standalone with its bundled etcd and MinIO. */
  public static readonly MILVUS: ChartRef = pinnedChart('milvus', 'https://zilliztech.github.io/milvus-helm/', '5.0.19');
  /** Weaviate (app 1.38.2). */
  public static readonly WEAVIATE: ChartRef = pinnedChart('weaviate', 'https://weaviate.github.io/weaviate-helm', '17.8.3');
}
