/**
 * A small inline SVG line of a series (the streams' messages per minute): made with DOM calls (createElementNS and
 * setAttribute: no markup, no style attribute, which the Content-Security-Policy forbids); colours come from app.css.
 */
import { sparklinePoints } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/** An `<svg class="sparkline">` of `values`, with `label` as its accessible name and tooltip. */
export function sparkline(values: readonly number[], label: string, width = 160, height = 28): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', sparklinePoints(values, width, height));
  line.setAttribute('fill', 'none');
  svg.append(title, line);
  return svg;
}
