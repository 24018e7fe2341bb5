/**
 * Which MCP eras the sidecar serves. The 2025 versions (initialize, sessions on HTTP) are always served; the
 * 2026-07-28 revision (server/discover, a protocol version in every request's `_meta`) only once this switch is
 * on, because a client told it is spoken relies on every part of it. While off, every request is served as a
 * 2025 one and 2026-07-28 is never advertised.
 */
export const MODERN_ERA_ENABLED = true;

/** `legacy`: the 2025 versions; `modern`: 2026-07-28 and later. */
export type Era = 'legacy' | 'modern';
