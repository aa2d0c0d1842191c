//! extguard-analyzer: static analysis of PostgreSQL extension SQL.
