/**
 * A length of time, for retention periods, alert windows and latency objectives. Kept in whole
 * milliseconds so Prometheus renderings are exact and synth output stays deterministic.
 */
export class Duration {
  /** Whole days. */
  public static days(amount: number): Duration {
    return new Duration(amount, 86_400_000, 'days');
  }
  /** Whole hours. */
  public static hours(amount: number): Duration {
    return new Duration(amount, 3_600_000, 'hours');
  }
  /** Whole minutes. */
  public static minutes(amount: number): Duration {
    return new Duration(amount, 60_000, 'minutes');
  }
  /** Seconds; fractions down to the millisecond are kept (latency objectives such as 0.5 s). */
  public static seconds(amount: number): Duration {
    return new Duration(amount, 1000, 'seconds');
  }
  /** Milliseconds. */
  public static millis(amount: number): Duration {
    return new Duration(amount, 1, 'millis');
  }

  private readonly ms: number;

  private constructor(amount: number, unitMs: number, unit: string) {
    if (!Number.isFinite(amount) || amount < 0) {
      throw new Error(`Duration.${unit}(${amount}): the amount must be a finite number >= 0`);
    }
    const ms = amount * unitMs;
    if (Math.abs(ms - Math.round(ms)) > 1e-6) {
      throw new Error(`Duration.${unit}(${amount}): the smallest unit is one millisecond; round the amount`);
    }
    this.ms = Math.round(ms);
  }

  /** The duration in milliseconds. */
  public toMilliseconds(): number {
    return this.ms;
  }

  /** The duration in seconds (fractional below one second). */
  public toSeconds(): number {
    return this.ms / 1000;
  }

  /**
   * The duration as a Prometheus duration in the largest unit that divides it exactly:
   * '15d', '6h', '5m', '30s', '500ms'; '0s' for zero. Weeks and years are avoided on purpose:
   * they read ambiguously in retention settings.
   */
  public toPrometheus(): string {
    if (this.ms === 0) return '0s';
    for (const [unit, size] of [
      ['d', 86_400_000],
      ['h', 3_600_000],
      ['m', 60_000],
      ['s', 1000],
    ] as const) {
      if (this.ms % size === 0) return `${this.ms / size}${unit}`;
    }
    return `${this.ms}ms`;
  }

  /** Whether this duration is shorter than `other`. */
  public isShorterThan(other: Duration): boolean {
    return this.ms < other.ms;
  }

  /** Same as `toPrometheus()`, for messages. */
  public toString(): string {
    return this.toPrometheus();
  }
}
