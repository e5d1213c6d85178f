//! Persisted links.
