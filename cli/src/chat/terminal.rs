//! The terminal under the screen: raw mode and the alternate screen while the session runs,
//! given back as it was when the session ends or panics (ratatui's hook), and its keys and
//! mouse.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use std::sync::OnceLock;
use tokio::sync::Notify;

use super::screen::Screen;

pub struct Terminal {
    inner: DefaultTerminal,
    keys: EventStream,
}

impl Terminal {
    /// `mouse`: the wheel and clicks come to the screen (most terminals then select text with
    /// Shift held); without it the terminal keeps the mouse.
    pub fn start(mouse: bool) -> std::io::Result<Self> {
        // Half started (raw mode on, no alternate screen): given back as it was.
        let inner = ratatui::try_init().inspect_err(|_| ratatui::restore())?;
        let t = Terminal {
            inner,
            keys: EventStream::new(),
        };
        // A pasted card comes as one paste, not as keys (its end is not an Enter). On error `t`
        // is dropped, which gives the terminal back.
        crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;
        if mouse {
            crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
        }
        // Any panic, on any thread, gives the terminal back (ratatui's hook restores raw mode
        // and the screen; the paste and mouse modes are ours to end, or the shell after it
        // would get escapes for every mouse move) and ends the session.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            give_back_modes();
            previous(info);
            PANICKED.get_or_init(Notify::new).notify_one();
        }));
        Ok(t)
    }

    pub fn draw(&mut self, screen: &mut Screen) -> std::io::Result<()> {
        self.inner.draw(|f| screen.render(f))?;
        Ok(())
    }

    /// The next key (or resize); `None` when the terminal is gone.
    pub async fn next(&mut self) -> Option<std::io::Result<Event>> {
        self.keys.next().await
    }
}

static PANICKED: OnceLock<Notify> = OnceLock::new();

/// Ready once a panic was reported anywhere in the process.
pub async fn panicked() {
    PANICKED.get_or_init(Notify::new).notified().await
}

/// Bracketed paste and mouse capture off (harmless where they were never on).
fn give_back_modes() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
}

impl Drop for Terminal {
    fn drop(&mut self) {
        give_back_modes();
        ratatui::restore();
    }
}
