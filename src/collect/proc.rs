//! Parsers for /proc files and `df` output. Pure: local and remote readings share them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{DiskUsage, HostSample};

/// Cumulative jiffies of one CPU line of /proc/stat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub busy: u64,
    pub total: u64,
}

/// The aggregate `cpu` line first, then `cpu0`, `cpu1`, …
pub fn parse_proc_stat(text: &str) -> Vec<CpuTimes> {
    text.lines()
        .filter(|l| l.starts_with("cpu"))
        .filter_map(|l| {
            let nums: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|n| n.parse().ok())
                .collect();
            if nums.len() < 4 {
                return None;
            }
            // user nice system idle iowait irq softirq steal; guest is already in user.
            // Hostile or corrupt counters saturate instead of overflowing.
            let total: u64 = nums.iter().take(8).fold(0u64, |a, n| a.saturating_add(*n));
            let idle = nums[3].saturating_add(nums.get(4).copied().unwrap_or(0));
            Some(CpuTimes {
                busy: total.saturating_sub(idle),
                total,
            })
        })
        .collect()
}

/// Busy share between two readings, 0–100.
pub fn cpu_percent(prev: CpuTimes, cur: CpuTimes) -> f64 {
    let total = cur.total.saturating_sub(prev.total);
    if total == 0 {
        return 0.0;
    }
    let busy = cur.busy.saturating_sub(prev.busy);
    (busy as f64 * 100.0 / total as f64).clamp(0.0, 100.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemInfo {
    pub total: u64,
    pub available: u64,
    pub swap_total: u64,
    pub swap_free: u64,
}

/// /proc/meminfo, in bytes.
pub fn parse_meminfo(text: &str) -> MemInfo {
    let mut m = MemInfo::default();
    let mut free = None;
    let mut buffers_cached = 0;
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (
            parts.next(),
            parts.next().and_then(|v| v.parse::<u64>().ok()),
        ) else {
            continue;
        };
        let bytes = value.saturating_mul(1024);
        match key {
            "MemTotal:" => m.total = bytes,
            "MemAvailable:" => m.available = bytes,
            "MemFree:" => free = Some(bytes),
            "Buffers:" | "Cached:" => buffers_cached = u64::saturating_add(buffers_cached, bytes),
            "SwapTotal:" => m.swap_total = bytes,
            "SwapFree:" => m.swap_free = bytes,
            _ => {}
        }
    }
    // Kernels before 3.14 have no MemAvailable.
    if m.available == 0 {
        m.available = free.unwrap_or(0).saturating_add(buffers_cached);
    }
    m
}

pub fn parse_loadavg(text: &str) -> [f64; 3] {
    let mut it = text.split_whitespace().map(|v| {
        v.parse::<f64>()
            .ok()
            .filter(|l| l.is_finite() && *l >= 0.0)
            .unwrap_or(0.0)
    });
    [
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
    ]
}

pub fn parse_uptime(text: &str) -> Duration {
    let secs: f64 = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    // `inf`, `1e30` or a negative number from a broken or hostile host: no uptime.
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
}

/// Filesystem types that are disks (overlay only as a container's root).
const REAL_FS: &[&str] = &[
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "vfat", "exfat", "f2fs", "ntfs", "ntfs3",
    "overlay",
];

/// Mount points of real filesystems from /proc/mounts, without duplicates of one device.
pub fn parse_mounts(text: &str) -> Vec<String> {
    let mut devices = Vec::new();
    let mut mounts = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 || !REAL_FS.contains(&f[2]) || devices.contains(&f[0]) {
            continue;
        }
        devices.push(f[0]);
        mounts.push(unescape_mount(f[1]));
    }
    mounts
}

/// /proc/mounts writes spaces and tabs in paths as octal escapes.
fn unescape_mount(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// `df -P -k` output (POSIX format) into disk usages.
pub fn parse_df(text: &str) -> Vec<DiskUsage> {
    // Container engines mount every container's root and volumes; they are not disks.
    const ENGINE_DIRS: &[&str] = &[
        "/var/lib/containers",
        "/var/lib/docker",
        "/run",
        "/proc",
        "/sys",
        "/dev",
    ];
    let mut lines = text.lines();
    // `df -T` adds a Type column after the device: then only real filesystems count.
    let typed = lines
        .next()
        .is_some_and(|h| h.split_whitespace().nth(1) == Some("Type"));
    let mut devices: Vec<&str> = Vec::new();
    lines
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let device = f.next()?;
            let fs = if typed { f.next()? } else { "" };
            let (total, used) = (f.next()?, f.next()?);
            // The mount point is the rest of the line (it may hold spaces).
            let first = f.nth(2)?;
            let at = first.as_ptr() as usize - l.as_ptr() as usize;
            let mount = l[at..].trim_end();
            let under = |d: &&str| {
                mount
                    .strip_prefix(*d)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            };
            if ENGINE_DIRS.iter().any(under) {
                return None;
            }
            if typed {
                let real = REAL_FS.contains(&fs) && (fs != "overlay" || mount == "/");
                if !real {
                    return None;
                }
            } else if ["tmpfs", "devtmpfs", "udev", "shm", "none"].contains(&device)
                || (device == "overlay" && mount != "/")
            {
                return None;
            }
            // The same device mounted twice (bind mounts) is one disk.
            if device.starts_with('/') {
                if devices.contains(&device) {
                    return None;
                }
                devices.push(device);
            }
            let total: u64 = total.parse().ok()?;
            let used: u64 = used.parse().ok()?;
            Some(DiskUsage {
                mount: mount.to_owned(),
                total_bytes: total.saturating_mul(1024),
                used_bytes: used.saturating_mul(1024),
            })
        })
        .collect()
}

/// The raw texts of one reading.
pub struct Reading<'a> {
    pub stat: &'a str,
    pub meminfo: &'a str,
    pub loadavg: &'a str,
    pub uptime: &'a str,
    pub disks: Vec<DiskUsage>,
}

/// Turns one reading into a sample; `prev` holds the last CPU counters and is updated.
pub fn sample_from(
    reading: Reading<'_>,
    prev: &mut Option<Vec<CpuTimes>>,
    at: DateTime<Utc>,
) -> HostSample {
    let cpus = parse_proc_stat(reading.stat);
    let (cpu_total, cpu_cores) = match prev.as_deref() {
        Some(p) if p.len() == cpus.len() && !cpus.is_empty() => {
            let all: Vec<f64> = p
                .iter()
                .zip(&cpus)
                .map(|(a, b)| cpu_percent(*a, *b))
                .collect();
            (Some(all[0]), all[1..].to_vec())
        }
        _ => (None, Vec::new()),
    };
    *prev = Some(cpus);
    let mem = parse_meminfo(reading.meminfo);
    HostSample {
        at,
        cpu_total,
        cpu_cores,
        load: parse_loadavg(reading.loadavg),
        mem_total_bytes: mem.total,
        mem_used_bytes: mem.total.saturating_sub(mem.available),
        swap_total_bytes: mem.swap_total,
        swap_used_bytes: mem.swap_total.saturating_sub(mem.swap_free),
        uptime: parse_uptime(reading.uptime),
        disks: reading.disks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT1: &str = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\nintr 1\n";
    const STAT2: &str = "cpu  200 0 200 1000 0 0 0 0 0 0\ncpu0 150 0 100 450 0 0 0 0 0 0\ncpu1 50 0 100 550 0 0 0 0 0 0\nintr 1\n";

    #[test]
    fn cpu_from_two_readings() {
        let a = parse_proc_stat(STAT1);
        let b = parse_proc_stat(STAT2);
        assert_eq!(a.len(), 3);
        assert!((cpu_percent(a[0], b[0]) - 50.0).abs() < 1e-9);
        assert!((cpu_percent(a[1], b[1]) - 75.0).abs() < 1e-9);
        assert!((cpu_percent(a[2], b[2]) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn first_sample_has_no_cpu_then_second_has() {
        let mut prev = None;
        let r = |stat| Reading {
            stat,
            meminfo: "MemTotal: 1000 kB\nMemAvailable: 250 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
            loadavg: "0.50 0.25 0.10 1/100 42",
            uptime: "3600.5 100.0",
            disks: vec![],
        };
        let s1 = sample_from(r(STAT1), &mut prev, Utc::now());
        assert_eq!(s1.cpu_total, None);
        let s2 = sample_from(r(STAT2), &mut prev, Utc::now());
        assert_eq!(s2.cpu_total, Some(50.0));
        assert_eq!(s2.cpu_cores, vec![75.0, 25.0]);
        assert_eq!(s2.mem_used_bytes, 750 * 1024);
        assert_eq!(s2.load, [0.5, 0.25, 0.1]);
        assert_eq!(s2.uptime.as_secs(), 3600);
    }

    #[test]
    fn typed_df_keeps_real_filesystems() {
        let df = "Filesystem Type 1024-blocks Used Available Capacity Mounted on\n/dev/vda ext4 1000 250 750 25% /\ntmpfs-opsdk tmpfs 10 1 9 10% /tmp\n/dev/vdb fuse 4 0 4 0% /mnt/x\n";
        assert_eq!(
            parse_df(df)
                .iter()
                .map(|d| d.mount.as_str())
                .collect::<Vec<_>>(),
            ["/"]
        );
    }

    #[test]
    fn mounts_and_df() {
        let mounts = "/dev/vda / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/vda /etc/hosts ext4 rw 0 0\n/dev/vdb /mnt/my\\040disk xfs rw 0 0\n";
        assert_eq!(
            parse_mounts(mounts),
            vec!["/".to_owned(), "/mnt/my disk".to_owned()]
        );
        let df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 1000 250 750 25% /\ntmpfs 10 1 9 10% /tmp\n/dev/vda 1000 250 750 25% /var/lib/containers\noverlay 1000 250 750 25% /var/lib/containers/storage/overlay/x/merged\n/dev/vda 1000 250 750 25% /home\n";
        assert_eq!(
            parse_df(df),
            vec![DiskUsage {
                mount: "/".into(),
                total_bytes: 1024000,
                used_bytes: 256000
            }]
        );
    }

    #[test]
    fn meminfo_without_available() {
        let m = parse_meminfo("MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n");
        assert_eq!(m.available, 35 * 1024);
    }
}
