//! Search: full-text queries over the parts of the big replica, as a screen runs them
//! (`queries::parts(conn, Some(text), 50)`: prefix match on every word, ranked).

use super::{ensure_big_replica, Shared};
use crate::report::{Figure, ScenarioResult, Target};
use crate::stats::{ms, percentile};
use crate::Ctx;
use anyhow::Result;
use std::collections::BTreeMap;
use std::time::Instant;
use taller_client::sync::lock;
use taller_client::{queries, Client};

/// What people type: categories, brands, voltages, references, partial words, accents or not.
const QUERIES: &[&str] = &[
    "bat",
    "bateria 48",
    "batería 36v",
    "motor",
    "mtr-500w",
    "xiaomi",
    "ctl 48v",
    "neu 10x",
    "freno 140",
    "display tft",
    "cargador 54",
    "rodamiento 6201",
    "segway",
    "kugoo 36",
    "luz led",
    "pastillas ceramica",
    "cable 1.8",
    "suspension tras",
    "camara 8.5",
    "acelerador 4p",
    "MTR-500W-48V-BAF",
    "dualtron 60v",
    "manillar alu",
    "zero",
];

/// The median time of `runs` calls of `f`, in ms.
fn timed(runs: usize, mut f: impl FnMut() -> Result<usize>) -> Result<f64> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(f()?);
        samples.push(ms(started.elapsed()));
    }
    Ok(percentile(&samples, 50.0))
}

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Result<ScenarioResult> {
    let dir = ensure_big_replica(ctx, shared).await?;
    let queries_count = ctx.sizes.search_queries;
    let client = Client::open(&dir)?;
    let replica = lock(client.shared()?);
    let conn = &replica.conn;
    let parts: i64 = conn.query_row("SELECT count(*) FROM repuestos", [], |row| row.get(0))?;
    let mut result = ScenarioResult::new(
        "search",
        "Search",
        format!("{queries_count} queries over {parts} parts of the admin replica, {} distinct texts", QUERIES.len()),
    );
    for q in QUERIES {
        queries::parts(conn, Some(q), 50)?;
    }
    let mut samples = Vec::with_capacity(queries_count);
    let mut by_query: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in 0..queries_count {
        let q = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        let rows = queries::parts(conn, Some(q), 50)?;
        let took = ms(started.elapsed());
        std::hint::black_box(rows);
        samples.push(took);
        by_query.entry(q).or_default().push(took);
    }
    result
        .figures
        .push(Figure::new("FTS query p99", "ms", vec![percentile(&samples, 99.0)]).target(Target::AtMost(10.0)));
    result.figures.push(Figure::new("FTS query p50", "ms", vec![percentile(&samples, 50.0)]));
    let mut slowest: Vec<(&str, f64)> = by_query.iter().map(|(q, s)| (*q, percentile(s, 50.0))).collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (q, median) in slowest.iter().take(5) {
        let Some(fts) = queries::fts_query(q) else { continue };
        let matched: i64 =
            conn.query_row("SELECT count(*) FROM repuestos_fts WHERE repuestos_fts MATCH ?1", [&fts], |row| {
                row.get(0)
            })?;
        // The same query without ranking: the first 50 matches, joined to their parts.
        let unranked = timed(20, || {
            let mut statement = conn.prepare_cached(
                "SELECT r.id_repuesto, r.referencia, r.nombre, r.tipo, r.marca, r.descontinuado \
                   FROM repuestos_fts f JOIN repuestos r ON r.rowid = f.rowid WHERE repuestos_fts MATCH ?1 LIMIT 50",
            )?;
            let rows = statement.query_map([&fts], |row| row.get::<_, String>(0))?.count();
            Ok(rows)
        })?;
        // Finding every match, without ranking or reading the parts.
        let matching = timed(20, || {
            let mut statement = conn.prepare_cached("SELECT rowid FROM repuestos_fts WHERE repuestos_fts MATCH ?1")?;
            let rows = statement.query_map([&fts], |row| row.get::<_, i64>(0))?.count();
            Ok(rows)
        })?;
        result.breakdown.push(format!(
            "`{q}` ({fts}): median {median:.2} ms ranked (ORDER BY rank LIMIT 50); {matched} parts match; finding all \
             matches alone takes {matching:.2} ms, the first 50 unranked {unranked:.2} ms: bm25 ranking of every match \
             is the rest"
        ));
    }
    Ok(result)
}
