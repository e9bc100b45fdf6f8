/** A small self-contained SVG of horizontal bar charts, one panel per metric. */
export interface Panel {
  title: string;
  values: { label: string; value: number | undefined }[];
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatValue(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

export function barChartSvg(panels: Panel[], highlight: (label: string) => boolean): string {
  const width = 760;
  const labelWidth = 150;
  const barArea = width - labelWidth - 90;
  const barHeight = 16;
  const gap = 5;
  const parts: string[] = [];
  let y = 10;
  for (const panel of panels) {
    const values = panel.values.filter((v): v is { label: string; value: number } => v.value !== undefined && Number.isFinite(v.value));
    parts.push(`<text x="10" y="${y + 14}" font-weight="bold">${escape(panel.title)}</text>`);
    y += 24;
    const max = Math.max(...values.map((v) => v.value), 1e-9);
    for (const { label, value } of values) {
      const w = Math.max(1, (value / max) * barArea);
      const fill = highlight(label) ? '#2b7bb9' : '#a0a7b0';
      parts.push(`<text x="${labelWidth - 8}" y="${y + barHeight - 4}" text-anchor="end">${escape(label)}</text>`);
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${fill}"/>`);
      parts.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + barHeight - 4}">${formatValue(value)}</text>`);
      y += barHeight + gap;
    }
    y += 14;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
}
