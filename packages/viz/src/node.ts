/**
 * @packageDocumentation
 * The Node-only part of `@tokenscope/viz`: PNG export of the SVG figures ({@link toPng},
 * {@link svgToPng}) through resvg and the bundled DejaVu fonts, and writing any view to a file by its
 * extension ({@link writeView}: .html, .svg, .png, .md). Import it as
 * `@tokenscope/viz/node`; the main entry stays free of `node:` modules and native code so that it
 * runs in browsers. This entry point only exports.
 */
export * from "./node/index.ts";
