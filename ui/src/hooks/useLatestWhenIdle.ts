import { useEffect, useState } from 'react';

/**
 * `value` as soon as nothing is in flight: while `busy`, only the latest value waits, and
 * it is taken the moment the work in flight ends. Typing into a search therefore asks at
 * once for the first key, never queues one question per key, and always ends on what the
 * field holds: a fast answer shows without a debounce's delay, a slow one is not stacked
 * behind answers nobody will see.
 */
export function useLatestWhenIdle<T>(value: T, busy: boolean): T {
  const [taken, setTaken] = useState(value);
  useEffect(() => {
    if (!busy && !Object.is(taken, value)) setTaken(value);
  }, [value, busy, taken]);
  return taken;
}
