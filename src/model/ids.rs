//! Newtype ids: a host name, and a service as `host/service`.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct HostId(Arc<str>);

impl HostId {
    pub fn new(name: &str) -> Self {
        Self(name.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ServiceId {
    pub host: HostId,
    pub name: Arc<str>,
}

impl ServiceId {
    pub fn new(host: &HostId, name: &str) -> Self {
        Self {
            host: host.clone(),
            name: name.into(),
        }
    }

    /// `HOST/SERVICE` as the command line and the palette write it.
    pub fn parse(reference: &str) -> Option<Self> {
        let (host, name) = reference.split_once('/')?;
        (!host.is_empty() && !name.is_empty() && !name.contains('/'))
            .then(|| Self::new(&HostId::new(host), name))
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.name)
    }
}
