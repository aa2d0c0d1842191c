//! extguard PostgreSQL extension (skeleton until its issue).
