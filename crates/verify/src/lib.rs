//! skytale-verify (placeholder, being written).
