/**
 * The main job (`npm start`): review, verify and replay of the built-in defaults, each exiting 0,
 * and the same job as one HTML page with the three parts.
 */
import { describe, expect, it } from 'vitest';
import { runDefaultJob, shippedTraces } from '../../src/default/index.ts';

describe('runDefaultJob', () => {
  it('reviews, verifies and replays the defaults, all clean, and writes the same as HTML', async () => {
    const r = await runDefaultJob();
    expect(r.sections.map((s) => s.title.split(' ')[0])).toEqual(['review', 'verify', 'replay']);
    expect(r.sections.map((s) => s.exitCode)).toEqual([0, 0, 0]);
    expect(r.exitCode).toBe(0);
    expect(r.sections[2]!.body.match(/CONFORMANT/g)?.length).toBe((await shippedTraces()).length);
    for (const id of ['review', 'verify', 'replay']) expect(r.html).toContain(`<section class="part" id="${id}">`);
    expect(r.html).toContain('id="review-patch"');
    expect(r.html).toContain('id="verify-patch"');
    expect(r.html.match(/class="timeline"/g)?.length).toBe((await shippedTraces()).length);
    expect(r.html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|url\(http/);
  }, 240_000);
});
