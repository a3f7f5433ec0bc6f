//! Node-exporter series → the host readings the SSH poller makes ([`HostSample`]): one
//! query per metric for every host at once, the answers split by the instance label.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::prometheus::{PromClient, PromError, QueryResult, Sample};
use crate::model::{DiskUsage, HostSample};

/// Filesystem types that are disks, as the SSH poller counts them.
const REAL_FS: &str = "ext2|ext3|ext4|xfs|btrfs|zfs|vfat|exfat|f2fs|ntfs|ntfs3|overlay";

/// The queries of one refresh, in the order [`split`] takes their answers.
pub fn queries(label: &str, window: Duration) -> [String; 5] {
    let w = format!("{}s", window.as_secs().max(1));
    [
        // Busy share per core as /proc/stat gives it: everything but idle and iowait.
        format!(
            "sum by ({label}, cpu) (rate(node_cpu_seconds_total{{mode!~\"idle|iowait\"}}[{w}])) \
             / sum by ({label}, cpu) (rate(node_cpu_seconds_total[{w}]))"
        ),
        "{__name__=~\"node_memory_(MemTotal|MemAvailable|SwapTotal|SwapFree)_bytes\"}".to_owned(),
        "{__name__=~\"node_load(1|5|15)\"}".to_owned(),
        "node_time_seconds - node_boot_time_seconds".to_owned(),
        format!("{{__name__=~\"node_filesystem_(size|free)_bytes\",fstype=~\"{REAL_FS}\"}}"),
    ]
}

/// Runs the five queries at once; the first error is the answer when any fails.
pub async fn fetch(
    client: &PromClient,
    label: &str,
    window: Duration,
) -> Result<[QueryResult; 5], PromError> {
    let [a, b, c, d, e] = queries(label, window);
    let (a, b, c, d, e) = tokio::join!(
        client.query(&a, None),
        client.query(&b, None),
        client.query(&c, None),
        client.query(&d, None),
        client.query(&e, None),
    );
    Ok([a?, b?, c?, d?, e?])
}

#[derive(Default)]
struct Partial {
    cores: BTreeMap<u32, f64>,
    mem: HashMap<String, f64>,
    load: [f64; 3],
    seen: bool,
    uptime: Option<f64>,
    /// device → (mountpoint, size, free)
    disks: BTreeMap<String, (String, f64, f64)>,
    at: Option<DateTime<Utc>>,
}

/// The readings of the hosts named by `instances` (instance label value → key); hosts with
/// no series at all are left out.
pub fn split<K: Clone + Ord>(
    results: [QueryResult; 5],
    label: &str,
    instances: &HashMap<String, K>,
) -> BTreeMap<K, HostSample> {
    let mut parts: BTreeMap<K, Partial> = BTreeMap::new();
    let [cpu, mem, load, uptime, disks] = results.map(QueryResult::into_samples);
    let mut each = |samples: Vec<Sample>, f: &mut dyn FnMut(&mut Partial, &Sample)| {
        for s in samples {
            let Some(key) = s.labels.get(label).and_then(|i| instances.get(i)) else {
                continue;
            };
            let p = parts.entry(key.clone()).or_default();
            p.at = Some(p.at.map_or(s.at, |a| a.max(s.at)));
            f(p, &s);
        }
    };
    each(cpu, &mut |p, s| {
        if let Some(n) = s.labels.get("cpu").and_then(|c| c.parse().ok())
            && s.value.is_finite()
        {
            p.cores.insert(n, (s.value * 100.0).clamp(0.0, 100.0));
        }
    });
    each(mem, &mut |p, s| {
        if let Some(name) = s.labels.get("__name__") {
            p.mem.insert(name.clone(), s.value);
        }
    });
    each(load, &mut |p, s| {
        let i = match s.labels.get("__name__").map(String::as_str) {
            Some("node_load1") => 0,
            Some("node_load5") => 1,
            Some("node_load15") => 2,
            _ => return,
        };
        p.load[i] = finite(s.value);
        p.seen = true;
    });
    each(uptime, &mut |p, s| p.uptime = Some(finite(s.value)));
    each(disks, &mut |p, s| {
        let (Some(dev), Some(mount), Some(name)) = (
            s.labels.get("device"),
            s.labels.get("mountpoint"),
            s.labels.get("__name__"),
        ) else {
            return;
        };
        let e = p
            .disks
            .entry(dev.clone())
            .or_insert_with(|| (mount.clone(), 0.0, 0.0));
        // One device mounted twice is one disk: the shortest mount point names it.
        if mount.len() < e.0.len() {
            e.0 = mount.clone();
        }
        if name.ends_with("size_bytes") {
            e.1 = finite(s.value);
        } else {
            e.2 = finite(s.value);
        }
    });
    parts
        .into_iter()
        .filter_map(|(k, p)| Some((k, sample_of(p)?)))
        .collect()
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

fn bytes(v: Option<&f64>) -> u64 {
    v.map_or(0, |v| finite(*v) as u64)
}

fn sample_of(p: Partial) -> Option<HostSample> {
    let at = p.at?;
    let total = bytes(p.mem.get("node_memory_MemTotal_bytes"));
    if total == 0 && p.cores.is_empty() && !p.seen {
        return None;
    }
    let available = bytes(p.mem.get("node_memory_MemAvailable_bytes"));
    let swap_total = bytes(p.mem.get("node_memory_SwapTotal_bytes"));
    let swap_free = bytes(p.mem.get("node_memory_SwapFree_bytes"));
    let cores: Vec<f64> = p.cores.values().copied().collect();
    let cpu_total = (!cores.is_empty()).then(|| cores.iter().sum::<f64>() / cores.len() as f64);
    let mut disks: Vec<DiskUsage> = p
        .disks
        .into_values()
        .filter(|(_, size, _)| *size > 0.0)
        .map(|(mount, size, free)| DiskUsage {
            mount,
            total_bytes: size as u64,
            used_bytes: (size - free).max(0.0) as u64,
        })
        .collect();
    disks.sort_by(|a, b| a.mount.cmp(&b.mount));
    Some(HostSample {
        at,
        cpu_total,
        cpu_cores: cores,
        load: p.load,
        mem_total_bytes: total,
        mem_used_bytes: total.saturating_sub(available),
        swap_total_bytes: swap_total,
        swap_used_bytes: swap_total.saturating_sub(swap_free),
        uptime: Duration::try_from_secs_f64(p.uptime.unwrap_or(0.0)).unwrap_or_default(),
        disks,
    })
}

/// A host's instance label value: `instance` when given, else its address (the host part
/// of a URL) with node-exporter's port.
pub fn default_instance(instance: Option<&str>, address: Option<&str>, name: &str) -> String {
    if let Some(i) = instance {
        return i.to_owned();
    }
    let addr = address.unwrap_or(name);
    let host = addr
        .split_once("://")
        .map_or(addr, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or(addr);
    format!("{host}:9100")
}

#[cfg(test)]
#[path = "host_metrics_tests.rs"]
mod tests;
