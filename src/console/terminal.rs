//! Entering and leaving the terminal's UI mode, on every exit path: normal return, error,
//! panic (in the loop or a task) and signals.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static PANICKED: AtomicBool = AtomicBool::new(false);

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// A panic in the console's own loop (the main thread) restores the terminal before the
/// message is printed, and the console ends. A panic in a background task is only logged:
/// its task reports it and is started again, and nothing is printed over the screen. The
/// message is printed and logged with secrets redacted (a panic can quote any string).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(move |info| {
        let text = crate::config::secret::redact(&info.to_string());
        let main = std::thread::current().name() == Some("main");
        if main || !ACTIVE.load(Ordering::SeqCst) {
            PANICKED.store(main, Ordering::SeqCst);
            restore();
            tracing::error!("panic: {text}");
            let backtrace = std::backtrace::Backtrace::capture();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "opsdeck {text}");
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                let _ = writeln!(
                    err,
                    "{}",
                    crate::config::secret::redact(&backtrace.to_string())
                );
            } else {
                let _ = writeln!(err, "(RUST_BACKTRACE=1 shows where)");
            }
        } else {
            tracing::error!("panic in a background task: {text}");
        }
    }));
}

/// True once the console's loop has panicked: nothing is drawn any more.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

pub fn enter() -> io::Result<Guard> {
    take()?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok(Guard {
        terminal: std::mem::ManuallyDrop::new(terminal),
    })
}

fn take() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableMouseCapture, cursor::Hide)
}

/// Takes the terminal back after a suspension ([`restore`] gave it up): the whole screen
/// is drawn again on the next frame.
pub fn resume(guard: &mut Guard) -> io::Result<()> {
    take()?;
    // `resize` clears without asking the terminal where its cursor is (`clear` asks, and
    // not every terminal answers).
    let size = guard.terminal.size()?;
    guard
        .terminal
        .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// Leaves raw mode and the alternate screen and shows the cursor; safe to call twice.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Owns the terminal while the UI runs; dropping it restores the terminal.
pub struct Guard {
    /// Never dropped: ratatui's own drop prints to stderr when it cannot show the cursor,
    /// and printing to a terminal that has gone panics. [`restore`] does its work instead.
    pub terminal: std::mem::ManuallyDrop<Tui>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
