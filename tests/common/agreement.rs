//! Host readings from two sources that must agree (node-exporter through Prometheus against
//! the SSH poll or this machine's /proc), within the tolerances every such test states:
//! totals and core count exactly; memory in use within 5 % of the total (it moves between
//! the two readings); load1 within 1.0 (a 1-minute average against a reading of now); CPU
//! within 35 points (rates over windows that are not quite the same, on a shared 2-core
//! machine); uptime within `uptime_secs` (the scrape interval).

use opsdeck::model::HostSample;

pub fn assert_readings_agree(p: &HostSample, s: &HostSample, other: &str, uptime_secs: f64) {
    assert_eq!(p.mem_total_bytes, s.mem_total_bytes, "memory total");
    let mem = p.mem_used_bytes.abs_diff(s.mem_used_bytes) as f64;
    assert!(
        mem <= 0.05 * s.mem_total_bytes as f64,
        "memory used: prometheus {} vs {other} {}",
        p.mem_used_bytes,
        s.mem_used_bytes
    );
    assert_eq!(p.cpu_cores.len(), s.cpu_cores.len(), "cores");
    let (pc, sc) = (p.cpu_total.unwrap(), s.cpu_total.unwrap());
    assert!(
        (pc - sc).abs() <= 35.0,
        "cpu: prometheus {pc:.1} vs {other} {sc:.1}"
    );
    assert!(
        (p.load[0] - s.load[0]).abs() <= 1.0,
        "load: {:?} vs {other} {:?}",
        p.load,
        s.load
    );
    let up = p.uptime.as_secs_f64() - s.uptime.as_secs_f64();
    assert!(up.abs() <= uptime_secs, "uptime differs by {up:.1}s");
}
