/**
 * How far a gzipped result may expand by default: saved results compress 1.4–4 times (measured on
 * stories260K with a 486-token prompt: 1.38x with `--aggregate none`, 1.68x raw at float16, 3.0x at
 * float64, 3.5–3.7x aggregated for saliency, integrated gradients, attention and occlusion), and
 * decompression bombs a thousand times; so past 1 MiB of text, output more than 50 times the
 * compressed size is refused as a bomb. The floor keeps small, very repetitive results readable; at
 * 32 MiB it let a 31 KB file expand to 31 MiB (1.9 s, 616 MB). Shared by `loadResult` (Node,
 * streaming from disk) and `parseResult` (bytes in memory, browsers included).
 */
export const RESULT_GZIP_RATIO_GUARD = { floorBytes: 1024 * 1024, maxRatio: 50 } as const;
