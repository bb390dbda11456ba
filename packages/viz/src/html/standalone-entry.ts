// The script of a standalone HTML file (bundled into standalone-script.gen.ts): it reads the
// view data from the page's JSON block and draws the view. Nothing else runs.
import { renderAttributionView } from "./render-view.ts";

const data = document.getElementById("tokenscope-data");
const root = document.getElementById("tokenscope-view");
if (data && root) renderAttributionView(root, JSON.parse(data.textContent ?? "null"));
