//! The suites against the in-memory backends.

use std::sync::Arc;

use state_store::{InMemory, ObjectCursorStore};

use crate::support::{CursorFixture, ObjectFixture};

async fn objects() -> ObjectFixture {
    ObjectFixture {
        store: Arc::new(InMemory::new()),
        _keep: Box::new(()),
    }
}

async fn cursors() -> CursorFixture {
    CursorFixture {
        store: Arc::new(ObjectCursorStore::in_memory()),
        _keep: Box::new(()),
    }
}

mod object {
    crate::object_store_conformance!(super::objects());
}

mod cursor {
    crate::cursor_store_conformance!(super::cursors());
}

mod lease {
    crate::lease_conformance!(super::objects());
}
