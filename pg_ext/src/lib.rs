//! extguard PostgreSQL extension: records superuser escape attempts.
use pgrx::prelude::*;

pub mod wasm_lang;

::pgrx::pg_module_magic!(name, version);

/// Library load: registers settings. Creates no wasm engine and no thread
/// (that happens lazily in each backend).
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    wasm_lang::define_settings();
}

/// Version of the extension library, for `SELECT extguard.version()`.
#[pg_extern]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn version_is_crate_version() {
        let v = Spi::get_one::<String>("SELECT extguard.version()").unwrap();
        assert_eq!(v.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    }
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
