import { expect, it } from 'vitest';
import { createIdGenerator } from '../../src/core/ids.js';

it('ids are 26-character ULIDs that sort in creation order, within a millisecond and when the clock steps back', () => {
  let now = Date.UTC(2026, 0, 1);
  const next = createIdGenerator(() => now);
  const ids: string[] = [];
  for (let i = 0; i < 4000; i++) {
    if (i % 500 === 0 && i < 1000) now += 1; // then 1,000 in one millisecond: the counter carries
    if (i === 3500) now -= 10;
    ids.push(next());
  }
  expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
  const later = createIdGenerator(() => now + 20)();
  expect(later > ids[ids.length - 1]!).toBe(true);
});
