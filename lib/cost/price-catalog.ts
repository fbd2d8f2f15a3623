import { Token } from 'cdktf';

/** Where a set of list prices comes from and when it was read. */
interface PriceSheet {
  readonly cloud: string;
  readonly region: string;
  readonly source: string;
  readonly asOf: string;
  readonly currency: string;
  readonly prices: { [instanceType: string]: number };
}

/**
 * Public on-demand list prices (Linux, USD per node-hour). Every type or size the library offers for a GPU,
 * Neuron or system pool has a row in the cloud's sheet or is missing on purpose: a missing row is reported
 * as "unknown", never estimated. Refresh a sheet as a whole and change its `asOf`.
 */
const SHEETS: PriceSheet[] = [
  {
    cloud: 'aws',
    region: 'us-east-1',
    // Karpenter generates this table from the AWS Price List API (Linux, shared tenancy, on-demand).
    source: 'AWS Price List API via aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go',
    asOf: '2026-01-19',
    currency: 'USD',
    prices: {
      // System pool default.
      'm6i.xlarge': 0.192,
      // A100 40GB / 80GB, H100, H200.
      'p4d.24xlarge': 21.957642,
      'p4de.24xlarge': 27.44705,
      'p5.4xlarge': 6.88,
      'p5.48xlarge': 55.04,
      'p5en.48xlarge': 63.296,
      // p5e.48xlarge is sold through Capacity Blocks and has no on-demand list price: unknown.
      // L4.
      'g6.xlarge': 0.8048,
      'g6.2xlarge': 0.9776,
      'g6.4xlarge': 1.3232,
      'g6.8xlarge': 2.0144,
      'g6.16xlarge': 3.3968,
      'g6.12xlarge': 4.6016,
      'g6.24xlarge': 6.6752,
      'g6.48xlarge': 13.3504,
      'gr6.4xlarge': 1.5392,
      'gr6.8xlarge': 2.4464,
      // L40S.
      'g6e.xlarge': 1.861,
      'g6e.2xlarge': 2.24208,
      'g6e.4xlarge': 3.00424,
      'g6e.8xlarge': 4.52856,
      'g6e.16xlarge': 7.57719,
      'g6e.12xlarge': 10.49264,
      'g6e.24xlarge': 15.06559,
      'g6e.48xlarge': 30.13118,
      // A10G.
      'g5.xlarge': 1.006,
      'g5.2xlarge': 1.212,
      'g5.4xlarge': 1.624,
      'g5.8xlarge': 2.448,
      'g5.16xlarge': 4.096,
      'g5.12xlarge': 5.672,
      'g5.24xlarge': 8.144,
      'g5.48xlarge': 16.288,
      // T4.
      'g4dn.xlarge': 0.526,
      'g4dn.2xlarge': 0.752,
      'g4dn.4xlarge': 1.204,
      'g4dn.8xlarge': 2.176,
      'g4dn.16xlarge': 4.352,
      'g4dn.12xlarge': 3.912,
      'g4dn.metal': 7.824,
      // Inferentia2, Trainium (trn2 had no on-demand row in the sheet: unknown).
      'inf2.xlarge': 0.7582,
      'inf2.8xlarge': 1.96786,
      'inf2.24xlarge': 6.49063,
      'inf2.48xlarge': 12.98127,
      'trn1.2xlarge': 1.34375,
      'trn1.32xlarge': 21.5,
      'trn1n.32xlarge': 24.78,
    },
  },
  {
    cloud: 'azure',
    region: 'eastus',
    // Karpenter for Azure generates this table from the Azure Retail Prices API (Linux pay-as-you-go), whole
    // VM prices: the per-GPU collection used before multiplied some multi-GPU sizes wrongly. ND H200 had no
    // eastus row in it: unknown.
    source: 'Azure Retail Prices API via Azure/karpenter-provider-azure pkg/providers/pricing/zz_generated.pricing.go',
    asOf: '2026-06-18',
    currency: 'USD',
    prices: {
      // System pool default and the smallest general size.
      Standard_D4ds_v5: 0.226,
      Standard_B2ms: 0.0832,
      // T4.
      Standard_NC4as_T4_v3: 0.526,
      Standard_NC8as_T4_v3: 0.752,
      Standard_NC16as_T4_v3: 1.204,
      Standard_NC64as_T4_v3: 4.352,
      // A10 (whole GPUs only: 1 and 2).
      Standard_NV36ads_A10_v5: 3.2,
      Standard_NV72ads_A10_v5: 6.52,
      // A100 80GB PCIe (1, 2, 4 GPUs), A100 40GB / 80GB SXM (8 GPUs).
      Standard_NC24ads_A100_v4: 3.673,
      Standard_NC48ads_A100_v4: 7.346,
      Standard_NC96ads_A100_v4: 14.692,
      Standard_ND96asr_v4: 27.197,
      Standard_ND96amsr_A100_v4: 32.77,
      // H100 NVL (1, 2 GPUs), H100 SXM (8 GPUs).
      Standard_NC40ads_H100_v5: 6.98,
      Standard_NC80adis_H100_v5: 13.96,
      Standard_ND96isr_H100_v5: 98.32,
    },
  },
];

/** Hours in an average month (365 × 24 / 12), as cloud bills and budgets count them. */
export const HOURS_PER_MONTH = 730;

/** A list price found in the catalog. */
export interface ListPrice {
  /** Price of one node for one hour. */
  readonly hourlyPricePerNode: number;
  /** Currency, e.g. USD. */
  readonly currency: string;
  /** The region of the price. */
  readonly region: string;
  /** Where the price comes from. */
  readonly source: string;
  /** When the source was read (YYYY-MM-DD). */
  readonly asOf: string;
  /**
   * Why the region differs from the cluster's, when it does.
   * @default - none: the price is the cluster region's
   */
  readonly note?: string;
}

/**
 * On-demand list prices of the instance types and VM sizes the library offers, per region, with their
 * source and date. Regions without a sheet fall back to the cloud's reference region (us-east-1, eastus),
 * and say so.
 */
export class PriceCatalog {
  /** The catalog shipped with the library. */
  public static readonly DEFAULT = new PriceCatalog();

  /** The reference region of `cloud` ('aws' or 'azure'), whose sheet prices regions without their own. */
  public static referenceRegion(cloud: string): string | undefined {
    return SHEETS.find((s) => s.cloud === cloud)?.region;
  }

  private constructor() {}

  /**
   * The on-demand list price of one node of `instanceType` in `region` of `cloud`, or undefined when the
   * catalog has none (report it as unknown).
   * @param region the cluster's region; a token or a region without a sheet uses the reference region
   */
  public onDemand(cloud: string, instanceType: string, region?: string): ListPrice | undefined {
    const sheets = SHEETS.filter((s) => s.cloud === cloud);
    const known = region !== undefined && !Token.isUnresolved(region);
    const exact = known ? sheets.find((s) => s.region === region) : undefined;
    const sheet = exact ?? sheets[0];
    if (!sheet) return undefined;
    const price = sheet.prices[instanceType];
    if (price === undefined) return undefined;
    const note = exact
      ? undefined
      : known
        ? `no price sheet for ${region}; ${sheet.region} list price`
        : `region unknown at synth; ${sheet.region} list price`;
    return { hourlyPricePerNode: price, currency: sheet.currency, region: sheet.region, source: sheet.source, asOf: sheet.asOf, note };
  }

  /** Every instance type or VM size with a price in `cloud`'s reference sheet. */
  public instanceTypes(cloud: string): string[] {
    return Object.keys(SHEETS.find((s) => s.cloud === cloud)?.prices ?? {}).sort();
  }
}
