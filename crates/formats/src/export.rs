//! Exports (todo).
