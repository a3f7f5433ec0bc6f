use super::super::listing::tests::{FIND_PREVENTIA, RCLONE, S3};
use super::super::listing::{parse_local, parse_offsite};
use super::*;
use crate::config::schema::ConfigFile;

fn set(toml_text: &str) -> BackupSet {
    let text =
        format!("[[hosts]]\nname = \"h\"\n\n[[backups]]\nname = \"s\"\nhost = \"h\"\n{toml_text}");
    let mut file: ConfigFile = toml::from_str(&text).unwrap();
    file.backups.remove(0)
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

const HOUR: Duration = Duration::from_secs(3600);

fn preventia() -> Layout {
    Layout::of(&set(r#"
dir = "/backups/database"
glob = "db_*.dump"
parts = [
  { name = "exports", dir = "/backups/files", glob = "exports_*.tar.gz" },
  { name = "configs", dir = "/backups/configs/", glob = "config_*.tar.gz" },
]
pattern = '^(?:db|exports|config)_(?P<key>\d{8}_\d{6})\.'
"#))
}

#[test]
fn files_sharing_a_key_are_one_backup_newest_first() {
    let layout = preventia();
    let spec = layout.listing_command().unwrap().to_string();
    assert!(spec.contains("/backups/configs -maxdepth"), "{spec}");
    let listed = parse_local(FIND_PREVENTIA);
    let backups = layout.group(&listed.entries, &[]);
    let keys: Vec<&str> = backups.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "20261202_021412",
            "20261201_021412",
            "20261130_021411",
            "20261129_021411"
        ]
    );
    let newest = &backups[0];
    let parts: Vec<(&str, &str)> = newest
        .parts
        .iter()
        .map(|p| (p.part.as_str(), p.path.as_str()))
        .collect();
    assert_eq!(
        parts,
        [
            ("file", "/backups/database/db_20261202_021412.dump"),
            ("exports", "/backups/files/exports_20261202_021412.tar.gz"),
            ("configs", "/backups/configs/config_20261202_021412.tar.gz"),
        ]
    );
    assert_eq!(newest.size, 4001 + 168 + 926);
    assert!(newest.local && !newest.offsite && newest.missing.is_empty());
    assert_eq!(newest.time, at("2026-12-02T02:14:12Z"));
    assert_eq!(
        newest.placeholders(),
        [
            ("key", "20261202_021412"),
            ("file", "/backups/database/db_20261202_021412.dump"),
            ("exports", "/backups/files/exports_20261202_021412.tar.gz"),
            ("configs", "/backups/configs/config_20261202_021412.tar.gz"),
        ]
    );

    let now = at("2026-12-02T05:24:02Z");
    let status = SetStatus::evaluate(
        backups,
        Some(24 * HOUR),
        Offsite::NotConfigured,
        vec![],
        now,
    );
    assert!(status.fresh && status.ok() && status.flags.is_empty());
    assert_eq!(
        status.newest_age(),
        Some(Duration::from_secs(3 * 3600 + 9 * 60 + 50))
    );
    assert_eq!(status.count(), 4);
    let later = SetStatus::evaluate(
        status.backups.clone(),
        Some(24 * HOUR),
        Offsite::NotConfigured,
        vec![],
        at("2026-12-03T02:14:13Z"),
    );
    assert!(!later.fresh && !later.ok());
}

#[test]
fn a_missing_part_is_named_and_a_shrunken_backup_flagged() {
    let layout = preventia();
    let mut entries = parse_local(FIND_PREVENTIA).entries;
    // The newest dump is truncated and its configs tarball was never written.
    entries.retain(|e| e.name != "config_20261202_021412.tar.gz");
    for e in &mut entries {
        if e.name == "db_20261202_021412.dump" {
            e.size = 100;
        }
    }
    let backups = layout.group(&entries, &[]);
    assert_eq!(backups[0].missing, ["configs"]);
    assert!(backups[0].smaller_than_previous);
    assert!(!backups[1].smaller_than_previous);
    let status = SetStatus::evaluate(
        backups,
        Some(24 * HOUR),
        Offsite::NotConfigured,
        vec![],
        at("2026-12-02T05:00:00Z"),
    );
    assert_eq!(status.flags, [Flag::SmallerThanPrevious]);
    assert!(status.ok(), "a shrunken backup warns, it does not fail");
}

#[test]
fn offsite_copies_join_their_backups_by_name() {
    let layout = Layout::of(&set(r#"
dir = "/tmp/bovine-backups"
glob = "mongodb-*.tar.gz"
pattern = '^mongodb-(?P<key>\d{8}_\d{6})\.tar\.gz$'
"#));
    let local = parse_local(
        "/tmp/bovine-backups\t10461\t1796094849.0000000000\tmongodb-20261201_031409.tar.gz\n\
         /tmp/bovine-backups\t10517\t1796181249.0000000000\tmongodb-20261202_031409.tar.gz\n\
         /tmp/bovine-backups\t10600\t1796189000.0000000000\tmongodb-20261202_052320.tar.gz\n\
         /tmp/bovine-backups\t5\t1796189000.0000000000\tnotes.txt\n",
    );
    let remote = parse_offsite(RCLONE, None).unwrap();
    let backups = layout.group(&local.entries, &remote.entries);
    let summary: Vec<(&str, bool, bool)> = backups
        .iter()
        .map(|b| (b.key.as_str(), b.local, b.offsite))
        .collect();
    assert_eq!(
        summary,
        [
            ("20261202_052320", true, false),
            ("20261202_031409", true, true),
            ("20261201_031409", true, true),
        ]
    );
    assert_eq!(
        backups[1].offsite_parts[0].path,
        "mongodb-20261202_031409.tar.gz"
    );
    let now = at("2026-12-02T06:00:00Z");
    let status = SetStatus::evaluate(
        backups.clone(),
        Some(24 * HOUR),
        Offsite::Listed(2),
        vec![],
        now,
    );
    assert!(status.ok() && status.flags.is_empty());
    assert_eq!((status.local_count(), status.offsite_count()), (3, 2));

    // The copies within the RPO are gone from the bucket: flagged.
    let only_old: Vec<_> = remote
        .entries
        .iter()
        .filter(|e| e.name.contains("20261201"))
        .cloned()
        .collect();
    let backups = layout.group(&local.entries, &only_old);
    let status = SetStatus::evaluate(
        backups,
        Some(24 * HOUR),
        Offsite::Listed(1),
        vec![],
        at("2026-12-02T06:00:00Z"),
    );
    assert!(status.fresh && !status.ok());
    assert_eq!(status.flags, [Flag::NoOffsiteWithinRpo]);

    let failed = SetStatus::evaluate(
        vec![],
        Some(HOUR),
        Offsite::Failed("timed out".into()),
        vec![],
        now,
    );
    assert!(!failed.fresh);
    assert_eq!(failed.flags, [Flag::OffsiteUnchecked]);
}

#[test]
fn an_offsite_only_set_and_s3_upload_times() {
    let layout = Layout::of(&set(r#"
pattern = '^epagal_(?P<key>\d{8}_\d{6})\.dump$'
"#));
    assert!(layout.listing_command().is_none());
    let remote = parse_offsite(S3, None).unwrap();
    let backups = layout.group(&[], &remote.entries);
    assert_eq!(backups.len(), 2);
    assert_eq!(backups[0].key, "20261202_041412");
    assert!(!backups[0].local && backups[0].offsite);
    assert_eq!(backups[0].size, 5967);
    assert_eq!(backups[0].local_path("file"), None);
    // Without a pattern each file is its own backup, keyed by its name.
    let plain = Layout::of(&set("dir = \"/backups\"\n"));
    assert_eq!(plain.key_of("epagal_1.dump"), "epagal_1.dump");
    let status = SetStatus::evaluate(vec![], None, Offsite::NotConfigured, vec![], Utc::now());
    assert!(!status.fresh && status.newest().is_none());
}
