/** What {@link element} appends: nodes, or strings as text nodes; null is skipped. */
type Children = (Node | string | null)[];

/**
 * Builds an element. Text only ever enters through text nodes, never markup, so a token such as
 * `<script>` stays a token.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  props: { className?: string; attributes?: Record<string, string> } = {},
  children: Children = [],
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (props.className) node.className = props.className;
  for (const [name, value] of Object.entries(props.attributes ?? {})) node.setAttribute(name, value);
  for (const child of children) {
    if (child !== null) node.append(typeof child === "string" ? doc.createTextNode(child) : child);
  }
  return node;
}
