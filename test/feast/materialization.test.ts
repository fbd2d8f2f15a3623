import { Duration } from '../../lib/core/duration';
import { validateMaterialization } from '../../lib/feast/materialization';
import { validateProject } from '../../lib/feast/feature-store-yaml';

describe('materialization options', () => {
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
