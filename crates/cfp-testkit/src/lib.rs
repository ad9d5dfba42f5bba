//! Simulator: not built yet (see the testkit issue).
