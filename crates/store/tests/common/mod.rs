//! Every store test runs on both backends: SQLite in a temporary directory and PostgreSQL in
//! a schema of its own (skipped, with a message, where no PostgreSQL is reachable and
//! `SKYTALE_REQUIRE_POSTGRES` is not set).

#![allow(dead_code)]

use skytale_store::pg::ScratchSchema;
use skytale_store::{Location, Store};

/// A store under test with what keeps it alive (its directory, its schema).
pub struct Backend {
    pub store: Store,
    pub name: &'static str,
    pub dir: tempfile::TempDir,
    pub schema: Option<ScratchSchema>,
}

impl Backend {
    /// Another store on the same database (as a second node would open it), with a data
    /// directory of its own.
    pub fn second_node(&self) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let location = match &self.schema {
            Some(s) => s.location(),
            None => Location::Sqlite,
        };
        let path = match &self.schema {
            Some(_) => dir.path().to_path_buf(),
            None => self.dir.path().to_path_buf(),
        };
        (Store::open_at(&path, &location).unwrap(), dir)
    }
}

/// The SQLite store, then the PostgreSQL one if there is a server; `test` names the schema.
pub fn backends(test: &str) -> Vec<Backend> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    out.push(Backend {
        store: Store::open(dir.path()).unwrap(),
        name: "sqlite",
        dir,
        schema: None,
    });
    if let Some(schema) = ScratchSchema::for_test(&format!("store_{test}")) {
        let dir = tempfile::tempdir().unwrap();
        out.push(Backend {
            store: Store::open_at(dir.path(), &schema.location()).unwrap(),
            name: "postgres",
            dir,
            schema: Some(schema),
        });
    }
    out
}
