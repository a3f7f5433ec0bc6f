//! Property tests: every parser of text that comes from hosts takes anything without
//! panicking — /proc, df, systemctl show, cgroup counters, the journal's JSON, log times,
//! Docker's log lines, `find` and off-site backup listings — and the sanitiser lets no
//! control sequence through whatever it is fed. `PROPTEST_CASES` sets the cases per property (`scripts/test` runs 4096 each).

use chrono::{FixedOffset, Utc};
use proptest::prelude::*;

use opsdeck::backup;
use opsdeck::collect::{cgroups, docker_logs, logs, proc, remote, systemd};
use opsdeck::config::schema::{ConfigFile, OffsiteFormat};
use opsdeck::model::{log_time, text};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Numbers as broken or hostile hosts write them.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        Just("inf".to_owned()),
        Just("-inf".to_owned()),
        Just("NaN".to_owned()),
        Just("1e30".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("[not set]".to_owned()),
        Just(String::new()),
        "[0-9]{1,40}",
    ]
}

/// A line of fields: words and numbers, possibly cut short.
fn fields(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        prop::sample::select(words),
        prop::collection::vec(number(), 0..12),
    )
        .prop_map(|(w, nums)| format!("{w} {}", nums.join(" ")))
}

/// Text with the shape of a section, or anything at all, including invalid UTF-8.
fn section(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(fields(words), 0..20).prop_map(|l| l.join("\n")),
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ".*",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn proc_readings_never_panic(
        stat in section(&["cpu", "cpu0", "cpu1", "intr", "ctxt"]),
        meminfo in section(&["MemTotal:", "MemFree:", "MemAvailable:", "Buffers:", "Cached:", "SwapTotal:", "SwapFree:"]),
        loadavg in section(&[""]),
        uptime in section(&[""]),
        df in section(&["/dev/vda1", "tmpfs", "overlay", "Filesystem"]),
        prev in prop::option::of(section(&["cpu", "cpu0"])),
    ) {
        let mut prev_cpu = prev.map(|p| proc::parse_proc_stat(&p));
        let disks = proc::parse_df(&df);
        let sample = proc::sample_from(
            proc::Reading { stat: &stat, meminfo: &meminfo, loadavg: &loadavg, uptime: &uptime, disks },
            &mut prev_cpu,
            Utc::now(),
        );
        prop_assert!(sample.cpu_total.is_none_or(|c| (0.0..=100.0).contains(&c)));
        prop_assert!(sample.load.iter().all(|l| l.is_finite()));
        let _ = proc::parse_mounts(&df);
    }

    #[test]
    fn a_whole_poll_never_panics(text in prop_oneof![
        ".*",
        prop::collection::vec(prop_oneof![
            Just("@@opsdeck:meminfo".to_owned()),
            Just("@@opsdeck:uptime".to_owned()),
            Just("@@opsdeck:df".to_owned()),
            Just("@@opsdeck:systemd".to_owned()),
            Just("@@opsdeck:".to_owned()),
            fields(&["cpu", "MemTotal:", "Id=x", "/dev/sda"]),
        ], 0..40).prop_map(|l| l.join("\n")),
    ]) {
        let mut prev = None;
        let _ = remote::parse_poll(&text, &mut prev, Utc::now());
        let _ = remote::parse_poll(&text, &mut prev, Utc::now());
    }

    #[test]
    fn systemctl_show_never_panics(blocks in prop::collection::vec(
        prop::collection::vec((
            prop::sample::select(&["Id", "ActiveState", "SubState", "MainPID", "NRestarts",
                "ActiveEnterTimestampMonotonic", "MemoryCurrent", "CPUUsageNSec", "x"][..]),
            number(),
        ), 0..10),
        0..5,
    ), uptime in any::<u64>()) {
        let text: String = blocks
            .iter()
            .map(|b| b.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        let mut cpu = systemd::CpuTracker::default();
        let at = Utc::now();
        for unit in systemd::parse_show(&text) {
            let _ = cpu.percent(&unit, at);
            let _ = cpu.percent(&unit, at + chrono::Duration::seconds(1));
            let _ = unit.observation(at, std::time::Duration::from_secs(uptime), None);
        }
    }

    #[test]
    fn cgroup_counters_never_panic(text in prop_oneof![
        ".*",
        prop::collection::vec(prop_oneof![
            number().prop_map(|n| format!("@@c {n}")),
            fields(&["cpu_ns", "cpu_us", "mem", "limit", "blk", "io", "net"]),
            number().prop_map(|n| format!("net eth0: {n} {n} {n} {n} {n} {n} {n} {n} {n}")),
            number().prop_map(|n| format!("io rbytes={n} wbytes={n}")),
        ], 0..30).prop_map(|l| l.join("\n")),
    ]) {
        let _ = cgroups::parse(&text, Utc::now());
    }

    #[test]
    fn journal_json_never_panics(raw in prop_oneof![
        ".*",
        (number(), number(), ".*").prop_map(|(ts, prio, msg)| format!(
            r#"{{"__REALTIME_TIMESTAMP":"{ts}","PRIORITY":"{prio}","MESSAGE":{},"__CURSOR":"c"}}"#,
            serde_json::Value::String(msg)
        )),
        prop::collection::vec(any::<i64>(), 0..20).prop_map(|b| format!(
            r#"{{"MESSAGE":{},"__REALTIME_TIMESTAMP":"99999999999999999999"}}"#,
            serde_json::to_string(&b).unwrap()
        )),
    ]) {
        let _ = logs::parse_journal_json(&raw);
    }

    #[test]
    fn log_times_never_panic(raw in prop_oneof![
        ".*",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]{0,20})?(Z|[+-][0-9]{2}:?[0-9]{2})?.*",
        "\\[[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\\].*",
        number().prop_map(|n| format!(r#"{{"ts": {n}}}"#)),
        ".*".prop_map(|s| format!(r#"{{"time": {}}}"#, serde_json::Value::String(s))),
    ], offset in -86_399i32..86_400) {
        let zone = FixedOffset::east_opt(offset).unwrap();
        let _ = log_time::leading_time(&raw, zone);
        let _ = log_time::json_time(&raw, zone);
        let _ = log_time::parse_offset(&raw);
        let _ = docker_logs::parse_line(&raw);
    }
}

/// A JSON value as a broken or hostile listing writes it.
fn json_value() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        ".*".prop_map(|s| serde_json::Value::String(s).to_string()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just(r#""2026-12-02T03:14:09.000000000Z""#.to_owned()),
        Just(r#""2026-13-45T99:99:99+99:99""#.to_owned()),
    ]
}

/// An object of a listing: known keys with odd values, possibly cut short.
fn listing_object() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(
                &[
                    "Path",
                    "Name",
                    "Size",
                    "ModTime",
                    "IsDir",
                    "Key",
                    "LastModified",
                    "x",
                ][..],
            ),
            json_value(),
        ),
        0..8,
    )
    .prop_map(|fields| {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        format!("{{{}}}", body.join(", "))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn backup_listings_never_panic(
        find in prop_oneof![
            ".*",
            prop::collection::vec(
                (".{0,12}", number(), number(), ".{0,20}")
                    .prop_map(|(d, s, t, n)| format!("{d}\t{s}\t{t}\t{n}")),
                0..20,
            ).prop_map(|l| l.join("\n")),
        ],
        offsite in prop_oneof![
            ".*",
            prop::collection::vec(listing_object(), 0..10).prop_map(|o| format!("[{}]", o.join(","))),
            prop::collection::vec(listing_object(), 0..10)
                .prop_map(|o| format!(r#"{{"Contents": [{}], "IsTruncated": false}}"#, o.join(","))),
            json_value().prop_map(|v| format!(r#"{{"Contents": {v}}}"#)),
        ],
        format in prop::option::of(prop::sample::select(&[
            OffsiteFormat::RcloneLsjson,
            OffsiteFormat::S3ListObjectsV2,
        ][..])),
        glob in ".{0,12}",
        now in any::<i64>(),
    ) {
        let local = backup::listing::parse_local(&find);
        let remote = backup::listing::parse_offsite(&offsite, format).unwrap_or_default();
        let _ = backup::listing::Glob::new(&glob).matches(&find);
        let set: ConfigFile = toml::from_str(&format!(
            "[[hosts]]\nname = \"h\"\n[[backups]]\nname = \"s\"\nhost = \"h\"\n\
             dir = \"/b\"\nglob = {}\npattern = '(?P<key>[0-9]+)'\n",
            toml::Value::String(glob.clone())
        )).unwrap();
        let layout = backup::Layout::of(&set.backups[0]);
        let backups = layout.group(&local.entries, &remote.entries);
        let now = chrono::DateTime::from_timestamp(now % 10_000_000_000, 0).unwrap_or_default();
        let status = backup::SetStatus::evaluate(
            backups,
            Some(std::time::Duration::from_secs(86_400)),
            backup::Offsite::Listed(remote.entries.len()),
            vec![],
            now,
        );
        let _ = status.newest_age();
        for b in &status.backups {
            prop_assert!(!b.parts.is_empty() || !b.offsite_parts.is_empty());
        }
    }
}

/// Escape sequences of every family, well formed and not, and the characters that hide.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z ]{0,8}",
        "[\\x00-\\x1f\\x7f]",
        "[\\u{80}-\\u{9f}]",
        prop::sample::select(&["\u{202e}", "\u{2066}", "\u{200b}", "\u{feff}", "\u{61c}"][..])
            .prop_map(str::to_owned),
        ("[0-9;:?>=<]{0,12}", "[ -/]{0,3}", "[@-~]")
            .prop_map(|(p, i, f)| format!("\x1b[{p}{i}{f}")),
        (
            "[0-9]{0,3}",
            ".{0,20}",
            prop::sample::select(&["\x07", "\x1b\\", ""][..])
        )
            .prop_map(|(n, body, end)| format!("\x1b]{n};{body}{end}")),
        (".{0,20}", prop::sample::select(&["\x1b\\", ""][..]))
            .prop_map(|(body, end)| format!("\x1bPq{body}{end}")),
        "\\x1b[ -~]",
        Just("\x1b".to_owned()),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Whatever it is fed, the sanitiser returns text with no control character, no escape
    /// and no invisible character, never more than it was asked for, and style runs that lie
    /// on character boundaries inside the text.
    #[test]
    fn the_sanitiser_lets_nothing_through(raw in prop_oneof![hostile(), ".*"], max in 0usize..200) {
        let s = text::parse(&raw, max);
        prop_assert!(s.text.chars().count() <= max);
        prop_assert!(
            !s.text.chars().any(|c| c.is_control() || text::is_invisible(c)),
            "{:?} -> {:?}", raw, s.text
        );
        for (range, _) in &s.runs {
            prop_assert!(range.end <= s.text.len());
            prop_assert!(s.text.is_char_boundary(range.start) && s.text.is_char_boundary(range.end));
        }
        let plain = text::plain(&raw);
        prop_assert!(!plain.contains('\x1b'));
    }

    /// Printable text without escapes comes out as it went in.
    #[test]
    fn plain_text_is_kept(raw in "[a-zA-Z0-9 .,:/_áéíóúñ東京-]{0,100}") {
        prop_assert_eq!(text::plain(&raw), raw);
    }
}

#[test]
fn how_many_cases_ran() {
    // 8 properties of parsers and 2 of the sanitiser, each this many cases.
    println!("hostile_parsers: 10 properties × {} cases", cases());
}
