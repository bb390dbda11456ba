/**
 * Side-effect entry: `import "tokenscope/register"` registers the built-ins.
 * The only module with side effects in tokenscope (listed in `sideEffects`).
 */
import { registerBuiltins } from "./builtins.ts";

registerBuiltins();
