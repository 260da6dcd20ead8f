// The parts import screen's rules: what the summary says, which problems are the file's,
// which rows are shown, and when "Importar N repuestos" may be pressed. The checks themselves
// are the library's (import_preview): this only arranges what it found.

import type { ImportIssue, ImportPreview, ImportRow } from '../api';

/** "Importar N repuestos" is enabled only for a preview without errors, with rows, while
 * nothing is running. */
export function canApply(preview: ImportPreview | undefined, busy: boolean): boolean {
  return preview !== undefined && preview.ready && preview.errors === 0 && preview.rows.length > 0 && !busy;
}

/** The file's own problems, errors first. */
export function fileIssues(preview: ImportPreview): { errors: ImportIssue[]; warnings: ImportIssue[] } {
  return {
    errors: preview.issues.filter((issue) => issue.severity === 'error'),
    warnings: preview.issues.filter((issue) => issue.severity === 'warning'),
  };
}

/** The rows the table lists: all, or only those with an error. */
export function shownRows(preview: ImportPreview, onlyErrors: boolean): ImportRow[] {
  return onlyErrors ? preview.rows.filter((row) => row.errors.length > 0) : preview.rows;
}

/** The separator as a person names it. */
export function separatorKey(separator: string): 'semicolon' | 'comma' | 'tab' {
  if (separator === ';') return 'semicolon';
  if (separator === '\t') return 'tab';
  return 'comma';
}
