// A USB barcode scanner is a keyboard wedge: it "types" the code much faster than a person
// and ends with Enter. A burst of at least `minLength` characters, each less than `maxGapMs`
// after the previous one, ending in Enter (also within the gap), is a scan; anything else
// is typing and passes through untouched.

export interface ScanOptions {
  minLength: number;
  maxGapMs: number;
}

export const DEFAULT_SCAN_OPTIONS: ScanOptions = { minLength: 4, maxGapMs: 30 };

/** Keys a wedge may send between characters (Shift for capitals) that neither add nor break a burst. */
const NEUTRAL_KEYS = new Set(['Shift', 'CapsLock', 'Alt', 'AltGraph', 'Control', 'Meta']);

export class ScanDetector {
  private buffer = '';
  private last = Number.NEGATIVE_INFINITY;
  private readonly options: ScanOptions;

  constructor(options: Partial<ScanOptions> = {}) {
    this.options = { ...DEFAULT_SCAN_OPTIONS, ...options };
  }

  /** Feeds one key (KeyboardEvent.key) pressed at `now` (ms); returns the code when the key
   * ends a scan, otherwise null. */
  key(key: string, now: number): string | null {
    if (NEUTRAL_KEYS.has(key)) return null;
    const quick = now - this.last < this.options.maxGapMs;
    if (key === 'Enter') {
      const code = quick && this.buffer.length >= this.options.minLength ? this.buffer : null;
      this.reset();
      return code;
    }
    if (key.length !== 1) {
      // Backspace, arrows, Tab...: a person is editing.
      this.reset();
      return null;
    }
    this.buffer = quick ? this.buffer + key : key;
    this.last = now;
    return null;
  }

  /** Characters in the burst so far (1 right after a burst's first key). */
  get burstLength(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = '';
    this.last = Number.NEGATIVE_INFINITY;
  }
}
