import type { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { Construct, Node } from 'constructs';
import { ISharedFileSystem, SharedFileSystemOptions } from '../../core/data-services';
import { sameStack } from '../../private/cluster-access';
import { NONROOT_UID } from '../../private/pod-security';
import { lazyModule } from '../../private/lazy';
import type { AzureDataServicesProps } from './index';

const storageClassV1Lib = lazyModule<typeof import('@cdktf/provider-kubernetes/lib/storage-class-v1')>(
  '@cdktf/provider-kubernetes/lib/storage-class-v1',
);

/** Name of the StorageClass of shared file systems on AKS. */
export const AZURE_FILES_STORAGE_CLASS = 'azurefile-premium-retain';

/**
 * The one StorageClass of each cluster, created by the first shared file system that needs it; by cluster,
 * then by the cluster construct (or by stack, when the cluster is no construct).
 */
const classes = new WeakMap<object, WeakMap<object, StorageClassV1>>();

/**
 * Azure Files premium shares for ReadWriteMany volumes, provisioned by the Azure Files CSI driver AKS ships
 * (file.csi.azure.com): SMB 3 with encryption in transit, a storage account the driver manages in the
 * cluster's resource group (the node resource group goes with the cluster), one share per volume. Like the built-in 'azurefile-csi-premium' class, but shares are
 * retained when their claim goes (reclaim Retain), can grow, and mount with options for a read-mostly
 * cache. The class is created once per cluster (in the stack of the first file system); the removal policy
 * has nothing to protect in Terraform: the driver owns the storage account.
 */
export class AzureFilesSharedFileSystem implements ISharedFileSystem {
  public readonly node: Node;
  public readonly elastic = false;
  public readonly storageClassName = AZURE_FILES_STORAGE_CLASS;
  public readonly dependables: ITerraformDependable[];
  /** The StorageClass (possibly made by an earlier file system of the cluster). */
  public readonly storageClass: StorageClassV1;

  constructor(scope: Construct, props: AzureDataServicesProps, options: SharedFileSystemOptions) {
    void options;
    this.node = scope.node;
    const stack = TerraformStack.of(scope);
    const perKey = classes.get(props.cluster) ?? new WeakMap<object, StorageClassV1>();
    classes.set(props.cluster, perKey);
    const key = Construct.isConstruct(props.cluster) ? props.cluster : stack;
    let storageClass = perKey.get(key);
    if (!storageClass) {
      let id = 'AzureFilesStorageClass';
      for (let i = 2; stack.node.tryFindChild(id); i++) id = `AzureFilesStorageClass${i}`;
      // At the stack's root: the class belongs to the cluster, not to the first construct that asked.
      const host = new Construct(stack, id);
      // The driver's storage account and shares go to a group that outlives the cluster, not to the node
      // resource group AKS deletes with it (retained or not).
      const volumes = props.retainedVolumes;
      storageClass = new (storageClassV1Lib().StorageClassV1)(host, 'Default', {
        provider: props.cluster.providers(host).kubernetes,
        metadata: { name: AZURE_FILES_STORAGE_CLASS },
        storageProvisioner: 'file.csi.azure.com',
        parameters: volumes ? { skuName: 'Premium_LRS', resourceGroup: volumes.resourceGroupName } : { skuName: 'Premium_LRS' },
        reclaimPolicy: 'Retain',
        allowVolumeExpansion: true,
        // Read-mostly cache: files 0644 and directories 0755, owned by the non-root uid/gid the library's
        // pods run as (SMB has no POSIX owners: the mount decides; the staging job writes as it); symlinks
        // as Hugging Face snapshots make them; strict caching; no shared socket (fewer reconnect races);
        // attributes cached 30 s (metadata-heavy loads).
        mountOptions: [
          'dir_mode=0755',
          'file_mode=0644',
          `uid=${NONROOT_UID}`,
          `gid=${NONROOT_UID}`,
          'mfsymlinks',
          'cache=strict',
          'nosharesock',
          'actimeo=30',
        ],
        dependsOn: [...props.cluster.addonDependencies(host), ...(volumes?.grant(host) ?? [])],
      });
      perKey.set(key, storageClass);
    }
    this.storageClass = storageClass;
    this.dependables = sameStack(scope, [storageClass]);
  }
}
