//! Levels and policy versions, parsed and compared as upstream does.

use std::fmt;

/// The newest policy version this implementation knows (upstream v0.37.2: v1.37). `latest`
/// and any newer version evaluate as this one.
pub const MAX_MINOR: u32 = 37;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// Exactly `privileged`, `baseline` or `restricted`.
    pub fn parse(s: &str) -> Result<Level, String> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err("must be one of privileged, baseline, restricted".to_string()),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy version: `latest` or `v1.<minor>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    Latest,
    V1(u32),
}

impl Version {
    /// Exactly `latest` or `v1.N` with no leading zeros (`^v1\.([0-9]|[1-9][0-9]*)$`).
    pub fn parse(s: &str) -> Result<Version, String> {
        const ERR: &str = r#"must be "latest" or "v1.x""#;
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let minor = s.strip_prefix("v1.").ok_or(ERR)?;
        let valid = !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'));
        if !valid {
            return Err(ERR.to_string());
        }
        // Go's Atoi fails on overflow; upstream then reports the same error.
        minor
            .parse::<i64>()
            .ok()
            .and_then(|m| u32::try_from(m).ok())
            .map(Version::V1)
            .ok_or_else(|| ERR.to_string())
    }

    /// The minor version checks run at: `latest` and anything newer than [`MAX_MINOR`] clamp
    /// to it.
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Latest => MAX_MINOR,
            Version::V1(m) => m.min(MAX_MINOR),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::V1(m) => write!(f, "v1.{m}"),
        }
    }
}

/// A level at a version, printed as upstream does (`restricted:latest`, `baseline:v1.23`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub const fn new(level: Level, version: Version) -> Self {
        LevelVersion { level, version }
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_upstream() {
        assert_eq!(Version::parse("latest"), Ok(Version::Latest));
        assert_eq!(Version::parse("v1.0"), Ok(Version::V1(0)));
        assert_eq!(Version::parse("v1.25"), Ok(Version::V1(25)));
        for bad in [
            "1.25",
            "v1.025",
            "v1.25.0",
            "v2.0",
            "V1.25",
            "v1.",
            "v1.-1",
            "v1.99999999999999999999",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Version::V1(99).effective_minor(), MAX_MINOR);
        assert_eq!(Version::V1(30).effective_minor(), 30);
    }

    #[test]
    fn levels_are_case_sensitive() {
        assert!(Level::parse("Restricted").is_err());
        assert_eq!(Level::parse("baseline"), Ok(Level::Baseline));
    }
}
