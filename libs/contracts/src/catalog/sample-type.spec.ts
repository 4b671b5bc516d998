import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { lookup } from 'mime-types';
import { encodingFormatOf } from '@trove/dataset';
import { AddSampleRequest } from './catalog.messages';

const sample = (path: string, contentType: string | undefined) =>
  plainToInstance(AddSampleRequest, { datasetId: '3f1d2a8e-6c1b-4c5e-9a51-0f7b9e2d4c10', path, size: 2048, sha256: 'a'.repeat(64), storageKey: 'objects/1', contentType });

describe("a sample's type and the Croissant card's encodingFormat", () => {
  // What delivery tells catalog for a sample sent without a type: its name's type (mime-types).
  it.each(['preview/粤语_客服_001.wav', 'preview/a.WAV', 'preview/a.flac', 'preview/a.mp3', 'preview/a.jpg', 'preview/a.png', 'preview/a.mp4', 'preview/a.pdf'])(
    'agree for %s typed by its name',
    (path) => {
      const recorded = sample(path, lookup(path) || undefined);
      expect(validateSync(recorded)).toEqual([]);
      expect(recorded.contentType).toBe(encodingFormatOf(path));
    },
  );

  it.each([
    ['audio/wave', 'audio/wav'],
    ['audio/x-wav', 'audio/wav'],
    ['audio/vnd.wave', 'audio/wav'],
    ['Audio/WAVE', 'audio/wav'],
    ['audio/x-flac', 'audio/flac'],
    ['audio/wav', 'audio/wav'],
    ['image/jpeg', 'image/jpeg'],
  ])('records a sample declared %s as %s, the registered name', (declared, recorded) => {
    expect(sample('preview/a.wav', declared).contentType).toBe(recorded);
  });
});
