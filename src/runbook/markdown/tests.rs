use super::*;

#[test]
fn attributes_keep_placeholders_and_quotes() {
    let (lang, a) = attributes("bash {host={{h}} name=\"check mongo\" auto}").unwrap();
    assert_eq!(lang, "bash");
    assert_eq!(
        a,
        [
            ("host".to_owned(), "{{h}}".to_owned()),
            ("name".into(), "check mongo".into()),
            ("auto".into(), "true".into())
        ]
    );
}
