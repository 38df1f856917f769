//! skytale-note (placeholder, being written).
