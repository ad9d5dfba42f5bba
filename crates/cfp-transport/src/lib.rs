//! HTTP behind a trait: not built yet (see the transport/api issue).
