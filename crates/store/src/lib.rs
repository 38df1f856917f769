//! skytale-store (placeholder, being written).
