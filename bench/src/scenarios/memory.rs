//! Memory: the `taller` CLI's peak resident memory (VmHWM, read from /proc/PID/status every
//! few milliseconds while it runs) on the big replica built by the initial sync.

use super::{ensure_big_replica, Shared, BIG};
use crate::harness::ServerProc;
use crate::procfs::status_kb;
use crate::report::{number, Figure, ScenarioResult, Target};
use crate::Ctx;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

struct Measured {
    hwm_mb: f64,
    seconds: f64,
    stdout_bytes: usize,
}

/// Runs `taller --data-dir DIR ARGS`, returning its peak resident memory.
async fn measure(ctx: &Ctx, dir: &Path, args: &[&str], stdin: Option<&str>) -> Result<Measured> {
    let mut child = tokio::process::Command::new(&ctx.taller_bin)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("running {}", ctx.taller_bin.display()))?;
    let pid = child.id().context("taller exited at once")?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(text.as_bytes()).await?;
    }
    let mut stdout = child.stdout.take().context("stdout")?;
    let mut stderr = child.stderr.take().context("stderr")?;
    let out_task = tokio::spawn(async move {
        let mut sink = Vec::new();
        tokio::io::copy(&mut stdout, &mut sink).await.unwrap_or(0);
        sink.len()
    });
    let err_task = tokio::spawn(async move {
        let mut text = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut text).await.unwrap_or(0);
        String::from_utf8_lossy(&text).chars().rev().take(400).collect::<String>().chars().rev().collect::<String>()
    });
    let started = Instant::now();
    let mut hwm_kb = 0;
    let status = loop {
        if let Some(kb) = status_kb(pid, "VmHWM") {
            hwm_kb = hwm_kb.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    let stdout_bytes = out_task.await.unwrap_or(0);
    let stderr_text = err_task.await.unwrap_or_default();
    if !status.success() {
        bail!("taller {} failed ({status}): {stderr_text}", args.join(" "));
    }
    Ok(Measured { hwm_mb: hwm_kb as f64 / 1024.0, seconds, stdout_bytes })
}

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Result<ScenarioResult> {
    let dir = ensure_big_replica(ctx, shared).await?;
    let mut result = ScenarioResult::new(
        "memory",
        "Memory of the taller CLI",
        format!(
            "the admin replica of {} parts x {} locations ({} rows) built by the initial sync",
            ctx.sizes.parts, ctx.sizes.locations, shared.initial_rows
        ),
    );
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(BIG), &ctx.work.join("server-memory.log")).await?;
    measure(ctx, &dir, &["connect", "--server", &server.base], None).await?;

    let list = measure(ctx, &dir, &["--json", "stock", "list"], None).await?;
    let one = measure(ctx, &dir, &["--json", "stock", "list", "--location", "Bodega Central"], None).await?;
    let search = measure(ctx, &dir, &["--json", "parts", "list", "--search", "bateria 48"], None).await?;
    let sync = measure(ctx, &dir, &["--json", "sync"], None).await?;

    let fresh = ctx.work.join("memory-fresh");
    crate::harness::clear(&fresh);
    measure(ctx, &fresh, &["connect", "--server", &server.base], None).await?;
    measure(
        ctx,
        &fresh,
        &["login", "--email", "admin@taller.test", "--password-stdin"],
        Some(taller_server::demo::DEMO_PASSWORD),
    )
    .await?;
    let initial = measure(ctx, &fresh, &["--json", "sync"], None).await?;
    crate::harness::clear(&fresh);
    server.stop().await?;

    result
        .figures
        .push(Figure::new("`stock list` (every location)", "MB", vec![list.hwm_mb]).target(Target::AtMost(200.0)));
    result.figures.push(Figure::new("`sync` (caught up)", "MB", vec![sync.hwm_mb]).target(Target::AtMost(200.0)));
    result.figures.push(
        Figure::new("`sync` (initial, fresh data dir)", "MB", vec![initial.hwm_mb]).target(Target::AtMost(200.0)),
    );
    result.figures.push(Figure::new("`parts list --search`", "MB", vec![search.hwm_mb]));
    result.breakdown.push(format!(
        "`stock list`: {:.0} MB peak, {:.1} s, {} bytes of JSON printed; with one location: {:.0} MB, {} bytes \
         ({:.2} bytes of peak per byte printed beyond one location: the CLI streams the rows, queries::each_stock, \
         so the peak is SQLite's page cache and the process, not the listing)",
        list.hwm_mb,
        list.seconds,
        number(list.stdout_bytes as f64),
        one.hwm_mb,
        number(one.stdout_bytes as f64),
        (list.hwm_mb - one.hwm_mb) * 1024.0 * 1024.0
            / (list.stdout_bytes.saturating_sub(one.stdout_bytes)).max(1) as f64
    ));
    result.breakdown.push(format!(
        "initial `sync` of {} rows: {:.0} MB peak ({:.0} bytes per row), {:.1} s ({} rows/s through the CLI): \
         pages are staged as they arrive and the delta is applied page by page in one transaction, as a bulk load: \
         SQLite's page cache at 32 MiB and the index builds' sorters (two worker threads and the main one, each \
         with runs as large as the cache) are most of the peak",
        shared.initial_rows,
        initial.hwm_mb,
        initial.hwm_mb * 1024.0 * 1024.0 / shared.initial_rows.max(1) as f64,
        initial.seconds,
        number(shared.initial_rows as f64 / initial.seconds)
    ));
    result.breakdown.push(format!("caught-up `sync`: {:.0} MB, {:.2} s", sync.hwm_mb, sync.seconds));
    result.notes.push("VmHWM is polled every 2 ms while the process runs; the largest value seen is reported.".into());
    Ok(result)
}
