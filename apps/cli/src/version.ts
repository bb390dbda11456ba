/** The version of the `tokenscope` command. Kept equal to package.json by `pnpm version-packages`. */
export const CLI_VERSION = "0.0.0";
