import {
  checkSetSize,
  setSizeMessage,
  submissionFileNames,
  textsNeededForCreators,
  trimToSetSize,
} from '../../domain/sticker-set-rules';

describe('Creators Market and personal set rules', () => {
  it('accepts only 8, 16, 24, 32 or 40 in Creators Market mode', () => {
    for (const n of [8, 16, 24, 32, 40]) expect(checkSetSize('creators', n).ok).toBe(true);
    for (const n of [1, 6, 7, 9, 39]) expect(checkSetSize('creators', n).ok).toBe(false);
  });

  it('refuses a 6-sticker Creators Market set and says 2 more texts make 8', () => {
    const check = checkSetSize('creators', 6);
    expect(check).toEqual({
      ok: false,
      mode: 'creators',
      reason: 'NOT_A_SET_SIZE',
      count: 6,
      nextSize: 8,
      missing: 2,
      trimTo: null,
    });
    expect(textsNeededForCreators(6)).toBe(2);
    expect(setSizeMessage(check)).toContain('あと2個');
    expect(checkSetSize('creators', 10)).toMatchObject({ nextSize: 16, missing: 6, trimTo: 8 });
    expect(trimToSetSize(Array.from({ length: 10 }, (_, i) => i))).toHaveLength(8);
    expect(trimToSetSize([1, 2, 3])).toBeNull();
  });

  it('allows any count from 1 to 40 in personal mode', () => {
    for (const n of [1, 6, 13, 40])
      expect(checkSetSize('personal', n)).toEqual({ ok: true, mode: 'personal', size: n });
    expect(checkSetSize('personal', 0)).toMatchObject({ ok: false, reason: 'EMPTY' });
    expect(checkSetSize('personal', 41)).toMatchObject({ ok: false, reason: 'TOO_MANY' });
  });

  it('names the submission ZIP entries as LINE expects', () => {
    expect(submissionFileNames(8)).toEqual([
      '01.png',
      '02.png',
      '03.png',
      '04.png',
      '05.png',
      '06.png',
      '07.png',
      '08.png',
      'main.png',
      'tab.png',
    ]);
    expect(submissionFileNames(40).at(39)).toBe('40.png');
  });
});
