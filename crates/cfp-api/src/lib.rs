//! Typed client: not built yet (see the transport/api issue).
