//! A port as written in hosts.toml.

use serde::{Deserialize, Deserializer};

/// A port as written: a number (validated to 1–65535 with the rest of the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub i64);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Port;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a port number, 1 to 65535")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Port, E> {
                Ok(Port(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Port, E> {
                Ok(Port(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Port, E> {
                match v.trim().parse::<i64>() {
                    Ok(n) => Err(E::custom(format!(
                        "a port is a number: write port = {n}, without quotes"
                    ))),
                    Err(_) => Err(E::custom(format!(
                        "`{}` is not a port: a port is a number, 1 to 65535",
                        super::error::echo(v)
                    ))),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}
