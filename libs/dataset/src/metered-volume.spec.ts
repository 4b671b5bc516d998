import { meteredVolume } from './metered-volume';

describe("a listing's volume in a metered offer's unit", () => {
  it.each([
    ['hour', { speech: { hours: 12.5 } }, 13],
    ['hour', { video: { hours: 820 } }, 820],
    ['utterance', { speech: { hours: 300, utterances: 240_000 } }, 240_000],
    ['image', { image: { images: 10_000 } }, 10_000],
    ['video_minute', { video: { hours: 1.5 } }, 90],
    // 31,554,048.000000004 minutes in floating point: not one more minute to buy.
    ['video_minute', { video: { hours: 525_900.8 } }, 31_554_048],
    ['video_minute', { video: { hours: 0.01 } }, 1],
    ['frame', { video: { frames: 8_856_000 } }, 8_856_000],
    ['frame', { pointCloud: { frames: 200_000 } }, 200_000],
    ['1k_tokens', { text: { tokens: 15_000_000_000 } }, 15_000_000],
    ['1k_tokens', { dialogue: { tokens: 2_500 } }, 3],
    ['document', { text: { documents: 2_000_000 } }, 2_000_000],
    ['sample', { multimodal: { components: ['image', 'text'], pairs: 10_000_000 } }, 10_000_000],
    ['hour', { image: { images: 10 } }, null],
    ['hour', { speech: { utterances: 5 } }, null],
    ['gib', { speech: { hours: 300 } }, null],
    ['hour', { speech: null, video: null }, null],
  ] as const)('%s of %j: %p', (unit, profiles, volume) => {
    expect(meteredVolume(profiles as never, unit)).toBe(volume);
  });
});
