/** Replaces secrets in text with "***". */
export type Redactor = (text: string) => string;

/**
 * A redactor of the given secrets (empty ones are ignored) and of every `Bearer <token>` and
 * `user:password@` in URLs, wherever they occur: applied to every message tokenscope makes from a
 * server's answer, so that a server that echoes the Authorization header cannot leak the key.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const values = [
    ...new Set(secrets.filter((secret): secret is string => !!secret && secret.length > 0)),
  ].sort((a, b) => b.length - a.length);
  return (text) => {
    let redacted = text;
    for (const secret of values) redacted = redacted.split(secret).join("***");
    for (const secret of values) {
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) redacted = redacted.split(encoded).join("***");
    }
    return redacted
      .replace(/(Bearer|Basic)\s+(?!\*\*\*)[^\s"',;}]+/gi, "$1 ***")
      .replace(/(\/\/)[^/@\s:]*:[^/@\s]*@/g, "$1");
  };
}

/** A URL and the credentials that were in it. */
export interface StrippedUrl {
  /** The URL without `user:password@`; unchanged when it had none. */
  url: string;
  username: string;
  password: string;
}

/** Removes `user:password@` from a URL (what results and messages may show). */
export function stripCredentials(url: string): StrippedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url: url.replace(/(\/\/)[^/@\s]*@/, "$1"), username: "", password: "" };
  }
  if (parsed.username === "" && parsed.password === "") return { url, username: "", password: "" };
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.href, username, password };
}
