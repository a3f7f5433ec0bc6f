use super::*;

/// `find … -printf` on the lab's preventia host (three directories, one call).
pub(crate) const FIND_PREVENTIA: &str = "\
/backups/database\t4001\t1796177652.0000000000\tdb_20261202_021412.dump
/backups/database\t4001\t1795918451.0000000000\tdb_20261129_021411.dump
/backups/database\t4001\t1796091252.0000000000\tdb_20261201_021412.dump
/backups/database\t4001\t1796004851.0000000000\tdb_20261130_021411.dump
/backups/files\t168\t1796177652.0000000000\texports_20261202_021412.tar.gz
/backups/files\t168\t1795918451.0000000000\texports_20261129_021411.tar.gz
/backups/files\t168\t1796091252.0000000000\texports_20261201_021412.tar.gz
/backups/files\t168\t1796004851.0000000000\texports_20261130_021411.tar.gz
/backups/configs\t926\t1795918451.0000000000\tconfig_20261129_021411.tar.gz
/backups/configs\t926\t1796004851.0000000000\tconfig_20261130_021411.tar.gz
/backups/configs\t926\t1796091252.0000000000\tconfig_20261201_021412.tar.gz
/backups/configs\t926\t1796177652.0000000000\tconfig_20261202_021412.tar.gz
";

/// `rclone lsjson labs3:bovine-backups/mongodb` on the lab's gamelera host.
pub(crate) const RCLONE: &str = r#"[
{"Path":"mongodb-20261201_031409.tar.gz","Name":"mongodb-20261201_031409.tar.gz","Size":10461,"MimeType":"application/gzip","ModTime":"2026-12-01T03:14:09.000000000Z","IsDir":false,"Tier":"STANDARD"},
{"Path":"mongodb-20261202_031409.tar.gz","Name":"mongodb-20261202_031409.tar.gz","Size":10517,"MimeType":"application/gzip","ModTime":"2026-12-02T03:14:09.000000000Z","IsDir":false,"Tier":"STANDARD"}
]
"#;

/// `aws s3api list-objects-v2 --bucket epagal-backups --output json` against the lab's moto.
pub(crate) const S3: &str = r#"{
"Contents": [
    {
        "Key": "epagal_20261201_041412.dump",
        "LastModified": "2026-12-02T05:14:13+00:00",
        "ETag": "\"32db1d4c05fc7a9fc7f000b11de3b1df\"",
        "Size": 5967,
        "StorageClass": "STANDARD"
    },
    {
        "Key": "epagal_20261202_041412.dump",
        "LastModified": "2026-12-02T05:14:13+00:00",
        "ETag": "\"32db1d4c05fc7a9fc7f000b11de3b1df\"",
        "Size": 5967,
        "StorageClass": "STANDARD"
    }
]
}
"#;

#[test]
fn one_find_for_all_directories_and_globs() {
    let spec = local_command(
        ["/backups/database", "/backups/files", "/backups/database"],
        ["db_*.dump", "exports_*.tar.gz"],
    )
    .unwrap();
    assert_eq!(
        spec.to_string(),
        r"find -H /backups/database /backups/files -maxdepth 1 -type f '(' -name 'db_*.dump' -o -name 'exports_*.tar.gz' ')' -printf '%h\t%s\t%T@\t%f\n'"
    );
    assert!(local_command([], ["*"]).is_none());
}

#[test]
fn parses_find_output() {
    let l = parse_local(FIND_PREVENTIA);
    assert_eq!(l.skipped, 0);
    assert_eq!(l.entries.len(), 12);
    let e = &l.entries[1];
    assert_eq!(e.path, "/backups/database");
    assert_eq!(e.name, "db_20261129_021411.dump");
    assert_eq!(e.size, 4001);
    assert_eq!(e.mtime.to_rfc3339(), "2026-11-29T02:14:11+00:00");
    let odd = parse_local("/d\t12\tx\tname\n/d\t-1\t1.0\tn\n/d\t5\t7.5\ta\tb\n\n/d\t1\t1\t\n");
    assert_eq!(odd.skipped, 3);
    assert_eq!(odd.entries[0].name, "a\tb");
    assert_eq!(odd.entries[0].mtime.timestamp_subsec_millis(), 500);
}

#[test]
fn parses_rclone_and_s3_listings() {
    for format in [None, Some(OffsiteFormat::RcloneLsjson)] {
        let l = parse_offsite(RCLONE, format).unwrap();
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[1].name, "mongodb-20261202_031409.tar.gz");
        assert_eq!(l.entries[1].size, 10517);
        assert_eq!(l.entries[1].mtime.to_rfc3339(), "2026-12-02T03:14:09+00:00");
    }
    for format in [None, Some(OffsiteFormat::S3ListObjectsV2)] {
        let l = parse_offsite(S3, format).unwrap();
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.entries[0].path, "epagal_20261201_041412.dump");
        assert_eq!(l.entries[0].size, 5967);
    }
    // An empty bucket: list-objects-v2 prints nothing; rclone prints `[` `]`.
    assert_eq!(parse_offsite("", None).unwrap(), Listing::default());
    assert_eq!(
        parse_offsite("", Some(OffsiteFormat::S3ListObjectsV2)).unwrap(),
        Listing::default()
    );
    assert_eq!(
        parse_offsite("", Some(OffsiteFormat::RcloneLsjson)),
        Err(ParseError::Empty)
    );
    assert!(parse_offsite("[\n]\n", None).unwrap().entries.is_empty());
    assert!(parse_offsite("{}", None).unwrap().entries.is_empty());
    // Wrong shapes and broken objects.
    assert!(matches!(
        parse_offsite(RCLONE, Some(OffsiteFormat::S3ListObjectsV2)),
        Err(ParseError::Shape { .. })
    ));
    assert!(matches!(
        parse_offsite("[", None),
        Err(ParseError::NotJson(_))
    ));
    let l = parse_offsite(
        r#"{"Contents": [{"Key": "a/b/c.dump", "Size": 1, "LastModified": "2026-01-01T00:00:00Z"},
           {"Key": "dir/", "Size": 0, "LastModified": "2026-01-01T00:00:00Z"},
           {"Key": "x.dump", "Size": -3, "LastModified": "2026-01-01T00:00:00Z"}, 7]}"#,
        None,
    )
    .unwrap();
    assert_eq!(l.entries.len(), 1);
    assert_eq!(l.entries[0].name, "c.dump");
    assert_eq!(l.skipped, 2);
    let dirs = parse_offsite(
        r#"[{"Path":"sub","Name":"sub","Size":-1,"IsDir":true}]"#,
        None,
    );
    assert_eq!(dirs.unwrap(), Listing::default());
}

#[test]
fn globs_match_like_find() {
    let cases = [
        ("mongodb-*.tar.gz", "mongodb-20261202_031409.tar.gz", true),
        ("mongodb-*.tar.gz", "mongodb-x.tar.gz.part", false),
        ("*", ".hidden", true),
        ("db_????????_??????.dump", "db_20261202_021412.dump", true),
        ("db_????????_??????.dump", "db_2026120_021412.dump", false),
        ("[!.]*", ".x", false),
        ("[a-c]x", "bx", true),
        ("[]]x", "]x", true),
        ("a\\*", "a*", true),
        ("a\\*", "ab", false),
        ("*.dump", "x.dump", true),
        ("**a*b", "xxaxxbxb", true),
        ("[unclosed", "[unclosed", true),
        ("", "", true),
        ("", "x", false),
    ];
    for (glob, name, want) in cases {
        assert_eq!(Glob::new(glob).matches(name), want, "{glob} ~ {name}");
    }
}
