//! A progress line for long imports, shown only when standard error is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crmsql_i18n::{Arg, Localizer};
use crmsql_import::Progress;

/// Time before the first line: short imports print none.
const FIRST_DELAY: Duration = Duration::from_millis(700);
const INTERVAL: Duration = Duration::from_millis(250);

/// The thread that redraws the progress line.
pub struct ProgressDisplay {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    /// Starts redrawing the line from `progress`, unless standard error is not a terminal.
    pub fn start(progress: Arc<Progress>, l: &Localizer) -> ProgressDisplay {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return ProgressDisplay { stop, thread: None };
        }
        let lang = l.lang();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let l = Localizer::get(lang);
            let started = Instant::now();
            let mut drawn = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(INTERVAL);
                if started.elapsed() < FIRST_DELAY || flag.load(Ordering::Relaxed) {
                    continue;
                }
                let line = progress_line(&progress, started.elapsed(), l);
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r{line}\x1b[K");
                let _ = stderr.flush();
                drawn = true;
            }
            if drawn {
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
        });
        ProgressDisplay {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the display and clears its line.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn progress_line(progress: &Progress, elapsed: Duration, l: &Localizer) -> String {
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    let done = progress.bytes.load(Ordering::Relaxed);
    let total = progress.total_bytes.load(Ordering::Relaxed).max(done);
    let rows = progress.rows.load(Ordering::Relaxed);
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    let rate = mib(done) / elapsed.as_secs_f64().max(0.001);
    l.format(
        "import-progress",
        &[
            ("done", Arg::from(format!("{:.0}", mib(done)))),
            ("total", Arg::from(format!("{:.0}", mib(total)))),
            ("percent", Arg::from(percent)),
            ("rows", Arg::from(rows)),
            ("rate", Arg::from(format!("{rate:.0}"))),
        ],
    )
}

/// Time before a query's progress line: queries that end sooner print none.
const QUERY_DELAY: Duration = Duration::from_secs(1);

/// Clears the query progress line when the query ends, however it ends.
struct LineGuard {
    drawn: bool,
}

impl Drop for LineGuard {
    fn drop(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }
}

/// Draws the progress line of the statement `engine` runs: rows and bytes read so far and the
/// time, from the first second on and only on a terminal. It never ends by itself: run it beside
/// the query and drop it when the query ends, which clears the line.
pub async fn query_ticker(engine: &crmsql_engine::Engine, l: &Localizer) {
    if !std::io::stderr().is_terminal() {
        return std::future::pending().await;
    }
    let started = Instant::now();
    let mut guard = LineGuard { drawn: false };
    tokio::time::sleep(QUERY_DELAY).await;
    loop {
        if let Some((rows, bytes)) = engine.scan_progress() {
            let seconds = crate::table::localize_number(
                &format!("{:.1}", started.elapsed().as_secs_f64()),
                l.lang(),
            );
            let megabytes = crate::table::localize_number(
                &format!("{:.1}", bytes as f64 / f64::from(1 << 20)),
                l.lang(),
            );
            let line = l.format(
                "query-progress",
                &[
                    ("rows", Arg::from(rows)),
                    (
                        "shown",
                        Arg::from(crate::table::localize_number(&rows.to_string(), l.lang())),
                    ),
                    ("megabytes", Arg::from(megabytes)),
                    ("seconds", Arg::from(seconds)),
                ],
            );
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r{line}\x1b[K");
            let _ = stderr.flush();
            guard.drawn = true;
        }
        tokio::time::sleep(INTERVAL).await;
    }
}
