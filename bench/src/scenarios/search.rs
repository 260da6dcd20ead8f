//! Search: full-text queries over the parts of the big replica, as a screen runs them
//! (`Session::parts` with the text and a limit of 50: prefix match on every word, the best of
//! the first `RANKED_CANDIDATES` matches by bm25). The comparisons beside it (ranking every
//! match, no ranking) run on the replica's file opened read-only by the bench.

use super::{ensure_big_replica, Shared};
use crate::report::{Figure, ScenarioResult, Target};
use crate::stats::{ms, percentile};
use crate::Ctx;
use anyhow::Result;
use std::collections::BTreeMap;
use std::time::Instant;
use taller_client::app::{PartListInput, PartMatch};
use taller_client::probe::{fts_query, RANKED_CANDIDATES};
use taller_client::{Session, Workstation};

/// Every match ranked (the query before issue 13): what a narrow search must still answer.
const RANK_ALL: &str = "SELECT r.id_repuesto FROM repuestos_fts f JOIN repuestos r ON r.rowid = f.rowid \
     WHERE repuestos_fts MATCH ?1 ORDER BY rank LIMIT 50";

/// The ids a search answers, in order.
fn ids(rows: &[PartMatch]) -> Vec<String> {
    rows.iter().map(|row| row.id_repuesto.to_string()).collect()
}

/// What the inventory's search box runs for `text`: the first 50 parts.
fn search(session: &Session, text: &str) -> Result<Vec<PartMatch>> {
    Ok(session.parts(&PartListInput { search: text.to_owned(), location: None, limit: 50 })?)
}

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
    let session = Workstation::open(&dir)?.session()?;
    // The replica's own file, read-only, for the bench's own queries beside the library's.
    let path = session.probe().replica_path();
    let conn = &rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let parts: i64 = conn.query_row("SELECT count(*) FROM repuestos", [], |row| row.get(0))?;
    let mut result = ScenarioResult::new(
        "search",
        "Search",
        format!("{queries_count} queries over {parts} parts of the admin replica, {} distinct texts", QUERIES.len()),
    );
    for q in QUERIES {
        search(&session, q)?;
    }
    let mut samples = Vec::with_capacity(queries_count);
    let mut by_query: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in 0..queries_count {
        let q = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        let rows = search(&session, q)?;
        let took = ms(started.elapsed());
        std::hint::black_box(rows);
        samples.push(took);
        by_query.entry(q).or_default().push(took);
    }
    result
        .figures
        .push(Figure::new("FTS query p99", "ms", vec![percentile(&samples, 99.0)]).target(Target::AtMost(10.0)));
    result.figures.push(Figure::new("FTS query p50", "ms", vec![percentile(&samples, 50.0)]));
    // Narrow searches (at most RANKED_CANDIDATES matches) must answer what ranking every match
    // answers; broad ones rank their first RANKED_CANDIDATES matches.
    let mut narrow = 0;
    let mut broad = 0;
    for q in QUERIES {
        let Some(fts) = fts_query(q) else { continue };
        let matched: i64 =
            conn.query_row("SELECT count(*) FROM repuestos_fts WHERE repuestos_fts MATCH ?1", [&fts], |row| {
                row.get(0)
            })?;
        if matched > RANKED_CANDIDATES {
            broad += 1;
            continue;
        }
        narrow += 1;
        let all: Vec<String> =
            conn.prepare_cached(RANK_ALL)?.query_map([&fts], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        let shown = ids(&search(&session, q)?);
        if shown != all {
            anyhow::bail!("«{q}» ({matched} matches) answers other first results than ranking every match");
        }
    }
    result.breakdown.push(format!(
        "{narrow} of the {} texts match at most {RANKED_CANDIDATES} parts and answer the same 50 parts, in the same \
         order, as ranking every match (checked); the other {broad} are broad and rank their first \
         {RANKED_CANDIDATES} matches (rowid order)",
        QUERIES.len()
    ));
    let mut slowest: Vec<(&str, f64)> = by_query.iter().map(|(q, s)| (*q, percentile(s, 50.0))).collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (q, median) in slowest.iter().take(5) {
        let Some(fts) = fts_query(q) else { continue };
        let matched: i64 =
            conn.query_row("SELECT count(*) FROM repuestos_fts WHERE repuestos_fts MATCH ?1", [&fts], |row| {
                row.get(0)
            })?;
        // Ranking every match, as before issue 13.
        let rank_all = timed(20, || {
            let mut statement = conn.prepare_cached(RANK_ALL)?;
            let rows = statement.query_map([&fts], |row| row.get::<_, String>(0))?.count();
            Ok(rows)
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
            "`{q}` ({fts}): median {median:.2} ms; {matched} parts match, {} ranked; ranking every match would take \
             {rank_all:.2} ms; finding all matches alone takes {matching:.2} ms, the first 50 unranked {unranked:.2} ms",
            matched.min(RANKED_CANDIDATES)
        ));
    }
    Ok(result)
}
