// What the counts screen works out before it asks the library: what a scan adds, the
// difference a typed quantity makes against the system's stock (shown while it is typed),
// and what closing will write. The library records and decides; the formulas here are the
// domain's (`taller_domain::stock::count_line_difference` and `counted_quantity`), used only
// to show a figure before it is recorded. A recorded line shows the library's own numbers.

import type { CountLineView, CountState, Uuid } from '../api';
import { parseWhole, type FieldProblem } from './validation';

export const COUNT_STATES: readonly CountState[] = ['open', 'closed'];

/** What was counted of one part: units at the location, and the loose small parts among them. */
export interface Counted {
  cantidad_csa: number;
  cantidad_pq: number;
  observaciones: string | null;
}

/** `(sistema + pq) - csa`: positive when units are missing, negative when there are more. */
export function lineDifference(sistema: number, counted: Pick<Counted, 'cantidad_csa' | 'cantidad_pq'>): number {
  return sistema + counted.cantidad_pq - counted.cantidad_csa;
}

/** The stock a line fixes when the count is closed: the units counted, less the loose parts that stay. */
export function countedStock(counted: Pick<Counted, 'cantidad_csa' | 'cantidad_pq'>): number {
  return counted.cantidad_csa - counted.cantidad_pq;
}

export type DifferenceKind = 'missing' | 'surplus' | 'match';

export function differenceKind(diferencia: number): DifferenceKind {
  if (diferencia > 0) return 'missing';
  if (diferencia < 0) return 'surplus';
  return 'match';
}

/** What the window knows was counted of a part: what it recorded itself last (newer than any
 * detail it has shown), else the count's line, else nothing yet. */
export function countedNow(lines: readonly CountLineView[], recorded: ReadonlyMap<Uuid, Counted>, idRepuesto: Uuid): Counted | null {
  const mine = recorded.get(idRepuesto);
  if (mine) return mine;
  const line = lines.find((candidate) => candidate.id_repuesto === idRepuesto);
  return line ? { cantidad_csa: line.cantidad_csa, cantidad_pq: line.cantidad_pq, observaciones: line.observaciones } : null;
}

/** A scan of a part: one more unit counted; its loose parts and note stay as they were. */
export function afterScan(current: Counted | null): Counted {
  return {
    cantidad_csa: (current?.cantidad_csa ?? 0) + 1,
    cantidad_pq: current?.cantidad_pq ?? 0,
    observaciones: current?.observaciones ?? null,
  };
}

export interface CountFormProblems {
  cantidad_csa?: FieldProblem;
  cantidad_pq?: FieldProblem;
}

/** Checks the typed quantities of a line: units counted (0 allowed: none on the shelf) and the
 * loose parts among them (empty is 0, never more than the units). */
export function checkCountQuantities(csaText: string, pqText: string, max: number): { problems: CountFormProblems; counted: Pick<Counted, 'cantidad_csa' | 'cantidad_pq'> | null } {
  const problems: CountFormProblems = {};
  const csa = parseWhole(csaText);
  if (csaText.trim() === '') problems.cantidad_csa = { key: 'required' };
  else if (csa === null) problems.cantidad_csa = { key: 'wholeOrZero' };
  else if (csa > max) problems.cantidad_csa = { key: 'tooLarge', values: { max } };
  const pq = pqText.trim() === '' ? 0 : parseWhole(pqText);
  if (pq === null) problems.cantidad_pq = { key: 'wholeOrZero' };
  else if (csa !== null && !problems.cantidad_csa && pq > csa) problems.cantidad_pq = { key: 'pqAboveCounted', values: { max: csa } };
  if (problems.cantidad_csa || problems.cantidad_pq || csa === null || pq === null) return { problems, counted: null };
  return { problems, counted: { cantidad_csa: csa, cantidad_pq: pq } };
}

/** One stock change closing the count will write, as the line stands now. */
export interface PlannedAdjustment {
  line: CountLineView;
  anterior: number;
  nueva: number;
  cambio: number;
}

export interface CloseSummary {
  adjustments: PlannedAdjustment[];
  /** Lines whose count matches the system: closing writes a row for them, but the stock stays. */
  unchanged: number;
  /** Units the adjustments take out, and put in. */
  missing: number;
  surplus: number;
}

/** What closing will write, from each line's system stock when it was counted. Movements
 * recorded after a line was counted are added on top by the library when it closes. */
export function closeSummary(lines: readonly CountLineView[]): CloseSummary {
  const summary: CloseSummary = { adjustments: [], unchanged: 0, missing: 0, surplus: 0 };
  for (const line of lines) {
    const nueva = countedStock(line);
    const cambio = nueva - line.cantidad_sistema;
    if (cambio === 0) {
      summary.unchanged += 1;
      continue;
    }
    summary.adjustments.push({ line, anterior: line.cantidad_sistema, nueva, cambio });
    if (cambio < 0) summary.missing -= cambio;
    else summary.surplus += cambio;
  }
  return summary;
}

/** What a line of a closed count shows: the change its close wrote, none (it matched), absorbed
 * (a later count had already fixed the part: recorded without moving the stock), or not known
 * yet (open, or the replica does not hold the ledger row). */
export type ClosedLineState = 'pending' | 'adjusted' | 'unchanged' | 'absorbed';

export function closedLineState(line: CountLineView): ClosedLineState {
  if (!line.ajuste) return 'pending';
  if (line.ajuste.absorbido) return 'absorbed';
  return line.ajuste.diferencia === 0 ? 'unchanged' : 'adjusted';
}

/** The stock changes a closed count absorbed (made before a line was counted, arrived after):
 * how many, on how many lines, and the units they asked to move, for the notice above the
 * lines so a supervisor sees at once why a figure is not the sum of every movement. */
export interface AbsorbedSummary {
  changes: number;
  lines: number;
  /** The sum of the changes asked for (negative: units out). */
  units: number;
}

export function absorbedSummary(lines: readonly CountLineView[]): AbsorbedSummary {
  const summary: AbsorbedSummary = { changes: 0, lines: 0, units: 0 };
  for (const line of lines) {
    if (line.absorbidos.length === 0) continue;
    summary.lines += 1;
    summary.changes += line.absorbidos.length;
    summary.units += line.absorbidos.reduce((sum, change) => sum + change.cantidad, 0);
  }
  return summary;
}
