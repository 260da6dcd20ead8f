//! Demo data: a realistic electric-scooter workshop network, or (with larger sizes) the data
//! sets the benchmarks use. Deterministic: the same sizes give the same data.

use crate::admin::{self, AdminError};
use sqlx::PgPool;
use uuid::Uuid;

pub struct DemoSize {
    pub parts: usize,
    pub locations: usize,
}

impl Default for DemoSize {
    fn default() -> DemoSize {
        DemoSize { parts: 300, locations: 3 }
    }
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "taller-demo-2026";

pub struct DemoAccount {
    pub email: &'static str,
    pub nombre: &'static str,
    pub role: &'static str,
    /// Indexes into the created locations.
    pub locations: &'static [usize],
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount { email: "admin@taller.test", nombre: "Ana Administradora", role: "admin", locations: &[] },
    DemoAccount { email: "bodega@taller.test", nombre: "Bruno Bodeguero", role: "superuser", locations: &[0] },
    DemoAccount { email: "tecnico.norte@taller.test", nombre: "Carla Técnica", role: "tecnico", locations: &[1] },
    DemoAccount { email: "tecnico.sur@taller.test", nombre: "Diego Técnico", role: "tecnico", locations: &[2] },
];

const CATEGORIES: &[(&str, &str, &[&str])] = &[
    ("MTR", "Motor", &["250W-36V", "350W-36V", "500W-48V", "800W-52V", "1000W-60V"]),
    ("BAT", "Batería", &["36V-7.8AH", "36V-10AH", "48V-13AH", "48V-15AH", "52V-20AH"]),
    ("CTL", "Controlador", &["36V-15A", "48V-20A", "48V-25A", "60V-30A"]),
    ("FRN", "Freno de disco", &["120MM", "140MM", "160MM"]),
    ("PST", "Pastillas de freno", &["SEMIMET", "ORGANICA", "CERAMICA"]),
    ("NEU", "Neumático", &["8.5X2", "10X2.5", "10X3", "11X3"]),
    ("CAM", "Cámara de aire", &["8.5X2", "10X2.5", "10X3"]),
    ("DSP", "Display", &["LCD-5P", "LED-6P", "TFT-7P"]),
    ("CRG", "Cargador", &["42V-2A", "54.6V-2A", "58.8V-3A"]),
    ("ACL", "Acelerador de gatillo", &["3P", "4P"]),
    ("LUZ", "Luz delantera", &["LED-3W", "LED-5W"]),
    ("MNL", "Manillar plegable", &["ALU", "ACERO"]),
    ("SUS", "Suspensión", &["DEL", "TRAS"]),
    ("ROD", "Rodamiento", &["6001RS", "6201RS", "608RS"]),
    ("CBL", "Cable de freno", &["1.5M", "1.8M"]),
];

const BRANDS: &[&str] =
    &["Bafang", "Xiaomi", "Segway", "Ninebot", "Kugoo", "Dualtron", "Vsett", "Kaabo", "Inokim", "Zero"];

const LOCATIONS: &[(&str, &str, &str)] = &[
    ("Bodega Central", "Calle 13 # 68-20, Bogotá", "+57 601 555 0100"),
    ("Taller Norte", "Av. 19 # 134-30, Bogotá", "+57 601 555 0101"),
    ("Taller Sur", "Av. 68 # 5-12, Bogotá", "+57 601 555 0102"),
];

/// The i-th demo part: (referencia, nombre, tipo, marca).
pub fn part(index: usize) -> (String, String, String, String) {
    let (prefix, name, variants) = CATEGORIES[index % CATEGORIES.len()];
    let round = index / CATEGORIES.len();
    let variant = variants[round % variants.len()];
    let brand = BRANDS[(round / variants.len()) % BRANDS.len()];
    let generation = round / (variants.len() * BRANDS.len());
    let brand_code: String = brand.chars().take(3).collect::<String>().to_uppercase();
    let referencia = if generation == 0 {
        format!("{prefix}-{variant}-{brand_code}")
    } else {
        format!("{prefix}-{variant}-{brand_code}-{generation:05}")
    };
    (referencia, format!("{name} {variant} {brand}"), name.to_owned(), brand.to_owned())
}

pub struct DemoSummary {
    pub created: bool,
    pub parts: i64,
    pub locations: i64,
    pub inventory_rows: i64,
}

/// Creates the demo data unless the database already has parts.
pub async fn load(pool: &PgPool, size: &DemoSize) -> Result<DemoSummary, AdminError> {
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM repuestos").fetch_one(pool).await?;
    if existing > 0 {
        return summary(pool, false).await;
    }
    let mut location_ids = Vec::new();
    for index in 0..size.locations.max(1) {
        let (nombre, direccion, telefono) = LOCATIONS
            .get(index)
            .map(|(n, d, t)| ((*n).to_owned(), Some((*d).to_owned()), Some((*t).to_owned())))
            .unwrap_or_else(|| (format!("Taller {}", index + 1), None, None));
        location_ids.push(admin::add_location(pool, &nombre, direccion.as_deref(), telefono.as_deref()).await?);
    }
    // Parts in batches, set-based.
    for start in (0..size.parts).step_by(10_000) {
        let end = (start + 10_000).min(size.parts);
        let mut refs = Vec::with_capacity(end - start);
        let mut names = Vec::with_capacity(end - start);
        let mut types = Vec::with_capacity(end - start);
        let mut brands = Vec::with_capacity(end - start);
        for index in start..end {
            let (r, n, t, b) = part(index);
            refs.push(r);
            names.push(n);
            types.push(t);
            brands.push(b);
        }
        sqlx::query(
            "INSERT INTO repuestos (referencia, nombre, tipo, marca, descripcion) \
             SELECT r, n, t, b, 'Repuesto para patinete eléctrico' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(r, n, t, b)",
        )
        .bind(&refs)
        .bind(&names)
        .bind(&types)
        .bind(&brands)
        .execute(pool)
        .await?;
    }
    // Stock: deterministic pseudo-random quantities from the reference and the location. Stock
    // changes only with a ledger row: each initial quantity gets its row from 0, written here
    // (set-based) rather than by the trigger for other applications' inserts, which
    // `taller.ledger = 'app'` turns off (decision 0010). The rows are dated a year back, before
    // any action a device may still send (the backdate window is 30 days by default), so that
    // the stock at any moment a person acted is read from the ledger as it was then.
    for id in &location_ids {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT set_config('taller.ledger', 'app', true)").execute(&mut *tx).await?;
        sqlx::query(
            "WITH creado AS ( \
                 INSERT INTO inventario (id_localizacion, id_repuesto, stock_actual, cantidad_minima, posicion) \
                 SELECT $1, r.id_repuesto, abs(hashtext(r.referencia || $1::text)) % 40, \
                        2 + abs(hashtext($1::text || r.referencia)) % 6, \
                        'E' || (1 + abs(hashtext(r.referencia)) % 20) || '-N' || (1 + abs(hashtext(r.nombre)) % 5) \
                   FROM repuestos r \
                 RETURNING id_inventario, stock_actual) \
             INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, \
                                          diferencia, motivo, detalles, fecha) \
             SELECT c.id_inventario, taller_usuario_sistema(), 'AJUSTE_MANUAL', 0, c.stock_actual, c.stock_actual, \
                    'Stock inicial', '{\"origen\":\"demo\"}'::jsonb, now() - interval '1 year' \
               FROM creado c WHERE c.stock_actual <> 0",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    for account in DEMO_ACCOUNTS {
        let id = admin::add_user(pool, account.nombre, account.email, account.role, DEMO_PASSWORD, true).await?;
        for &index in account.locations {
            if let Some(location) = location_ids.get(index) {
                sqlx::query("INSERT INTO usuarios_localizacion (id_usuario, id_localizacion) VALUES ($1, $2)")
                    .bind(id)
                    .bind(location)
                    .execute(pool)
                    .await?;
            }
        }
        if account.role == "admin" {
            sqlx::query("INSERT INTO admin_notifications (id_admin, tipo_notificacion, activo) VALUES ($1, 'alerta_stock', true)")
                .bind(id)
                .execute(pool)
                .await?;
        }
    }
    let scooters: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO scooter_types (nombre, potencia, descripcion) VALUES \
         ('Urbano 350', '350W', 'Patinete urbano de 10 pulgadas'), \
         ('Trail 800', '800W', 'Patinete con doble suspensión'), \
         ('Cargo 500', '500W', NULL) RETURNING id_tipo",
    )
    .fetch_all(pool)
    .await?;
    for (index, id_tipo) in scooters.iter().enumerate() {
        let nivel = i32::try_from(index % 3 + 1).unwrap_or(1);
        sqlx::query("INSERT INTO order_follow (numero_orden, id_tipo_scooter, nivel, estado, fecha_orden) VALUES ($1, $2, $3, $4, now())")
            .bind(format!("OC-2026-{:04}", index + 1))
            .bind(id_tipo)
            .bind(nivel)
            .bind(["Pedido", "En tránsito", "Entregado"][index % 3])
            .execute(pool)
            .await?;
    }
    summary(pool, true).await
}

async fn summary(pool: &PgPool, created: bool) -> Result<DemoSummary, AdminError> {
    let (parts, locations, inventory_rows): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM repuestos), (SELECT count(*) FROM localizacion), (SELECT count(*) FROM inventario)",
    )
    .fetch_one(pool)
    .await?;
    Ok(DemoSummary { created, parts, locations, inventory_rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn references_are_unique_and_realistic() {
        let refs: HashSet<String> = (0..5000).map(|i| part(i).0).collect();
        assert_eq!(refs.len(), 5000);
        assert!((0..300).any(|i| part(i).0 == "MTR-500W-48V-BAF"), "the classic motor is there");
    }
}
