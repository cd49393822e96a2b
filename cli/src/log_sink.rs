//! Where `bithive`'s log records go: to stderr, or, while a full-screen terminal UI is up
//! (`bithive chat run`), to that UI, since stderr would draw over it.

use std::io::Write;
use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedSender;

static SINK: Mutex<Option<UnboundedSender<String>>> = Mutex::new(None);

/// Sends log records to `to` until the guard is dropped.
pub fn divert(to: UnboundedSender<String>) -> Diverted {
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = Some(to);
    Diverted(())
}

pub struct Diverted(());

impl Drop for Diverted {
    fn drop(&mut self) {
        *SINK.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// The `tracing_subscriber` writer: one record per writer, sent whole when it is dropped.
pub struct Writer;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Writer {
    type Writer = Record;
    fn make_writer(&'a self) -> Record {
        Record(Vec::new())
    }
}

pub struct Record(Vec<u8>);

impl Write for Record {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let sink = SINK.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let text = String::from_utf8_lossy(&self.0);
        // A closed sink (the UI is going away) falls back to stderr.
        if let Some(Err(_)) | None = sink.map(|s| s.send(text.trim_end().to_string())) {
            let _ = std::io::stderr().write_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use tracing_subscriber::fmt::MakeWriter;

    #[test]
    fn records_go_to_the_sink_while_diverted() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        {
            let _d = super::divert(tx);
            let mut w = super::Writer.make_writer();
            w.write_all(b"WARN relay slow\n").unwrap();
        }
        assert_eq!(rx.try_recv().unwrap(), "WARN relay slow");
        // Not diverted any more: to stderr, nothing sent.
        super::Writer
            .make_writer()
            .write_all(b"log_sink test: not diverted, so to stderr\n")
            .unwrap();
        assert!(rx.try_recv().is_err());
    }
}
