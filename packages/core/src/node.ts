/**
 * @packageDocumentation
 * Node-only helpers of @tokenscope/core (file system).
 */
export {};
