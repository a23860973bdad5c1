//! Session settings the CRM functions read: the language of the names they return and a fixed
//! "now" for period presets. Both can be set in SQL, e.g. `SET crmsql.lang = 'en'`.

use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::extensions_options;

extensions_options! {
    /// Settings under the `crmsql.` prefix.
    pub struct CrmOptions {
        /// Language of the segment names that functions return: `ru` or `en`.
        pub lang: String, default = "ru".to_owned()
        /// The current time for period presets, as `YYYY-MM-DD HH:MM:SS` in the account's zone;
        /// empty means the time the query starts. Reports and tests set it to get repeatable
        /// periods.
        pub now: String, default = String::new()
    }
}

impl ConfigExtension for CrmOptions {
    const PREFIX: &'static str = "crmsql";
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
