//! Session settings the CRM functions read: the language of the names they return and a fixed
//! "now" for period presets. Both can be set in SQL, e.g. `SET crmsql.lang = 'en'`.

use std::any::Any;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion::common::{Result, config_err};

/// Settings under the `crmsql.` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmOptions {
    /// Language of the segment names that functions return: `ru` or `en`.
    pub lang: String,
    /// The current time for period presets, as `YYYY-MM-DD HH:MM:SS` in the account's zone;
    /// empty means the time the query starts. Reports and tests set it to get repeatable
    /// periods.
    pub now: String,
}

impl Default for CrmOptions {
    fn default() -> Self {
        CrmOptions {
            lang: "ru".to_owned(),
            now: String::new(),
        }
    }
}

impl ConfigExtension for CrmOptions {
    const PREFIX: &'static str = "crmsql";
}

// Written out rather than with `extensions_options!`, whose entries leave out the prefix: a
// Ballista client sends every entry to the cluster by its key, and the nodes set each key whole,
// so `lang` without `crmsql.` would be dropped there.
impl ExtensionOptions for CrmOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        // A key arrives without the prefix from `SET crmsql.lang`, and with it from a client's
        // entries.
        let key = key.strip_prefix("crmsql.").unwrap_or(key);
        match key {
            "lang" => self.lang = value.to_owned(),
            "now" => self.now = value.to_owned(),
            _ => {
                return config_err!("crmsql has no setting '{key}'; its settings are lang and now");
            }
        }
        Ok(())
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        vec![
            ConfigEntry {
                key: "crmsql.lang".to_owned(),
                value: Some(self.lang.clone()),
                description: "Language of the segment names that functions return: ru or en",
            },
            ConfigEntry {
                key: "crmsql.now".to_owned(),
                value: Some(self.now.clone()),
                description: "The current time for period presets, YYYY-MM-DD HH:MM:SS in the account's zone; empty for the time the query starts",
            },
        ]
    }
}

impl CrmOptions {
    /// Returns the settings of a session, or the defaults when the session did not register them.
    pub fn of(config: &ConfigOptions) -> CrmOptions {
        config
            .extensions
            .get::<CrmOptions>()
            .cloned()
            .unwrap_or_default()
    }

    /// Whether names should be English.
    pub fn english(&self) -> bool {
        self.lang.eq_ignore_ascii_case("en")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_the_prefix() {
        let mut config = ConfigOptions::new();
        config.extensions.insert(CrmOptions::default());
        config.set("crmsql.lang", "en").expect("a known setting");
        let entries = config.entries();
        let lang = entries.iter().find(|e| e.key == "crmsql.lang");
        assert_eq!(lang.and_then(|e| e.value.clone()), Some("en".to_owned()));

        // Every entry sets back as it was sent, as a cluster node applies them.
        let mut node = ConfigOptions::new();
        node.extensions.insert(CrmOptions::default());
        for entry in entries.iter().filter(|e| e.key.starts_with("crmsql.")) {
            node.set(&entry.key, entry.value.as_deref().unwrap_or_default())
                .expect("set");
        }
        assert!(CrmOptions::of(&node).english());
        assert!(config.set("crmsql.colour", "red").is_err());
    }
}
