export { type ErrorCode, errorCodes } from "./codes.ts";
export {
  isTokenscopeError,
  TokenscopeError,
  type TokenscopeErrorOptions,
  throwIfAborted,
} from "./tokenscope-error.ts";
