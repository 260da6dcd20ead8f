import { describe, expect, it } from 'vitest';
import { ScanDetector } from './scanner';

/** Feeds `text` then Enter, `gap` ms apart, from time `start`; returns what Enter gave. */
function feed(detector: ScanDetector, text: string, gap: number, start = 1_000): string | null {
  let now = start;
  for (const key of text) {
    expect(detector.key(key, now)).toBeNull();
    now += gap;
  }
  return detector.key('Enter', now);
}

describe('ScanDetector', () => {
  it('takes a fast burst of 4 or more characters ending in Enter as a scan', () => {
    expect(feed(new ScanDetector(), 'MTR-500W-48V', 8)).toBe('MTR-500W-48V');
    expect(feed(new ScanDetector(), 'ABCD', 29)).toBe('ABCD');
  });

  it('leaves typing alone: a person is slower than 30 ms a key', () => {
    expect(feed(new ScanDetector(), 'MTR-500W', 120)).toBeNull();
    expect(feed(new ScanDetector(), 'ABCD', 30)).toBeNull();
  });

  it('needs at least 4 characters', () => {
    expect(feed(new ScanDetector(), 'ABC', 5)).toBeNull();
  });

  it('counts only the burst: slow typing before it is not part of the code', () => {
    const detector = new ScanDetector();
    expect(detector.key('x', 0)).toBeNull();
    expect(detector.key('y', 400)).toBeNull();
    expect(feed(detector, 'BAT-48V', 10, 2_000)).toBe('BAT-48V');
  });

  it('needs the Enter within the burst too', () => {
    const detector = new ScanDetector();
    let now = 0;
    for (const key of 'ABCDEF') {
      detector.key(key, now);
      now += 10;
    }
    expect(detector.key('Enter', now + 200)).toBeNull();
  });

  it('ignores Shift between characters (capitals from a wedge) and resets on editing keys', () => {
    const detector = new ScanDetector();
    let now = 0;
    for (const key of ['Shift', 'A', 'Shift', 'B', 'C', 'D']) {
      detector.key(key, now);
      now += 5;
    }
    expect(detector.key('Enter', now)).toBe('ABCD');
    for (const key of ['A', 'B', 'Backspace', 'C', 'D']) {
      detector.key(key, now);
      now += 5;
    }
    expect(detector.key('Enter', now)).toBeNull();
  });

  it('starts over after each Enter', () => {
    const detector = new ScanDetector();
    expect(feed(detector, 'AAAA', 5, 0)).toBe('AAAA');
    expect(detector.key('Enter', 25)).toBeNull();
    expect(feed(detector, 'BBBB', 5, 1_000)).toBe('BBBB');
  });

  it('takes its thresholds from the options', () => {
    expect(feed(new ScanDetector({ minLength: 6 }), 'ABCDE', 5)).toBeNull();
    expect(feed(new ScanDetector({ maxGapMs: 60 }), 'ABCD', 50)).toBe('ABCD');
  });
});
