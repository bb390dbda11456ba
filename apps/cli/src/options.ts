import { Option } from "@commander-js/extra-typings";

/** `--json`: print data as JSON on stdout instead of a human view. Shared by every data command. */
export function jsonOption() {
  return new Option("--json", "print the output as JSON");
}
