/**
 * The pinned Feast server image. The library renders the feature server's Deployment and Service itself
 * (without `replicas`, which KEDA owns), following the feast-feature-server 0.66.0 chart's templates.
 */
export class FeastCharts {
  /**
   * The chart's default image: `feast[minimal]==0.66.0` (aws, gcp, redis, postgres, duckdb, ... but not
   * `azure` or adlfs) on UBI 9 Python 3.12, running as uid 1001.
   */
  public static readonly FEATURE_SERVER_IMAGE = 'quay.io/feastdev/feature-server:0.66.0';
}
