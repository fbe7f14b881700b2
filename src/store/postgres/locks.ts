/**
 * Advisory lock keys, fixed for the life of the schema ("poolmigr", "poolfeed", "poolkeys" and "poolprun" in ASCII).
 * Advisory locks are per database, so several poolgate databases on one server do not meet.
 * All in this one file, so that no two can collide.
 */
export const MIGRATION_LOCK_KEY = "8101816766145587058";
export const FEED_LOCK_KEY = "8099551754811500389";
/** "poolkeys": serialises key rotations, so each sees the keys the others committed. */
export const KEYS_LOCK_KEY = "8101816766111775091";
/** "poolprun": one prune at a time across instances. */
export const PRUNE_LOCK_KEY = "8101816766196512110";
