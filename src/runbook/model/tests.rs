use super::*;

#[test]
fn fill_is_one_pass_and_names_unknown_variables() {
    let vars = BTreeMap::from([
        ("a".to_owned(), "{{b}}".to_owned()),
        ("b".to_owned(), "x".to_owned()),
    ]);
    assert_eq!(fill("<{{a}}|{{ b }}>", &vars).unwrap(), "<{{b}}|x>");
    assert!(fill("{{c}}", &vars).unwrap_err().contains("`c`"));
    assert_eq!(placeholders("{{a}} and {{ b }}"), ["a", "b"]);
}
