import { Duration } from '../../lib/core/duration';
import { longestIntervalSeconds, validateMaterialization, validateSchedule } from '../../lib/feast/materialization';
import { validateProject } from '../../lib/feast/feature-store-yaml';

describe('cron schedules', () => {
  test.each([
    ['*/15 * * * *', 900],
    ['0 * * * *', 3600],
    ['5,35 * * * *', 1800],
    ['0 */6 * * *', 6 * 3600],
    // Friday 09:00 to Monday 09:00.
    ['0 9 * * 1-5', 3 * 86_400],
    ['0 9 * * mon-fri', 3 * 86_400],
    // The longest month gap: Jan 1 to Feb 1, 31 days.
    ['0 0 1 * *', 31 * 86_400],
  ])('%s repeats at most every %i s', (schedule, seconds) => {
    expect(validateSchedule(schedule)).toEqual([]);
    expect(longestIntervalSeconds(schedule)).toBe(seconds);
  });

  test.each([
    ['@hourly', '1 field'],
    ['*/15 * * *', '4 fields'],
    ['0 */15 * * * *', '6 fields'],
    ['61 * * * *', "minute '61' is outside 0-59"],
    ['0 25 * * *', "hour '25' is outside 0-23"],
    ['0 0 * * funday', "day of week 'funday' names an unknown value"],
    ['*/0 * * * *', "minute step '0' must be 1 or more"],
    ['30-10 * * * *', "minute range '30-10' runs backwards"],
  ])('%s is refused (%s)', (schedule, why) => {
    const problems = validateSchedule(schedule);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`materialization.schedule '${schedule}'`);
    expect(problems[0]).toContain(why);
    expect(problems[0]).toContain("use five fields (minute hour day-of-month month day-of-week), e.g. '*/15 * * * *'");
  });

  test('deadlines and retries are checked', () => {
    expect(
      validateMaterialization({
        schedule: '*/15 * * * *',
        timeout: Duration.seconds(30),
        retries: -1,
        startingDeadline: Duration.seconds(5),
      }),
    ).toEqual([
      'materialization.timeout 30s is shorter than a minute or not whole seconds; use e.g. Duration.hours(1)',
      'materialization.retries -1 is not a whole number from 0 to 10; use e.g. 2',
      'materialization.startingDeadline 5s is under 10 seconds (the CronJob controller checks every 10 s, so runs could be skipped) or not whole seconds; use e.g. Duration.minutes(5)',
    ]);
  });
});

describe('project names', () => {
  test.each(['fraud', 'fraud_v2', 'Fraud2024'])('%s is a Feast project name', (p) => expect(validateProject(p)).toEqual([]));
  test.each([
    ['fraud-detection', 'fraud_detection'],
    ['_private', 'private'],
    ['fraud detection', 'fraud_detection'],
  ])('%s is refused with a suggestion', (p, fix) => {
    expect(validateProject(p)).toEqual([
      `project '${p}' is not a Feast project name (letters, digits and '_', not starting with '_', 63 at most; Feast prefixes online tables and registry entries with it); use e.g. '${fix}'`,
    ]);
  });
});
