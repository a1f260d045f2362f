//! The engine at run time: configuration → passwords → the `voicelamp-net` driver → the lamp
//! model → [`crate::EngineEvent`]s, shared by the desktop app and the CLI.
