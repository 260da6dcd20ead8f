// The administration screen's locations (each with its negative-stock policy, changeable with
// `users.manage`: `location.policy`) and roles (what each may do, read-only) sections.

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type LocationPolicyInput, type LocationPolicyRow, type Queued, type TallerError } from '../api';
import { useLocationPolicies, useRoles } from '../api/hooks';
import { RefusalNotice } from '../components/Problems';
import { allows, parsePolicy, PERMISOS, POLICIES, shownLocations } from '../domain/locations';

export function LocationsSection() {
  const { t } = useTranslation();
  const locations = useLocationPolicies();
  const [saved, setSaved] = useState<LocationPolicyInput | null>(null);
  const change = useMutation<Queued, TallerError, LocationPolicyInput>({
    mutationFn: (input) => api.setLocationPolicy(input),
    onSuccess: (_queued, input) => setSaved(input),
  });
  const nameOf = (id: string) => locations.data?.find((row) => row.id_localizacion === id)?.nombre ?? id;
  return (
    <section className="panel locations" aria-labelledby="locations-title">
      <h2 id="locations-title">{t('users.locationsTitle')}</h2>
      <p className="muted">{t('users.locationsExplain')}</p>
      {locations.error ? (
        <RefusalNotice error={locations.error} />
      ) : locations.isPending ? (
        <p>{t('common.loading')}</p>
      ) : (
        <table className="data-table data-table--plain" aria-labelledby="locations-title">
          <thead>
            <tr>
              <th scope="col">{t('users.locationCol')}</th>
              <th scope="col">{t('users.policyCol')}</th>
            </tr>
          </thead>
          <tbody>
            {shownLocations(locations.data).map((row) => (
              <LocationRow key={row.id_localizacion} row={row} disabled={change.isPending} onChange={(input) => change.mutate(input)} />
            ))}
          </tbody>
        </table>
      )}
      {saved && !change.error && (
        <p className="notice notice--info" role="status">
          {t('users.policySaved', { location: nameOf(saved.location), policy: t(`users.policy.${saved.stock_negativo}`) })}
        </p>
      )}
      <RefusalNotice error={change.error ?? null} />
    </section>
  );
}

function LocationRow({ row, disabled, onChange }: { row: LocationPolicyRow; disabled: boolean; onChange: (input: LocationPolicyInput) => void }) {
  const { t } = useTranslation();
  const id = `policy-${row.id_localizacion}`;
  return (
    <tr data-location={row.nombre}>
      <th scope="row">
        {row.nombre} {!row.activo && <span className="muted">({t('users.inactive')})</span>}
      </th>
      <td>
        <label className="visually-hidden" htmlFor={id}>
          {t('users.policyFor', { location: row.nombre })}
        </label>
        <select
          id={id}
          value={row.stock_negativo}
          disabled={disabled}
          onChange={(event) => {
            const policy = parsePolicy(event.target.value);
            if (policy && policy !== row.stock_negativo) onChange({ location: row.id_localizacion, stock_negativo: policy });
          }}
        >
          {POLICIES.map((policy) => (
            <option key={policy} value={policy}>
              {t(`users.policy.${policy}`)}
            </option>
          ))}
        </select>
      </td>
    </tr>
  );
}

export function RolesSection() {
  const { t } = useTranslation();
  const roles = useRoles();
  return (
    <section className="panel roles" aria-labelledby="roles-title">
      <h2 id="roles-title">{t('users.rolesTitle')}</h2>
      {roles.error ? (
        <RefusalNotice error={roles.error} />
      ) : roles.isPending ? (
        <p>{t('common.loading')}</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="roles-title">
          <table className="data-table data-table--plain roles-table">
            <thead>
              <tr>
                <th scope="col">{t('users.roleCol')}</th>
                {PERMISOS.map((key) => (
                  <th key={key} scope="col">
                    {t(`users.permiso.${key}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {roles.data.map((role) => (
                <tr key={role.id_rol} data-role={role.nombre_rol}>
                  <th scope="row">
                    {role.nombre_rol}
                    {role.is_admin && <span className="muted"> ({t('users.adminRole')})</span>}
                  </th>
                  {PERMISOS.map((key) => {
                    const yes = allows(role.permisos, key);
                    return (
                      <td key={key} className={yes ? 'perm perm--yes' : 'perm perm--no'}>
                        <span aria-hidden="true">{yes ? '✓' : '—'}</span>
                        <span className="visually-hidden">{t(yes ? 'users.allowed' : 'users.denied')}</span>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
