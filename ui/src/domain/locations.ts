// What the administration screen's locations and roles sections show: each location's
// negative-stock policy, and the permissions of each role in the documented `roles.permisos`
// shape (a key the role lacks is not allowed, as the domain reads it).

import type { LocationPolicyRow, NegativeStock, Permisos } from '../api';

export const POLICIES: readonly NegativeStock[] = ['allow', 'reject'];

/** Every permission, in the order of `roles.permisos`: area, then action. */
export const PERMISOS = [
  'inventory.view',
  'inventory.create',
  'inventory.edit',
  'inventory.delete',
  'requests.view',
  'requests.create',
  'requests.approve',
  'guarantees.view',
  'guarantees.create',
  'guarantees.resolve',
  'users.view',
  'users.manage',
] as const;

export type PermisoKey = (typeof PERMISOS)[number];

/** Whether `permisos` grants `key`; a missing area or action is not allowed. */
export function allows(permisos: Permisos, key: PermisoKey): boolean {
  const [area, action] = key.split('.') as [keyof Permisos, string];
  const granted = permisos[area] as Record<string, boolean | undefined> | undefined;
  return granted?.[action] === true;
}

/** A typed policy value from a select, or null for anything else. */
export function parsePolicy(value: string): NegativeStock | null {
  return (POLICIES as readonly string[]).includes(value) ? (value as NegativeStock) : null;
}

/** The locations as the section lists them: active first, then by name. */
export function shownLocations(rows: LocationPolicyRow[]): LocationPolicyRow[] {
  return [...rows].sort((a, b) => Number(b.activo) - Number(a.activo) || a.nombre.localeCompare(b.nombre, 'es'));
}
