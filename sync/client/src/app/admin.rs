//! People and locations: the technicians of a location, and the administration actions
//! (`users.manage`) of `taller user`, `taller location` and an administration screen. Users
//! are named by email or id and locations by name or id, resolved inside the action's own
//! transaction ([`Session::act_built`]).

use super::admin_types::*;
use super::types::Tecnico;
use crate::error::Result;
use crate::queries;
use crate::session::{Queued, Session};
use chrono::Utc;
use taller_domain::stock::NegativeStockPolicy;
use taller_protocol::mutations::{LocationPolicy, Mutation, UserLocation, UserRef, UserReject};

impl Session {
    /// The technicians (users) assigned to a location named by id or name, by name, as
    /// [`Session::technicians_of`] lists them. An unknown location is `invalid_input`.
    pub fn technicians_at(&self, location: &str) -> Result<Vec<Tecnico>> {
        let id = self.read(|conn| queries::location_id(conn, location))?;
        self.technicians_of(id)
    }

    /// Every account the replica holds (an administrator's holds them all) but the system's
    /// ([`taller_domain::actor::SYSTEM_USER`], never a person), those waiting for approval
    /// first, then by name; each with its role and its locations by name.
    pub fn users(&self) -> Result<Vec<UserAccount>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT u.id_usuario, u.nombre_completo, u.email, r.nombre_rol, u.aprobado, u.motivo_rechazo, \
                        u.created_at, \
                        (SELECT json_group_array(json_object('id_localizacion', l.id_localizacion, 'nombre', l.nombre)) \
                           FROM (SELECT l.id_localizacion, l.nombre FROM usuarios_localizacion ul \
                                   JOIN localizacion l ON l.id_localizacion = ul.id_localizacion \
                                  WHERE ul.id_usuario = u.id_usuario ORDER BY l.nombre) l) \
                   FROM usuarios u LEFT JOIN roles r ON r.id_rol = u.id_rol WHERE u.id_usuario <> ?1",
            )?;
            let rows = statement.query_map([taller_domain::actor::SYSTEM_USER.to_string()], |row| {
                let aprobado: bool = row.get(4)?;
                let motivo_rechazo: Option<String> = row.get(5)?;
                let locations: String = row.get(7)?;
                let nombre_rol: Option<String> = row.get(3)?;
                Ok(UserAccount {
                    is_admin: nombre_rol.as_deref() == Some(taller_domain::permisos::ADMIN_ROLE),
                    id_usuario: super::uuid_at(row, 0)?,
                    nombre_completo: row.get(1)?,
                    email: row.get(2)?,
                    nombre_rol,
                    estado: match (aprobado, &motivo_rechazo) {
                        (true, _) => AccountState::Aprobado,
                        (false, Some(_)) => AccountState::Rechazado,
                        (false, None) => AccountState::Pendiente,
                    },
                    motivo_rechazo,
                    created_at: row.get(6)?,
                    localizaciones: serde_json::from_str(&locations).unwrap_or_default(),
                })
            })?;
            let mut users: Vec<UserAccount> = rows.collect::<rusqlite::Result<_>>()?;
            users.sort_by_cached_key(|user| {
                (user.estado != AccountState::Pendiente, user.nombre_completo.to_lowercase(), user.id_usuario)
            });
            Ok(users)
        })
    }

    /// Approves an account waiting for approval (`user.approve`), named by email or id.
    pub fn approve_user(&self, user: &str) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::UserApprove(UserRef { id_usuario: queries::user_id(conn, user)? }))
        })
    }

    /// Rejects an account with a reason (`user.reject`; its sessions end).
    pub fn reject_user(&self, input: &UserRejectInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::UserReject(UserReject {
                id_usuario: queries::user_id(conn, &input.user)?,
                motivo_rechazo: input.motivo_rechazo.clone(),
            }))
        })
    }

    /// Assigns a user to a location (`user.assign`).
    pub fn assign_user(&self, input: &UserLocationInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| Ok(Mutation::UserAssign(user_location(conn, input)?)))
    }

    /// Removes a user from a location (`user.unassign`).
    pub fn unassign_user(&self, input: &UserLocationInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| Ok(Mutation::UserUnassign(user_location(conn, input)?)))
    }

    /// Every location the replica holds, by name, with its negative-stock policy.
    pub fn location_policies(&self) -> Result<Vec<LocationPolicyRow>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT l.id_localizacion, l.nombre, l.activo, p.stock_negativo FROM localizacion l \
                   LEFT JOIN localizacion_politicas p ON p.id_localizacion = l.id_localizacion \
                  ORDER BY lower(l.nombre), l.id_localizacion",
            )?;
            let rows = statement.query_map([], |row| {
                let policy: Option<String> = row.get(3)?;
                Ok(LocationPolicyRow {
                    id_localizacion: super::uuid_at(row, 0)?,
                    nombre: row.get(1)?,
                    activo: row.get(2)?,
                    stock_negativo: policy.as_deref().and_then(NegativeStockPolicy::parse).unwrap_or_default().into(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every role the replica holds, by name, with what it may do (`roles.permisos` read by
    /// the domain's [`taller_domain::Permisos`]).
    pub fn roles(&self) -> Result<Vec<RoleView>> {
        self.read(|conn| {
            let mut statement = conn
                .prepare_cached("SELECT id_rol, nombre_rol, permisos FROM roles ORDER BY lower(nombre_rol), id_rol")?;
            let rows = statement.query_map([], |row| {
                let nombre_rol: String = row.get(1)?;
                let permisos: Option<String> = row.get(2)?;
                Ok(RoleView {
                    id_rol: super::uuid_at(row, 0)?,
                    is_admin: nombre_rol == taller_domain::permisos::ADMIN_ROLE,
                    nombre_rol,
                    permisos: taller_domain::Permisos::from_json(&super::json_value(permisos)),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Sets whether stock may go below zero at a location (`location.policy`).
    pub fn set_location_policy(&self, input: &LocationPolicyInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::LocationPolicy(LocationPolicy {
                id_localizacion: queries::location_id(conn, &input.location)?,
                stock_negativo: input.stock_negativo.into(),
            }))
        })
    }
}

fn user_location(conn: &rusqlite::Connection, input: &UserLocationInput) -> Result<UserLocation> {
    Ok(UserLocation {
        id_usuario: queries::user_id(conn, &input.user)?,
        id_localizacion: queries::location_id(conn, &input.location)?,
    })
}
