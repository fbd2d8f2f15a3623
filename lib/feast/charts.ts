import { ChartRef } from '../addons/chart';

/**
 * The pinned Feast chart and image. The chart's templates (v0.66.0, infra/charts/feast-feature-server)
 * render one Deployment and one Service; values are checked against the chart's values.yaml.
 */
export class FeastCharts {
  /** feast-feature-server 0.66.0 (one chart for the online, offline, registry and UI servers: `feast_mode`). */
  public static readonly FEATURE_SERVER: ChartRef = {
    chart: 'feast-feature-server',
    repository: 'https://feast-helm-charts.storage.googleapis.com',
    version: '0.66.0',
  };

  /**
   * The chart's default image: `feast[minimal]==0.66.0` (aws, gcp, redis, postgres, duckdb, ... but not
   * `azure` or adlfs) on UBI 9 Python 3.12, running as uid 1001.
   */
  public static readonly FEATURE_SERVER_IMAGE = 'quay.io/feastdev/feature-server:0.66.0';
}
