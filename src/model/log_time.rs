//! Times written inside log text, for sources that carry none of their own (files): the
//! line's own timestamp lets a merged view put it among journald and container lines.
//!
//! Recognised near the start of a line (optionally after `[`):
//! - ISO 8601 / RFC 3339 and Python's default `2026-11-25 13:32:24,442`, with `T` or a
//!   space, a `.` or `,` fraction, and an optional `Z` or `±HH:MM` / `±HHMM` zone;
//! - `date`'s own format with a UTC zone: `Wed Nov 25 15:40:20 UTC 2026`;
//! - the common / combined log format of nginx and Apache: `[25/Nov/2026:15:40:20 +0000]`.
//!
//! Times without a zone are in the host's zone, `offset`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Characters searched for a timestamp (the common log format puts it after the address).
const SEARCH: usize = 96;

/// The time a log line says it was written, if it says so in a form recognised here.
pub fn leading_time(text: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let head = text.get(..text.len().min(SEARCH)).unwrap_or(text);
    let head = head.trim_start().trim_start_matches('[');
    iso(head, offset)
        .or_else(|| date_utc(head))
        .or_else(|| common_log(text))
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    s.iter()
        .all(u8::is_ascii_digit)
        .then(|| s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// The time a JSON log line carries in `time`, `timestamp`, `ts`, `@timestamp` or
/// `asctime` (as text in a form above, or Unix seconds).
pub fn json_time(text: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    if !text.starts_with('{') || text.len() > 64 * 1024 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    ["time", "timestamp", "ts", "@timestamp", "asctime"]
        .iter()
        .find_map(|k| match v.get(*k)? {
            serde_json::Value::String(s) => leading_time(s, offset),
            serde_json::Value::Number(n) => {
                let secs = n.as_f64()?;
                // Milliseconds when the number is too large to be seconds.
                let ms = if secs > 1e11 { secs } else { secs * 1e3 };
                DateTime::from_timestamp_millis(ms as i64)
            }
            _ => None,
        })
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.,frac][Z|±HH:MM|±HHMM]`
fn iso(s: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let (year, month, day) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (h, m, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if matches!(b.get(at), Some(b'.' | b',')) {
        at += 1;
        let start = at;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        let frac = &s[start..at];
        if frac.is_empty() {
            return None;
        }
        let kept = &frac[..frac.len().min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
    }
    let naive =
        NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_nano_opt(h, m, sec, nanos)?;
    let zone = match b.get(at) {
        Some(b'Z') => FixedOffset::east_opt(0)?,
        Some(sign @ (b'+' | b'-')) => {
            let hh = digits(b, at + 1, 2)?;
            let mm = if b.get(at + 3) == Some(&b':') {
                digits(b, at + 4, 2)?
            } else {
                digits(b, at + 3, 2)?
            };
            let secs = (hh * 3600 + mm * 60) as i32;
            FixedOffset::east_opt(if *sign == b'-' { -secs } else { secs })?
        }
        _ => offset,
    };
    local(naive, zone)
}

/// `Wed Nov 25 15:40:20 UTC 2026` (what `date` prints on a UTC host).
fn date_utc(s: &str) -> Option<DateTime<Utc>> {
    // The weekday, then up to "YYYY": 3+1+3+1+2+1+8+1+3+1+4 = 28 characters.
    let cut = s.get(..28)?;
    let rest = cut.get(4..)?;
    let utc = rest.replace(" GMT ", " UTC ");
    NaiveDateTime::parse_from_str(&utc, "%b %e %H:%M:%S UTC %Y")
        .ok()
        .map(|t| t.and_utc())
}

/// `[25/Nov/2026:15:40:20 +0000]` anywhere in the first characters.
fn common_log(text: &str) -> Option<DateTime<Utc>> {
    let head = text.get(..text.len().min(SEARCH + 32)).unwrap_or(text);
    let open = head.find('[')?;
    let inner = head.get(open + 1..open + 27)?;
    DateTime::parse_from_str(inner, "%d/%b/%Y:%H:%M:%S %z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn local(naive: NaiveDateTime, zone: FixedOffset) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `+0100` as `date +%z` prints it.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let b = s.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hh, mm) = (digits(b, 1, 2)?, digits(b, 3, 2)?);
    FixedOffset::east_opt(sign * (hh * 3600 + mm * 60) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    fn at(text: &str) -> Option<String> {
        leading_time(text, utc()).map(|t| t.to_rfc3339())
    }

    #[test]
    fn python_iso_date_and_common_log_formats() {
        assert_eq!(
            at("2026-11-25 13:32:24,442 - WARNING - latencia alta").as_deref(),
            Some("2026-11-25T13:32:24.442+00:00")
        );
        assert_eq!(
            at("2026-11-25T13:32:24.123456789Z GET /").as_deref(),
            Some("2026-11-25T13:32:24.123456789+00:00")
        );
        assert_eq!(
            at("[2026-11-25T13:32:24+01:00] start").as_deref(),
            Some("2026-11-25T12:32:24+00:00")
        );
        assert_eq!(
            at("2026-11-25 13:32:24-0500 x").as_deref(),
            Some("2026-11-25T18:32:24+00:00")
        );
        assert_eq!(
            at("Wed Nov 25 15:40:20 UTC 2026: Backup completado").as_deref(),
            Some("2026-11-25T15:40:20+00:00")
        );
        assert_eq!(
            at(r#"10.0.0.1 - - [25/Nov/2026:15:40:20 +0100] "GET / HTTP/1.1" 200"#).as_deref(),
            Some("2026-11-25T14:40:20+00:00")
        );
    }

    #[test]
    fn json_lines_carry_their_time_in_a_field() {
        let t = |s: &str| json_time(s, utc()).map(|t| t.to_rfc3339());
        assert_eq!(
            t(r#"{"asctime": "2026-11-25 10:00:01,250", "levelname": "INFO", "message": "x"}"#)
                .as_deref(),
            Some("2026-11-25T10:00:01.250+00:00")
        );
        assert_eq!(
            t(r#"{"ts": 1795600000.5, "msg": "x"}"#).as_deref(),
            Some("2026-11-25T09:46:40.500+00:00")
        );
        assert_eq!(
            t(r#"{"time": 1795600000500}"#).as_deref(),
            Some("2026-11-25T09:46:40.500+00:00")
        );
        assert_eq!(t(r#"{"msg": "no time"}"#), None);
        assert_eq!(t("not json"), None);
    }

    #[test]
    fn naive_times_are_in_the_hosts_zone_and_junk_is_none() {
        let madrid = parse_offset("+0100").unwrap();
        assert_eq!(
            leading_time("2026-11-25 13:32:24 INFO", madrid).map(|t| t.to_rfc3339()),
            Some("2026-11-25T12:32:24+00:00".to_owned())
        );
        for junk in [
            "",
            "GET /health 200",
            "2026-13-45 99:99:99 nonsense",
            "2026-11-25",
            "2026-11-25 13:32:24, trailing comma",
            "é2026-11-25 13:32:24",
            "[unterminated",
        ] {
            assert_eq!(at(junk), None, "{junk}");
        }
        assert_eq!(parse_offset("-0330").unwrap().local_minus_utc(), -12600);
        assert_eq!(parse_offset("UTC"), None);
    }
}
