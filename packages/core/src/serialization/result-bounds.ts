/**
 * How far a gzipped result may expand by default: saved results compress 2–10 times (measured: 2.0x
 * with `--aggregate none`, 2.7x aggregated), decompression bombs a thousand times, so past 32 MiB
 * of text, output more than 50 times the compressed size is refused as a bomb. The floor keeps
 * small, very repetitive results readable. Shared by `loadResult` (Node, streaming from disk) and
 * `parseResult` (bytes in memory, browsers included).
 */
export const RESULT_GZIP_RATIO_GUARD = { floorBytes: 32 * 1024 * 1024, maxRatio: 50 } as const;
