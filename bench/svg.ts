/**
 * A small hand-written SVG line chart (no dependency, no browser): one panel per series group,
 * shared time axis in seconds, phase bands shaded. Enough for "latency and lag over time".
 */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}
export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
}
export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChart(title: string, panels: readonly Panel[], bands: readonly Band[] = []): string {
  const W = 900;
  const PH = 220;
  const L = 70;
  const R = 20;
  const T = 40;
  const GAP = 50;
  const H = T + panels.length * (PH + GAP);
  const all = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const xMax = Math.max(1, ...all);
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const top = T + i * (PH + GAP);
    const ys = p.series.flatMap((s) => s.points.map(([, v]) => v));
    const yMax = Math.max(1, ...ys) * 1.1;
    const y = (v: number) => top + PH - (v / yMax) * PH;
    for (const b of bands)
      out.push(
        `<rect x="${x(b.from)}" y="${top}" width="${Math.max(0, x(b.to) - x(b.from))}" height="${PH}" fill="#f3e6c8" opacity="0.6"/>`,
        `<text x="${x(b.from) + 4}" y="${top + 14}" fill="#8a6d1f">${esc(b.label)}</text>`,
      );
    out.push(
      `<rect x="${L}" y="${top}" width="${W - L - R}" height="${PH}" fill="none" stroke="#999"/>`,
      `<text x="${L}" y="${top - 8}" font-weight="bold">${esc(p.title)}</text>`,
    );
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(
        `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
        `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)} ${esc(p.unit)}</text>`,
      );
    }
    for (let k = 0; k <= 6; k++) {
      const v = (xMax * k) / 6;
      out.push(`<text x="${x(v)}" y="${top + PH + 16}" text-anchor="middle">${Math.round(v)} s</text>`);
    }
    p.series.forEach((s, j) => {
      if (s.points.length > 0)
        out.push(
          `<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`,
        );
      out.push(
        `<rect x="${W - R - 160}" y="${top + 8 + j * 16}" width="10" height="10" fill="${s.color}"/>`,
        `<text x="${W - R - 145}" y="${top + 17 + j * 16}">${esc(s.name)}</text>`,
      );
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
