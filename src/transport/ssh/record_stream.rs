//! Records of a long-running command: the host reading itself once per refresh on one
//! channel, each reading ended by a marker line.

use std::time::Duration;

use super::SessionRef;
use crate::transport::TransportError;
use crate::transport::output::Limits;

/// Records of a long-running command ([`SshConnection::record_stream`]); dropping it
/// closes the channel, which ends the command on the host.
pub struct RecordStream {
    _child: openssh::Child<SessionRef>,
    reader: tokio::io::BufReader<openssh::ChildStdout>,
    end: String,
    /// The line being read, kept across cancelled calls.
    line: Vec<u8>,
    /// The record being read, kept across cancelled calls.
    record: String,
    limits: Limits,
}

impl RecordStream {
    pub(super) fn new(
        child: openssh::Child<SessionRef>,
        stdout: openssh::ChildStdout,
        end: &str,
        limits: Limits,
    ) -> Self {
        Self {
            _child: child,
            reader: tokio::io::BufReader::with_capacity(16 * 1024, stdout),
            end: end.to_owned(),
            line: Vec::new(),
            record: String::new(),
            limits,
        }
    }

    /// The next record (without its end line); `None` when the command has ended, a
    /// timeout when none completes within `quiet` (a stalled peer).
    ///
    /// Cancel-safe: dropped mid-record (a `select!` that took another branch), it keeps what
    /// it had read — the record so far and the partial line — and the next call goes on
    /// from there, so a record is never split in two.
    pub async fn next(&mut self, quiet: Duration) -> Result<Option<String>, TransportError> {
        let read = next_record(
            &mut self.reader,
            &mut self.line,
            &mut self.record,
            &self.end,
            self.limits,
        );
        match tokio::time::timeout(quiet, read).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(TransportError::Timeout(quiet)),
        }
    }
}

/// One record from `reader`; what was read so far lives in `line` and `record`, so a
/// cancelled call loses nothing (see [`RecordStream::next`]).
pub(super) async fn next_record<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    record: &mut String,
    end: &str,
    limits: Limits,
) -> std::io::Result<Option<String>> {
    loop {
        // Bytes are appended to `line` before they are consumed: nothing is lost at an
        // await point. It returns at a line's end or the stream's: `line` is whole here.
        let (n, dropped) =
            crate::transport::output::read_line_capped(reader, line, limits.line).await?;
        if n == 0 && line.is_empty() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(line).into_owned();
        line.clear();
        if dropped == 0 && text.trim_end_matches(['\n', '\r']) == end {
            return Ok(Some(std::mem::take(record)));
        }
        // A flooding host gets its record cut, not the console's memory.
        if record.len() < limits.output {
            record.push_str(&text);
            if dropped > 0 {
                record.push('\n');
            }
        }
    }
}
