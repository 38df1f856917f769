//! skytale-render (placeholder, being written).
