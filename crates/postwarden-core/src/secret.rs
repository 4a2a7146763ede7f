//! A secret value (password, API key, database URL with credentials) that never prints.
//!
//! In the configuration a secret is written inline (`"s3cret"`), taken from the environment
//! (`{ env = "POSTWARDEN_DB_URL" }`) or read from a file (`{ file = "/run/secrets/db" }`,
//! trailing newline removed). `Debug` and `Display` always print `[redacted]`.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A value that must not appear in logs. Use [`Secret::expose`] at the single place that needs it.
#[derive(Clone)]
pub struct Secret {
    value: String,
    /// Written in the configuration file itself (not taken from the environment or a file).
    inline: bool,
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            inline: false,
        }
    }

    /// The secret itself; call only where it is handed to the party that needs it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the configuration file holds the value itself, so that the file must be
    /// readable by its owner only.
    pub fn is_inline(&self) -> bool {
        self.inline
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum SecretSource {
    Inline(String),
    Env { env: String },
    File { file: String },
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match SecretSource::deserialize(deserializer)? {
            SecretSource::Inline(value) => Ok(Secret {
                value,
                inline: true,
            }),
            SecretSource::Env { env } => std::env::var(&env).map(Secret::new).map_err(|_| {
                D::Error::custom(format!(
                    "environment variable `{env}` is not set (or not UTF-8)"
                ))
            }),
            SecretSource::File { file } => std::fs::read_to_string(&file)
                .map(|s| Secret::new(s.trim_end_matches(['\r', '\n'])))
                .map_err(|e| D::Error::custom(format!("cannot read secret file `{file}`: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Holder {
        password: Secret,
    }

    #[test]
    fn debug_never_shows_the_value() {
        let h: Holder = toml::from_str(r#"password = "hunter2""#).unwrap();
        assert_eq!(h.password.expose(), "hunter2");
        assert!(!format!("{h:?}").contains("hunter2"));
        assert!(!format!("{}", h.password).contains("hunter2"));
    }

    #[test]
    fn reads_from_file_without_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("pw-secret-{}", std::process::id()));
        std::fs::write(&dir, "from-file\n").unwrap();
        let text = format!("password = {{ file = {:?} }}", dir.display().to_string());
        let h: Holder = toml::from_str(&text).unwrap();
        assert_eq!(h.password.expose(), "from-file");
        std::fs::remove_file(dir).unwrap();
    }

    #[test]
    fn missing_env_names_the_variable() {
        let err = toml::from_str::<Holder>(r#"password = { env = "PW_TEST_SURELY_UNSET_VAR" }"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("PW_TEST_SURELY_UNSET_VAR"), "{err}");
    }
}
