//! Desktop: the real `taller-desktop` app (Tauri 2, WebKitGTK) under Xvfb, driven through
//! tauri-driver, on a technician's replica of one location of the big data set synced from
//! the real server: cold start to the inventory's first rows, resident memory with the
//! inventory shown (and on the admin's replica of everything), and search-as-you-type latency
//! from the keystroke to the rendered rows, each timed inside the page.

use super::{ensure_big, ensure_big_replica, Shared, BIG};
use crate::desktop::{comm, descendants, App, Launcher};
use crate::harness::{clear, Device, ServerProc};
use crate::procfs::status_kb;
use crate::report::{Figure, ScenarioResult, Target};
use crate::stats::{median, ms, percentile};
use crate::{note, Ctx};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant, UNIX_EPOCH};
use taller_client::app::{InventoryQuery, InventorySort};
use taller_client::Workstation;
use taller_webview::fantoccini::elements::Element;
use taller_webview::fantoccini::Locator;
use taller_webview::Screen;

/// The technician whose replica holds one location.
const TECHNICIAN: &str = "tecnico.norte@taller.test";
const LOCATION: &str = "Taller Norte";
/// The inventory screen's first window (`PAGE_SIZE` in ui/src/screens/Inventory.tsx).
const PAGE: u32 = 50;
/// After a key that leaves the rows as they were (nothing to see change), the time given to
/// the screen's search before the next key.
const SETTLE: Duration = Duration::from_millis(300);
/// What is typed, one key at a time (distinct first letters, so no prefix is answered from
/// the screen's cache of an earlier word): 14 words, some 70 timed keystrokes, so that the p99
/// is not merely the slowest of a couple of dozen.
const WORDS: &[&str] = &[
    "bateria 48",
    "motor",
    "xiaomi",
    "freno 140",
    "display tft",
    "cargador 54",
    "kugoo 36",
    "luz led",
    "segway",
    "neu 10x",
    "rodamiento 6201",
    "pastillas ceramica",
    "acelerador 4p",
    "zero",
];
/// How long one step may take in the window.
const STEP: Duration = Duration::from_secs(60);

/// Run until it succeeds (there is a document): installs, once per document, an observer that
/// stamps (epoch ms) the animation frame after the first row appears, and returns the stamps
/// (`at` null while no row was painted).
const FIRST_ROWS: &str = r#"
if (!document.documentElement) return null;
const origin = performance.timeOrigin || performance.timing.navigationStart;
const stamp = () => origin + performance.now();
const row = () => document.querySelector('tr[id^="inventory-row-"]');
if (!window.__benchFirst) {
  const b = window.__benchFirst = { nav: origin, installed: stamp(), already: !!row(), at: null, pending: false };
  b.done = new Promise((resolve) => { b.resolve = resolve; });
  if (b.already) {
    b.at = b.installed;
    b.resolve();
  } else {
    const obs = new MutationObserver(() => {
      if (b.pending || !row()) return;
      b.pending = true;
      obs.disconnect();
      requestAnimationFrame(() => { b.at = stamp(); b.resolve(); });
    });
    obs.observe(document.documentElement, { childList: true, subtree: true });
  }
}
const b = window.__benchFirst;
return { nav: b.nav, installed: b.installed, already: b.already, at: b.at };
"#;

/// Waits inside the page (one asynchronous script, no polling that would take the page's
/// time while it starts) for the first rows, then returns the stamps and the page's start-up
/// timeline: the document's own steps, the app's marks and its first commands (`ipc:<name>`
/// measures, start and end), in epoch ms.
const FIRST_ROWS_WAIT: &str = r#"
const done = arguments[arguments.length - 1];
const b = window.__benchFirst;
b.done.then(() => {
  const origin = performance.timeOrigin || performance.timing.navigationStart;
  const at = (t) => origin + t;
  const steps = [];
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav) {
    steps.push(['document received', at(nav.responseEnd), null]);
    steps.push(['document parsed', at(nav.domInteractive), null]);
  }
  for (const mark of performance.getEntriesByType('mark')) steps.push([mark.name, at(mark.startTime), null]);
  for (const m of performance.getEntriesByType('measure')) steps.push([m.name, at(m.startTime), at(m.startTime + m.duration)]);
  done({ nav: b.nav, installed: b.installed, already: b.already, at: b.at, steps });
});
"#;

/// Installs the search probe: the keystroke's `input` event, the screen's `inventory_page`
/// call for the expected search and its answer, and the animation frame after the window
/// shows the expected rows (total and first reference), all in ms from the keystroke.
const SEARCH_PROBE: &str = r#"
const input = document.querySelector('input[type="search"]');
const scroll = document.querySelector('[data-testid="inventory-scroll"]');
if (!input || !scroll) return 'no search field or inventory table';
const b = window.__benchSearch = { t0: null, expect: null, result: null, invoked: null, answered: null, pending: false, hooked: false };
input.addEventListener('input', () => { b.t0 = performance.now(); b.invoked = null; b.answered = null; }, true);
// Tauri's `invoke` cannot be replaced (a non-writable property), but it reaches the app
// through the page's `fetch` (the `ipc://` custom protocol), looked up at each call.
const original = window.fetch;
try {
  window.fetch = function (resource, init) {
    const answer = original.apply(this, arguments);
    try {
      const url = String(resource && resource.url ? resource.url : resource);
      if (b.expect && b.invoked === null && url.includes('inventory_page') && init && typeof init.body === 'string') {
        const q = JSON.parse(init.body).input;
        if (q && q.search === b.expect.search && q.offset === 0) {
          b.invoked = performance.now();
          answer.then(() => { if (b.answered === null) b.answered = performance.now(); }, () => {});
        }
      }
    } catch (e) { /* not an IPC call of ours */ }
    return answer;
  };
  b.hooked = window.fetch !== original;
} catch (e) { b.hooked = false; }
const check = () => {
  const e = b.expect;
  if (!e || b.result !== null || b.pending || b.t0 === null) return;
  const table = document.querySelector('table[role="grid"]');
  if (!table || table.getAttribute('aria-rowcount') !== String(e.total + 1)) return;
  if (e.first !== null) {
    const cell = document.querySelector('#inventory-row-0 .col-referencia');
    if (!cell || cell.textContent !== e.first) return;
  }
  b.pending = true;
  const seen = performance.now();
  requestAnimationFrame(() => {
    const since = (t) => (t === null ? null : t - b.t0);
    b.result = { painted: performance.now() - b.t0, dom: seen - b.t0, invoked: since(b.invoked), answered: since(b.answered) };
    b.pending = false;
  });
};
new MutationObserver(check).observe(scroll, { childList: true, subtree: true, attributes: true, characterData: true });
return b.hooked ? 'hooked' : 'not hooked';
"#;

/// What the window must show for a search: its trimmed text, the total and the first row.
#[derive(Debug, Clone, PartialEq)]
struct Expect {
    search: String,
    total: i64,
    first: Option<String>,
}

fn query(location: uuid::Uuid, search: &str) -> InventoryQuery {
    InventoryQuery {
        id_localizacion: location,
        search: search.trim().to_owned(),
        low_only: false,
        sort: InventorySort::default(),
        offset: 0,
        limit: PAGE,
    }
}

fn epoch_ms(at: std::time::SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

/// Resident memory (MB) of the app and of its WebKit helper processes.
struct Memory {
    app_rss: f64,
    app_hwm: f64,
    web_rss: f64,
    network_rss: f64,
    others: Vec<String>,
}

fn memory(app: &App) -> Memory {
    let mb = |pid: u32, key: &str| status_kb(pid, key).unwrap_or(0) as f64 / 1024.0;
    let mut out = Memory {
        app_rss: mb(app.pid, "VmRSS"),
        app_hwm: mb(app.pid, "VmHWM"),
        web_rss: 0.0,
        network_rss: 0.0,
        others: Vec::new(),
    };
    for pid in descendants(app.pid) {
        let name = comm(pid);
        let rss = mb(pid, "VmRSS");
        if name.starts_with("WebKitWebProces") {
            out.web_rss += rss;
        } else if name.starts_with("WebKitNetworkPr") {
            out.network_rss += rss;
        } else if rss > 0.0 {
            out.others.push(format!("{name} {rss:.0} MB"));
        }
    }
    out
}

/// Waits for the inventory's first rows; returns the page's stamps and start-up steps.
async fn first_rows(app: &App) -> Result<Value> {
    let deadline = Instant::now() + STEP;
    loop {
        // Errors while the page is still loading (no document yet) are waited out.
        if let Ok(value) = app.session.execute(FIRST_ROWS, vec![]).await {
            if !value.is_null() {
                break;
            }
        }
        if Instant::now() >= deadline {
            bail!("the app's window showed no document within {STEP:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    match tokio::time::timeout(STEP, app.session.execute_async(FIRST_ROWS_WAIT, vec![])).await {
        Ok(Ok(value)) if !value["at"].is_null() => Ok(value),
        outcome => {
            let text = app.session.execute("return document.body ? document.body.innerText : ''", vec![]).await;
            bail!("the inventory showed no rows within {STEP:?} ({outcome:?}); the window says: {text:?}");
        }
    }
}

struct Start {
    cold_ms: f64,
    nav_ms: f64,
    already: bool,
    /// The page's start-up steps: name, ms after the process was seen (end too for a command).
    steps: Vec<(String, f64, Option<f64>)>,
}

/// The start-up steps of one start, for the breakdown: "name +ms" (a command "+from–to").
fn steps_line(steps: &[(String, f64, Option<f64>)]) -> String {
    let mut sorted = steps.to_vec();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    sorted
        .iter()
        .map(|(name, at, end)| match end {
            Some(end) => format!("{name} {at:.0}–{end:.0}"),
            None => format!("{name} {at:.0}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn cold_start(app: &App) -> Result<Start> {
    let stamps = first_rows(app).await?;
    let spawned = epoch_ms(app.spawned_at);
    let field = |name: &str| stamps[name].as_f64().unwrap_or(f64::NAN);
    Ok(Start {
        cold_ms: field("at") - spawned,
        nav_ms: field("nav") - spawned,
        already: stamps["already"].as_bool().unwrap_or(false),
        steps: stamps["steps"]
            .as_array()
            .map(|steps| {
                steps
                    .iter()
                    .filter_map(|step| {
                        let name = step[0].as_str()?.to_owned();
                        Some((name, step[1].as_f64()? - spawned, step[2].as_f64().map(|end| end - spawned)))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// One keystroke's timings, in ms from the `input` event.
struct Keystroke {
    /// The field's text after the key.
    typed: String,
    total: i64,
    painted: f64,
    invoked: Option<f64>,
    answered: Option<f64>,
}

/// Types `word` one key at a time, timing every key whose expected window differs from the
/// one before it; then erases it and waits for the whole inventory again.
async fn type_word(
    app: &App,
    field: &Element,
    expectations: &[(String, Expect)],
    everything: &Expect,
    samples: &mut Vec<Keystroke>,
) -> Result<()> {
    let mut shown = everything.clone();
    for (typed, expect) in expectations {
        let key = typed.chars().last().map(String::from).unwrap_or_default();
        let measure = expect.total != shown.total || expect.first != shown.first;
        let expect_json = json!({"search": expect.search, "total": expect.total, "first": expect.first});
        app.session
            .execute(
                "const b = window.__benchSearch; b.expect = arguments[0]; b.result = null; b.t0 = null; return true;",
                vec![if measure { expect_json } else { Value::Null }],
            )
            .await?;
        field.send_keys(&key).await?;
        if measure {
            let result = wait_result(app, typed).await?;
            let at = |name: &str| result[name].as_f64();
            samples.push(Keystroke {
                typed: typed.clone(),
                total: expect.total,
                painted: at("painted").unwrap_or(f64::NAN),
                invoked: at("invoked"),
                answered: at("answered"),
            });
        } else {
            // Same rows as before: nothing to see change; let the screen's search run.
            tokio::time::sleep(SETTLE).await;
        }
        shown = expect.clone();
    }
    // Erase, and wait until the window lists everything again (not measured).
    let changes_back = shown.total != everything.total || shown.first != everything.first;
    let erase: String = std::iter::repeat_n('\u{E003}', expectations.len()).collect();
    let expect_json = json!({"search": "", "total": everything.total, "first": everything.first});
    app.session
        .execute(
            "const b = window.__benchSearch; b.expect = arguments[0]; b.result = null; b.t0 = null; return true;",
            vec![expect_json],
        )
        .await?;
    field.send_keys(&erase).await?;
    if changes_back {
        wait_result(app, "(erased)").await?;
    } else {
        tokio::time::sleep(SETTLE).await;
    }
    Ok(())
}

async fn wait_result(app: &App, typed: &str) -> Result<Value> {
    let deadline = Instant::now() + STEP;
    loop {
        let result = app.session.execute("return window.__benchSearch.result;", vec![]).await?;
        if !result.is_null() {
            return Ok(result);
        }
        if Instant::now() >= deadline {
            let shown = app
                .session
                .execute(
                    "const t = document.querySelector('table[role=\"grid\"]'); const c = document.querySelector('#inventory-row-0 .col-referencia'); \
                     return [document.querySelector('input[type=\"search\"]').value, t && t.getAttribute('aria-rowcount'), c && c.textContent];",
                    vec![],
                )
                .await;
            bail!("typing «{typed}»: the window did not show the expected rows within {STEP:?} (it shows {shown:?})");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The library opening the replica and reading the inventory's first window, per run: the
/// whole, and its steps (`Workstation::open`, `session()`, the first `inventory_page`).
struct FirstWindow {
    total: Vec<f64>,
    workstation: Vec<f64>,
    session: Vec<f64>,
    page: Vec<f64>,
}

fn library_first_window(dir: &Path, location: uuid::Uuid, runs: usize) -> Result<FirstWindow> {
    let mut samples = FirstWindow { total: Vec::new(), workstation: Vec::new(), session: Vec::new(), page: Vec::new() };
    for _ in 0..runs {
        let started = Instant::now();
        let workstation = Workstation::open(dir)?;
        let opened = started.elapsed();
        let client = workstation.session()?;
        let signed_in = started.elapsed();
        let page = client.inventory_page(&query(location, ""))?;
        let total = started.elapsed();
        samples.total.push(ms(total));
        samples.workstation.push(ms(opened));
        samples.session.push(ms(signed_in - opened));
        samples.page.push(ms(total - signed_in));
        std::hint::black_box(page);
    }
    Ok(samples)
}

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Result<ScenarioResult> {
    let app_bin = ctx.desktop_bin.clone().context("no --desktop-bin: build taller-desktop (cargo xtask bench does)")?;
    if !app_bin.is_file() {
        bail!("{} is missing: build taller-desktop first", app_bin.display());
    }
    // Missing tools say so before the data is loaded.
    taller_webview::tauri_driver()?;
    let starts = ctx.sizes.runs.max(3);
    let words: &[&str] = if ctx.quick { &WORDS[..3] } else { WORDS };
    ensure_big(ctx, shared).await?;
    // The admin's replica of everything, for the memory figure on the whole data set.
    let admin_dir = ensure_big_replica(ctx, shared).await?;

    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(BIG), &ctx.work.join("server-desktop.log")).await?;
    let dir = ctx.work.join("desktop-technician");
    clear(&dir);
    let synced = Instant::now();
    let device = Device::login(dir.clone(), &server.base, TECHNICIAN).await?;
    let report = device.client.sync(None, &|_| {}).await?;
    let sync_s = synced.elapsed().as_secs_f64();
    let location = device.location(LOCATION)?;
    drop(device);

    // What the window must show, from the library, and the library's own time for it.
    let client = Workstation::open(&dir)?.session()?;
    let everything_page = client.inventory_page(&query(location, ""))?;
    let everything = Expect {
        search: String::new(),
        total: everything_page.total,
        first: everything_page.rows.first().map(|row| row.referencia.clone()),
    };
    let parts: i64 = {
        // The replica's own file, read-only: the bench needs no handle inside the library.
        let path = Workstation::replica_path(&dir, client.user_id());
        let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.query_row("SELECT count(*) FROM repuestos", [], |row| row.get(0))?
    };
    let mut plan: Vec<Vec<(String, Expect)>> = Vec::new();
    let mut library_search = Vec::new();
    let mut library_by_prefix = std::collections::BTreeMap::new();
    for word in words {
        let mut steps = Vec::new();
        for end in word.char_indices().map(|(at, c)| at + c.len_utf8()) {
            let typed = &word[..end];
            let mut page = None;
            let mut runs = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                page = Some(client.inventory_page(&query(location, typed))?);
                runs.push(ms(started.elapsed()));
            }
            library_by_prefix.insert(typed.to_owned(), median(&runs));
            library_search.extend(runs);
            let page = page.context("no page")?;
            steps.push((
                typed.to_owned(),
                Expect {
                    search: typed.trim().to_owned(),
                    total: page.total,
                    first: page.rows.first().map(|row| row.referencia.clone()),
                },
            ));
        }
        plan.push(steps);
    }
    drop(client);
    let first_window = library_first_window(&dir, location, starts)?;
    let library_open = first_window.total.clone();

    let mut result = ScenarioResult::new(
        "desktop",
        "Desktop app",
        format!(
            "{TECHNICIAN}'s replica of one location ({LOCATION}: {} inventory rows, {parts} parts; {} rows synced from \
             the server in {sync_s:.1} s); memory also on the admin replica of {} parts x {} locations ({} rows)",
            everything.total, report.rows, ctx.sizes.parts, ctx.sizes.locations, shared.initial_rows
        ),
    );

    let screen = Screen::start()?;
    // The app accepts (and ignores) the `--automation` argument WebKitWebDriver gives it.
    let launcher = Launcher { app_bin, screen, work: ctx.work.clone() };

    // Cold starts; the last app stays open for memory and search.
    let mut colds = Vec::new();
    let mut navs = Vec::new();
    let mut timelines = Vec::new();
    let mut already = 0;
    let mut last = None;
    for start in 0..starts {
        let app = launcher.start(&format!("start-{start}"), &dir, &server.base).await?;
        let measured = cold_start(&app).await;
        let measured = match measured {
            Ok(measured) => measured,
            Err(error) => {
                app.close().await;
                return Err(error);
            }
        };
        note(&format!("desktop: cold start {start}: {:.0} ms to the first rows", measured.cold_ms));
        colds.push(measured.cold_ms);
        navs.push(measured.nav_ms);
        timelines.push(measured.steps);
        already += usize::from(measured.already);
        if start + 1 < starts {
            app.close().await;
        } else {
            last = Some(app);
        }
    }
    let app = last.context("no app")?;
    let outcome = shown_and_searched(&app, &plan, &everything).await;
    app.close().await;
    let (shown, after, samples, hooked) = outcome?;

    // The admin's replica of everything: memory with the inventory shown.
    let admin = launcher.start("admin", &admin_dir, &server.base).await?;
    let admin_outcome = async {
        first_rows(&admin).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok::<_, anyhow::Error>(memory(&admin))
    }
    .await;
    admin.close().await;
    let admin_memory = admin_outcome?;
    drop(launcher);
    server.stop().await?;

    result.figures.push(
        Figure::new("cold start to the inventory's first rows", "ms", colds.clone())
            .limit(
                &format!("`Workstation::open` + `inventory_page` (first {PAGE} rows), in process"),
                library_open.clone(),
            )
            .target(Target::AtMost(1000.0)),
    );
    result.figures.push(
        Figure::new("app process RSS, inventory shown (one location)", "MB", vec![shown.app_rss])
            .target(Target::AtMost(200.0)),
    );
    result.figures.push(Figure::new(
        "WebKit web process RSS, inventory shown (one location)",
        "MB",
        vec![shown.web_rss],
    ));
    result.figures.push(
        Figure::new("app process RSS, inventory shown (admin replica)", "MB", vec![admin_memory.app_rss])
            .target(Target::AtMost(200.0)),
    );
    result.figures.push(Figure::new("WebKit web process RSS (admin replica)", "MB", vec![admin_memory.web_rss]));
    let painted: Vec<f64> = samples.iter().map(|s| s.painted).collect();
    result.figures.push(
        Figure::new("search: keystroke to rendered rows, p99", "ms", vec![percentile(&painted, 99.0)])
            .limit("`inventory_page` with the same search, in process, p99", vec![percentile(&library_search, 99.0)])
            .target(Target::AtMost(50.0)),
    );
    result.figures.push(
        Figure::new("search: keystroke to rendered rows, p50", "ms", vec![percentile(&painted, 50.0)])
            .limit("`inventory_page` with the same search, in process, p50", vec![percentile(&library_search, 50.0)]),
    );
    result.breakdown.push(format!(
        "cold start, {starts} starts: {} ms to the first rows (median {:.0}); the web view's navigation began {} ms \
         after the process was seen (median {:.0}); the library alone: {} ms (`Workstation::open` {} ms, \
         `session()` {} ms, the first `inventory_page` {} ms)",
        list(&colds),
        median(&colds),
        list(&navs),
        median(&navs),
        list(&library_open),
        list(&first_window.workstation),
        list(&first_window.session),
        list(&first_window.page)
    ));
    for (start, steps) in timelines.iter().enumerate() {
        result.breakdown.push(format!(
            "cold start {start}, in the page, ms after the process was seen: {}; first rows {:.0}",
            steps_line(steps),
            colds[start]
        ));
    }
    result.breakdown.push(format!(
        "memory, one location, inventory shown: app {:.0} MB (peak {:.0}), WebKit web process {:.0} MB, network \
         process {:.0} MB; after the search run: app {:.0} MB (peak {:.0}), web process {:.0} MB{}",
        shown.app_rss,
        shown.app_hwm,
        shown.web_rss,
        shown.network_rss,
        after.app_rss,
        after.app_hwm,
        after.web_rss,
        if shown.others.is_empty() { String::new() } else { format!("; other children: {}", shown.others.join(", ")) }
    ));
    result.breakdown.push(format!(
        "memory, admin replica ({} rows), inventory shown: app {:.0} MB (peak {:.0}), web process {:.0} MB, network \
         process {:.0} MB",
        shared.initial_rows, admin_memory.app_rss, admin_memory.app_hwm, admin_memory.web_rss, admin_memory.network_rss
    ));
    let invoked: Vec<f64> = samples.iter().filter_map(|s| s.invoked).collect();
    let answered: Vec<f64> = samples.iter().filter_map(|s| Some(s.answered? - s.invoked?)).collect();
    let rendered: Vec<f64> = samples.iter().filter_map(|s| Some(s.painted - s.answered?)).collect();
    let split = if invoked.is_empty() {
        "the screen's `inventory_page` calls were not seen (no split of the time)".to_owned()
    } else {
        format!(
            "keystroke to the screen's `inventory_page` call p50 {:.0} ms ({} of {} keystrokes seen); the call (IPC + \
             library) p50 {:.1} ms, p99 {:.1} ms; its answer to the painted rows p50 {:.1} ms, p99 {:.1} ms",
            percentile(&invoked, 50.0),
            invoked.len(),
            samples.len(),
            percentile(&answered, 50.0),
            percentile(&answered, 99.0),
            percentile(&rendered, 50.0),
            percentile(&rendered, 99.0),
        )
    };
    result.breakdown.push(format!(
        "search, {} timed keystrokes over {} typed words ({}): keystroke to rows p50 {:.0} ms, p99 {:.0} ms; {split}",
        samples.len(),
        words.len(),
        words.iter().map(|w| format!("«{w}»")).collect::<Vec<_>>().join(", "),
        percentile(&painted, 50.0),
        percentile(&painted, 99.0),
    ));
    let mut slowest: Vec<&Keystroke> = samples.iter().collect();
    slowest.sort_by(|a, b| b.painted.total_cmp(&a.painted));
    result.breakdown.push(format!(
        "slowest keystrokes (keystroke to rows; the library's `inventory_page` alone, median; rows matching): {}",
        slowest
            .iter()
            .take(6)
            .map(|k| format!(
                "«{}» {:.0} ms ({:.1} ms; {})",
                k.typed,
                k.painted,
                library_by_prefix.get(&k.typed).copied().unwrap_or(f64::NAN),
                k.total
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    result.notes.push(
        "The app runs under Xvfb (software rendering) through tauri-driver and WebKitWebDriver. A cold start is timed \
         from when the `taller-desktop` process is first seen (/proc polled every millisecond from before the \
         WebDriver session is asked for, so WebDriver's own start-up is not counted) to the animation frame after the \
         inventory's first row entered the page (a MutationObserver installed by the first script the session runs; \
         epoch clocks of the page and of the bench compared)."
            .into(),
    );
    if already > 0 {
        result.notes.push(format!(
            "In {already} of {starts} starts the rows were already in the page when the first script ran: those starts \
             are timed to that script (an upper bound)."
        ));
    }
    result.notes.push(
        "Search: each key is sent as a real key event; the time runs from the field's `input` event to the animation \
         frame after the window shows the library's expected total (aria-rowcount) and first reference. Keys that \
         leave the expected rows unchanged are typed but not timed. The screen asks for a key's search at once \
         when no search is in flight, and otherwise for the latest text as soon as the one in flight answers \
         (no debounce)."
            .into(),
    );
    if !hooked {
        result.notes.push(
            "The page's IPC (its `fetch` of `ipc://`) could not be wrapped: no call/answer split of the search.".into(),
        );
    }
    result.notes.push(
        "RSS is VmRSS from /proc/PID/status one second after the first rows (peak: VmHWM); the web process is the \
         app's WebKitWebProcess child."
            .into(),
    );
    Ok(result)
}

/// Memory with the inventory shown, the search run, memory after it.
async fn shown_and_searched(
    app: &App,
    plan: &[Vec<(String, Expect)>],
    everything: &Expect,
) -> Result<(Memory, Memory, Vec<Keystroke>, bool)> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shown = memory(app);
    let probe = app.session.execute(SEARCH_PROBE, vec![]).await?;
    let hooked = match probe.as_str() {
        Some("hooked") => true,
        Some("not hooked") => false,
        _ => bail!("the search probe could not be installed: {probe}"),
    };
    let field = app
        .session
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css("input[type=\"search\"]"))
        .await
        .context("the inventory's search field")?;
    let mut samples = Vec::new();
    for steps in plan {
        type_word(app, &field, steps, everything, &mut samples).await?;
    }
    if samples.is_empty() {
        bail!("no keystroke changed the rows");
    }
    Ok((shown, memory(app), samples, hooked))
}

fn list(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:.0}")).collect::<Vec<_>>().join(", ")
}
