//! Bodies in the shapes Prometheus 2.x answers with (from its HTTP API documentation).

use super::*;

#[test]
fn a_vector_with_labels_and_special_values() {
    let body = br#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},"value":[1435781451.781,"1"]},
        {"metric":{"__name__":"up","job":"node","instance":"localhost:9100"},"value":[1435781451.781,"0"]},
        {"metric":{"instance":"a"},"value":[1435781451.781,"NaN"]},
        {"metric":{"instance":"b"},"value":[1435781451.781,"+Inf"]}]}}"#;
    let QueryResult::Vector(v) = parse_response(body).unwrap() else {
        panic!("not a vector")
    };
    assert_eq!(v.len(), 4);
    assert_eq!(v[0].labels["instance"], "localhost:9090");
    assert_eq!(v[0].value, 1.0);
    assert_eq!(v[1].value, 0.0);
    assert_eq!(v[0].at.timestamp_millis(), 1_435_781_451_781);
    assert!(v[2].value.is_nan());
    assert_eq!(v[3].value, f64::INFINITY);
}

#[test]
fn a_matrix_of_two_series() {
    let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},
         "values":[[1435781430.781,"1"],[1435781445.781,"1"],[1435781460.781,"1"]]},
        {"metric":{"__name__":"up","job":"node","instance":"localhost:9091"},
         "values":[[1435781430.781,"0"],[1435781445.781,"0"],[1435781460.781,"1"]]}]}}"#;
    let QueryResult::Matrix(m) = parse_response(body).unwrap() else {
        panic!("not a matrix")
    };
    assert_eq!(m.len(), 2);
    assert_eq!(m[1].points.len(), 3);
    assert_eq!(m[1].points[2].1, 1.0);
    let last = QueryResult::Matrix(m).into_samples();
    assert_eq!(last[1].value, 1.0);
    assert_eq!(last[1].at.timestamp(), 1_435_781_460);
}

#[test]
fn a_scalar_and_a_string() {
    let s = parse_response(
        br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.25"]}}"#,
    )
    .unwrap();
    assert_eq!(s.clone().into_samples()[0].value, 0.25);
    assert!(matches!(s, QueryResult::Scalar(_, v) if v == 0.25));
    let t = parse_response(
        br#"{"status":"success","data":{"resultType":"string","result":[1700000000,"hello"]}}"#,
    )
    .unwrap();
    assert!(matches!(t, QueryResult::String(_, ref v) if v == "hello"));
}

#[test]
fn an_empty_vector_is_no_samples() {
    let r = parse_response(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
        .unwrap();
    assert!(r.into_samples().is_empty());
}

#[test]
fn errors_are_named() {
    let e = parse_response(
        br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Prometheus refused the query (bad_data): 1:5: parse error: unexpected end of input"
    );
    assert!(matches!(
        parse_response(b"<html>502 Bad Gateway</html>"),
        Err(PromError::Parse(_))
    ));
    assert!(matches!(
        parse_response(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}"#),
        Err(PromError::Parse(m)) if m.contains("`x`")
    ));
}
