"use client";
/** A small dependency-free SVG line chart; its label states the latest values for screen readers. */

export type Series = { name: string; color: string; values: (number | null)[] };

const W = 320;
const H = 96;

function point(i: number, v: number, max: number, count: number): [number, number] {
  const step = count > 1 ? W / (count - 1) : W;
  return [i * step, H - (v / max) * (H - 4) - 2];
}

function path(values: (number | null)[], max: number, count: number): string {
  return values
    .map((v, i) => (v == null ? null : point(i, v, max, count).join(",")))
    .filter(Boolean)
    .join(" ");
}

export function LineChart({ title, unit, series, format = (v) => v.toFixed(1) }: { title: string; unit: string; series: Series[]; format?: (v: number) => string }) {
  const count = Math.max(0, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values.filter((v): v is number => v != null));
  const max = Math.max(1e-9, ...all) * 1.1;
  const latest = series.map((s) => {
    const last = [...s.values].reverse().find((v) => v != null);
    return `${s.name} ${last == null ? "—" : `${format(last)} ${unit}`}`;
  });
  return (
    <figure className="rounded-md bg-white p-3 ring-1 ring-slate-200">
      <figcaption className="flex flex-wrap items-baseline justify-between gap-1 text-sm">
        <span className="font-medium text-slate-900">{title}</span>
        <span className="text-xs text-slate-600">max {format(all.length ? Math.max(...all) : 0)} {unit}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" className="mt-2 h-24 w-full" role="img" aria-label={`${title}: ${latest.join(", ")}`}>
        <line x1="0" y1={H - 1} x2={W} y2={H - 1} stroke="#e2e8f0" />
        {series.map((s) => {
          const last = s.values.reduce<number>((found, v, i) => (v == null ? found : i), -1);
          const [x, y] = last < 0 ? [0, 0] : point(last, s.values[last]!, max, count);
          return (
            <g key={s.name}>
              <polyline fill="none" stroke={s.color} strokeWidth="2" vectorEffect="non-scaling-stroke" points={path(s.values, max, count)} />
              {last >= 0 && <line x1={x} y1={y} x2={x} y2={y} stroke={s.color} strokeWidth="6" strokeLinecap="round" vectorEffect="non-scaling-stroke" />}
            </g>
          );
        })}
      </svg>
      <ul className="mt-1 flex flex-wrap gap-x-3 text-xs text-slate-700">
        {series.map((s, i) => (
          <li key={s.name} className="flex items-center gap-1">
            <svg aria-hidden width="10" height="10"><rect width="10" height="10" rx="2" fill={s.color} /></svg>
            {latest[i]}
          </li>
        ))}
      </ul>
    </figure>
  );
}
