//! Systemd units worth listing as discovered services: every failed unit, and enabled
//! units that run and are not the distribution's own plumbing.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::collect::systemd::{PROPERTIES, UnitStatus};
use crate::config::validate::{check_argument, check_name};
pub use crate::model::discovered::DiscoveredUnit;

/// The shell snippet that lists the candidates (running, starting and failed services) and
/// shows their properties; unit names come from systemctl itself and are split with
/// globbing off.
pub fn discovery_script(mark: &str) -> String {
    format!(
        "echo {mark}discover; d=$(systemctl list-units --type=service --state=running,failed,auto-restart,start \
         --plain --no-legend --no-pager 2>/dev/null | awk '{{for(i=1;i<=NF;i++) if ($i ~ /\\.service$/) {{print $i; break}}}}'); \
         if [ -n \"$d\" ]; then (set -f; systemctl show --no-pager -p {PROPERTIES},UnitFileState,LoadState -- $d); fi"
    )
}

/// Units that come with the system: the init system, logins, networking, time, logging,
/// package upkeep, hardware and the cloud agent. A person reading the fleet would not call
/// them "what this machine runs".
const SYSTEM_UNITS: &[&str] = &[
    "accounts-daemon",
    "acpid",
    "alsa-restore",
    "alsa-state",
    "anacron",
    "apparmor",
    "apport",
    "atd",
    "auditd",
    "avahi-daemon",
    "blk-availability",
    "bluetooth",
    "chrony",
    "chronyd",
    "cloud-config",
    "cloud-final",
    "cloud-init",
    "cloud-init-local",
    "colord",
    "console-setup",
    "cron",
    "crond",
    "cups",
    "cups-browsed",
    "dbus",
    "dbus-broker",
    "dm-event",
    "dpkg-db-backup",
    "e2scrub_all",
    "e2scrub_reap",
    "emergency",
    "fstrim",
    "fwupd",
    "gdm",
    "getty-static",
    "haveged",
    "ifup",
    "ifupdown-pre",
    "irqbalance",
    "iscsid",
    "kerneloops",
    "keyboard-setup",
    "kmod",
    "kmod-static-nodes",
    "lightdm",
    "logrotate",
    "lvm2-lvmpolld",
    "lvm2-monitor",
    "lxd-agent",
    "man-db",
    "mdmonitor",
    "ModemManager",
    "multipathd",
    "networkd-dispatcher",
    "networking",
    "NetworkManager",
    "NetworkManager-dispatcher",
    "NetworkManager-wait-online",
    "nftables",
    "ntp",
    "ntpd",
    "ntpsec",
    "open-iscsi",
    "open-vm-tools",
    "packagekit",
    "plymouth",
    "plymouth-quit",
    "plymouth-quit-wait",
    "plymouth-read-write",
    "plymouth-start",
    "polkit",
    "qemu-guest-agent",
    "rc-local",
    "rescue",
    "rngd",
    "rpcbind",
    "rsync",
    "rsyslog",
    "rtkit-daemon",
    "serial-getty",
    "setvtrgb",
    "smartd",
    "smartmontools",
    "snapd",
    "snapd.seeded",
    "ssh",
    "sshd",
    "sysstat",
    "thermald",
    "ua-reboot-cmds",
    "ubuntu-advantage",
    "udisks2",
    "ufw",
    "unattended-upgrades",
    "upower",
    "uuidd",
    "vgauth",
    "wpa_supplicant",
    "x11-common",
];

/// Prefixes of families of system units (`systemd-journald`, `getty@tty1`, `user@1000`).
const SYSTEM_PREFIXES: &[&str] = &[
    "systemd-",
    "getty@",
    "serial-getty@",
    "autovt@",
    "user@",
    "user-runtime-dir@",
    "container-getty@",
    "lvm2-",
    "apt-",
    "google-",
    "walinuxagent",
    "amazon-ssm-agent",
    "snap.",
    "modprobe@",
    "dracut-",
    "initrd-",
];

/// Whether `unit` (`name.service`, or a bare name) is one of the system's own.
pub fn is_system_unit(unit: &str) -> bool {
    let name = unit.strip_suffix(".service").unwrap_or(unit);
    let template = name.split_once('@').map_or(name, |(t, _)| t);
    SYSTEM_UNITS.contains(&name)
        || SYSTEM_UNITS.contains(&template)
        || SYSTEM_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The filter: every failed unit; otherwise an enabled unit that runs (or is starting)
/// and is not the system's own. Units whose file is not found are left out unless failed.
pub fn worth_listing(u: &UnitStatus) -> bool {
    if u.id.is_empty() {
        return false;
    }
    if u.active == "failed" {
        return true;
    }
    u.load_state != "not-found"
        && u.unit_file_state == "enabled"
        && matches!(u.active.as_str(), "active" | "activating" | "reloading")
        && !is_system_unit(&u.id)
}

/// A service name for a unit: the unit without `.service`, characters a name may not hold
/// (`@`, `\`) as `-`; `None` when the result or the unit is still not acceptable.
pub fn service_name(unit: &str) -> Option<String> {
    check_argument(unit).ok()?;
    let stem = unit.strip_suffix(".service").unwrap_or(unit);
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    check_name(&name).ok()?;
    Some(name)
}

/// The units worth listing, as services, leaving out those a configured service names.
pub fn discovered_units(
    listed: &[UnitStatus],
    configured: &[String],
    at: DateTime<Utc>,
    host_uptime: Duration,
) -> Vec<DiscoveredUnit> {
    let claimed = |id: &str| {
        configured
            .iter()
            .any(|c| c == id || format!("{c}.service") == id)
    };
    listed
        .iter()
        .filter(|u| worth_listing(u) && !claimed(&u.id))
        .filter_map(|u| {
            Some(DiscoveredUnit {
                name: service_name(&u.id)?,
                unit: u.id.clone(),
                observation: u.observation(at, host_uptime, None),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::systemd::parse_show;

    fn unit(id: &str, active: &str, file: &str) -> UnitStatus {
        UnitStatus {
            id: id.into(),
            active: active.into(),
            sub: "running".into(),
            unit_file_state: file.into(),
            load_state: "loaded".into(),
            ..UnitStatus::default()
        }
    }

    #[test]
    fn the_systems_own_units_are_left_out() {
        for system in [
            "systemd-journald.service",
            "systemd-logind.service",
            "dbus.service",
            "getty@tty1.service",
            "user@1000.service",
            "ssh.service",
            "cron.service",
            "rsyslog.service",
            "NetworkManager.service",
            "unattended-upgrades.service",
        ] {
            assert!(is_system_unit(system), "{system}");
            assert!(
                !worth_listing(&unit(system, "active", "enabled")),
                "{system}"
            );
        }
        for ours in [
            "triboka-flask.service",
            "nginx.service",
            "postgresql@15-main.service",
            "docker.service",
            "myapp@1.service",
        ] {
            assert!(!is_system_unit(ours), "{ours}");
            assert!(worth_listing(&unit(ours, "active", "enabled")), "{ours}");
        }
    }

    #[test]
    fn failed_units_are_always_listed_and_idle_or_static_ones_never() {
        assert!(worth_listing(&unit(
            "systemd-networkd.service",
            "failed",
            "enabled"
        )));
        assert!(worth_listing(&unit("leftover.service", "failed", "")));
        assert!(!worth_listing(&unit("app.service", "inactive", "enabled")));
        assert!(!worth_listing(&unit("app.service", "active", "static")));
        assert!(!worth_listing(&unit("app.service", "active", "disabled")));
        let mut gone = unit("app.service", "active", "enabled");
        gone.load_state = "not-found".into();
        assert!(!worth_listing(&gone));
        assert!(!worth_listing(&unit("", "failed", "")));
    }

    #[test]
    fn names_are_made_fit_for_the_config_and_configured_units_are_skipped() {
        assert_eq!(service_name("myapp@1.service").as_deref(), Some("myapp-1"));
        assert_eq!(service_name("nginx.service").as_deref(), Some("nginx"));
        assert_eq!(service_name("-x.service"), None);
        let show = "Id=triboka-flask.service\nActiveState=active\nSubState=running\nUnitFileState=enabled\nLoadState=loaded\n\n\
                    Id=cron.service\nActiveState=active\nSubState=running\nUnitFileState=enabled\nLoadState=loaded\n\n\
                    Id=web.service\nActiveState=failed\nSubState=failed\nUnitFileState=enabled\nLoadState=loaded\n";
        let listed = parse_show(show);
        let found = discovered_units(&listed, &["web".into()], Utc::now(), Duration::ZERO);
        let names: Vec<&str> = found.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["triboka-flask"]);
        let all = discovered_units(&listed, &[], Utc::now(), Duration::ZERO);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].observation.state, crate::model::RunState::Failed);
    }
}
