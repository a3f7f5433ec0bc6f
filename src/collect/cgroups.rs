//! Container resource use read from the kernel's cgroup counters, for every running
//! container of a host in one command — over the host's SSH master, or on this machine —
//! instead of one stats request per container to the engine, which the engine pays for
//! (podman spends ~0.4 % of a core per request a second). cgroup v1 and v2 alike.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::container::ContainerSample;
use crate::transport::CommandSpec;

const MARK: &str = "@@c ";

/// Reads the counters of the containers given as arguments (`PID:ID:NET`), with shell
/// builtins only (no process is started per container); arguments are never pasted into
/// the script. A pid whose cgroup does not name its container is not that container (the
/// engine runs elsewhere, in another pid namespace): it is skipped and the engine asked.
const SCRIPT: &str = r#"r=/sys/fs/cgroup
for a do
  p=${a%%:*}; rest=${a#*:}; id=${rest%%:*}; net=${rest#*:}
  printf '@@c %s\n' "$p"
  [ -r /proc/$p/cgroup ] || continue
  cpu= mem= blk= v2=
  while IFS=: read -r _ c path; do
    case $c in
      '') v2=$path ;;
      *cpuacct*) cpu=$path ;;
      memory) mem=$path ;;
      blkio) blk=$path ;;
    esac
  done < /proc/$p/cgroup
  case "$cpu$mem$v2" in *"$id"*) ;; *) continue ;; esac
  if [ -n "$cpu" ] && [ -r "$r/cpuacct$cpu/cpuacct.usage" ]; then
    read -r x < "$r/cpuacct$cpu/cpuacct.usage" && echo "cpu_ns $x"
    read -r x < "$r/memory$mem/memory.usage_in_bytes" && echo "mem $x"
    read -r x < "$r/memory$mem/memory.limit_in_bytes" && echo "limit $x"
    while read -r d op n; do echo "blk $op $n"; done < "$r/blkio$blk/blkio.throttle.io_service_bytes"
  elif [ -r "$r$v2/cpu.stat" ]; then
    while read -r k v; do [ "$k" = usage_usec ] && echo "cpu_us $v"; done < "$r$v2/cpu.stat"
    read -r x < "$r$v2/memory.current" && echo "mem $x"
    read -r x < "$r$v2/memory.max" && echo "limit $x"
    while read -r d rest; do echo "io $rest"; done < "$r$v2/io.stat"
  fi
  # Containers on the host's own network share its counters: they have none of their own.
  if [ "$net" = own ]; then
    while read -r l; do echo "net $l"; done < /proc/$p/net/dev
  fi
done
true"#;

/// A running container as the counters are read: its main pid, its id (which its cgroup
/// path holds), and whether it has a network of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub pid: u32,
    pub id: String,
    pub own_network: bool,
}

pub fn command(containers: &[Counted]) -> CommandSpec {
    let mut argv = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        SCRIPT.to_owned(),
        "opsdeck-cgroups".to_owned(),
    ];
    argv.extend(containers.iter().filter(|c| is_id(&c.id)).map(|c| {
        let net = if c.own_network { "own" } else { "host" };
        format!("{}:{}:{net}", c.pid, c.id)
    }));
    CommandSpec::argv(argv)
}

/// Container ids are hex: nothing else may reach the script's pattern.
fn is_id(id: &str) -> bool {
    id.len() >= 12 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The samples found, by pid; a process whose counters could not be read is left out (it
/// ended, or its cgroups are not readable) and is read through the engine instead.
pub fn parse(text: &str, at: DateTime<Utc>) -> HashMap<u32, ContainerSample> {
    let mut out = HashMap::new();
    let mut cur: Option<(u32, Counters)> = None;
    let mut finish = |cur: Option<(u32, Counters)>| {
        if let Some((pid, c)) = cur
            && let Some(sample) = c.sample(at)
        {
            out.insert(pid, sample);
        }
    };
    for line in text.lines() {
        if let Some(pid) = line.strip_prefix(MARK) {
            finish(cur.take());
            cur = pid.trim().parse().ok().map(|p| (p, Counters::default()));
            continue;
        }
        let Some((_, c)) = cur.as_mut() else { continue };
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let num = |s: &str| s.trim().parse::<u64>().ok();
        match key {
            "cpu_ns" => c.cpu_ns = num(rest),
            "cpu_us" => c.cpu_ns = num(rest).map(|us| us.saturating_mul(1000)),
            "mem" => c.mem = num(rest),
            // v1 writes a huge number and v2 `max` for no limit.
            "limit" => c.limit = num(rest).filter(|l| *l < 1 << 62),
            "blk" => {
                let (op, n) = rest.split_once(' ').unwrap_or((rest, ""));
                let n = num(n).unwrap_or(0);
                match op {
                    "Read" => c.read = c.read.saturating_add(n),
                    "Write" => c.write = c.write.saturating_add(n),
                    _ => {}
                }
            }
            "io" => {
                for kv in rest.split_whitespace() {
                    match kv.split_once('=') {
                        Some(("rbytes", v)) => c.read = c.read.saturating_add(num(v).unwrap_or(0)),
                        Some(("wbytes", v)) => {
                            c.write = c.write.saturating_add(num(v).unwrap_or(0))
                        }
                        _ => {}
                    }
                }
            }
            "net" => {
                // `eth0: rx_bytes packets … (8 fields) tx_bytes …`; the loopback is not traffic.
                let Some((iface, fields)) = rest.split_once(':') else {
                    continue;
                };
                if iface.trim() == "lo" {
                    continue;
                }
                let f: Vec<u64> = fields
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                if f.len() >= 9 {
                    c.rx = c.rx.saturating_add(f[0]);
                    c.tx = c.tx.saturating_add(f[8]);
                }
            }
            _ => {}
        }
    }
    finish(cur.take());
    out
}

#[derive(Debug, Default)]
struct Counters {
    cpu_ns: Option<u64>,
    mem: Option<u64>,
    limit: Option<u64>,
    read: u64,
    write: u64,
    rx: u64,
    tx: u64,
}

impl Counters {
    fn sample(&self, at: DateTime<Utc>) -> Option<ContainerSample> {
        Some(ContainerSample {
            at,
            cpu_ns: self.cpu_ns?,
            mem_bytes: self.mem.unwrap_or(0),
            mem_limit: self.limit.unwrap_or(0),
            rx_bytes: self.rx,
            tx_bytes: self.tx,
            blk_read: self.read,
            blk_write: self.write,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_arguments_and_both_cgroup_versions_parse() {
        let c = |pid, id: &str, own_network| Counted {
            pid,
            id: id.into(),
            own_network,
        };
        let cmd = command(&[
            c(41, "aaaabbbbcccc0001", true),
            c(42, "aaaabbbbcccc0002", false),
            c(43, "*;rm -rf /", false),
        ]);
        assert_eq!(
            cmd.args()[2..],
            [
                "opsdeck-cgroups",
                "41:aaaabbbbcccc0001:own",
                "42:aaaabbbbcccc0002:host"
            ]
        );
        let text = "@@c 41\ncpu_ns 1500000000\nmem 73400320\nlimit 9223372036854771712\n\
                    blk Read 4096\nblk Write 8192\nblk Total 12288\n\
                    net Inter-|   Receive\nnet  face |bytes\nnet     lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n\
                    net   eth0: 2048 10 0 0 0 0 0 0 1024 5 0 0 0 0 0 0\n\
                    @@c 42\ncpu_us 250\nmem 1048576\nlimit 536870912\nio rbytes=10 wbytes=20 rios=1 wios=2\n\
                    io rbytes=5 wbytes=5 rios=1 wios=1\n@@c 43\n";
        let at = Utc::now();
        let got = parse(text, at);
        let a = got[&41];
        assert_eq!(
            (a.cpu_ns, a.mem_bytes, a.mem_limit),
            (1_500_000_000, 73_400_320, 0)
        );
        assert_eq!(
            (a.blk_read, a.blk_write, a.rx_bytes, a.tx_bytes),
            (4096, 8192, 2048, 1024)
        );
        let b = got[&42];
        assert_eq!(
            (b.cpu_ns, b.mem_limit, b.blk_read, b.blk_write),
            (250_000, 536_870_912, 15, 25)
        );
        assert!(
            !got.contains_key(&43),
            "a container with no counters is read otherwise"
        );
    }

    #[test]
    fn hostile_output_does_not_panic() {
        let at = Utc::now();
        for text in [
            "@@c x\ncpu_ns 1",
            "@@c 1\ncpu_ns 99999999999999999999999\n",
            "@@c 1\nnet eth0:\n",
            "blk Read 1\n@@c\n",
            "@@c 1\ncpu_us 18446744073709551615\nio rbytes=18446744073709551615 rbytes=1\n",
        ] {
            let _ = parse(text, at);
        }
    }
}
