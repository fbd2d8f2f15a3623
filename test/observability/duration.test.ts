import { Duration } from '../../lib/core/duration';

describe('Duration', () => {
  test.each([
    [Duration.days(15), '15d', 1_296_000],
    [Duration.hours(6), '6h', 21_600],
    [Duration.hours(48), '2d', 172_800],
    [Duration.minutes(5), '5m', 300],
    [Duration.minutes(90), '90m', 5400],
    [Duration.seconds(30), '30s', 30],
    [Duration.seconds(120), '2m', 120],
    [Duration.millis(500), '500ms', 0.5],
    [Duration.seconds(1.5), '1500ms', 1.5],
    [Duration.seconds(0), '0s', 0],
  ])('%s renders as the largest exact unit', (d, prom, seconds) => {
    expect(d.toPrometheus()).toBe(prom);
    expect(d.toSeconds()).toBe(seconds);
  });

  test('compares', () => {
    expect(Duration.hours(1).isShorterThan(Duration.minutes(61))).toBe(true);
    expect(Duration.days(1).isShorterThan(Duration.hours(24))).toBe(false);
  });

  test('rejects negative, non-finite and sub-millisecond amounts', () => {
    expect(() => Duration.days(-1)).toThrow(/Duration.days\(-1\): the amount must be a finite number >= 0/);
    expect(() => Duration.seconds(NaN)).toThrow(/finite number/);
    expect(() => Duration.millis(0.5)).toThrow(/smallest unit is one millisecond/);
  });
});
