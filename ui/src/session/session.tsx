// The signed-in user, what they may do, and the location the screens work on.

import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import type { Localizacion, UserProfile, Uuid } from '../api';
import { useTranslation } from 'react-i18next';
import { useLocations } from '../api/hooks';

export interface Session {
  user: UserProfile;
  /** Locations in the user's scope (all for an admin). */
  locations: Localizacion[];
  /** The location the inventory and the movement form work on. */
  location: Localizacion | null;
  setLocation(id: Uuid): void;
  /** `inventory.edit` at that location (mirrors the server's check, so the UI hides what it would refuse). */
  canEditAt(idLocalizacion: Uuid): boolean;
  /** `inventory.create` at that location (recording movements). */
  canMoveAt(idLocalizacion: Uuid): boolean;
  /** `users.manage` (the administration screen). */
  canManageUsers: boolean;
}

const SessionContext = createContext<Session | null>(null);

const LOCATION_KEY = 'taller.location';

function inScope(user: UserProfile, idLocalizacion: Uuid): boolean {
  return user.is_admin || user.localizaciones.includes(idLocalizacion);
}

/** The locations of `all` in the user's scope. */
export function locationsInScope(user: UserProfile, all: Localizacion[]): Localizacion[] {
  return all.filter((location) => inScope(user, location.id_localizacion));
}

/** The location the screens work on: the one the user chose last, or the first in scope. */
export function pickLocation(locations: Localizacion[], chosen: Uuid | null): Localizacion | null {
  return locations.find((candidate) => candidate.id_localizacion === chosen) ?? locations[0] ?? null;
}

/** Where the web view's storage keeps the location a user chose last on this workstation. */
function locationKey(idUsuario: Uuid): string {
  return `${LOCATION_KEY}.${idUsuario}`;
}

/** The location the user chose last on this workstation. */
export function storedLocation(idUsuario: Uuid): Uuid | null {
  return readStored(locationKey(idUsuario));
}

export function SessionProvider({ user, children }: { user: UserProfile; children: React.ReactNode }) {
  const { t } = useTranslation();
  const locationsQuery = useLocations();
  const locations = useMemo(() => locationsInScope(user, locationsQuery.data ?? []), [locationsQuery.data, user]);
  const storageKey = locationKey(user.id_usuario);
  const [chosen, setChosen] = useState<Uuid | null>(() => storedLocation(user.id_usuario));
  useEffect(() => {
    if (chosen) writeStored(storageKey, chosen);
  }, [chosen, storageKey]);
  const location = pickLocation(locations, chosen);
  const session = useMemo<Session>(
    () => ({
      user,
      locations,
      location,
      setLocation: setChosen,
      // A permission the role's JSON leaves out is not granted (`roles.permisos`).
      canEditAt: (id) => user.permisos.inventory?.edit === true && inScope(user, id),
      canMoveAt: (id) => user.permisos.inventory?.create === true && inScope(user, id),
      canManageUsers: user.permisos.users?.manage === true,
    }),
    [user, locations, location],
  );
  // Screens decide from the locations (the inventory's, the movement's default): wait for them.
  if (locationsQuery.isPending) {
    return (
      <p className="public" role="status">
        {t('common.loading')}
      </p>
    );
  }
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in screen');
  return session;
}

function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // A UI preference; without storage the first location is used next time.
  }
}
