import { Token } from 'cdktf';
import { longestIntervalSeconds, validateSchedule } from '../../lib/private/cron';

const PROP = 'materialization.schedule';
const FIX = "use five fields (minute hour day-of-month month day-of-week), e.g. '*/15 * * * *', or a macro such as '@hourly'";

describe('cron schedules', () => {
  test.each([
    ['*/15 * * * *', 900],
    ['0 * * * *', 3600],
    ['5,35 * * * *', 1800],
    ['0 */6 * * *', 6 * 3600],
    // Kubernetes reads 5/15 as 5-59/15: :05, :20, :35, :50, then :05 again.
    ['5/15 * * * *', 900],
    ['* * * * *', 60],
    // Every day (no walk over the days): the gap across midnight counts, 22:00 to 02:00 is 4 h, 02:00 to 22:00 20 h.
    ['0 2,22 * * *', 20 * 3600],
    ['30 1 * * *', 86_400],
    ['*/7 * * * *', 7 * 60],
    // The same days spelled out walks the days, and agrees.
    ['30 1 1-31 1-12 0-6', 86_400],
    // Kubernetes reads */1 as *: both day fields must match, so the 1st of each month, not every day.
    ['0 0 1 * */1', 31 * 86_400],
    ['*/1 */1 */1 */1 */1', 60],
    // Friday 09:00 to Monday 09:00.
    ['0 9 * * 1-5', 3 * 86_400],
    ['0 9 * * mon-fri', 3 * 86_400],
    ['0 9 * * MON-FRI', 3 * 86_400],
    // The longest month gap: Jan 1 to Feb 1, 31 days.
    ['0 0 1 * *', 31 * 86_400],
    // Both day fields restricted: either may match (the 1st, or any Monday), so a week at most, not the
    // months between Mondays that fall on a 1st.
    ['0 0 1 * mon', 7 * 86_400],
    // Only leap days: 2028-02-29 to 2032-02-29.
    ['0 0 29 2 *', (365 * 4 + 1) * 86_400],
    ['@hourly', 3600],
    ['@daily', 86_400],
    ['@midnight', 86_400],
    ['@weekly', 7 * 86_400],
    ['@monthly', 31 * 86_400],
    ['@yearly', 366 * 86_400],
    ['@annually', 366 * 86_400],
  ])('%s is accepted and repeats at most every %i s', (schedule, seconds) => {
    expect(validateSchedule(schedule, PROP)).toEqual([]);
    expect(longestIntervalSeconds(schedule)).toBe(seconds);
  });

  test('the longest interval does not depend on the day it is computed', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2031, 5, 17, 13, 7));
    try {
      expect(longestIntervalSeconds('0 0 1 * *')).toBe(31 * 86_400);
    } finally {
      now.mockRestore();
    }
  });

  test('a token is not checked', () => {
    expect(validateSchedule(Token.asString({ Ref: 'schedule' }), PROP)).toEqual([]);
  });

  test.each([
    ['*/15 * * *', "'*/15 * * *' is not a 5-field cron schedule (4 fields)"],
    ['0 */15 * * * *', "'0 */15 * * * *' is not a 5-field cron schedule (6 fields)"],
    ['61 * * * *', "'61 * * * *' is not a valid cron schedule: Invalid value for minute: 61"],
    ['0 25 * * *', "'0 25 * * *' is not a valid cron schedule: Invalid value for hour: 25"],
    ['0 0 * * funday', "'0 0 * * funday' is not a valid cron schedule:"],
    ['*/0 * * * *', "'*/0 * * * *' is not a valid cron schedule: Syntax error, illegal stepping: 0"],
    ['30-10 * * * *', "'30-10 * * * *' is not a valid cron schedule: From value is larger than to value: '30-10'"],
    ['0 0 L * *', "'0 0 L * *' uses 'L' (L, W and # are Quartz extensions), which Kubernetes CronJobs refuse"],
    ['0 0 15W * *', "'0 0 15W * *' uses '15W' (L, W and # are Quartz extensions), which Kubernetes CronJobs refuse"],
    ['0 0 * * 1#2', "'0 0 * * 1#2' uses '1#2' (L, W and # are Quartz extensions), which Kubernetes CronJobs refuse"],
    ['0 0 * * 5-7', "'0 0 * * 5-7' uses day of week '5-7' (Sunday is 0 here; 7 is out of range), which Kubernetes CronJobs refuse"],
  ])('%s is refused', (schedule, why) => {
    expect(validateSchedule(schedule, PROP)).toEqual([expect.stringMatching(new RegExp(`^${esc(`${PROP} ${why}`)}.*; ${esc(FIX)}$`))]);
  });

  test.each(['@every 15m', '@HOURLY', '@reboot'])('%s is not a macro Kubernetes accepts', (schedule) => {
    expect(validateSchedule(schedule, PROP)).toEqual([
      `${PROP} '${schedule}' is not a macro Kubernetes CronJobs accept (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly); ${FIX}`,
    ]);
  });

  test.each(['0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *'])('%s parses but never runs, and is refused', (schedule) => {
    expect(validateSchedule(schedule, PROP)).toEqual([
      `${PROP} '${schedule}' never runs (no month it names has the day of month it names); use days that exist in those months (1 to 28 exist in all), e.g. '0 0 28 2 *'`,
    ]);
  });

  test('a day that exists in one of the months named is enough', () => {
    expect(validateSchedule('0 0 31 2,3 *', PROP)).toEqual([]);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
