use super::*;

fn rule(threshold: f64, bad: Bad, hold: u64) -> Rule {
    Rule {
        name: "error_rate".into(),
        expr: "x".into(),
        scale: 100.0,
        threshold,
        bad,
        hold: Duration::from_secs(hold),
        every: Duration::from_secs(5),
        unit: "%".into(),
    }
}

fn at(s: u64, r: Reading) -> (Duration, Reading) {
    (Duration::from_secs(s), r)
}

#[test]
fn holds_until_the_window_has_passed_then_passes() {
    let r = rule(1.0, Bad::Above, 30);
    let mut seen = vec![at(0, Reading::Value(0.2)), at(5, Reading::Value(0.9))];
    assert_eq!(decide(&r, &seen), Verdict::Holding);
    seen.push(at(30, Reading::Value(0.5)));
    assert_eq!(
        decide(&r, &seen),
        Verdict::Passed("error_rate held ≤ 1% for 30s (3 readings, worst 0.9%)".into())
    );
}

#[test]
fn one_bad_reading_fails_at_once() {
    let r = rule(1.0, Bad::Above, 30);
    let seen = vec![at(0, Reading::Value(0.2)), at(5, Reading::Value(2.5))];
    assert_eq!(
        decide(&r, &seen),
        Verdict::Failed("error_rate = 2.5% > 1% after 5s".into())
    );
}

#[test]
fn the_threshold_itself_is_fine_and_below_works() {
    let r = rule(1.0, Bad::Above, 0);
    assert!(matches!(
        decide(&r, &[at(0, Reading::Value(1.0))]),
        Verdict::Passed(_)
    ));
    let r = rule(10.0, Bad::Below, 0);
    assert!(matches!(
        decide(&r, &[at(0, Reading::Value(9.0))]),
        Verdict::Failed(_)
    ));
    assert!(matches!(
        decide(&r, &[at(0, Reading::Value(11.0))]),
        Verdict::Passed(_)
    ));
}

#[test]
fn no_data_throughout_fails_and_an_error_fails() {
    let r = rule(1.0, Bad::Above, 10);
    let seen = vec![at(0, Reading::NoData), at(10, Reading::NoData)];
    assert!(matches!(decide(&r, &seen), Verdict::Failed(m) if m.contains("no data")));
    let seen = vec![at(0, Reading::NoData), at(10, Reading::Value(0.1))];
    assert!(matches!(decide(&r, &seen), Verdict::Passed(_)));
    let seen = vec![at(0, Reading::Error("cannot reach Prometheus".into()))];
    assert_eq!(
        decide(&r, &seen),
        Verdict::Failed("error_rate could not be read: cannot reach Prometheus".into())
    );
}
