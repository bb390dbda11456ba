import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The DejaVu fonts bundled through the `dejavu-fonts-ttf` package, as absolute paths. */
export interface BundledFonts {
  mono: string;
  monoBold: string;
  sans: string;
}

let cached: BundledFonts | undefined;

/**
 * Paths of the fonts PNG export renders with: DejaVu Sans Mono (regular and bold, the figures'
 * font) and DejaVu Sans (a fallback for symbols the monospace font lacks). Resolved once, lazily.
 */
export function bundledFonts(): BundledFonts {
  cached ??= {
    mono: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf"),
    monoBold: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSansMono-Bold.ttf"),
    sans: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"),
  };
  return cached;
}
