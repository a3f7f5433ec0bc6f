//! Services' PromQL values (`[[hosts.services.promql]]`): read once per refresh — each
//! distinct expression once, however many services show it — and judged against their
//! warn/fail thresholds.

use std::collections::{BTreeMap, HashMap};

use super::prometheus::{PromClient, Sample};
use crate::config::Config;
use crate::config::monitoring::{Bad, ServicePromql};
use crate::model::{Health, HostId, ServiceId};

/// One value a service shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueSpec {
    pub service: ServiceId,
    pub name: String,
    pub expr: String,
    pub scale: f64,
    pub labels: BTreeMap<String, String>,
    pub unit: String,
    pub warn: Option<f64>,
    pub fail: Option<f64>,
    pub bad: Bad,
}

impl ValueSpec {
    pub fn of(service: ServiceId, q: &ServicePromql) -> Self {
        ValueSpec {
            service,
            name: q.name.get_ref().clone(),
            expr: q.expr.get_ref().clone(),
            scale: q.scale.unwrap_or(1.0),
            labels: q.labels.clone(),
            unit: q
                .unit
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_default(),
            warn: q.warn.as_ref().map(|w| *w.get_ref()),
            fail: q.fail.as_ref().map(|f| *f.get_ref()),
            bad: q.bad,
        }
    }

    /// Every service value of the config, host by host.
    pub fn all(config: &Config) -> Vec<ValueSpec> {
        let mut out = Vec::new();
        for h in &config.file.hosts {
            let host = HostId::new(h.name.get_ref());
            for s in &h.services {
                let id = ServiceId::new(&host, s.name.get_ref());
                out.extend(s.promql.iter().map(|q| ValueSpec::of(id.clone(), q)));
            }
        }
        out
    }

    /// Healthy, warning or failing by the thresholds; a value with no thresholds is healthy.
    pub fn health(&self, value: f64) -> Health {
        if self.fail.is_some_and(|f| self.bad.crossed(value, f)) {
            Health::Failing
        } else if self.warn.is_some_and(|w| self.bad.crossed(value, w)) {
            Health::Warning
        } else {
            Health::Healthy
        }
    }

    /// The series this value reads from an answer: the one whose labels match, or the
    /// first; `None` when there is none or it is NaN (no traffic).
    pub fn pick(&self, samples: &[Sample]) -> Option<f64> {
        samples
            .iter()
            .find(|s| self.labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| s.value * self.scale)
            .filter(|v| !v.is_nan())
    }
}

/// Every distinct expression of `specs` queried once, at the same time; the answer of
/// each spec in order (`Err`: the query failed; `Ok(None)`: no data). Series are found
/// through an index of the label values the specs select by, so 5,000 services reading one
/// expression cost one pass over its answer, not 5,000.
pub async fn fetch(client: &PromClient, specs: &[ValueSpec]) -> Vec<Result<Option<f64>, String>> {
    let mut distinct: Vec<&str> = specs.iter().map(|s| s.expr.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let answers = futures::future::join_all(distinct.iter().map(|e| client.query(e, None))).await;
    let by_expr: HashMap<&str, Result<Vec<Sample>, String>> = distinct
        .into_iter()
        .zip(answers)
        .map(|(e, a)| (e, a.map(|r| r.into_samples()).map_err(|e| e.to_string())))
        .collect();
    let mut indexes: HashMap<(&str, Vec<&str>), Index<'_>> = HashMap::new();
    specs
        .iter()
        .map(|s| {
            let samples = by_expr[s.expr.as_str()].as_ref().map_err(Clone::clone)?;
            let keys: Vec<&str> = s.labels.keys().map(String::as_str).collect();
            let index = indexes
                .entry((s.expr.as_str(), keys.clone()))
                .or_insert_with(|| index_of(samples, &keys));
            let want: Vec<&str> = s.labels.values().map(String::as_str).collect();
            Ok(index
                .get(&want)
                .map(|v| v * s.scale)
                .filter(|v| !v.is_nan()))
        })
        .collect()
}

/// The first sample's value for each combination of the values of some labels.
type Index<'a> = HashMap<Vec<&'a str>, f64>;

fn index_of<'a>(samples: &'a [Sample], keys: &[&str]) -> Index<'a> {
    let mut index = HashMap::with_capacity(samples.len());
    for s in samples {
        let values: Option<Vec<&str>> = keys
            .iter()
            .map(|k| s.labels.get(*k).map(String::as_str))
            .collect();
        if let Some(v) = values {
            index.entry(v).or_insert(s.value);
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn spec(warn: Option<f64>, fail: Option<f64>, bad: Bad) -> ValueSpec {
        ValueSpec {
            service: ServiceId::new(&HostId::new("h"), "s"),
            name: "p95".into(),
            expr: "x".into(),
            scale: 1000.0,
            labels: [("service".to_owned(), "api".to_owned())].into(),
            unit: "ms".into(),
            warn,
            fail,
            bad,
        }
    }

    fn sample(service: &str, value: f64) -> Sample {
        Sample {
            labels: [("service".to_owned(), service.to_owned())].into(),
            at: Utc::now(),
            value,
        }
    }

    #[test]
    fn thresholds_judge_the_value() {
        let s = spec(Some(200.0), Some(300.0), Bad::Above);
        assert_eq!(s.health(150.0), Health::Healthy);
        assert_eq!(s.health(250.0), Health::Warning);
        assert_eq!(s.health(300.0), Health::Warning);
        assert_eq!(s.health(301.0), Health::Failing);
        let low = spec(Some(10.0), Some(5.0), Bad::Below);
        assert_eq!(low.health(4.0), Health::Failing);
        assert_eq!(low.health(7.0), Health::Warning);
        assert_eq!(spec(None, None, Bad::Above).health(1e9), Health::Healthy);
    }

    #[test]
    fn the_matching_series_is_picked_and_scaled() {
        let s = spec(None, None, Bad::Above);
        let answer = [sample("web", 0.5), sample("api", 0.25)];
        assert_eq!(s.pick(&answer), Some(250.0));
        assert_eq!(s.pick(&[sample("web", 0.5)]), None);
        assert_eq!(s.pick(&[sample("api", f64::NAN)]), None);
    }
}
