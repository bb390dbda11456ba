/**
 * @packageDocumentation
 * The Node-only part of `@tokenscope/api-attribution`: the on-disk response cache. This entry point
 * only exports.
 */
export { createDiskCache, type DiskCache } from "./cache/disk-cache.ts";
