//! Replenishment (decision 0020): for a location's parts below their minimum, a proposal of
//! what to ask an origin for, from the facts this replica holds (the destination's stock and
//! minimums, its open requests and the person's cart, the origin's stock and what it promised);
//! the quantities are [`taller_domain::replenishment`]'s. The person edits the proposal and puts
//! it into the cart ([`Session::replenishment_to_cart`]), then creates the request from the cart
//! as any other ([`Session::request_from_cart`]). Offline, like every read and local action.

use super::replenishment_types::*;
use crate::error::{ClientError, Result};
use crate::local::LocalUser;
use crate::queries;
use crate::session::{named, Session};
use chrono::Utc;
use rusqlite::Connection;
use std::collections::BTreeMap;
use taller_domain::replenishment::{default_origin, propose, NeedFacts, OriginCandidate};
use taller_domain::stock::check_quantity;
use taller_domain::{EstadoSolicitud, Rechazo, RejectionCode};
use taller_protocol::mutations::{CartAdd, CartSet, Mutation};
use uuid::Uuid;

impl Session {
    /// The replenishment proposal for `input.destination` from `input.origin` or, without one,
    /// from the location with the most stock on hand among those whose inventory the replica
    /// holds (the person's locations; an administrator's: every active one). A destination
    /// outside the person's locations is `location_out_of_scope`; an origin outside them too;
    /// no origin at all is `no_replenishment_origin`; an origin that is the destination is
    /// `invalid_arguments`.
    pub fn replenishment(&self, input: &ReplenishmentInput) -> Result<ReplenishmentProposal> {
        let me = self.user_id();
        self.read(|conn| {
            let actor = LocalUser::load(conn, me)?.ok_or_else(|| {
                ClientError::Invalid("this replica has no profile for the user yet: sync once online".into())
            })?;
            let destino = queries::location_id(conn, &input.destination)?;
            if !actor.in_scope(destino) {
                return Err(ClientError::Rejected(named(conn, Rechazo::location_out_of_scope(destino))?));
            }
            let candidates: Vec<OriginCandidate> = origin_candidates(conn)?
                .into_iter()
                .filter(|c| c.id_localizacion != destino && actor.in_scope(c.id_localizacion))
                .collect();
            let origen = match &input.origin {
                Some(name) => {
                    let id = queries::location_id(conn, name)?;
                    if id == destino {
                        return Err(ClientError::Rejected(Rechazo::invalid("origin and destination must differ")));
                    }
                    if !actor.in_scope(id) {
                        return Err(ClientError::Rejected(named(conn, Rechazo::location_out_of_scope(id))?));
                    }
                    id
                }
                None => match default_origin(&candidates) {
                    Some(candidate) => candidate.id_localizacion,
                    None => {
                        return Err(ClientError::NoReplenishmentOrigin { destination: location_name(conn, destino)? })
                    }
                },
            };
            let mut origenes: Vec<OriginCandidate> = candidates;
            origenes.sort_by(|a, b| {
                b.stock_total
                    .cmp(&a.stock_total)
                    .then_with(|| a.nombre.cmp(&b.nombre))
                    .then(a.id_localizacion.cmp(&b.id_localizacion))
            });
            let proposal = propose(needs(conn, me, destino, origen)?);
            let names = part_names(conn, proposal.lines.iter().map(|line| line.facts.id_repuesto))?;
            Ok(ReplenishmentProposal {
                id_localizacion_destino: destino,
                destino: location_name(conn, destino)?,
                id_localizacion_origen: origen,
                origen: location_name(conn, origen)?,
                origenes: origenes
                    .into_iter()
                    .map(|c| ReplenishmentOrigin {
                        id_localizacion: c.id_localizacion,
                        nombre: c.nombre,
                        stock_total: c.stock_total,
                    })
                    .collect(),
                lineas: proposal
                    .lines
                    .into_iter()
                    .map(|line| ReplenishmentLine {
                        nombre: names.get(&line.facts.id_repuesto).cloned().unwrap_or_default(),
                        id_repuesto: line.facts.id_repuesto,
                        falta: line.facts.falta(),
                        disponible_origen: line.facts.disponible_origen(),
                        propuesta: line.cantidad,
                        referencia: line.facts.referencia,
                        posicion: line.facts.posicion_origen,
                        stock_actual: line.facts.stock,
                        cantidad_minima: line.facts.minimo,
                        en_transito: line.facts.en_transito,
                        en_carrito: line.facts.en_carrito,
                    })
                    .collect(),
                sin_existencias: proposal.sin_existencias,
            })
        })
    }

    /// Puts the lines a person kept of a proposal into their cart for the destination, as one
    /// action: a part already in the cart for it gets its quantity raised (`cart.set`), another
    /// gets a line (`cart.add`); lines at 0 are the ones the person dropped. Every quantity is
    /// checked before anything is written, and the cart changes are committed together or not
    /// at all. Nothing kept is `empty_request`.
    pub fn replenishment_to_cart(&self, input: &ReplenishmentToCartInput) -> Result<ReplenishmentAdded> {
        let me = self.user_id().to_string();
        let mut added = ReplenishmentAdded { added: 0, increased: 0, units: 0, pending: 0 };
        let queued = self.act_all_built(Utc::now(), |conn| {
            let destino = queries::location_id(conn, &input.destination)?;
            // Part by part, in the person's order, the same part named twice counted once.
            let mut wanted: Vec<(Uuid, i32)> = Vec::new();
            for line in &input.lines {
                if line.cantidad == 0 {
                    continue;
                }
                check_quantity(line.cantidad).map_err(ClientError::Rejected)?;
                let part = queries::part_id(conn, &line.part)?;
                match wanted.iter_mut().find(|(id, _)| *id == part) {
                    Some((_, cantidad)) => {
                        *cantidad = cantidad.saturating_add(line.cantidad);
                        check_quantity(*cantidad).map_err(ClientError::Rejected)?;
                    }
                    None => wanted.push((part, line.cantidad)),
                }
            }
            if wanted.is_empty() {
                return Err(ClientError::Rejected(Rechazo::new(RejectionCode::EmptyRequest)));
            }
            let mut existing = conn.prepare_cached(
                "SELECT id_item_carrito, cantidad FROM carrito_solicitudes \
                  WHERE id_usuario = ?1 AND id_localizacion = ?2 AND id_repuesto = ?3 \
                  ORDER BY created_at, id_item_carrito LIMIT 1",
            )?;
            let mut mutations = Vec::with_capacity(wanted.len());
            for (part, cantidad) in wanted {
                let found: Option<(String, i32)> = rusqlite::OptionalExtension::optional(
                    existing.query_row(rusqlite::params![me, destino.to_string(), part.to_string()], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    }),
                )?;
                added.units += i64::from(cantidad);
                match found {
                    Some((id, before)) => {
                        let id_item_carrito =
                            id.parse().map_err(|_| ClientError::Invalid(format!("cart line {id}")))?;
                        let total = before.saturating_add(cantidad);
                        check_quantity(total).map_err(ClientError::Rejected)?;
                        added.increased += 1;
                        mutations.push(Mutation::CartSet(CartSet { id_item_carrito, cantidad: total }));
                    }
                    None => {
                        added.added += 1;
                        mutations.push(Mutation::CartAdd(CartAdd {
                            id_item_carrito: Uuid::now_v7(),
                            id_localizacion: destino,
                            id_repuesto: part,
                            cantidad,
                        }));
                    }
                }
            }
            Ok(mutations)
        })?;
        added.pending = queued.last().map_or(0, |q| q.pending);
        Ok(added)
    }
}

/// Every active location with its stock on hand (negative stock counts as none).
fn origin_candidates(conn: &Connection) -> Result<Vec<OriginCandidate>> {
    let mut statement = conn.prepare_cached(
        "SELECT l.id_localizacion, l.nombre, \
                COALESCE((SELECT sum(max(i.stock_actual, 0)) FROM inventario i WHERE i.id_localizacion = l.id_localizacion), 0) \
           FROM localizacion l WHERE l.activo = 1 ORDER BY l.nombre, l.id_localizacion",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(OriginCandidate { id_localizacion: super::uuid_at(row, 0)?, nombre: row.get(1)?, stock_total: row.get(2)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn location_name(conn: &Connection, id: Uuid) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT nombre FROM localizacion WHERE id_localizacion = ?1")?
        .query_row([id.to_string()], |row| row.get(0))?)
}

/// The facts of every part of the destination below its minimum that is not discontinued.
fn needs(conn: &Connection, user: Uuid, destino: Uuid, origen: Uuid) -> Result<Vec<NeedFacts>> {
    let (pendiente, alistamiento, despachado) = (
        EstadoSolicitud::Pendiente.as_str(),
        EstadoSolicitud::Alistamiento.as_str(),
        EstadoSolicitud::Despachado.as_str(),
    );
    let mut statement = conn.prepare_cached(
        "SELECT i.id_repuesto, r.referencia, o.posicion, i.stock_actual, i.cantidad_minima, \
                COALESCE((SELECT sum(CASE WHEN s.estado = ?6 THEN COALESCE(d.cantidad_despachada, d.cantidad_solicitada) \
                                          ELSE d.cantidad_solicitada END) \
                            FROM detalles_solicitud d JOIN solicitudes s ON s.id_solicitud = d.id_solicitud \
                           WHERE s.id_localizacion_destino = ?1 AND d.id_repuesto = i.id_repuesto \
                             AND s.estado IN (?4, ?5, ?6)), 0), \
                COALESCE((SELECT sum(c.cantidad) FROM carrito_solicitudes c \
                           WHERE c.id_usuario = ?3 AND c.id_localizacion = ?1 AND c.id_repuesto = i.id_repuesto), 0), \
                COALESCE(o.stock_actual, 0), \
                COALESCE((SELECT sum(d.cantidad_solicitada) \
                            FROM detalles_solicitud d JOIN solicitudes s ON s.id_solicitud = d.id_solicitud \
                           WHERE s.id_localizacion_origen = ?2 AND d.id_repuesto = i.id_repuesto \
                             AND s.estado IN (?4, ?5)), 0) \
           FROM inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
           LEFT JOIN inventario o ON o.id_localizacion = ?2 AND o.id_repuesto = i.id_repuesto \
          WHERE i.id_localizacion = ?1 AND i.stock_actual < i.cantidad_minima AND r.descontinuado = 0",
    )?;
    let rows = statement.query_map(
        rusqlite::params![
            destino.to_string(),
            origen.to_string(),
            user.to_string(),
            pendiente,
            alistamiento,
            despachado
        ],
        |row| {
            Ok(NeedFacts {
                id_repuesto: super::uuid_at(row, 0)?,
                referencia: row.get(1)?,
                posicion_origen: row.get(2)?,
                stock: row.get(3)?,
                minimo: row.get(4)?,
                en_transito: saturate(row.get(5)?),
                en_carrito: saturate(row.get(6)?),
                stock_origen: row.get(7)?,
                reservado_origen: saturate(row.get(8)?),
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn saturate(sum: i64) -> i32 {
    i32::try_from(sum).unwrap_or(if sum < 0 { i32::MIN } else { i32::MAX })
}

fn part_names(conn: &Connection, ids: impl Iterator<Item = Uuid>) -> Result<BTreeMap<Uuid, String>> {
    let mut statement = conn.prepare_cached("SELECT nombre FROM repuestos WHERE id_repuesto = ?1")?;
    let mut names = BTreeMap::new();
    for id in ids {
        let nombre: String = statement.query_row([id.to_string()], |row| row.get(0))?;
        names.insert(id, nombre);
    }
    Ok(names)
}
