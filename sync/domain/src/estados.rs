//! State machines of transfer requests and warranty claims.
//!
//! A transition is always checked against the *server's current* state: an offline client that
//! dispatched a request someone else cancelled gets a rejection naming the current state.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The state of a transfer request (`solicitudes.estado`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EstadoSolicitud {
    Pendiente,
    Alistamiento,
    Despachado,
    Recibido,
    Cancelado,
}

impl EstadoSolicitud {
    pub const ALL: [EstadoSolicitud; 5] = [
        EstadoSolicitud::Pendiente,
        EstadoSolicitud::Alistamiento,
        EstadoSolicitud::Despachado,
        EstadoSolicitud::Recibido,
        EstadoSolicitud::Cancelado,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EstadoSolicitud::Pendiente => "PENDIENTE",
            EstadoSolicitud::Alistamiento => "ALISTAMIENTO",
            EstadoSolicitud::Despachado => "DESPACHADO",
            EstadoSolicitud::Recibido => "RECIBIDO",
            EstadoSolicitud::Cancelado => "CANCELADO",
        }
    }

    /// Whether a request may go from `self` to `to`:
    /// PENDIENTE -> ALISTAMIENTO -> DESPACHADO -> RECIBIDO, and CANCELADO from PENDIENTE or
    /// ALISTAMIENTO.
    pub fn can_transition_to(self, to: EstadoSolicitud) -> bool {
        use EstadoSolicitud::*;
        matches!(
            (self, to),
            (Pendiente, Alistamiento)
                | (Alistamiento, Despachado)
                | (Despachado, Recibido)
                | (Pendiente, Cancelado)
                | (Alistamiento, Cancelado)
        )
    }
}

/// The state of a warranty claim (`garantias.estado`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EstadoGarantia {
    SinEnviar,
    Pendiente,
    Aprobada,
    Rechazada,
}

impl EstadoGarantia {
    pub const ALL: [EstadoGarantia; 4] =
        [EstadoGarantia::SinEnviar, EstadoGarantia::Pendiente, EstadoGarantia::Aprobada, EstadoGarantia::Rechazada];

    pub fn as_str(self) -> &'static str {
        match self {
            EstadoGarantia::SinEnviar => "SIN_ENVIAR",
            EstadoGarantia::Pendiente => "PENDIENTE",
            EstadoGarantia::Aprobada => "APROBADA",
            EstadoGarantia::Rechazada => "RECHAZADA",
        }
    }

    /// SIN_ENVIAR -> PENDIENTE -> APROBADA | RECHAZADA.
    pub fn can_transition_to(self, to: EstadoGarantia) -> bool {
        use EstadoGarantia::*;
        matches!((self, to), (SinEnviar, Pendiente) | (Pendiente, Aprobada) | (Pendiente, Rechazada))
    }

    /// Only a draft may still be edited.
    pub fn is_editable(self) -> bool {
        self == EstadoGarantia::SinEnviar
    }
}

/// A state name that is not one of the machine's states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?}")]
pub struct UnknownState(pub String);

macro_rules! state_text {
    ($ty:ty) => {
        impl FromStr for $ty {
            type Err = UnknownState;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$ty>::ALL.into_iter().find(|state| state.as_str() == text).ok_or_else(|| UnknownState(text.to_owned()))
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
state_text!(EstadoSolicitud);
state_text!(EstadoGarantia);

#[cfg(test)]
mod tests {
    use super::*;
    use EstadoGarantia as G;
    use EstadoSolicitud as S;

    #[test]
    fn request_transitions_table() {
        // Every (from, to) pair; only these five are allowed.
        let allowed = [
            (S::Pendiente, S::Alistamiento),
            (S::Alistamiento, S::Despachado),
            (S::Despachado, S::Recibido),
            (S::Pendiente, S::Cancelado),
            (S::Alistamiento, S::Cancelado),
        ];
        for from in S::ALL {
            for to in S::ALL {
                assert_eq!(from.can_transition_to(to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn warranty_transitions_table() {
        let allowed = [(G::SinEnviar, G::Pendiente), (G::Pendiente, G::Aprobada), (G::Pendiente, G::Rechazada)];
        for from in G::ALL {
            for to in G::ALL {
                assert_eq!(from.can_transition_to(to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
        assert!(G::SinEnviar.is_editable());
        assert!(!G::Pendiente.is_editable());
    }

    #[test]
    fn names_round_trip() {
        for state in S::ALL {
            assert_eq!(state.as_str().parse::<S>(), Ok(state));
            assert_eq!(serde_json::to_value(state).ok(), Some(serde_json::json!(state.as_str())));
        }
        for state in G::ALL {
            assert_eq!(state.as_str().parse::<G>(), Ok(state));
            assert_eq!(serde_json::to_value(state).ok(), Some(serde_json::json!(state.as_str())));
        }
        assert!("ENVIADO".parse::<S>().is_err());
    }
}
