//! One round trip per refresh to an SSH host: /proc readings, `df` and the status of its
//! systemd units, all from one command.

use chrono::{DateTime, Utc};

use super::proc::{CpuTimes, Reading, parse_df, sample_from};
use super::systemd::{PROPERTIES, UnitStatus, parse_show};
use crate::model::{DiskUsage, HostSample};
use crate::transport::CommandSpec;

const MARK: &str = "@@opsdeck:";
/// Ends each reading of [`poll_loop_command`].
pub const END_MARK: &str = "@@opsdeck:end";

/// One reading: /proc (only the lines used: `intr` alone can be kilobytes), df and the
/// units' `systemctl show`, in marked sections; with `discover`, also the units worth
/// listing as discovered services (see `discover::units`).
fn poll_script(discover: bool) -> String {
    let discovery = if discover {
        format!("; {}", super::discover::units::discovery_script(MARK))
    } else {
        String::new()
    };
    format!(
        "grep '^cpu' /proc/stat; echo {MARK}meminfo; \
         grep -E '^(MemTotal|MemFree|MemAvailable|Buffers|Cached|SwapTotal|SwapFree):' /proc/meminfo; \
         echo {MARK}loadavg; cat /proc/loadavg; \
         echo {MARK}uptime; cat /proc/uptime; echo {MARK}df; df -P -k -T 2>/dev/null || df -P -k 2>/dev/null; \
         if [ $# -gt 0 ]; then echo {MARK}systemd; systemctl show --no-pager -p {PROPERTIES} -- \"$@\"; fi{discovery}"
    )
}

/// One reading now. Units are passed as arguments (`"$@"`), never pasted into the script.
pub fn poll_command(units: &[String]) -> CommandSpec {
    poll_command_with(units, false)
}

/// [`poll_command`], with the host's systemd discovery on the same round trip when asked.
pub fn poll_command_with(units: &[String], discover: bool) -> CommandSpec {
    let mut argv = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        format!("{}; true", poll_script(discover)),
        "opsdeck-poll".to_owned(),
    ];
    argv.extend(units.iter().cloned());
    CommandSpec::argv(argv)
}

/// A reading every `every`, each ended by [`END_MARK`], on one long-lived channel: no
/// channel is opened per refresh, so neither side pays for a new session each time. With a
/// whole number of seconds the host sleeps to the next multiple of it on its clock, so that
/// a fleet with synchronised clocks answers together and this side wakes once for all.
pub fn poll_loop_command(
    units: &[String],
    every: std::time::Duration,
    discover: bool,
) -> CommandSpec {
    let whole = every.subsec_millis() == 0 && every.as_secs() > 0;
    let nap = if whole {
        "now=$(date +%s) && sleep $((every - now % every)) || sleep \"$every\" || exit 1"
    } else {
        "sleep \"$every\" || exit 1"
    };
    let seconds = if whole {
        every.as_secs().to_string()
    } else {
        format!("{:.3}", every.as_secs_f64())
    };
    // Each reading is gathered first and written at once: one packet and one wake-up on
    // this side per reading, not one per section.
    let script = format!(
        "every=$1; shift; while :; do r=$({}); printf '%s\\n{END_MARK}\\n' \"$r\"; {nap}; done",
        poll_script(discover)
    );
    let mut argv = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        script,
        "opsdeck-poll".to_owned(),
        seconds,
    ];
    argv.extend(units.iter().cloned());
    CommandSpec::argv(argv)
}

pub struct PollResult {
    pub sample: HostSample,
    pub units: Vec<UnitStatus>,
    /// Candidates for discovery (every unit shown), when the poll asked for them.
    pub discovered: Vec<UnitStatus>,
}

/// Splits the output into its sections and parses them with the local parsers.
pub fn parse_poll(
    text: &str,
    prev_cpu: &mut Option<Vec<CpuTimes>>,
    at: DateTime<Utc>,
) -> PollResult {
    // Sections are slices of the text between marker lines: nothing is copied.
    let mut sections: Vec<(&str, &str)> = Vec::with_capacity(6);
    let mut name = "stat";
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if let Some(next) = line.strip_prefix(MARK) {
            sections.push((name, &text[start..pos]));
            name = name_of(next);
            start = pos + line.len();
        }
        pos += line.len();
    }
    sections.push((name, &text[start..]));
    let get = |name: &str| {
        sections
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, b)| *b)
    };
    let disks = parse_df(get("df"))
        .into_iter()
        .filter(is_real_disk)
        .collect();
    let reading = Reading {
        stat: get("stat"),
        meminfo: get("meminfo"),
        loadavg: get("loadavg"),
        uptime: get("uptime"),
        disks,
    };
    PollResult {
        sample: sample_from(reading, prev_cpu, at),
        units: parse_show(get("systemd")),
        discovered: parse_show(get("discover")),
    }
}

fn name_of(s: &str) -> &'static str {
    match s.trim() {
        "meminfo" => "meminfo",
        "loadavg" => "loadavg",
        "uptime" => "uptime",
        "df" => "df",
        "systemd" => "systemd",
        "discover" => "discover",
        _ => "other",
    }
}

fn is_real_disk(d: &DiskUsage) -> bool {
    let pseudo = ["/proc", "/sys", "/dev", "/run"];
    d.total_bytes > 0
        && !pseudo
            .iter()
            .any(|p| d.mount == *p || d.mount.starts_with(&format!("{p}/")))
}

/// Keeps what is needed between polls of one host.
#[derive(Debug, Default)]
pub struct PollState {
    pub prev_cpu: Option<Vec<CpuTimes>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_takes_its_interval_and_units_as_arguments() {
        let cmd = poll_loop_command(
            &["a'b.service".into()],
            std::time::Duration::from_millis(2500),
            false,
        );
        assert_eq!(cmd.args()[2..], ["opsdeck-poll", "2.500", "a'b.service"]);
        assert!(cmd.args()[1].contains(END_MARK) && !cmd.args()[1].contains("a'b"));
    }

    #[test]
    fn units_are_arguments_not_script() {
        let cmd = poll_command(&["a'b.service".into()]);
        assert_eq!(cmd.args().last().unwrap(), "a'b.service");
        assert!(!cmd.args()[1].contains("a'b"));
    }

    #[test]
    fn parses_sections() {
        let text = format!(
            "cpu  1 0 1 8 0 0 0 0\ncpu0 1 0 1 8 0 0 0 0\n{MARK}meminfo\nMemTotal: 100 kB\nMemAvailable: 40 kB\n{MARK}loadavg\n0.1 0.2 0.3 1/2 3\n{MARK}uptime\n100.0 50.0\n{MARK}df\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100 50 50 50% /\ntmpfs 10 1 9 10% /run\n{MARK}systemd\nId=x.service\nActiveState=active\nSubState=running\n"
        );
        let mut st = PollState::default();
        let r = parse_poll(&text, &mut st.prev_cpu, Utc::now());
        assert_eq!(r.sample.mem_used_bytes, 60 * 1024);
        assert_eq!(r.sample.disks.len(), 1);
        assert_eq!(r.sample.uptime.as_secs(), 100);
        assert_eq!(r.units[0].id, "x.service");
    }
}
