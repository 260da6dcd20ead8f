//! The replicated tables, their columns in wire order, and their keys: one definition used by
//! the server (serving pages, checksums) and the client (applying pages, checksums).
//! Column names are the central schema's (`shared/reference/trazea-columns.tsv`).

/// The type of a column as it travels in row images (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Uuid,
    Text,
    Integer,
    Boolean,
    /// RFC 3339 text; canonicalised to UTC microseconds for checksums.
    Timestamptz,
    /// `YYYY-MM-DD` text.
    Date,
    /// Any JSON value; canonicalised with sorted keys for checksums.
    Jsonb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub nullable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Key columns; a composite key travels as the values joined by `|`.
    pub key: &'static [&'static str],
    pub columns: &'static [Column],
}

impl Table {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

use ColumnType::{Boolean as B, Date as D, Integer as I, Jsonb as J, Text as T, Timestamptz as Ts, Uuid as U};

const fn c(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, nullable: false }
}

const fn n(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, nullable: true }
}

/// Every replicated table, parents before children (the order a replica applies upserts in,
/// and the reverse of the order it applies deletes in).
pub const TABLES: &[Table] = &[
    Table {
        name: "roles",
        key: &["id_rol"],
        columns: &[c("id_rol", U), c("nombre_rol", T), c("permisos", J), c("created_at", Ts)],
    },
    Table {
        name: "localizacion",
        key: &["id_localizacion"],
        columns: &[
            c("id_localizacion", U),
            c("nombre", T),
            n("direccion", T),
            n("telefono", T),
            c("activo", B),
            c("created_at", Ts),
        ],
    },
    Table {
        name: "localizacion_politicas",
        key: &["id_localizacion"],
        columns: &[c("id_localizacion", U), c("stock_negativo", T)],
    },
    Table {
        name: "usuarios",
        key: &["id_usuario"],
        columns: &[
            c("id_usuario", U),
            c("nombre_completo", T),
            c("email", T),
            c("id_rol", U),
            c("aprobado", B),
            n("aprobado_por", U),
            n("fecha_aprobacion", Ts),
            n("motivo_rechazo", T),
            c("created_at", Ts),
        ],
    },
    Table {
        name: "usuarios_localizacion",
        key: &["id_usuario", "id_localizacion"],
        columns: &[c("id_usuario", U), c("id_localizacion", U), c("created_at", Ts)],
    },
    Table {
        name: "admin_notifications",
        key: &["id_admin", "tipo_notificacion"],
        columns: &[c("id_admin", U), c("tipo_notificacion", T), c("activo", B)],
    },
    Table {
        name: "repuestos",
        key: &["id_repuesto"],
        columns: &[
            c("id_repuesto", U),
            c("referencia", T),
            c("nombre", T),
            n("tipo", T),
            n("marca", T),
            n("descripcion", T),
            c("descontinuado", B),
            n("fecha_estimada", D),
            n("url_imagen", T),
            c("created_at", Ts),
        ],
    },
    Table {
        name: "inventario",
        key: &["id_inventario"],
        columns: &[
            c("id_inventario", U),
            c("id_localizacion", U),
            c("id_repuesto", U),
            c("stock_actual", I),
            c("cantidad_minima", I),
            n("posicion", T),
            c("veces_contado", I),
            n("nuevo_hasta", Ts),
            c("created_at", Ts),
            c("updated_at", Ts),
        ],
    },
    Table {
        name: "logs_inventario",
        key: &["id_log"],
        columns: &[
            c("id_log", U),
            c("id_inventario", U),
            c("id_usuario", U),
            c("tipo_operacion", T),
            c("cantidad_anterior", I),
            c("cantidad_nueva", I),
            c("diferencia", I),
            n("motivo", T),
            n("detalles", J),
            c("fecha", Ts),
        ],
    },
    Table {
        name: "carrito_solicitudes",
        key: &["id_item_carrito"],
        columns: &[
            c("id_item_carrito", U),
            c("id_usuario", U),
            c("id_localizacion", U),
            c("id_repuesto", U),
            c("cantidad", I),
            c("created_at", Ts),
        ],
    },
    Table {
        name: "solicitudes",
        key: &["id_solicitud"],
        columns: &[
            c("id_solicitud", U),
            c("id_localizacion_origen", U),
            c("id_localizacion_destino", U),
            c("id_usuario_solicitante", U),
            c("estado", T),
            c("fecha_creacion", Ts),
            n("fecha_alistamiento", Ts),
            n("fecha_despacho", Ts),
            n("fecha_recepcion", Ts),
            n("guia_transporte", T),
            n("observaciones_generales", T),
        ],
    },
    Table {
        name: "detalles_solicitud",
        key: &["id_detalle"],
        columns: &[
            c("id_detalle", U),
            c("id_solicitud", U),
            c("id_repuesto", U),
            c("cantidad_solicitada", I),
            n("cantidad_despachada", I),
            n("cantidad_recibida", I),
            n("observaciones", T),
        ],
    },
    Table {
        name: "trazabilidad_solicitudes",
        key: &["id_trazabilidad"],
        columns: &[
            c("id_trazabilidad", U),
            c("id_solicitud", U),
            n("estado_anterior", T),
            c("estado_nuevo", T),
            c("id_usuario", U),
            c("fecha_cambio", Ts),
            n("comentario", T),
        ],
    },
    Table {
        name: "movimientos_tecnicos",
        key: &["id_movimientos_tecnicos"],
        columns: &[
            c("id_movimientos_tecnicos", U),
            c("id_localizacion", U),
            c("id_repuesto", U),
            c("id_usuario_responsable", U),
            c("id_tecnico_asignado", U),
            c("concepto", T),
            c("tipo", T),
            c("cantidad", I),
            n("numero_orden", I),
            c("descargada", B),
            c("fecha", Ts),
            c("created_at", Ts),
            c("updated_at", Ts),
        ],
    },
    Table {
        name: "garantias",
        key: &["id_garantia"],
        columns: &[
            c("id_garantia", U),
            c("id_repuesto", U),
            c("id_localizacion", U),
            c("id_usuario_reporta", U),
            n("id_tecnico_asociado", U),
            c("cantidad", I),
            c("motivo_falla", T),
            n("kilometraje", I),
            n("numero_orden", T),
            n("solicitante", T),
            c("estado", T),
            n("url_evidencia_foto", T),
            n("comentarios_resolucion", T),
            c("fecha_reporte", Ts),
            n("fecha_resolucion", Ts),
        ],
    },
    Table {
        name: "registro_conteo",
        key: &["id_conteo"],
        columns: &[
            c("id_conteo", U),
            c("id_localizacion", U),
            c("id_usuario", U),
            c("fecha_conteo", Ts),
            c("total_items", I),
            c("total_diferencias", I),
            c("items_con_pq", I),
            n("observaciones", T),
            c("created_at", Ts),
        ],
    },
    Table {
        name: "detalles_conteo",
        key: &["id_detalle_conteo"],
        columns: &[
            c("id_detalle_conteo", U),
            c("id_conteo", U),
            c("id_repuesto", U),
            c("cantidad_sistema", I),
            c("cantidad_csa", I),
            c("cantidad_pq", I),
            c("diferencia", I),
            n("observaciones", T),
        ],
    },
    Table {
        name: "conteos_cerrados",
        key: &["id_conteo"],
        columns: &[c("id_conteo", U), c("id_usuario", U), c("cerrado_en", Ts)],
    },
    Table {
        name: "scooter_types",
        key: &["id_tipo"],
        columns: &[c("id_tipo", U), c("nombre", T), c("potencia", T), n("descripcion", T)],
    },
    Table {
        name: "order_follow",
        key: &["id_orden"],
        columns: &[
            c("id_orden", U),
            c("numero_orden", T),
            c("id_tipo_scooter", U),
            c("nivel", I),
            c("estado", T),
            n("telefono_contacto", T),
            n("email_contacto", T),
            n("link_orden", T),
            c("fecha_orden", Ts),
            n("fecha_entrega_estimada", D),
        ],
    },
    Table {
        name: "notificaciones",
        key: &["id_notificacion"],
        columns: &[
            c("id_notificacion", U),
            c("id_usuario", U),
            n("id_localizacion", U),
            c("titulo", T),
            c("mensaje", T),
            c("tipo", T),
            c("prioridad", T),
            c("leida", B),
            n("datos", J),
            c("created_at", Ts),
        ],
    },
    Table {
        name: "conflictos",
        key: &["id_conflicto"],
        columns: &[
            c("id_conflicto", U),
            c("id_usuario", U),
            n("id_mutacion", U),
            c("tipo", T),
            c("tabla", T),
            c("clave", T),
            n("campo", T),
            n("valor_reemplazado", J),
            n("valor_servidor", J),
            n("valor_nuevo", J),
            n("otro_usuario", U),
            n("detalles", J),
            c("revisado", B),
            c("created_at", Ts),
        ],
    },
];

/// Looks a replicated table up by name.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|table| table.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_columns_and_names_unique() {
        let mut names = HashSet::new();
        for table in TABLES {
            assert!(names.insert(table.name), "duplicate table {}", table.name);
            let mut columns = HashSet::new();
            for column in table.columns {
                assert!(columns.insert(column.name), "{}.{}", table.name, column.name);
            }
            for key in table.key {
                let column = table.column(key).unwrap_or_else(|| panic!("{}.{key}", table.name));
                assert!(!column.nullable, "key {}.{key} must be NOT NULL", table.name);
            }
        }
    }

    /// Every table and column of the central schema reference is replicated with its type
    /// and nullability. The reference is read from the repository's copy when present.
    #[test]
    fn matches_the_reference_columns() {
        let reference = include_str!("../../../docs/reference/trazea-columns.tsv");
        let mut seen = 0;
        for line in reference.lines().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() < 4 {
                continue;
            }
            let (table_name, column_name, ty, nullable) = (fields[0], fields[1], fields[2], fields[3]);
            let table = table(table_name).unwrap_or_else(|| panic!("table {table_name} not replicated"));
            let column =
                table.column(column_name).unwrap_or_else(|| panic!("column {table_name}.{column_name} not replicated"));
            let want = match ty {
                "uuid" => ColumnType::Uuid,
                "text" => ColumnType::Text,
                "integer" => ColumnType::Integer,
                "boolean" => ColumnType::Boolean,
                "timestamptz" => ColumnType::Timestamptz,
                "date" => ColumnType::Date,
                "jsonb" => ColumnType::Jsonb,
                other => panic!("unknown type {other}"),
            };
            assert_eq!(column.ty, want, "{table_name}.{column_name}");
            assert_eq!(column.nullable, nullable == "yes", "{table_name}.{column_name} nullability");
            seen += 1;
        }
        assert_eq!(seen, 145, "reference rows checked");
    }
}
