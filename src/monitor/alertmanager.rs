//! Alertmanager's API v2: the alerts it holds (`GET /api/v2/alerts`), its silences
//! (`GET /api/v2/silences`), making one (`POST /api/v2/silences`) and expiring one
//! (`DELETE /api/v2/silence/{id}`). Every request has the configured time limit.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One alert as Alertmanager reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub fingerprint: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: Option<String>,
    pub status: AlertStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// `active`, `suppressed` (silenced or inhibited) or `unprocessed`.
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

impl Alert {
    /// `alertname`, or `(unnamed)`.
    pub fn name(&self) -> &str {
        self.labels
            .get("alertname")
            .map_or("(unnamed)", String::as_str)
    }

    pub fn severity(&self) -> Option<&str> {
        self.labels.get("severity").map(String::as_str)
    }

    /// What opsdeck calls its state: `firing`, `silenced`, `inhibited`, or `pending` (not
    /// yet processed by Alertmanager).
    pub fn state(&self) -> &'static str {
        if !self.status.silenced_by.is_empty() {
            "silenced"
        } else if !self.status.inhibited_by.is_empty() {
            "inhibited"
        } else if self.status.state == "unprocessed" {
            "pending"
        } else {
            "firing"
        }
    }

    /// Firing and neither silenced nor inhibited: what badges count.
    pub fn is_firing(&self) -> bool {
        self.state() == "firing"
    }
}

/// A silence as Alertmanager reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub id: String,
    pub status: SilenceStatus,
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

/// What `POST /api/v2/silences` takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSilence {
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

/// Matchers that select exactly the alert with these labels (every label, equal).
pub fn exact_matchers(labels: &BTreeMap<String, String>) -> Vec<Matcher> {
    labels
        .iter()
        .map(|(k, v)| Matcher {
            name: k.clone(),
            value: v.clone(),
            is_regex: false,
            is_equal: true,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmError {
    #[error("Alertmanager at {url} did not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Alertmanager at {url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("Alertmanager at {url} sent what is not its API's JSON: {reason}")]
    Decode { url: String, reason: String },
}

/// A client for one Alertmanager; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Alertmanager {
    base: String,
    client: reqwest::Client,
}

impl Alertmanager {
    pub fn new(base: &str, timeout: Duration) -> Result<Self, AmError> {
        let client = super::http::client(timeout).map_err(|e| AmError::Unreachable {
            url: base.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Every alert Alertmanager holds now (active, silenced and inhibited).
    pub async fn alerts(&self) -> Result<Vec<Alert>, AmError> {
        let url = format!("{}/api/v2/alerts", self.base);
        let text = self.send(self.client.get(&url), &url).await?;
        parse_alerts(&text).map_err(|reason| AmError::Decode { url, reason })
    }

    pub async fn silences(&self) -> Result<Vec<Silence>, AmError> {
        let url = format!("{}/api/v2/silences", self.base);
        let text = self.send(self.client.get(&url), &url).await?;
        parse_silences(&text).map_err(|reason| AmError::Decode { url, reason })
    }

    /// Makes a silence; its id.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<String, AmError> {
        let url = format!("{}/api/v2/silences", self.base);
        let text = self
            .send(self.client.post(&url).json(silence), &url)
            .await?;
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "silenceID")]
            silence_id: String,
        }
        serde_json::from_str::<Created>(&text)
            .map(|c| c.silence_id)
            .map_err(|e| AmError::Decode {
                url,
                reason: e.to_string(),
            })
    }

    pub async fn expire_silence(&self, id: &str) -> Result<(), AmError> {
        let url = format!("{}/api/v2/silence/{}", self.base, urlencode(id));
        self.send(self.client.delete(&url), &url).await.map(drop)
    }

    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Result<String, AmError> {
        let unreachable = |e: reqwest::Error| AmError::Unreachable {
            url: url.to_owned(),
            reason: super::http::reason(&e),
        };
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let text = resp.text().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(AmError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                body: text.trim().chars().take(200).collect(),
            });
        }
        Ok(text)
    }
}

/// Silence ids are UUIDs; anything else is escaped rather than trusted in a path.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn parse_alerts(text: &str) -> Result<Vec<Alert>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

pub fn parse_silences(text: &str) -> Result<Vec<Silence>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
