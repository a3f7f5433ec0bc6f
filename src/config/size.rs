//! Sizes written like `"8MiB"`, `"64KiB"` or a number of bytes, with where they were
//! written so that validation can point at one that is out of range.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Deserializer};

#[derive(Clone, PartialEq, Eq)]
pub struct ByteSize {
    bytes: u64,
    span: Range<usize>,
}

impl ByteSize {
    pub const fn kib(n: u64) -> Self {
        Self {
            bytes: n * 1024,
            span: 0..0,
        }
    }

    pub const fn mib(n: u64) -> Self {
        Self {
            bytes: n * 1024 * 1024,
            span: 0..0,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl fmt::Debug for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", show(self.bytes))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", show(self.bytes))
    }
}

/// `8MiB`, `64KiB`, `512B`: the largest unit that divides the size.
pub fn show(bytes: u64) -> String {
    for (unit, n) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= n && bytes.is_multiple_of(n) {
            return format!("{}{unit}", bytes / n);
        }
    }
    format!("{bytes}B")
}

/// `"64KiB"`, `"8 MiB"`, `"1GB"`, `"512"`: binary and decimal units, any case.
pub fn parse(raw: &str) -> Result<u64, String> {
    let t = raw.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        format!(
            "invalid size `{}` (write e.g. \"64KiB\", \"8MiB\")",
            super::error::echo(raw)
        )
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1_000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "invalid size unit `{}` (use B, KiB, MiB, GiB, KB, MB or GB)",
                super::error::echo(other)
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("size `{}` is too large", super::error::echo(raw)))
}

struct Written(u64);

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Written;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as \"64KiB\" or \"8MiB\", or a number of bytes")
            }
            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Written, E> {
                parse(raw).map(Written).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Written, E> {
                u64::try_from(n)
                    .map(Written)
                    .map_err(|_| E::custom(format!("a size cannot be negative ({n})")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Written, E> {
                Ok(Written(n))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<Written>::deserialize(d)?;
        let span = spanned.span();
        Ok(Self {
            bytes: spanned.into_inner().0,
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_every_spelling() {
        assert_eq!(parse("64KiB"), Ok(65_536));
        assert_eq!(parse("8 MiB"), Ok(8 << 20));
        assert_eq!(parse("1GB"), Ok(1_000_000_000));
        assert_eq!(parse("512"), Ok(512));
        assert!(parse("8 parsecs").unwrap_err().contains("unit"));
        assert!(
            parse("99999999999999GiB")
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(show(8 << 20), "8MiB");
        assert_eq!(show(1000), "1000B");
    }
}
