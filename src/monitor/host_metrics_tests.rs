use super::*;
use crate::monitor::prometheus::parse_response;

fn vector(series: &str) -> QueryResult {
    parse_response(
        format!(r#"{{"status":"success","data":{{"resultType":"vector","result":[{series}]}}}}"#)
            .as_bytes(),
    )
    .unwrap()
}

#[test]
fn answers_are_split_by_instance() {
    let cpu = vector(
        r#"{"metric":{"instance":"10.0.0.1:9100","cpu":"0"},"value":[1700000000,"0.25"]},
           {"metric":{"instance":"10.0.0.1:9100","cpu":"1"},"value":[1700000000,"0.75"]},
           {"metric":{"instance":"10.0.0.2:9100","cpu":"0"},"value":[1700000000,"0.1"]},
           {"metric":{"instance":"other:9100","cpu":"0"},"value":[1700000000,"1"]}"#,
    );
    let mem = vector(
        r#"{"metric":{"__name__":"node_memory_MemTotal_bytes","instance":"10.0.0.1:9100"},"value":[1700000000,"1000"]},
           {"metric":{"__name__":"node_memory_MemAvailable_bytes","instance":"10.0.0.1:9100"},"value":[1700000000,"400"]},
           {"metric":{"__name__":"node_memory_SwapTotal_bytes","instance":"10.0.0.1:9100"},"value":[1700000000,"100"]},
           {"metric":{"__name__":"node_memory_SwapFree_bytes","instance":"10.0.0.1:9100"},"value":[1700000000,"100"]}"#,
    );
    let load = vector(
        r#"{"metric":{"__name__":"node_load1","instance":"10.0.0.1:9100"},"value":[1700000000,"0.5"]},
           {"metric":{"__name__":"node_load15","instance":"10.0.0.1:9100"},"value":[1700000000,"1.5"]}"#,
    );
    let uptime = vector(r#"{"metric":{"instance":"10.0.0.1:9100"},"value":[1700000000,"3600.5"]}"#);
    let disks = vector(
        r#"{"metric":{"__name__":"node_filesystem_size_bytes","instance":"10.0.0.1:9100","device":"/dev/sda1","mountpoint":"/","fstype":"ext4"},"value":[1700000000,"2000"]},
           {"metric":{"__name__":"node_filesystem_free_bytes","instance":"10.0.0.1:9100","device":"/dev/sda1","mountpoint":"/","fstype":"ext4"},"value":[1700000000,"500"]},
           {"metric":{"__name__":"node_filesystem_size_bytes","instance":"10.0.0.1:9100","device":"/dev/sda1","mountpoint":"/var/lib/bind","fstype":"ext4"},"value":[1700000000,"2000"]}"#,
    );
    let instances: HashMap<String, &str> = [("10.0.0.1:9100", "a"), ("10.0.0.2:9100", "b")]
        .into_iter()
        .map(|(i, k)| (i.to_owned(), k))
        .collect();
    let out = split([cpu, mem, load, uptime, disks], "instance", &instances);
    assert_eq!(out.len(), 2, "the unknown instance is left out");
    let a = &out["a"];
    assert_eq!(a.cpu_cores, vec![25.0, 75.0]);
    assert_eq!(a.cpu_total, Some(50.0));
    assert_eq!(a.mem_total_bytes, 1000);
    assert_eq!(a.mem_used_bytes, 600);
    assert_eq!(a.swap_used_bytes, 0);
    assert_eq!(a.load, [0.5, 0.0, 1.5]);
    assert_eq!(a.uptime, Duration::from_secs_f64(3600.5));
    assert_eq!(
        a.disks.len(),
        1,
        "a bind mount of the same device is one disk"
    );
    assert_eq!(a.disks[0].mount, "/");
    assert_eq!(a.disks[0].used_bytes, 1500);
    let b = &out["b"];
    assert_eq!(b.cpu_total, Some(10.0));
    assert_eq!(b.mem_total_bytes, 0);
}

#[test]
fn one_query_per_metric_names_the_label() {
    let q = queries("host", Duration::from_secs(60));
    assert!(q[0].contains("by (host, cpu)"));
    assert!(q[0].contains("[60s]"));
    assert_eq!(q.len(), 5);
}

#[test]
fn instances_default_to_the_address_and_node_exporters_port() {
    assert_eq!(
        default_instance(None, Some("10.77.0.13"), "p"),
        "10.77.0.13:9100"
    );
    assert_eq!(
        default_instance(None, Some("https://api.example:8443/x"), "p"),
        "api.example:9100"
    );
    assert_eq!(default_instance(None, None, "box"), "box:9100");
    assert_eq!(
        default_instance(Some("scale-001:9100"), Some("x"), "p"),
        "scale-001:9100"
    );
}
