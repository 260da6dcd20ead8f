import { useState } from 'react';

/**
 * `value` as soon as nothing is in flight: while `busy`, only the latest value waits, and
 * it is taken the moment the work in flight ends. Typing into a search therefore asks at
 * once for the first key, never queues one question per key, and always ends on what the
 * field holds: a fast answer shows without a debounce's delay, a slow one is not stacked
 * behind answers nobody will see.
 *
 * Taken during the render (React's "state from the previous render" pattern), not in an
 * effect: no extra commit of the screen between the key and the question.
 */
export function useLatestWhenIdle<T>(value: T, busy: boolean): T {
  const [taken, setTaken] = useState(value);
  if (!busy && !Object.is(taken, value)) {
    setTaken(value);
    return value;
  }
  return taken;
}
