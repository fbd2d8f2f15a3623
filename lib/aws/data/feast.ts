import { Construct } from 'constructs';
import { IWorkloadIdentity } from '../../core/cluster';
import { IObjectStore } from '../../core/data-services';
import {
  FeastEnvValue,
  FeastObjectStoreLocation,
  FeastOnlineTablesOptions,
  FeastPodIdentity,
  IFeastBackend,
  IFeastOnlineTables,
} from '../../core/feast-backend';
import { reportProblems } from '../../private/problems';
import { awsContext } from '../account';
import { PodIdentityBinding } from '../pod-identity';

/**
 * DynamoDB actions per access level ('read', 'materialize', 'write'), from what Feast 0.66's
 * DynamoDBOnlineStore calls: reads use BatchGetItem/GetItem; materialization writes through batch_writer
 * (BatchWriteItem), put_item and update_item; `feast apply` describes, creates, tags and deletes tables.
 * Any other access level is refused (an error), never widened to the admin's actions.
 */
export function dynamoDbActions(access: string): string[] {
  const read = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
  if (access === 'read') return read;
  const write = [...read, 'dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
  if (access === 'materialize') return write;
  // Fail closed: an access level this function does not know gets nothing, not the table admin's actions.
  if (access !== 'write') throw new Error(`dynamoDbActions: access '${access}' is not one of 'read', 'materialize', 'write'`);
  return [
    ...write,
    'dynamodb:DeleteItem',
    'dynamodb:CreateTable',
    'dynamodb:UpdateTable',
    'dynamodb:DeleteTable',
    'dynamodb:TagResource',
    'dynamodb:UntagResource',
    'dynamodb:ListTagsOfResource',
  ];
}

/** Feast on AWS: DynamoDB online tables keyless with Pod Identity, S3 through s3fs, boto3's region. */
export class AwsFeastBackend implements IFeastBackend {
  public readonly smallPostgresInstanceType = 'db.t4g.medium';

  public onlineStoreProblems(kind: string): string[] {
    if (kind !== 'redis') return [];
    return [
      "onlineStore OnlineStore.managedRedis() on AWS is ElastiCache for Valkey with IAM-authenticated users only, and Feast's Redis online store sends the static password of its connection_string (redis-py, no IAM token refresh), so it could never log in; use OnlineStore.dynamoDb() (keyless with Pod Identity) or OnlineStore.postgres()",
    ];
  }

  public offlineStoreProblems(image: string, stockImage: boolean): string[] {
    // The file engine reads parquet through Dask and fsspec: s3:// needs s3fs, which feast[minimal] leaves out.
    if (!stockImage) return [];
    return [
      `image '${image}' cannot read offlineStore OfflineStore.objectStore() on AWS: Feast's file engine reads s3:// parquet through Dask and fsspec, which need s3fs, and the Feast image installs feast[minimal] without it, so every materialization fails; build an image FROM it with \`pip install s3fs\` and pass it as image`,
    ];
  }

  public fileRegistryProblems(): string[] {
    return [];
  }

  public offlineLocation(store: IObjectStore): FeastObjectStoreLocation {
    return { dataUrl: `${store.url}/`, env: [] };
  }

  public fileRegistrySettings(): { [key: string]: string } {
    return {};
  }

  public onlineTables(scope: Construct, options: FeastOnlineTablesOptions): IFeastOnlineTables {
    const aws = awsContext(scope);
    const tables = `arn:${aws.partition.partition}:dynamodb:${options.region}:${aws.caller.accountId}:table/${options.project}.*`;
    const sid = options.grantId;
    return {
      grant: (identity: IWorkloadIdentity, access: string) => {
        if (identity instanceof PodIdentityBinding) {
          identity.addToPolicy({ sid: `FeastOnlineRead${sid}`, actions: dynamoDbActions('read'), resources: [tables] });
          if (access !== 'read') {
            const more = dynamoDbActions(access).filter((a) => !dynamoDbActions('read').includes(a));
            identity.addToPolicy({ sid: `FeastOnline${access === 'write' ? 'Admin' : 'Write'}${sid}`, actions: more, resources: [tables] });
          }
        } else {
          reportProblems(scope, [
            `grant identity ${identity.node.path} is not an EKS Pod Identity; bind the service account with cluster.bindServiceAccount on this EKS cluster`,
          ]);
        }
      },
    };
  }

  public sdkEnvironment(region: string): FeastEnvValue[] {
    // boto3 (DynamoDB, S3 registry, RDS tokens) and PyArrow's S3 filesystem need the region.
    return [
      { name: 'AWS_REGION', value: region },
      { name: 'AWS_DEFAULT_REGION', value: region },
    ];
  }

  public identityTenant(): string | undefined {
    return undefined;
  }

  public podIdentity(): FeastPodIdentity {
    // EKS Pod Identity needs nothing: its webhook injects every pod whose service account is associated.
    return { env: [], volumes: [], mounts: [] };
  }
}
