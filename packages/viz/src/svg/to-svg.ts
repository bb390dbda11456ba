import type { AttributionResult } from "@tokenscope/core";
import { type SequenceView, sequenceViews } from "../common/sequence-view.ts";
import { barChartPanel } from "./bar-chart.ts";
import { coloredTextPanel } from "./colored-text.ts";
import { distributionPanel } from "./distribution.ts";
import { heading, runTitle, stack, svgDocument } from "./document.ts";
import { heatmapPanel } from "./heatmap.ts";
import { colors, textWidth } from "./layout.ts";
import type { Block } from "./legend.ts";
import { element, text } from "./markup.ts";
import { resolveSvgOptions, type SvgKind, type SvgOptions, type SvgSettings } from "./options.ts";

const panels: Record<
  SvgKind,
  (view: SequenceView, settings: SvgSettings, result: AttributionResult) => Block
> = {
  heatmap: heatmapPanel,
  text: coloredTextPanel,
  distribution: distributionPanel,
  bar: barChartPanel,
};

const kindNames: Record<SvgKind, string> = {
  heatmap: "attribution heatmap",
  text: "attributed text",
  distribution: "importance distribution",
  bar: "attribution bar chart",
};

/**
 * A result as a standalone SVG figure (a string holding one `<svg>` document), for papers, slides
 * and reports. `options.kind` picks the figure:
 *
 * - "heatmap" (default): per sequence, rows are the generated tokens and columns the source tokens
 *   then the generated-prefix tokens, each cell coloured by its score and printing it (empty cells
 *   blank), step scores in uncoloured columns on the right, and a colour legend.
 * - "text": the prompt and the generated tokens as a flow of boxes, coloured by the attribution of
 *   one generated token (`step`, default the last), which is outlined; later tokens are grey.
 * - "distribution": each generated token's importance distribution over the tokens before it (see
 *   {@link importanceDistribution}) as a ridgeline of bars.
 * - "bar": one step's attribution as horizontal bars around a zero axis.
 *
 * Several sequences are stacked as panels, each with its own colour scale. A title line names the
 * model, method and attributed function. The figure grows with the number of tokens and never clips;
 * labels longer than `maxTokenWidth` are cut with "…" and carry the full label as a `<title>`.
 * Every text from the result is escaped; the figure holds no script, event handler, link, id or
 * external reference, and the same input always gives the same bytes. Throws `INVALID_INPUT` for a
 * bad option.
 */
export function toSvg(result: AttributionResult, options: SvgOptions = {}): string {
  const settings = resolveSvgOptions(options);
  const views = sequenceViews(result, settings.viewOptions, "toSvg");
  const f = settings.fontSize;
  const title = heading(runTitle(result), f);
  const blocks: Block[] = [title];
  if (views.length === 0) {
    blocks.push({
      markup: element("text", { x: 0, y: f, fill: colors.muted }, text("(the result has no sequences)")),
      width: textWidth("(the result has no sequences)", f),
      height: f * 1.4,
    });
  }
  for (const view of views) blocks.push(panels[settings.kind](view, settings, result));
  const body = stack(blocks, f * 1.5);
  return svgDocument(body, `tokenscope ${kindNames[settings.kind]}: ${runTitle(result)}`, f);
}
