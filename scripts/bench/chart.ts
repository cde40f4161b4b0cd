// A small hand-written SVG chart: sign-ins per second (bars, left axis) and p99 latency (line, right
// axis) against concurrency, readable in a browser or embedded in the markdown report.
import type { SignInPhase } from './result.ts';

const width = 640;
const height = 360;
const margin = { top: 40, right: 70, bottom: 50, left: 70 };

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[character] ?? '',
  );
}

/** A round axis maximum a little above `value` that splits into four round steps. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 4, 6, 8, 10].find((candidate) => candidate * magnitude >= value * 1.1) ?? 10;
  return step * magnitude;
}

export function renderChart(phases: SignInPhase[], title: string): string {
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const throughputMax = niceMax(Math.max(...phases.map((phase) => phase.signInsPerSecond)));
  const latencyMax = niceMax(Math.max(...phases.map((phase) => phase.latencyMs.p99 ?? 0)));
  const slot = plotWidth / Math.max(phases.length, 1);
  const x = (index: number) => margin.left + slot * index + slot / 2;
  const yThroughput = (value: number) => margin.top + plotHeight - (value / throughputMax) * plotHeight;
  const yLatency = (value: number) => margin.top + plotHeight - (value / latencyMax) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let tick = 0; tick <= 4; tick += 1) {
    const y = margin.top + plotHeight - (tick / 4) * plotHeight;
    parts.push(
      `<line x1="${margin.left}" y1="${y}" x2="${width - margin.right}" y2="${y}" stroke="#e8edee"/>`,
      `<text x="${margin.left - 8}" y="${y + 4}" text-anchor="end" fill="#005eb8">${Number(((throughputMax * tick) / 4).toFixed(1))}</text>`,
      `<text x="${width - margin.right + 8}" y="${y + 4}" fill="#d5281b">${Math.round((latencyMax * tick) / 4)}</text>`,
    );
  }
  phases.forEach((phase, index) => {
    const barWidth = slot * 0.5;
    const top = yThroughput(phase.signInsPerSecond);
    parts.push(
      `<rect x="${x(index) - barWidth / 2}" y="${top}" width="${barWidth}" height="${margin.top + plotHeight - top}" fill="#005eb8" opacity="0.8"><title>${phase.signInsPerSecond} sign-ins/s</title></rect>`,
      `<text x="${x(index)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${phase.concurrency}</text>`,
    );
  });
  const points = phases
    .filter((phase) => phase.latencyMs.p99 !== null)
    .map((phase) => `${x(phases.indexOf(phase))},${yLatency(phase.latencyMs.p99 ?? 0)}`);
  parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="#d5281b" stroke-width="2.5"/>`);
  for (const point of points) {
    const [cx, cy] = point.split(',');
    parts.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="#d5281b"/>`);
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">concurrent sign-ins</text>`,
    `<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#005eb8">sign-ins per second (bars)</text>`,
    `<text transform="translate(${width - 14} ${margin.top + plotHeight / 2}) rotate(90)" text-anchor="middle" fill="#d5281b">p99 latency, ms (line)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
