// The queries screens use, one hook each, keyed as in ./queries.ts.

import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, type CountState, type EstadoGarantia, type EstadoSolicitud, type FindPartInput, type SearchPartsInput, type Uuid } from './index';
import { queryKeys } from './queries';

export const useAppInfo = () => useQuery({ queryKey: queryKeys.appInfo, queryFn: api.appInfo });

/** The queries the app asks at start-up before it renders (session/boot.ts), shared with their hooks. */
export const startQueries = {
  status: queryOptions({ queryKey: queryKeys.status, queryFn: api.status }),
  settings: queryOptions({ queryKey: queryKeys.settings, queryFn: api.settings }),
  currentUser: queryOptions({ queryKey: queryKeys.currentUser, queryFn: api.currentUser }),
  locations: queryOptions({ queryKey: queryKeys.locations, queryFn: api.locations }),
};

export const useStatus = () => useQuery(startQueries.status);
export const useSettings = () => useQuery(startQueries.settings);
export const useWorkstationUsers = () => useQuery({ queryKey: queryKeys.workstationUsers, queryFn: api.workstationUsers });
export const useCurrentUser = () => useQuery(startQueries.currentUser);
export const useRecentSyncErrors = () => useQuery({ queryKey: queryKeys.recentSyncErrors, queryFn: api.recentSyncErrors });
export const useLocations = () => useQuery(startQueries.locations);
export const useMovementConcepts = () => useQuery({ queryKey: queryKeys.movementConcepts, queryFn: api.movementConcepts });
export const useNotifications = () => useQuery({ queryKey: queryKeys.notifications, queryFn: api.notifications });
export const useInbox = () => useQuery({ queryKey: queryKeys.inbox, queryFn: api.inbox });

export const useTechnicians = (idLocalizacion: Uuid | '') =>
  useQuery({
    queryKey: queryKeys.technicians(idLocalizacion),
    queryFn: () => api.technicians(idLocalizacion),
    enabled: idLocalizacion !== '',
  });

export const usePartDetail = (idRepuesto: Uuid) =>
  useQuery({ queryKey: queryKeys.partDetail(idRepuesto), queryFn: () => api.partDetail(idRepuesto) });

export const useFindPart = (input: FindPartInput | null) =>
  useQuery({
    queryKey: queryKeys.findPart(input ?? { code: '', id_localizacion: null }),
    queryFn: () => (input ? api.findPart(input) : Promise.resolve(null)),
    enabled: input !== null && input.code !== '',
  });

export const useSearchParts = (input: SearchPartsInput) =>
  useQuery({
    queryKey: queryKeys.searchParts(input),
    queryFn: () => api.searchParts(input),
    enabled: input.text.trim() !== '',
  });

export const useCart = () => useQuery({ queryKey: queryKeys.cart, queryFn: api.cart });

export const useRequests = (estado: EstadoSolicitud | null) =>
  useQuery({ queryKey: queryKeys.requests(estado), queryFn: () => api.requests({ estado }) });

export const useRequestDetail = (idSolicitud: Uuid) =>
  useQuery({ queryKey: queryKeys.requestDetail(idSolicitud), queryFn: () => api.requestDetail(idSolicitud) });

export const useCounts = (state: CountState | null) =>
  useQuery({ queryKey: queryKeys.counts(state), queryFn: () => api.counts({ location: null, state }) });

export const useCountDetail = (idConteo: Uuid) =>
  useQuery({ queryKey: queryKeys.countDetail(idConteo), queryFn: () => api.countDetail(idConteo) });

export const useWarranties = (estado: EstadoGarantia | null) =>
  useQuery({ queryKey: queryKeys.warranties(estado), queryFn: () => api.warranties({ estado }) });

export const useWarrantyDetail = (idGarantia: Uuid) =>
  useQuery({ queryKey: queryKeys.warrantyDetail(idGarantia), queryFn: () => api.warrantyDetail(idGarantia) });

export const useUsers = () => useQuery({ queryKey: queryKeys.users, queryFn: () => api.users() });
export const useReplenishment = (destination: Uuid, origin: Uuid | null, enabled: boolean) =>
  useQuery({ queryKey: queryKeys.replenishment(destination, origin), queryFn: () => api.replenishment({ destination, origin }), enabled });
export const useLocationPolicies = () => useQuery({ queryKey: queryKeys.locationPolicies, queryFn: () => api.locationPolicies() });
export const useRoles = () => useQuery({ queryKey: queryKeys.roles, queryFn: () => api.roles() });

export const useModels = () => useQuery({ queryKey: queryKeys.models, queryFn: () => api.models() });

export const useOrders = (nivel: number | null) =>
  useQuery({ queryKey: queryKeys.orders(nivel), queryFn: () => api.orders({ nivel }) });
