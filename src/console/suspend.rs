//! Giving the terminal back for a while (an interactive login) and taking it again. The
//! input thread stops reading first, so every key typed meanwhile reaches the program that
//! asks for it; the screen is taken back whatever that program did.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crossterm::event::Event;
use tokio::sync::mpsc;

use super::terminal::{self, Guard};

/// How long the input thread waits for an event before it looks whether to pause.
const POLL: Duration = Duration::from_millis(100);
/// The longest a pause waits for the thread (it may be handing over an event).
const PAUSE_WAIT: Duration = Duration::from_secs(1);

/// Terminal events, read on a thread of their own. crossterm's reader spins without
/// yielding when the terminal has hung up (a read of 0 bytes, again and again); on its own
/// thread that cannot hold the loop, which then still sees the SIGHUP and ends.
pub struct TerminalEvents {
    rx: mpsc::Receiver<io::Result<Event>>,
    pause: Arc<Pause>,
}

#[derive(Default)]
struct Pause {
    wanted: AtomicBool,
    /// The thread saw `wanted` and reads nothing until it is cleared.
    parked: AtomicBool,
    thread: OnceLock<std::thread::Thread>,
}

impl TerminalEvents {
    pub fn start() -> Self {
        let (tx, rx) = mpsc::channel(64);
        let pause = Arc::new(Pause::default());
        let p = pause.clone();
        let spawned = std::thread::Builder::new()
            .name("terminal-input".into())
            .spawn(move || read_events(&tx, &p));
        match spawned {
            Ok(handle) => {
                let _ = pause.thread.set(handle.thread().clone());
            }
            Err(e) => tracing::error!("cannot start the terminal input thread: {e}"),
        }
        Self { rx, pause }
    }

    pub async fn recv(&mut self) -> Option<io::Result<Event>> {
        self.rx.recv().await
    }

    /// Resolves once the input thread has stopped reading the terminal.
    async fn pause(&self) {
        self.pause.wanted.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + PAUSE_WAIT;
        while !self.pause.parked.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn resume(&self) {
        self.pause.wanted.store(false, Ordering::SeqCst);
        if let Some(t) = self.pause.thread.get() {
            t.unpark();
        }
    }
}

fn read_events(tx: &mpsc::Sender<io::Result<Event>>, pause: &Pause) {
    loop {
        if pause.wanted.load(Ordering::SeqCst) {
            pause.parked.store(true, Ordering::SeqCst);
            while pause.wanted.load(Ordering::SeqCst) {
                std::thread::park_timeout(POLL);
            }
            pause.parked.store(false, Ordering::SeqCst);
        }
        if tx.is_closed() {
            return;
        }
        // Polled, not read blocking: a pause is noticed within POLL.
        match crossterm::event::poll(POLL) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
        let event = crossterm::event::read();
        let failed = event.is_err();
        if tx.blocking_send(event).is_err() || failed {
            return;
        }
    }
}

/// Runs `work` in the plain terminal: input paused, alternate screen left, raw mode off,
/// cursor shown; then the console takes the terminal back, however `work` ended.
pub async fn suspended<T>(
    guard: &mut Guard,
    events: &TerminalEvents,
    work: impl Future<Output = T>,
) -> io::Result<T> {
    events.pause().await;
    terminal::restore();
    let out = work.await;
    let resumed = terminal::resume(guard);
    events.resume();
    resumed.map(|()| out)
}
