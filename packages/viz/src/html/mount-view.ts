import type { AttributionResult } from "@tokenscope/core";
import { type AttributionViewHandle, renderAttributionView } from "./render-view.ts";
import { attributionViewCss } from "./view-css.ts";
import { type AttributionViewOptions, attributionViewData } from "./view-data.ts";

/** Options of {@link mountAttributionView}. */
export interface MountViewOptions extends AttributionViewOptions {
  /** Add the view's stylesheet inside the container (default true; false when the page has it). */
  injectStyles?: boolean;
}

/**
 * Mounts the interactive attribution view of `result` in `container` (a plain-DOM component: no
 * framework; the playground and any page can use it). Replaces what the container held; returns a
 * handle to change the shown sequence or step, or to remove the view.
 *
 * @example
 * ```ts
 * const view = mountAttributionView(document.querySelector("#out")!, result);
 * view.selectStep(0);
 * ```
 */
export function mountAttributionView(
  container: HTMLElement,
  result: AttributionResult,
  options: MountViewOptions = {},
): AttributionViewHandle {
  const handle = renderAttributionView(container, attributionViewData(result, options));
  if (options.injectStyles === false) return handle;
  const style = container.ownerDocument.createElement("style");
  style.textContent = attributionViewCss;
  container.prepend(style);
  return {
    ...handle,
    get current() {
      return handle.current;
    },
    destroy: () => {
      style.remove();
      handle.destroy();
    },
  };
}
