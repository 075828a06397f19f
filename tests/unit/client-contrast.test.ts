// Every color used for text meets WCAG AA (4.5:1) on every background it is
// drawn on, in both themes, as written in the stylesheet.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync('client/src/app.css', 'utf8');
const palette = new Map(
  [...css.matchAll(/--([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\)/gi)].map(([, name, light, dark]) => [
    name!,
    { light: light!, dark: dark! },
  ]),
);

function luminance(hex: string): number {
  const channel = (offset: number): number => {
    const c = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrast(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high! + 0.05) / (low! + 0.05);
}

const backgrounds = ['bg', 'surface', 'own'];
const texts = ['text', 'muted', 'accent', 'danger', ...Array.from({ length: 8 }, (_, i) => `author-${i}`)];

describe('theme contrast', () => {
  it('defines every color for both themes', () => {
    for (const name of [...backgrounds, ...texts, 'accent-text']) expect(palette.has(name), name).toBe(true);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`keeps text at 4.5:1 or more in the ${theme} theme`, () => {
      for (const text of texts) {
        for (const background of backgrounds) {
          const ratio = contrast(palette.get(text)![theme], palette.get(background)![theme]);
          expect(ratio, `${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
        }
      }
      expect(contrast(palette.get('accent-text')![theme], palette.get('accent')![theme])).toBeGreaterThanOrEqual(4.5);
    });
  }
});
