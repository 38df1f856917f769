//! skytale-server (placeholder, being written).
