//! Which checks to run: by host, tag, service, or a named smoke suite.

use super::CheckSpec;
use crate::config::Config;
use crate::model::CheckId;

/// Filters that all apply (a check must pass each one given); within one filter any of
/// the values matches. Nothing given selects every check.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub hosts: Vec<String>,
    pub tags: Vec<String>,
    /// `host/service`.
    pub services: Vec<String>,
    pub suite: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("unknown host `{0}`")]
    UnknownHost(String),
    #[error("unknown service `{0}` (write host/service)")]
    UnknownService(String),
    #[error("unknown suite `{name}` (suites: {known})")]
    UnknownSuite { name: String, known: String },
    #[error("no check matches the selection")]
    Empty,
}

/// The checks of a `[[suites]]` entry, in the suite's order.
pub fn suite(config: &Config, name: &str) -> Result<Vec<CheckSpec>, SelectError> {
    let Some(suite) = config.file.suites.iter().find(|s| s.name.get_ref() == name) else {
        let known: Vec<&str> = config
            .file
            .suites
            .iter()
            .map(|s| s.name.get_ref().as_str())
            .collect();
        return Err(SelectError::UnknownSuite {
            name: name.to_owned(),
            known: if known.is_empty() {
                "none configured".into()
            } else {
                known.join(", ")
            },
        });
    };
    // References were validated at load.
    Ok(suite
        .checks
        .iter()
        .filter_map(|r| CheckSpec::find(config, &CheckId::parse(r.get_ref())?))
        .collect())
}

pub fn select(config: &Config, sel: &Selection) -> Result<Vec<CheckSpec>, SelectError> {
    for h in &sel.hosts {
        if config.find_host(&crate::model::HostId::new(h)).is_none() {
            return Err(SelectError::UnknownHost(h.clone()));
        }
    }
    for s in &sel.services {
        let known = s.split_once('/').is_some_and(|(h, n)| {
            config
                .find_service(&crate::model::ServiceId::new(
                    &crate::model::HostId::new(h),
                    n,
                ))
                .is_some()
        });
        if !known {
            return Err(SelectError::UnknownService(s.clone()));
        }
    }
    let candidates = match &sel.suite {
        Some(name) => suite(config, name)?,
        None => CheckSpec::all(config),
    };
    let chosen: Vec<CheckSpec> = candidates
        .into_iter()
        .filter(|c| {
            let host = c.id.host().as_str();
            let tags_ok = sel.tags.is_empty()
                || config
                    .find_host(c.id.host())
                    .is_some_and(|h| h.tags.iter().any(|t| sel.tags.contains(t.get_ref())));
            (sel.hosts.is_empty() || sel.hosts.iter().any(|h| h == host))
                && tags_ok
                && (sel.services.is_empty()
                    || sel.services.iter().any(|s| *s == c.id.service.to_string()))
        })
        .collect();
    if chosen.is_empty() {
        return Err(SelectError::Empty);
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(r: Result<Vec<CheckSpec>, SelectError>) -> Vec<String> {
        r.unwrap().iter().map(|c| c.id.to_string()).collect()
    }

    #[test]
    fn filters_combine() {
        let config = crate::fixture::config();
        let all = ids(select(&config, &Selection::default()));
        assert!(all.len() > 3, "{all:?}");
        let gamelera = ids(select(
            &config,
            &Selection {
                hosts: vec!["gamelera".into()],
                ..Default::default()
            },
        ));
        assert!(gamelera.iter().all(|c| c.starts_with("gamelera/")));
        assert!(!gamelera.is_empty());
        assert_eq!(
            select(
                &config,
                &Selection {
                    hosts: vec!["nope".into()],
                    ..Default::default()
                }
            )
            .unwrap_err(),
            SelectError::UnknownHost("nope".into())
        );
        assert!(matches!(
            select(
                &config,
                &Selection {
                    suite: Some("nope".into()),
                    ..Default::default()
                }
            ),
            Err(SelectError::UnknownSuite { .. })
        ));
    }
}
