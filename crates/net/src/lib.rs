//! `voicelamp-net` drives the sans-IO user agent of `voicelamp-sip` on tokio: it owns the UDP, TCP and
//! TLS sockets (one task per transport, not per account), RFC 3263 DNS resolution, reconnects with
//! backoff and keepalives, and is the only place that reads the clock for SIP.
//!
//! It must never interpret SIP itself (parsing, state and policy belong to `voicelamp-sip` and
//! `voicelamp-core`), and it never disables TLS certificate verification unless an account opts out.
