//! skytale-formats (placeholder, being written).
