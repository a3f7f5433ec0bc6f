//! Reading what commands print, bounded: a command's collected output and every single
//! line are capped, and the cut is marked, so a flooding host cannot exhaust memory.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// How much of a command's output is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one command's collected output (stdout and stderr each).
    pub output: usize,
    /// Bytes of one line.
    pub line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            output: 8 << 20,
            line: 64 << 10,
        }
    }
}

impl Limits {
    pub fn from_settings(s: &crate::config::schema::Settings) -> Self {
        Self {
            output: s.max_output.bytes() as usize,
            line: s.max_line.bytes() as usize,
        }
    }
}

/// What is appended where a line was cut.
pub fn line_cut_marker(dropped: usize) -> String {
    format!("… [line cut: {dropped} more bytes]")
}

/// Reads one line (through `\n`) into `buf`, keeping at most `max` bytes of it; returns
/// the bytes read and the bytes left out. 0 read means the end.
pub async fn read_line_capped<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, usize)> {
    let (mut read, mut dropped) = (0, 0);
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok((read, dropped));
        }
        let (chunk, ends) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let keep = chunk.len().min(max.saturating_sub(buf.len()));
        buf.extend_from_slice(&chunk[..keep]);
        dropped += chunk.len() - keep;
        let n = chunk.len();
        reader.consume(n);
        read += n;
        if ends {
            return Ok((read, dropped));
        }
    }
}

/// One line as text: without its line end, with the cut marked.
fn line_text(buf: &[u8], dropped: usize) -> String {
    let mut line = String::from_utf8_lossy(buf)
        .trim_end_matches(['\n', '\r'])
        .to_owned();
    if dropped > 0 {
        line.push_str(&line_cut_marker(dropped));
    }
    line
}

/// Reads a command's output to the end, also sending each line to `lines` as it comes.
/// Keeps at most `limits.output` bytes (the rest is read and counted, so the command is
/// never blocked on a full pipe) and `limits.line` bytes of any one line.
pub async fn collect(
    reader: impl AsyncRead + Unpin,
    lines: Option<mpsc::Sender<String>>,
    limits: Limits,
) -> std::io::Result<String> {
    let mut reader = BufReader::new(reader);
    let mut all = String::new();
    let mut left_out = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (read, dropped) = read_line_capped(&mut reader, &mut buf, limits.line).await?;
        if read == 0 {
            break;
        }
        let line = line_text(&buf, dropped);
        // The output as written (the last line may lack its newline), cut lines marked.
        let piece = if dropped > 0 {
            format!("{line}\n")
        } else {
            String::from_utf8_lossy(&buf).into_owned()
        };
        if all.len() + piece.len() <= limits.output {
            all.push_str(&piece);
        } else {
            left_out += read;
        }
        if let Some(tx) = &lines {
            // A slow viewer must not stall the command: drop the live copy, keep the output.
            let _ = tx.try_send(line);
        }
    }
    if left_out > 0 {
        all.push_str(&format!(
            "… [output cut at {}: {left_out} more bytes]\n",
            crate::config::size::show(limits.output as u64)
        ));
    }
    Ok(all)
}

/// Sends each line of a streamed command's output to `lines` until the output ends (true)
/// or the receiver has gone (false); lines over `max_line` bytes are cut and marked.
pub async fn forward_lines(
    reader: impl AsyncRead + Unpin,
    lines: &mpsc::Sender<String>,
    max_line: usize,
) -> std::io::Result<bool> {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (read, dropped) = read_line_capped(&mut reader, &mut buf, max_line).await?;
        if read == 0 {
            return Ok(true);
        }
        if lines.send(line_text(&buf, dropped)).await.is_err() {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_and_lines_are_capped_and_the_cut_is_marked() {
        let limits = Limits {
            output: 1000,
            line: 64,
        };
        let mut text = "x".repeat(200);
        text.push('\n');
        for i in 0..300 {
            text.push_str(&format!("line {i}\n"));
        }
        let out = collect(text.as_bytes(), None, limits).await.unwrap();
        assert!(out.len() < 1100, "{}", out.len());
        let first = out.lines().next().unwrap();
        assert_eq!(first, format!("{}{}", "x".repeat(64), line_cut_marker(137)));
        assert!(out.ends_with("more bytes]\n") && out.contains("[output cut at 1000B:"));

        let (tx, mut rx) = mpsc::channel(8);
        let long = format!("{}\nshort\n", "y".repeat(100_000));
        forward_lines(long.as_bytes(), &tx, 64).await.unwrap();
        let cut = rx.recv().await.unwrap();
        assert_eq!(cut.len(), 64 + line_cut_marker(99_936).len());
        assert_eq!(rx.recv().await.unwrap(), "short");
    }
}
