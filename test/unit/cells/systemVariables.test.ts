// REST Client's date system variables with month and year offsets. REST Client adds offsets with
// Day.js, which keeps the day within the target month (31 January + 1 month is 29 February, 29
// February + 1 year is 28 February); a plain Date rolls over into March instead. The expected
// values below are what Day.js gives (`dayjs.utc(now).add(amount, unit)`).
import { describe, expect, it } from 'vitest';

import { newSession } from './support';

async function sent(text: string, now: string): Promise<string> {
  const session = newSession({ now: () => Date.parse(now) });
  const result = await session.run({ language: 'http', attributes: {}, value: text }, { dryRun: true });
  expect(result.outcome, result.error).toBe('dry-run');
  return new URL(result.request!.url).searchParams.get('q')!;
}

describe('date offsets in months and years', () => {
  it.each([
    ['{{$datetime iso8601 1 M}}', '2024-01-31T12:00:00.000Z', '2024-02-29T12:00:00.000Z'],
    ['{{$datetime iso8601 -1 M}}', '2024-03-31T12:00:00.000Z', '2024-02-29T12:00:00.000Z'],
    ['{{$datetime iso8601 1 y}}', '2024-02-29T12:00:00.000Z', '2025-02-28T12:00:00.000Z'],
    ['{{$datetime iso8601 13 M}}', '2023-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
    ['{{$datetime rfc1123 1 M}}', '2024-05-31T08:30:00.000Z', 'Sun, 30 Jun 2024 08:30:00 GMT'],
    ['{{$datetime iso8601 1 d}}', '2024-01-31T12:00:00.000Z', '2024-02-01T12:00:00.000Z'],
  ])('%s at %s is %s', async (variable, now, expected) => {
    expect(await sent(`GET http://127.0.0.1:1/x?q=${variable}`, now)).toBe(expected);
  });

  it('{{$timestamp 1 M}} counts the clamped month too', async () => {
    expect(await sent('GET http://127.0.0.1:1/x?q={{$timestamp 1 M}}', '2024-01-31T12:00:00.000Z')).toBe(String(Date.parse('2024-02-29T12:00:00.000Z') / 1000));
  });
});
