// What a form checks before it acts, as i18n keys under `validation.` with their values.

export interface FieldProblem {
  key:
    | 'required'
    | 'unknownReference'
    | 'wholePositive'
    | 'wholeOrZero'
    | 'tooLarge'
    | 'typeNotAllowed'
    | 'email'
    | 'url'
    | 'range'
    | 'pqAboveCounted'
    | 'reasonRequired'
    | 'date';
  values?: Record<string, string | number>;
}

/** A whole number typed by a person ("12", " 7 "); null for anything else ("1.5", "-2", "3e2", ""). */
export function parseWhole(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : null;
}

/** A whole positive quantity up to `max`. */
export function quantityProblem(text: string, max: number): FieldProblem | null {
  if (text.trim() === '') return { key: 'required' };
  const value = parseWhole(text);
  if (value === null || value < 1) return { key: 'wholePositive' };
  if (value > max) return { key: 'tooLarge', values: { max } };
  return null;
}

/** Enough of an email to be worth sending (the server decides the rest). */
export function emailProblem(text: string): FieldProblem | null {
  if (text.trim() === '') return { key: 'required' };
  return /^[^\s@]+@[^\s@]+$/.test(text.trim()) ? null : { key: 'email' };
}

/** A server address: http(s), a host. */
export function serverUrlProblem(text: string): FieldProblem | null {
  const trimmed = text.trim();
  if (trimmed === '') return { key: 'required' };
  try {
    const url = new URL(trimmed);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? null : { key: 'url' };
  } catch {
    return { key: 'url' };
  }
}
