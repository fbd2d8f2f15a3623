import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider } from '../core/cluster';
import { IObjectStore, ObjectStoreOptions } from '../core/data-services';
import { ObjectStore } from '../data-services';
import { FeastCharts } from './charts';
import { FeastAccess, FeastEnvVar } from './feature-store-yaml';
import { FeastContext, FeastStoreCheck, IOfflineStoreBinding } from './stores';

/** Options of the object-store offline store. */
export interface ObjectStoreOfflineStoreOptions extends ObjectStoreOptions {
  /**
   * An existing object store instead of a new one.
   * @default - a new ObjectStore with these options
   */
  readonly store?: IObjectStore;
}

/**
 * Where historical features live. Parquet files in the cluster's object store (S3, or a private Azure
 * storage container), read by Feast's `file` engine (Dask over fsspec), keyless: on AWS s3fs takes the
 * pod's Pod Identity (the AWS SDK default chain), on Azure adlfs takes the workload identity
 * (DefaultAzureCredential). Both need an image with the filesystem: `s3fs`, or `feast[azure]` and `adlfs`.
 */
export abstract class OfflineStore {
  /** Parquet in an ObjectStore, read by Feast's file engine. */
  public static objectStore(options: ObjectStoreOfflineStoreOptions = {}): OfflineStore {
    return new ObjectStoreOffline(options);
  }

  /** Feast's offline store type ('file'). */
  public abstract readonly kind: string;

  /** Problems of this store on the given cloud and image. */
  public abstract problems(check: FeastStoreCheck): string[];

  /** Creates the store under `scope`. */
  public abstract bind(scope: Construct, ctx: FeastContext): IOfflineStoreBinding;
}

class ObjectStoreOffline extends OfflineStore {
  public readonly kind = 'file';

  constructor(private readonly options: ObjectStoreOfflineStoreOptions) {
    super();
  }

  public problems(check: FeastStoreCheck): string[] {
    if (check.cloudProvider === CloudProvider.AZURE && check.image === FeastCharts.FEATURE_SERVER_IMAGE) {
      return [
        `image '${check.image}' cannot read offlineStore OfflineStore.objectStore() on Azure: the Feast image installs feast[minimal], without feast[azure] and adlfs, so az:// parquet has no filesystem and materialization fails; build an image FROM it with \`pip install 'feast[azure]==0.66.0' adlfs\` and pass it as image`,
      ];
    }
    // The file engine reads parquet through Dask and fsspec: s3:// needs s3fs, which feast[minimal] leaves out.
    if (check.cloudProvider === CloudProvider.AWS && check.image === FeastCharts.FEATURE_SERVER_IMAGE) {
      return [
        `image '${check.image}' cannot read offlineStore OfflineStore.objectStore() on AWS: Feast's file engine reads s3:// parquet through Dask and fsspec, which need s3fs, and the Feast image installs feast[minimal] without it, so every materialization fails; build an image FROM it with \`pip install s3fs\` and pass it as image`,
      ];
    }
    return [];
  }

  public bind(scope: Construct, ctx: FeastContext): IOfflineStoreBinding {
    const { store: given, ...storeOptions } = this.options;
    const store: IObjectStore =
      given ??
      new ObjectStore(scope, 'OfflineData', {
        ...storeOptions,
        cluster: ctx.cluster,
        removalPolicy: storeOptions.removalPolicy ?? ctx.removalPolicy,
      });
    const azure = ctx.cluster.cloudProvider === CloudProvider.AZURE;
    const blob = azure ? azureBlobParts(store.url) : undefined;
    // adlfs resolves az://<container>/<path> against AZURE_STORAGE_ACCOUNT_NAME over the blob endpoint,
    // the one the storage account's private endpoint serves (abfss:// would go to the dfs endpoint).
    const dataUrl = blob ? `az://${blob.container}/` : `${store.url}/`;
    const env: FeastEnvVar[] = blob
      ? [
          { name: 'AZURE_STORAGE_ACCOUNT_NAME', value: blob.account },
          // adlfs then authenticates with DefaultAzureCredential (the workload identity), not anonymously.
          { name: 'AZURE_STORAGE_ANON', value: 'false' },
        ]
      : [];
    return {
      kind: this.kind,
      dataUrl,
      grant: (identity, access) => {
        if (access === FeastAccess.WRITE) store.grantReadWrite(identity);
        else if (access === FeastAccess.MATERIALIZE) store.grantRead(identity);
        // Readers never open the offline store: no grant, no storage settings.
        return {
          config: { type: 'file' },
          env: access === FeastAccess.READ ? [] : env,
          postgresLogins: [],
          dependables: [...identity.dependables],
        };
      },
    };
  }
}

/** Account and container of an Azure blob URL (`https://<account>.blob.core.windows.net/<container>`). */
function azureBlobParts(url: string): { account: string; container: string } {
  const m = /^https:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\/(.+)$/.exec(url);
  if (m) return { account: m[1], container: m[2] };
  const hostAndPath = Fn.replace(url, 'https://', '');
  return {
    account: Fn.element(Fn.split('.', hostAndPath), 0),
    container: Fn.element(Fn.split('/', hostAndPath), 1),
  };
}
