import { lazyModule } from '../private/lazy';
import type { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import type { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterAccess } from '../private/cluster-access';
import { awsContext } from './account';
import { PodIdentityBinding } from './pod-identity';

const eksAddonLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-addon')>('@cdktf/provider-aws/lib/eks-addon');

/** The EBS CSI driver's name, as its CSIDriver object and StorageClass provisioner spell it. */
export const EBS_CSI_DRIVER = 'ebs.csi.aws.com';

/** The service account of the EBS CSI controller, which its Pod Identity binds. */
export const EBS_CSI_SERVICE_ACCOUNT = { namespace: 'kube-system', serviceAccountName: 'ebs-csi-controller-sa' };

/** How the `aws-ebs-csi-driver` add-on is installed. */
export interface EbsCsiDriverProps {
  /** Name of the EKS cluster. */
  readonly clusterName: string;
  /** The controller's Pod Identity (bound to EBS_CSI_SERVICE_ACCOUNT); it gets the driver's managed policy. */
  readonly identity: PodIdentityBinding;
  /**
   * Keep the add-on's objects when the add-on is destroyed (others' volumes may use the driver).
   * @default - unset
   */
  readonly preserve?: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
  /** What the add-on waits for besides the identity's association. */
  readonly dependsOn: ITerraformDependable[];
  /**
   * Wait for the policy attachment too (every dependable of the identity), not only the association.
   * @default false
   */
  readonly waitForPolicy?: boolean;
}

/**
 * The `aws-ebs-csi-driver` EKS add-on ('Addon-aws-ebs-csi-driver' in `scope`) with AWS's managed policy on
 * its own Pod Identity. Nodes keep IMDS one hop away: the controller takes its region (AWS_REGION) from the
 * Pod Identity webhook, the node DaemonSet its instance id, zone and type from its Node object (EKS's
 * providerID and topology labels) once IMDS does not answer.
 */
export function ebsCsiDriverAddon(scope: Construct, props: EbsCsiDriverProps): EksAddon {
  const partition = awsContext(scope).partition.partition;
  props.identity.addManagedPolicy('EbsCsiPolicy', `arn:${partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy`);
  return new (eksAddonLib().EksAddon)(scope, 'Addon-aws-ebs-csi-driver', {
    clusterName: props.clusterName,
    addonName: 'aws-ebs-csi-driver',
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'PRESERVE',
    preserve: props.preserve,
    tags: props.tags,
    dependsOn: [...props.dependsOn, ...(props.waitForPolicy ? props.identity.dependables : [props.identity.association])],
  });
}

/**
 * The library's encrypted gp3 StorageClass (ext4, Retain, WaitForFirstConsumer) for add-on volumes, through
 * `provisioner` (the EBS CSI driver, or EKS Auto Mode's).
 */
export function addGp3StorageClass(
  access: ClusterAccess,
  scope: Construct,
  name: string,
  provisioner: string,
  annotations: { [key: string]: string },
  after: ITerraformDependable[] = [],
): StorageClassV1 {
  return access.addRetainedStorageClass(scope, name, provisioner, { type: 'gp3', encrypted: 'true', fsType: 'ext4' }, annotations, after);
}
