import type { DatasetMetadata } from './metadata';

type Profiles = Pick<DatasetMetadata, 'speech' | 'image' | 'video' | 'text' | 'dialogue' | 'pointCloud' | 'multimodal'>;

/**
 * How many units of a metered offer's `unit` a listing holds, from the volume its metadata
 * declares: an order of more than that buys what is not there (1,000 hours of a 12.5-hour
 * corpus). Whole units, rounded up (the last hour may be part of one). Null when the listing
 * states no such volume, and for `gib`, whose bytes delivery counts as they are downloaded.
 */
export function meteredVolume(metadata: Partial<Profiles>, unit: string): number | null {
  const { speech, image, video, text, dialogue, pointCloud, multimodal } = metadata;
  const volume = (() => {
    switch (unit) {
      case 'hour':
        return speech?.hours ?? video?.hours;
      case 'utterance':
        return speech?.utterances;
      case 'image':
        return image?.images;
      case 'video_minute':
        return video?.hours === undefined ? undefined : video.hours * 60;
      case 'frame':
        return video?.frames ?? pointCloud?.frames;
      case '1k_tokens': {
        const tokens = text?.tokens ?? dialogue?.tokens;
        return tokens === undefined ? undefined : tokens / 1000;
      }
      case 'document':
        return text?.documents ?? dialogue?.documents;
      case 'sample':
        return multimodal?.pairs;
      default:
        return undefined;
    }
  })();
  if (typeof volume !== 'number' || !Number.isFinite(volume) || volume <= 0) return null;
  // To a millionth first: 525,900.8 hours x 60 is 31,554,048.000000004 minutes in floating point,
  // which rounded up would sell a minute that is not there.
  return Math.ceil(Math.round(volume * 1e6) / 1e6);
}
