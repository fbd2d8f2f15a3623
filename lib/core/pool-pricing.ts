import { Token } from 'cdktf';

/** How the nodes of a pool are bought. */
export enum PoolMarket {
  /** Pay-as-you-go list price. */
  ON_DEMAND = 'on-demand',
  /** Spare capacity at a discount that moves with supply and demand; nodes can be reclaimed. */
  SPOT = 'spot',
  /** Capacity paid for in advance (reserved instances, savings plans, Azure reservations). */
  RESERVED = 'reserved',
}

/** Inputs of a price of one node an organisation pays instead of the list price. */
export interface PoolPriceOptions {
  /** Price of one node for one hour, in the catalog's currency (USD). */
  readonly hourlyPricePerNode: number;
  /** Where the price comes from, e.g. 'EDP 2026 rate card' or 'RI 3y all upfront, effective rate'. */
  readonly source: string;
}

/**
 * What a pool's nodes cost, when the library's catalog of public list prices is not the answer: a
 * negotiated or reserved rate, or an expected spot discount. The platform report and the cost recording
 * rules price the pool with it.
 *
 * ```ts
 * GpuNodePool.inference('llm', { gpu: Gpu.H100_80GB, maxNodes: 4,
 *   pricing: PoolPricing.reserved({ hourlyPricePerNode: 31.46, source: 'RI 1y no upfront, 2026-11' }) })
 * ```
 */
export class PoolPricing {
  /** Capacity reserved in advance at an effective hourly rate per node. */
  public static reserved(options: PoolPriceOptions): PoolPricing {
    return new PoolPricing(PoolMarket.RESERVED, options.hourlyPricePerNode, undefined, options.source);
  }

  /** A negotiated on-demand (or spot) rate per node, replacing the list price; the market stays the pool's. */
  public static negotiated(options: PoolPriceOptions): PoolPricing {
    return new PoolPricing(undefined, options.hourlyPricePerNode, undefined, options.source);
  }

  /**
   * For a spot pool: the expected discount off the on-demand list price, a fraction in (0, 1), e.g. 0.6
   * for 60 % off. Without it a spot pool's price is reported as "varies", with the on-demand price as its ceiling.
   */
  public static expectedSpotDiscount(fraction: number, source: string): PoolPricing {
    return new PoolPricing(PoolMarket.SPOT, undefined, fraction, source);
  }

  /**
   * The market this pricing fixes, if any (reserved); otherwise the pool's spot flag decides.
   * @default - the pool's: spot with `spot: true`, else on-demand
   */
  public readonly market?: PoolMarket;
  /**
   * Price of one node-hour, when given.
   * @default - the catalog's list price (reduced by `spotDiscount` when given)
   */
  public readonly hourlyPricePerNode?: number;
  /**
   * Expected spot discount off on-demand, when given.
   * @default - none: a spot pool is priced at the on-demand ceiling
   */
  public readonly spotDiscount?: number;
  /** Where the price comes from. */
  public readonly source: string;

  private constructor(market: PoolMarket | undefined, hourly: number | undefined, discount: number | undefined, source: string) {
    this.market = market;
    this.hourlyPricePerNode = hourly;
    this.spotDiscount = discount;
    this.source = source;
  }

  /** Problems, as `<at>.pricing <value> <problem>; <fix>` messages. */
  public validate(at: string, spot: boolean): string[] {
    const out: string[] = [];
    if (
      this.hourlyPricePerNode !== undefined &&
      !Token.isUnresolved(this.hourlyPricePerNode) &&
      !(this.hourlyPricePerNode >= 0 && Number.isFinite(this.hourlyPricePerNode))
    )
      out.push(`${at}.pricing.hourlyPricePerNode ${this.hourlyPricePerNode} is not a price; give the hourly price of one node, >= 0`);
    if (this.spotDiscount !== undefined) {
      if (!Token.isUnresolved(this.spotDiscount) && !(this.spotDiscount > 0 && this.spotDiscount < 1))
        out.push(`${at}.pricing.spotDiscount ${this.spotDiscount} is not a fraction in (0, 1); pass e.g. 0.6 for 60 % off on-demand`);
      if (!spot) out.push(`${at}.pricing spotDiscount on a pool without spot: true is never applied; set spot: true or drop the pricing`);
    }
    if (this.market === PoolMarket.RESERVED && spot)
      out.push(`${at}.pricing reserved on a spot pool mixes two markets; drop spot: true or use PoolPricing.expectedSpotDiscount`);
    if (this.source.trim() === '') out.push(`${at}.pricing.source '' is empty; say where the price comes from`);
    return out;
  }
}
