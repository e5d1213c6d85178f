//! One running link.
