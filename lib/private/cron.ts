import { Cron, CronOptions } from 'croner';
import { isToken } from './validation';

/**
 * Cron schedules of Kubernetes CronJobs, parsed by croner. Kubernetes (robfig/cron's standard parser)
 * accepts five fields or a macro; croner also accepts Quartz extensions (seconds, years, `L`, `W`, `#`), so
 * those are refused here before croner reads the rest.
 */

/** The macros the Kubernetes API server accepts (lower case only). */
const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

const FIX = "use five fields (minute hour day-of-month month day-of-week), e.g. '*/15 * * * *', or a macro such as '@hourly'";

/**
 * Evaluated in UTC, as the CronJobs set `timeZone: Etc/UTC`; `5/15` means `5-59/15`, as Kubernetes reads it.
 * A fixed offset of 0 rather than `timezone: 'Etc/UTC'`: the same times, without a time-zone lookup per
 * run (40 times faster here).
 */
const OPTIONS: CronOptions = { paused: true, utcOffset: 0, mode: '5-part', sloppyRanges: true };

/** A fixed origin keeps the results independent of the day the app is synthesized. */
const ORIGIN = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;
/** Eight years from ORIGIN: two leap days, so a leap-day schedule has a gap to measure. */
const HORIZON_DAYS = 8 * 365 + 2;

/**
 * Kubernetes reads a field of `*` or `?` stepped by 1 (`*\/1`) as `*`, so `0 0 1 * *\/1` runs on the 1st
 * only (both day fields must match when either is `*`); croner would read it as a restricted day of week and
 * run every day. Fields are rewritten that way before croner reads them.
 */
function kubernetesFields(schedule: string): string {
  const text = schedule.trim();
  if (text.startsWith('@')) return text;
  return text
    .split(/\s+/)
    .map((f) => (/^[*?]\/0*1$/.test(f) ? '*' : f))
    .join(' ');
}

function parse(schedule: string): Cron {
  return new Cron(kubernetesFields(schedule), OPTIONS);
}

/** The first run at or after `ms`, or undefined. */
function runFrom(cron: Cron, ms: number): Date | undefined {
  return cron.nextRun(new Date(ms - 1000)) ?? undefined;
}

/** A part Kubernetes refuses though croner accepts it, or undefined. */
function quartzOnly(fields: string[]): string | undefined {
  for (const [i, field] of fields.entries()) {
    for (const part of field.split(',')) {
      if (/#|^L|\d[LW]$|^LW$/i.test(part)) return `'${part}' (L, W and # are Quartz extensions)`;
      if (i === 4 && /(^|-)7($|[-/])/.test(part)) return `day of week '${part}' (Sunday is 0 here; 7 is out of range)`;
    }
  }
  return undefined;
}

/**
 * Problems of a schedule (`<prop> <value> <problem>; <fix>`, no construct path): five fields or a
 * Kubernetes macro, valid for croner, and at least one run (`0 0 31 2 *` parses but never runs). A token is
 * not checked.
 */
export function validateSchedule(schedule: string, prop: string): string[] {
  if (isToken(schedule)) return [];
  const text = schedule.trim();
  if (text.startsWith('@')) {
    if (MACROS.includes(text)) return [];
    return [`${prop} '${schedule}' is not a macro Kubernetes CronJobs accept (${MACROS.join(', ')}); ${FIX}`];
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5)
    return [`${prop} '${schedule}' is not a 5-field cron schedule (${fields.length} field${fields.length === 1 ? '' : 's'}); ${FIX}`];
  const quartz = quartzOnly(fields);
  if (quartz) return [`${prop} '${schedule}' uses ${quartz}, which Kubernetes CronJobs refuse; ${FIX}`];
  let cron: Cron;
  try {
    cron = parse(text);
  } catch (e) {
    const why = (e as Error).message.replace(/^CronPattern:\s*/, '').replace(/\.$/, '');
    return [`${prop} '${schedule}' is not a valid cron schedule: ${why}; ${FIX}`];
  }
  if (!runFrom(cron, ORIGIN))
    return [
      `${prop} '${schedule}' never runs (no month it names has the day of month it names); use days that exist in those months (1 to 28 exist in all), e.g. '0 0 28 2 *'`,
    ];
  return [];
}

/** Macros that run every day, and the every-day test of five fields: day of month, month and day of week all `*`. */
const EVERY_DAY_MACROS = ['@daily', '@midnight', '@hourly'];
function runsEveryDay(schedule: string): boolean {
  const text = kubernetesFields(schedule);
  if (text.startsWith('@')) return EVERY_DAY_MACROS.includes(text);
  const fields = text.split(' ');
  return fields.length === 5 && fields.slice(2).every((f) => f === '*');
}

/**
 * The longest gap between two runs of a valid schedule, in seconds, over eight years from 2025 (so monthly
 * and leap-day schedules count); 0 when it runs at most once in that time. In UTC the minutes of day a
 * schedule runs at are the same on every day it runs, so only the first day's runs and the days are walked;
 * a schedule that runs every day (the usual `*\/15 * * * *`) needs no walk over the days: it costs croner a
 * call per run, and eight years of days took a quarter of a second.
 */
export function longestIntervalSeconds(schedule: string): number {
  const cron = parse(schedule);
  const first = runFrom(cron, ORIGIN);
  if (!first) return 0;
  let day = Math.floor(first.getTime() / DAY_MS);
  const minutes: number[] = [];
  for (let run: Date | undefined = first; run && Math.floor(run.getTime() / DAY_MS) === day; run = runFrom(cron, run.getTime() + 60_000))
    minutes.push((run.getTime() - day * DAY_MS) / 60_000);
  let longest = 0;
  for (let i = 1; i < minutes.length; i++) longest = Math.max(longest, minutes[i] - minutes[i - 1]);
  const firstOfDay = minutes[0];
  const lastOfDay = minutes[minutes.length - 1];
  if (runsEveryDay(schedule)) return Math.max(longest, 1440 + firstOfDay - lastOfDay) * 60;
  const end = ORIGIN / DAY_MS + HORIZON_DAYS;
  for (;;) {
    const next = runFrom(cron, (day + 1) * DAY_MS);
    if (!next) break;
    const nextDay = Math.floor(next.getTime() / DAY_MS);
    if (nextDay >= end) break;
    longest = Math.max(longest, (nextDay - day) * 1440 + firstOfDay - lastOfDay);
    day = nextDay;
  }
  return longest * 60;
}
