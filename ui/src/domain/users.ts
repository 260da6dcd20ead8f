// What the administration screen decides before it asks the library: which accounts a filter
// shows, the locations an account can still be given, and the reason a rejection needs. The
// library checks again (`users.manage`, the account's state); a refusal it sends is shown as
// it comes.

import type { AccountState, Localizacion, UserAccount } from '../api';
import type { FieldProblem } from './validation';

export type AccountFilter = AccountState | 'all';

export const ACCOUNT_FILTERS: readonly AccountFilter[] = ['pendiente', 'aprobado', 'rechazado', 'all'];

/** Lower case without accents: "Lucía" and "lucia" are the same search. */
function folded(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

/** The accounts a filter and a typed search show, in the library's order (waiting first). */
export function shownAccounts(accounts: readonly UserAccount[], filter: AccountFilter, search: string): UserAccount[] {
  const words = folded(search).split(/\s+/).filter((word) => word !== '');
  return accounts.filter((account) => {
    if (filter !== 'all' && account.estado !== filter) return false;
    const text = folded(`${account.nombre_completo} ${account.email}`);
    return words.every((word) => text.includes(word));
  });
}

/** How many accounts each filter shows. */
export function accountCounts(accounts: readonly UserAccount[]): Record<AccountFilter, number> {
  const counts: Record<AccountFilter, number> = { pendiente: 0, aprobado: 0, rechazado: 0, all: accounts.length };
  for (const account of accounts) counts[account.estado] += 1;
  return counts;
}

/** The active locations the account is not assigned to yet, by name. */
export function assignableLocations(account: UserAccount, locations: readonly Localizacion[]): Localizacion[] {
  const assigned = new Set(account.localizaciones.map((location) => location.id_localizacion));
  return locations
    .filter((location) => location.activo && !assigned.has(location.id_localizacion))
    .sort((a, b) => a.nombre.localeCompare(b.nombre));
}

/** The steps an account in this state offers: approve and reject while it waits; an approved
 * one can be rejected (its sessions end); a rejected one approved again. Nobody rejects their
 * own account (the library refuses it). */
export function accountActions(estado: AccountState, own: boolean): Array<'approve' | 'reject'> {
  const steps: Array<'approve' | 'reject'> =
    estado === 'pendiente' ? ['approve', 'reject'] : estado === 'aprobado' ? ['reject'] : ['approve'];
  return own ? steps.filter((step) => step !== 'reject') : steps;
}

/** A rejection says why. */
export function rejectionProblem(reason: string): FieldProblem | null {
  return reason.trim() === '' ? { key: 'reasonRequired' } : null;
}
