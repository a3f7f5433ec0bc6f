//! Resource readings of the local host from /proc and statvfs.

use std::io;
use std::path::Path;

use chrono::Utc;

use super::proc::{CpuTimes, Reading, parse_mounts, sample_from};
use crate::model::{DiskUsage, HostSample};

/// Reads this machine; keeps the previous CPU counters to compute percentages.
#[derive(Debug, Default)]
pub struct LocalSampler {
    prev_cpu: Option<Vec<CpuTimes>>,
}

impl LocalSampler {
    /// Blocking (tiny /proc reads and statvfs calls): run it on a blocking thread.
    pub fn sample(&mut self) -> io::Result<HostSample> {
        let read = |p: &str| std::fs::read_to_string(p);
        let stat = read("/proc/stat")?;
        let meminfo = read("/proc/meminfo")?;
        let loadavg = read("/proc/loadavg")?;
        let uptime = read("/proc/uptime")?;
        let mounts = read("/proc/mounts").unwrap_or_default();
        let disks = parse_mounts(&mounts)
            .into_iter()
            .filter_map(|m| statvfs_usage(&m))
            .collect();
        let reading = Reading {
            stat: &stat,
            meminfo: &meminfo,
            loadavg: &loadavg,
            uptime: &uptime,
            disks,
        };
        Ok(sample_from(reading, &mut self.prev_cpu, Utc::now()))
    }
}

fn statvfs_usage(mount: &str) -> Option<DiskUsage> {
    let st = rustix::fs::statvfs(Path::new(mount)).ok()?;
    let frsize = st.f_frsize.max(1);
    let total = st.f_blocks * frsize;
    let free = st.f_bfree * frsize;
    (total > 0).then(|| DiskUsage {
        mount: mount.to_owned(),
        total_bytes: total,
        used_bytes: total - free,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let mut s = LocalSampler::default();
        let first = s.sample().unwrap();
        assert!(first.cpu_total.is_none());
        assert!(first.mem_total_bytes > 0);
        assert!(
            !first.disks.is_empty(),
            "no real filesystem found in /proc/mounts"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        let second = s.sample().unwrap();
        let cpu = second.cpu_total.expect("second sample has CPU %");
        assert!((0.0..=100.0).contains(&cpu));
        assert_eq!(
            second.cpu_cores.len(),
            std::thread::available_parallelism().unwrap().get()
        );
    }
}
