// At start-up, what the first screen will ask for is asked for at once, before React renders
// it: who is signed in, the status, the settings and, for a signed-in user opening on the
// inventory, the locations and the inventory's first window. Without it each answer is
// awaited by a render that then asks for the next (user, then locations, then the first
// window): three command round trips and renders one after the other before the first rows.
// The screens read the same queries (`startQueries`, the first window's `firstPageQuery`), so
// nothing is asked twice.

import type { QueryClient } from '@tanstack/react-query';
import { startQueries } from '../api/hooks';
import { prefetchInventory } from '../screens/Inventory';
import { locationsInScope, pickLocation, storedLocation } from './session';

/** Whether the window opens on the inventory (the signed-in home: no route, or its own). */
export function opensOnInventory(hash: string): boolean {
  const route = hash.replace(/^#/, '');
  return route === '' || route === '/' || route === '/inventory';
}

export async function prefetchFirstScreen(client: QueryClient, hash: string): Promise<void> {
  void client.prefetchQuery(startQueries.status);
  void client.prefetchQuery(startQueries.settings);
  const user = await client.fetchQuery(startQueries.currentUser).catch(() => null);
  if (!user || !opensOnInventory(hash)) return;
  const locations = await client.fetchQuery(startQueries.locations).catch(() => null);
  if (!locations) return;
  const location = pickLocation(locationsInScope(user, locations), storedLocation(user.id_usuario));
  if (location) await prefetchInventory(client, location.id_localizacion);
}
