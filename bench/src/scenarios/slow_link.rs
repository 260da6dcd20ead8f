//! Slow link: an initial sync through the fault proxy limited to 1 Mbit/s, cut twice midway
//! (every live connection reset). The client retries like the engine does (after 500 ms) and
//! resumes from the pages it staged. What was sent again after each cut is the bytes of this
//! run minus those of a clean run of the same sync through the same proxy at full speed.

use crate::harness::{load_demo_fast, Device, ServerProc};
use crate::report::{number, Figure, ScenarioResult, Target};
use crate::{note, Ctx};
use anyhow::{bail, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use taller_faultproxy::{FaultProxy, Faults};

const DB: &str = "slow_link";

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let s = &ctx.sizes;
    let pool = ctx.pg.create(DB).await?;
    pool.close().await;
    let (load, inventory) = load_demo_fast(&ctx.pg.url(DB), s.slow_parts, s.slow_locations).await?;
    let mut result = ScenarioResult::new(
        "slow_link",
        "Slow link",
        format!(
            "{} parts x {} locations ({inventory} inventory rows), admin replica, {} bytes/s each way, 2 cuts",
            s.slow_parts, s.slow_locations, s.bandwidth_bytes_per_sec
        ),
    );
    result.notes.push(format!("Data set loaded in {:.1} s (not measured).", load.as_secs_f64()));
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(DB), &ctx.work.join("server-slow.log")).await?;
    let proxy = Arc::new(FaultProxy::start(server.addr).await?);
    let via = format!("http://{}", proxy.addr());

    // The clean run, at full speed.
    let clean_dir = ctx.work.join("slow-clean");
    crate::harness::clear(&clean_dir);
    let device = Device::login(clean_dir.clone(), &via, "admin@taller.test").await?;
    let before = proxy.stats().bytes_to_client;
    let clean = device.client.sync(None, &|_| {}).await?;
    let clean_bytes = proxy.stats().bytes_to_client - before;
    drop(device);
    crate::harness::clear(&clean_dir);
    let page_bytes = clean_bytes as f64 / clean.pages.max(1) as f64;

    // The slow run, cut at a third and at two thirds of the bytes.
    let dir = ctx.work.join("slow-cut");
    crate::harness::clear(&dir);
    let device = Device::login(dir.clone(), &via, "admin@taller.test").await?;
    proxy.set(Faults { bandwidth_bytes_per_sec: Some(s.bandwidth_bytes_per_sec), ..Faults::default() });
    let before = proxy.stats().bytes_to_client;
    let cuts_done = Arc::new(AtomicU64::new(0));
    let cutter = {
        let proxy = proxy.clone();
        let cuts_done = cuts_done.clone();
        tokio::spawn(async move {
            for third in [1, 2] {
                while proxy.stats().bytes_to_client - before < clean_bytes * third / 3 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                proxy.cut_all();
                cuts_done.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    note(&format!("slow sync of ~{:.1} MB at {} bytes/s", clean_bytes as f64 / 1e6, s.bandwidth_bytes_per_sec));
    let started = Instant::now();
    let mut failures = Vec::new();
    let report = loop {
        match device.client.sync(None, &|_| {}).await {
            Ok(report) => break report,
            Err(error) if error.is_transient() && started.elapsed() < Duration::from_secs(900) => {
                failures.push(format!("{:.1} s: {error}", started.elapsed().as_secs_f64()));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => bail!("the slow sync failed: {error}"),
        }
    };
    let took = started.elapsed();
    cutter.abort();
    let total_bytes = proxy.stats().bytes_to_client - before;
    let cuts = cuts_done.load(Ordering::SeqCst);
    drop(device);
    crate::harness::clear(&dir);
    proxy.set(Faults::default());
    server.stop().await?;
    ctx.pg.drop_database(DB).await?;

    let resent = total_bytes.saturating_sub(clean_bytes) as f64;
    let per_cut_pages = resent / cuts.max(1) as f64 / page_bytes;
    result
        .figures
        .push(Figure::new("time to a complete replica", "s", vec![took.as_secs_f64()]).target(Target::AtMost(300.0)));
    result
        .figures
        .push(Figure::new("re-sent after each cut", "pages", vec![per_cut_pages]).target(Target::AtMost(1.0)));
    result.breakdown.push(format!(
        "clean run: {} rows in {} pages, {} bytes on the wire ({:.0} bytes per page, {:.1} bytes per row); at {} bytes/s \
         that alone takes {:.0} s",
        clean.rows,
        clean.pages,
        number(clean_bytes as f64),
        page_bytes,
        clean_bytes as f64 / clean.rows.max(1) as f64,
        s.bandwidth_bytes_per_sec,
        clean_bytes as f64 / s.bandwidth_bytes_per_sec as f64
    ));
    result.breakdown.push(format!(
        "cut run: {cuts} cuts, {} bytes on the wire, {} more than the clean run ({:.0} per cut, {per_cut_pages:.2} pages); \
         last attempt: {} pages; failed attempts: {}",
        number(total_bytes as f64),
        number(resent),
        resent / cuts.max(1) as f64,
        report.pages,
        if failures.is_empty() { "none".to_owned() } else { failures.join("; ") }
    ));
    Ok(result)
}
