import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { dataScopeIn } from '../../core/data-scope';
import { Duration } from '../../core/duration';
import { IObjectStore, ObjectStoreOptions, RemovalPolicy } from '../../core/data-services';
import { lazyModule } from '../../private/lazy';
import { reportProblems } from '../../private/problems';
import { isToken } from '../../private/validation';
import { lifecycleFor, namePrefix, physicalName, podIdentityOf, problemSubject, serviceId, shortHash, tagsFor, wholeDays } from './common';
import { dataKey } from './kms';

const dataAwsIamPolicyDocumentLib = lazyModule<typeof import('@cdktf/provider-aws/lib/data-aws-iam-policy-document')>(
  '@cdktf/provider-aws/lib/data-aws-iam-policy-document',
);
const s3BucketLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket')>('@cdktf/provider-aws/lib/s3-bucket');
const s3BucketLifecycleConfigurationLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration')>(
  '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration',
);
const s3BucketOwnershipControlsLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-ownership-controls')>(
  '@cdktf/provider-aws/lib/s3-bucket-ownership-controls',
);
const s3BucketPolicyLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-policy')>('@cdktf/provider-aws/lib/s3-bucket-policy');
const s3BucketPublicAccessBlockLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-public-access-block')>(
  '@cdktf/provider-aws/lib/s3-bucket-public-access-block',
);
const s3BucketSseLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration')>(
  '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration',
);
const s3BucketVersioningLib = lazyModule<typeof import('@cdktf/provider-aws/lib/s3-bucket-versioning')>(
  '@cdktf/provider-aws/lib/s3-bucket-versioning',
);

/** Props of S3ObjectStore. */
export interface S3ObjectStoreProps extends ObjectStoreOptions {
  /** Cluster name (may be a token): generated bucket names start with it. */
  readonly clusterName: string;
  /** Tags for every resource. */
  readonly tags: { [key: string]: string };
  /**
   * The stack the bucket, its key and settings go to (under a construct standing for this one).
   * @default - none: under this construct
   */
  readonly dataStack?: TerraformStack;
}

/** S3 rejects these starts and ends of bucket names (reserved for access points, aliases, directory buckets). */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '--x-s3', '--table-s3'];

/** Problems of a literal bucket name (`<prop> <value> <problem>; <fix>`). */
export function validateBucketName(name: string | undefined): string[] {
  if (name === undefined || isToken(name)) return [];
  const fix =
    "use 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit (no dots, so the name also fits Azure)";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return [`name '${name}' is formatted like an IP address, which S3 rejects; ${fix}`];
  if (name.length < 3 || name.length > 63) return [`name '${name}' has ${name.length} characters; ${fix}`];
  if (!/^[a-z0-9-]+$/.test(name)) return [`name '${name}' has characters other than lower-case letters, digits and '-'; ${fix}`];
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return [`name '${name}' starts or ends with '-'; ${fix}`];
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (prefix || suffix)
    return [`name '${name}' ${prefix ? `starts with '${prefix}'` : `ends with '${suffix}'`}, which S3 reserves; pick another name`];
  return [];
}

/**
 * An S3 bucket for documents, models or features: private (public access block, bucket owner enforced),
 * encrypted with its own rotating KMS key (bucket keys on), versioned, TLS only, incomplete multipart
 * uploads and old versions expired. Retained by default (`prevent_destroy`); RemovalPolicy.DESTROY makes it
 * a throwaway bucket emptied on destroy.
 */
export class S3ObjectStore extends Construct implements IObjectStore {
  public readonly bucketName: string;
  public readonly url: string;
  /** The bucket. */
  public readonly bucket: S3Bucket;
  /** The key encrypting its objects. */
  public readonly key: KmsKey;
  private readonly subject: IConstruct;
  private readonly granted = new Map<string, boolean>();

  constructor(scope: Construct, id: string, props: S3ObjectStoreProps) {
    super(scope, id);
    this.subject = problemSubject(this);
    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.noncurrentVersionRetention ?? Duration.days(30);
    const days = wholeDays(retention);
    reportProblems(this.subject, [
      ...validateBucketName(props.name),
      ...(days === undefined || days < 1
        ? [`noncurrentVersionRetention ${retention} is not a whole number of days (at least 1); use Duration.days(n)`]
        : []),
    ]);
    const tags = tagsFor(props.tags, removal);
    const hash = shortHash(this.subject.node.path);
    // Everything here is the bucket's: with a data stack, all of it outlives the cluster. Grants stay here.
    const home = dataScopeIn(props.dataStack, this);

    this.key = dataKey(home, {
      description: `Encryption of the objects of S3 bucket ${this.subject.node.path} (cluster ${props.clusterName})`,
      alias: physicalName([props.clusterName, serviceId(this), 's3'], hash, 200),
      tags,
      removalPolicy: removal,
    });
    // S3 appends 26 characters to bucket_prefix; 37 + 26 = 63, the longest bucket name.
    this.bucket = new (s3BucketLib().S3Bucket)(home, 'Bucket', {
      bucket: props.name,
      bucketPrefix: props.name === undefined ? namePrefix([props.clusterName, serviceId(this)], 37) : undefined,
      forceDestroy: removal === RemovalPolicy.DESTROY ? true : undefined,
      tags,
      lifecycle: lifecycleFor(removal),
    });
    const bucketId = this.bucket.id;
    const publicAccess = new (s3BucketPublicAccessBlockLib().S3BucketPublicAccessBlock)(home, 'PublicAccessBlock', {
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    // ACLs off: the bucket policy and IAM alone decide access.
    new (s3BucketOwnershipControlsLib().S3BucketOwnershipControls)(home, 'Ownership', {
      bucket: bucketId,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new (s3BucketSseLib().S3BucketServerSideEncryptionConfigurationA)(home, 'Encryption', {
      bucket: bucketId,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }],
    });
    const versioning = new (s3BucketVersioningLib().S3BucketVersioningA)(home, 'Versioning', {
      bucket: bucketId,
      versioningConfiguration: { status: 'Enabled' },
    });
    const tlsOnly = new (dataAwsIamPolicyDocumentLib().DataAwsIamPolicyDocument)(home, 'TlsOnly', {
      statement: [
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    // After the public access block: S3 rejects concurrent changes of one bucket's policy settings.
    new (s3BucketPolicyLib().S3BucketPolicy)(home, 'Policy', { bucket: bucketId, policy: tlsOnly.json, dependsOn: [publicAccess] });
    new (s3BucketLifecycleConfigurationLib().S3BucketLifecycleConfiguration)(home, 'Lifecycle', {
      bucket: bucketId,
      rule: [
        {
          id: 'abort-uploads-expire-noncurrent',
          status: 'Enabled',
          filter: [{}],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          noncurrentVersionExpiration: [{ noncurrentDays: days !== undefined && days >= 1 ? days : 30 }],
        },
      ],
      dependsOn: [versioning],
    });

    this.bucketName = this.bucket.bucket;
    this.url = `s3://${this.bucket.bucket}`;
  }

  public grantRead(identity: IWorkloadIdentity): void {
    this.grant(identity, false, 'grantRead');
  }

  public grantReadWrite(identity: IWorkloadIdentity): void {
    this.grant(identity, true, 'grantReadWrite');
  }

  private grant(identity: IWorkloadIdentity, write: boolean, method: string): void {
    const binding = podIdentityOf(this.subject, identity, method);
    if (!binding) return;
    const had = this.granted.get(identity.node.path);
    // Sids must be unique in the role's one policy: derived from the store, so two stores never collide.
    const h = shortHash(this.subject.node.path, 8);
    const objects = `${this.bucket.arn}/*`;
    if (had === undefined) {
      binding.addToPolicy({ sid: `S3List${h}`, actions: ['s3:ListBucket'], resources: [this.bucket.arn] });
      binding.addToPolicy({ sid: `S3Read${h}`, actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] });
      binding.addToPolicy({ sid: `KmsDecrypt${h}`, actions: ['kms:Decrypt'], resources: [this.key.arn] });
    }
    if (write && had !== true) {
      binding.addToPolicy({
        sid: `S3Write${h}`,
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [objects],
      });
      binding.addToPolicy({ sid: `KmsEncrypt${h}`, actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [this.key.arn] });
    }
    this.granted.set(identity.node.path, write || had === true);
  }
}
