import { Construct } from 'constructs';
import { IObjectStore, ObjectStoreOptions } from '../core/data-services';
import { ObjectStore } from '../data-services';
import { FeastCharts } from './charts';
import { FeastAccess } from './feature-store-yaml';
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
    return check.backend.offlineStoreProblems(check.image, check.image === FeastCharts.FEATURE_SERVER_IMAGE);
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
    const { dataUrl, env } = ctx.cluster.dataServices.feast.offlineLocation(store);
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
