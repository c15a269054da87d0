/**
 * The page's only way to make elements: text goes in as text nodes, never as markup, so a feed's message or a model's
 * title shows as the characters it is, whatever it holds (`<script>`, `<img onerror>`). Nothing here sets innerHTML,
 * and event handlers are functions, never attributes.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  className?: string;
  /** Attributes; `on…` and `style` are refused (handlers are functions, styles are classes: the CSP forbids both). */
  attrs?: Record<string, string>;
  data?: Record<string, string>;
  title?: string;
  onClick?: (event: Event) => void;
}

/** `<tag>` with `props` and `children` (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(name) || name.toLowerCase() === 'style') throw new Error(`refused attribute ${name}`);
    element.setAttribute(name, value);
  }
  for (const [name, value] of Object.entries(props.data ?? {})) element.dataset[name] = value;
  if (props.title !== undefined) element.title = props.title;
  const onClick = props.onClick;
  if (onClick) element.addEventListener('click', (event) => onClick(event));
  append(element, children);
  return element;
}

/** Appends `children` to `parent`, strings and numbers as text. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? text(child) : child);
  }
}

export function text(value: string | number): Text {
  return document.createTextNode(String(value));
}

/** The element with id `id`; throws when the page lacks it (a page and script out of step). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}
