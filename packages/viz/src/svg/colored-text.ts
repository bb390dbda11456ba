import type { AttributionResult } from "@tokenscope/core";
import { contrastingText } from "../common/color-scale.ts";
import { formatScore } from "../common/format-score.ts";
import type { SequenceView, TokenView } from "../common/sequence-view.ts";
import { displayWidth } from "../common/text-width.ts";
import { heading, stack } from "./document.ts";
import { cellsWidth, centreToBaselineEm, colors, fitLabel, textWidth } from "./layout.ts";
import { type Block, legend } from "./legend.ts";
import { element, join, type Markup, rgbString, text } from "./markup.ts";
import { resolveStep, type SvgSettings } from "./options.ts";
import { stepEntries, stepScale } from "./step-row.ts";

type BoxRole = "attributed" | "explained" | "later" | "plain";

interface FlowBox {
  token: TokenView;
  role: BoxRole;
  score: number | null;
  /** The token's text holds a line break: the line ends after it. */
  breaksLine: boolean;
  /** First generated token: a thin rule before it marks where the prompt ends. */
  startsGenerated: boolean;
}

/**
 * The coloured-text panel of one sequence at the origin: the prompt tokens then the generated tokens
 * as boxes flowing in lines of at most `settings.width` px (a token with a line break ends its line),
 * each box filled with its attribution to the explained step, the explained token outlined, the
 * tokens generated after it grey; a colour legend over that step's scores below.
 */
export function coloredTextPanel(
  view: SequenceView,
  settings: SvgSettings,
  result: AttributionResult,
): Block {
  const f = settings.fontSize;
  const step = resolveStep(view, settings.step);
  if (step === null) {
    return stack(
      [
        heading(`sequence ${view.index}`, f),
        {
          markup: element("text", { x: 0, y: f, fill: colors.muted }, text("(no generated tokens)")),
          width: textWidth("(no generated tokens)", f),
          height: f * 1.4,
        },
      ],
      f * 0.5,
    );
  }
  const sequence = result.sequences[view.index]!;
  const entries = stepEntries(view, step);
  const scale = stepScale(entries, settings.scale);
  const sourceScores = new Map<number, number | null>();
  const prefixScores = new Map<number, number | null>();
  for (const entry of entries) {
    (entry.group === "source" ? sourceScores : prefixScores).set(
      view.columns[entry.column]!.index,
      entry.score,
    );
  }
  const hasLineBreak = (raw: string) => /[\r\n]/.test(raw);
  const boxes: FlowBox[] = [
    ...view.source.map((token, s) => ({
      token,
      role: "explained" as BoxRole,
      score: sourceScores.get(s) ?? null,
      breaksLine: hasLineBreak(sequence.source[s]?.text ?? ""),
      startsGenerated: false,
    })),
    ...view.target.map((token, u) => ({
      token,
      role: (u === step
        ? "attributed"
        : u > step
          ? "later"
          : prefixScores.has(u)
            ? "explained"
            : "plain") as BoxRole,
      score: u < step ? (prefixScores.get(u) ?? null) : null,
      breaksLine: hasLineBreak(sequence.target[u]?.text ?? ""),
      startsGenerated: u === 0,
    })),
  ];

  const padX = f * 0.3;
  const gap = f * 0.3;
  const boxHeight = f * 1.6;
  const lineHeight = boxHeight + f * 0.5;
  const available = settings.width - 1.5 * f;
  const pieces: Markup[] = [];
  let x = 0;
  let y = 0;
  let right = 0;
  for (const box of boxes) {
    const label = fitLabel(box.token.label, settings.maxTokenWidth);
    const width = cellsWidth(Math.max(1, displayWidth(label.shown)), f) + 2 * padX;
    const lead = box.startsGenerated ? gap * 2 : 0;
    if (x > 0 && x + lead + width > available) {
      x = 0;
      y += lineHeight;
    }
    if (box.startsGenerated && x > 0) {
      pieces.push(
        element("line", {
          x1: x + gap / 2,
          y1: y - f * 0.1,
          x2: x + gap / 2,
          y2: y + boxHeight + f * 0.1,
          stroke: colors.muted,
          "stroke-width": 1,
        }),
      );
      x += lead;
    }
    const background = box.role === "explained" || box.role === "plain" ? scale.colorOf(box.score) : null;
    const tooltip =
      box.role === "attributed"
        ? `${box.token.label} (explained token, step ${step})`
        : box.role === "later"
          ? `${box.token.label} (generated after step ${step})`
          : `${box.token.label}: ${formatScore(box.score, settings.digits) || "no score"}`;
    const textFill = background
      ? rgbString(contrastingText(background))
      : box.role === "later" || box.token.special
        ? colors.muted
        : colors.text;
    pieces.push(
      element(
        "g",
        { class: `token ${box.role}` },
        element("title", {}, text(tooltip)),
        element("rect", {
          x,
          y,
          width,
          height: boxHeight,
          rx: f * 0.2,
          fill: background ? rgbString(background) : "none",
          stroke: box.role === "attributed" ? colors.text : box.role === "later" ? colors.rule : "none",
          "stroke-width": box.role === "attributed" ? 2 : 1,
        }),
        element(
          "text",
          {
            x: x + padX,
            y: y + boxHeight / 2 + f * centreToBaselineEm,
            fill: textFill,
            "font-weight": box.role === "attributed" ? "bold" : undefined,
          },
          text(label.shown),
        ),
      ),
    );
    x += width;
    right = Math.max(right, x);
    x += gap;
    if (box.breaksLine) {
      x = 0;
      y += lineHeight;
    }
  }
  const flowHeight = x === 0 && y > 0 ? y - (lineHeight - boxHeight) : y + boxHeight;
  const title = heading(
    `sequence ${view.index} · step ${step}: ${fitLabel(view.target[step]!.label, settings.maxTokenWidth).shown}`,
    f,
  );
  const flow: Block = { markup: join(pieces), width: Math.max(right, available), height: flowHeight };
  return stack([title, flow, legend(scale, f, settings.digits, `attribution of step ${step}`)], f * 0.8);
}
